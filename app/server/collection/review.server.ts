import { transmittedStatuses } from "~/domain/submissions";
import type { Db } from "../db.server";
import type { Problem } from "~/domain/problems";
import { notAvailableText, type ReviewDomain, type ReviewLine, type VersionReview } from "~/domain/review";

export type { VersionReview };

const rowOf = (cell: string) => Number(/(\d+)$/.exec(cell)?.[1] ?? 0);
const bareCell = (cellRef: string) => cellRef.slice(cellRef.lastIndexOf("!") + 1);

/**
 * The values of one version, grouped by domain and indicator in template
 * order, each with last year's accepted value, the change, the warnings and
 * errors found on its cell, the correspondent's comment, and its value in
 * the previous version of the same year when different. The caller has
 * already checked the viewer may read the submission (getDossier).
 */
export async function versionReview(db: Db, versionId: string, options: { transmittedOnly?: boolean } = {}): Promise<VersionReview | null> {
  const version = await db
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .innerJoin("campaign as c", "c.id", "s.campaign_id")
    .select(["v.id", "v.number", "v.problems", "v.submission_id", "s.organisation_id", "c.reference_year"])
    .where("v.id", "=", versionId)
    .executeTakeFirst();
  if (!version) return null;

  const values = await db
    .selectFrom("submission_value as sv")
    .innerJoin("indicator_version as iv", "iv.id", "sv.indicator_version_id")
    .innerJoin("indicator as i", "i.id", "iv.indicator_id")
    .innerJoin("indicator_domain as d", "d.code", "i.domain_code")
    .leftJoin("submission_line_comment as lc", (j) =>
      j.onRef("lc.version_id", "=", "sv.version_id").onRef("lc.indicator_version_id", "=", "sv.indicator_version_id").onRef("lc.breakdown_key", "=", "sv.breakdown_key"),
    )
    .select(["sv.breakdown_key", "sv.value", "sv.not_available_code", "sv.not_available_reason", "sv.cell_ref", "iv.label", "iv.unit", "i.id as indicator_id", "i.code", "d.code as domain_code", "d.label as domain_label", "d.position", "lc.body as comment"])
    .where("sv.version_id", "=", versionId)
    .execute();

  // Art. 4: outside the organisation, the comparison is with the previous transmitted version only (a draft stays the partner's).
  let earlierQuery = db
    .selectFrom("submission_version")
    .select(["id", "number"])
    .where("submission_id", "=", version.submission_id)
    .where("number", "<", version.number);
  if (options.transmittedOnly) {
    earlierQuery = earlierQuery.where((eb) => eb.or([eb("status", "in", [...transmittedStatuses]), eb("validated_at", "is not", null)]));
  }
  const earlier = await earlierQuery.orderBy("number", "desc").limit(1).executeTakeFirst();
  const earlierValues = earlier
    ? new Map(
        (
          await db
            .selectFrom("submission_value as sv")
            .innerJoin("indicator_version as iv", "iv.id", "sv.indicator_version_id")
            .select(["iv.indicator_id", "sv.breakdown_key", "sv.value"])
            .where("sv.version_id", "=", earlier.id)
            .execute()
        ).map((r) => [`${r.indicator_id}#${r.breakdown_key}`, r.value]),
      )
    : null;

  const lastYear = new Map(
    (
      await db
        .selectFrom("accepted_value")
        .select(["indicator_id", "breakdown_key", "value"])
        .where("organisation_id", "=", version.organisation_id)
        .where("reference_year", "=", version.reference_year - 1)
        .execute()
    ).map((r) => [`${r.indicator_id}#${r.breakdown_key}`, r.value]),
  );

  const parts = [...new Set(values.flatMap((v) => (v.breakdown_key ? v.breakdown_key.split("|") : [])))];
  const lists = [...new Set(parts.map((p) => p.split("=")[0]!))];
  const labelOf = new Map(
    lists.length
      ? (await db.selectFrom("codelist_item").select(["codelist_code", "code", "label"]).where("codelist_code", "in", lists).execute()).map((i) => [
          `${i.codelist_code}=${i.code}`,
          i.label,
        ])
      : [],
  );

  // By row: a line's problems may name its value cell (E) or its reason cell (I, ADR 026).
  const problemsByRow = new Map<number, Problem[]>();
  for (const p of (version.problems ?? []) as Problem[]) {
    if (!p.cell) continue;
    const list = problemsByRow.get(rowOf(p.cell));
    if (list) list.push(p);
    else problemsByRow.set(rowOf(p.cell), [p]);
  }

  values.sort((a, b) => a.position - b.position || rowOf(a.cell_ref) - rowOf(b.cell_ref));
  const domains: ReviewDomain[] = [];
  let changedCount = 0;
  for (const v of values) {
    let domain = domains.at(-1);
    if (!domain || domain.code !== v.domain_code) {
      domain = { code: v.domain_code, label: v.domain_label, indicators: [], changedCount: 0, warningCount: 0 };
      domains.push(domain);
    }
    let indicator = domain.indicators.at(-1);
    if (!indicator || indicator.code !== v.code) {
      indicator = { code: v.code, label: v.label, unit: v.unit, lines: [] };
      domain.indicators.push(indicator);
    }
    const key = `${v.indicator_id}#${v.breakdown_key}`;
    const cell = bareCell(v.cell_ref);
    const previousYear = lastYear.get(key) ?? null;
    const problems = problemsByRow.get(rowOf(cell)) ?? [];
    const line: ReviewLine = {
      cell,
      indicatorCode: v.code,
      indicatorLabel: v.label,
      unit: v.unit,
      breakdownLabel: v.breakdown_key === "" ? "Total" : v.breakdown_key.split("|").map((p) => labelOf.get(p) ?? p).join(" × "),
      isTotal: v.breakdown_key === "",
      value: v.value,
      notAvailable: v.not_available_code ? notAvailableText(v.not_available_code, v.not_available_reason) : null,
      previousYear,
      change: v.value !== null && previousYear !== null && previousYear !== 0 ? (v.value - previousYear) / Math.abs(previousYear) : null,
      comment: v.comment ?? null,
      warnings: problems.filter((p) => p.severity === "warning").map((p) => p.message),
      errors: problems.filter((p) => p.severity === "error").map((p) => p.message),
    };
    if (earlierValues) {
      const before = earlierValues.has(key) ? earlierValues.get(key)! : null;
      if (before !== v.value) {
        line.previousVersionValue = before;
        changedCount++;
        domain.changedCount++;
      }
    }
    domain.warningCount += line.warnings.length;
    indicator.lines.push(line);
  }
  return { versionNumber: version.number, comparedWith: earlier?.number ?? null, lineCount: values.length, changedCount, domains };
}
