import type { Executor } from "../db.server";
import { DomainError } from "../errors.server";
import type { PublicationContent } from "./content.server";
import { agreementCoversYear, DEFAULT_USAGE_RIGHTS, type UsageRights } from "~/domain/agreements";
import { sourceRequirement, type LineageSource, type SourceUse } from "~/domain/publications";
import { isWithdrawn } from "~/domain/organisations";
import { todayIso } from "~/domain/dates";
import { formatYears } from "~/domain/explorer";

/**
 * Lineage (Art. 5): the source organisations of a publication, computed by
 * the portal — never typed by the author — from the frozen values (each
 * value → the submission version it was accepted from → its submission →
 * the organisation) and from the owners of the attached workspace documents.
 * For each source: which of its indicators and years are used, the usage
 * rights its agreement sets for them, and so what diffusion requires.
 */

const restrictiveness: Record<UsageRights, number> = { open: 0, with_approval: 1, internal: 2 };

interface Use {
  organisationId: string;
  indicatorId: string;
  indicatorCode: string;
  indicatorLabel: string;
  year: number;
}

/**
 * Usage rights of (organisation, indicator, year): the agreements covering
 * that reference year and listing the indicator; the most restrictive wins;
 * none → the convention's default (external diffusion on approval).
 */
async function usageRights(db: Executor, uses: Use[]): Promise<(use: Use) => UsageRights> {
  const orgIds = [...new Set(uses.map((u) => u.organisationId))];
  const indicatorIds = [...new Set(uses.map((u) => u.indicatorId))];
  const rows =
    orgIds.length && indicatorIds.length
      ? await db
          .selectFrom("agreement as g")
          .innerJoin("agreement_indicator as ai", "ai.agreement_id", "g.id")
          .select(["g.organisation_id", "g.starts_on", "g.ends_on", "ai.indicator_id", "ai.usage_rights"])
          .where("g.organisation_id", "in", orgIds)
          .where("ai.indicator_id", "in", indicatorIds)
          .execute()
      : [];
  return (use) => {
    const covering = rows.filter((r) => r.organisation_id === use.organisationId && r.indicator_id === use.indicatorId && agreementCoversYear(r, use.year));
    if (covering.length === 0) return DEFAULT_USAGE_RIGHTS;
    return covering.map((r) => r.usage_rights).sort((a, b) => restrictiveness[b] - restrictiveness[a])[0]!;
  };
}

export async function computeLineage(db: Executor, content: Pick<PublicationContent, "items" | "attachments">): Promise<LineageSource[]> {
  // Every non-empty frozen value (the rate denominators included), with the version it came from.
  const frozen = content.items.flatMap((item) => [
    ...item.snapshot.values.filter((v) => v.value !== null).map((v) => ({ v, indicator: item.snapshot.indicator })),
    ...(item.snapshot.denominator?.values ?? []).filter((v) => v.value !== null).map((v) => ({ v, indicator: item.snapshot.denominator!.indicator })),
  ]);
  const versionIds = [...new Set(frozen.map((f) => f.v.sourceVersionId))];
  const origins = versionIds.length
    ? await db
        .selectFrom("submission_version as sv")
        .innerJoin("submission as s", "s.id", "sv.submission_id")
        .select(["sv.id", "s.organisation_id"])
        .where("sv.id", "in", versionIds)
        .execute()
    : [];
  const organisationOf = new Map(origins.map((o) => [o.id, o.organisation_id]));
  const uses: Use[] = frozen.map(({ v, indicator }) => {
    const organisationId = organisationOf.get(v.sourceVersionId);
    if (!organisationId) throw new DomainError("conflict", "La provenance d'une valeur figée est introuvable : retirez ce tableau et figez-le de nouveau depuis l'explorateur.");
    return { organisationId, indicatorId: indicator.id, indicatorCode: indicator.code, indicatorLabel: indicator.label, year: v.year };
  });
  const rightsOf = await usageRights(db, uses);

  const orgIds = [...new Set([...uses.map((u) => u.organisationId), ...content.attachments.map((a) => a.ownerOrganisationId)])];
  if (orgIds.length === 0) return [];
  const orgs = await db
    .selectFrom("organisation")
    .select(["id", "code", "name", "is_observatory_team", "withdrawal_effective_date", "logo_file_id"])
    .where("id", "in", orgIds)
    .execute();
  const today = todayIso();
  const sources = orgs.map((org): LineageSource => {
    const own = uses.filter((u) => u.organisationId === org.id);
    const byIndicator = new Map<string, SourceUse>();
    for (const u of own) {
      const rights = rightsOf(u);
      const key = `${u.indicatorCode}|${rights}`;
      const entry = byIndicator.get(key) ?? { indicatorCode: u.indicatorCode, indicatorLabel: u.indicatorLabel, years: [], usageRights: rights };
      if (!entry.years.includes(u.year)) entry.years.push(u.year);
      byIndicator.set(key, entry);
    }
    const documents = content.attachments.filter((a) => a.ownerOrganisationId === org.id).map((a) => ({ documentId: a.documentId, title: a.title }));
    const partial = {
      organisationId: org.id,
      code: org.code,
      name: org.name,
      isObservatoryTeam: org.is_observatory_team,
      withdrawn: isWithdrawn(org, today),
      hasLogo: org.logo_file_id !== null,
      uses: [...byIndicator.values()].map((u) => ({ ...u, years: u.years.sort((a, b) => a - b) })).sort((a, b) => a.indicatorCode.localeCompare(b.indicatorCode)),
      documents,
    };
    return { ...partial, requirement: sourceRequirement(partial) };
  });
  return sources.sort((a, b) => a.name.localeCompare(b.name, "fr"));
}

/** Art. 5: the sources line of a whole publication ("Sources : A (données 2019 à 2024) ; B (document « … »)"). */
export function publicationSourcesLine(sources: readonly LineageSource[]): string {
  if (sources.length === 0) return "Source : aucune donnée d'un organisme membre";
  const parts = sources.map((s) => {
    const years = [...new Set(s.uses.flatMap((u) => u.years))];
    const bits = [years.length ? `données ${formatYears(years)}` : null, ...s.documents.map((d) => `document « ${d.title} »`)].filter(Boolean);
    return { name: s.name, text: bits.join(", ") };
  });
  if (parts.length === 1) return `Source : ${parts[0]!.name}, ${parts[0]!.text}`;
  return `Sources : ${parts.map((p) => `${p.name} (${p.text})`).join(" ; ")}`;
}

