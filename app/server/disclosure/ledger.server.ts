import type { Transaction } from "kysely";
import type { Database, DisclosureReleaseKind } from "#db/schema";
import type { Executor } from "../db.server";
import { recordAudit } from "../audit/audit.server";
import type { Actor } from "../command.server";
import { notFound } from "../errors.server";
import { scopeKey, statKey, type StatisticRef } from "./statistics.server";

/**
 * The disclosure ledger (ADR 015): every release outside the
 * observatory and each cell it made public. Written in the release's own
 * transaction, with an audit event; append-only (the database refuses
 * UPDATE and DELETE). Read by release protection (what is already public)
 * and by the referent (per release).
 */

export const releaseKindLabels: Record<DisclosureReleaseKind, string> = {
  dashboard_edition: "Édition du tableau de bord",
  publication: "Publication",
  onpe_package: "Paquet ONPE",
};

export interface LedgerCell {
  ref: StatisticRef | null;
  /** For statistics with no organisation scope (derived rates): the key. */
  key?: string;
  indicatorCode: string;
  year: number;
  breakdownKey: string;
  value: number | null;
  secret: boolean;
  sourceHash: string | null;
}

export interface NewRelease {
  kind: DisclosureReleaseKind;
  subjectId: string;
  label: string;
  releasedAt: Date;
  cells: LedgerCell[];
}

/** Records a release and its cells, with an audit event, in the caller's transaction. */
export async function recordRelease(trx: Transaction<Database>, actor: Actor, release: NewRelease): Promise<string> {
  const context = actor.audit;
  const unique = new Map<string, LedgerCell>();
  for (const c of release.cells) unique.set(c.key ?? statKey(c.ref!), c);
  const secretCount = [...unique.values()].filter((c) => c.secret).length;
  const row = await trx
    .insertInto("disclosure_release")
    .values({
      kind: release.kind,
      subject_id: release.subjectId,
      label: release.label,
      released_at: release.releasedAt,
      released_by: context.actorUserId,
      cell_count: unique.size,
      secret_count: secretCount,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const rows = [...unique.entries()].map(([key, c]) => ({
    release_id: row.id,
    stat_key: key,
    indicator_code: c.indicatorCode,
    reference_year: c.year,
    organisation_id: c.ref && c.ref.organisationIds.length === 1 ? c.ref.organisationIds[0]! : null,
    organisation_ids: c.ref && c.ref.organisationIds.length > 1 ? JSON.stringify([...c.ref.organisationIds].sort()) : null,
    breakdown_key: c.breakdownKey,
    value: c.secret ? null : c.value,
    secret: c.secret,
    source_hash: c.sourceHash,
    released_at: release.releasedAt,
  }));
  for (let i = 0; i < rows.length; i += 500) await trx.insertInto("disclosure_cell").values(rows.slice(i, i + 500)).execute();
  await recordAudit(trx, context, {
    action: "disclosure.release_recorded",
    entityType: "disclosure_release",
    entityId: row.id,
    summary: `Registre des diffusions : ${releaseKindLabels[release.kind].toLowerCase()} « ${release.label} », ${unique.size} valeur(s) diffusée(s) dont ${secretCount} secrète(s) (« s »).`,
    details: { kind: release.kind, subjectId: release.subjectId, cells: unique.size, secret: secretCount },
  });
  return row.id;
}

/** Takes a release off the public site (its subject answers 410), with an audit event. */
export async function withdrawRelease(trx: Transaction<Database>, actor: Actor, releaseId: string, label: string, reason: string) {
  const context = actor.audit;
  await trx.insertInto("disclosure_withdrawal").values({ release_id: releaseId, withdrawn_by: context.actorUserId, reason }).execute();
  await recordAudit(trx, context, {
    action: "disclosure.release_withdrawn",
    entityType: "disclosure_release",
    entityId: releaseId,
    summary: `Retrait du site public : « ${label} ». ${reason}`,
    details: { reason },
  });
}

export interface LedgerRow {
  releaseId: string;
  releaseLabel: string;
  kind: DisclosureReleaseKind;
  subjectId: string;
  statKey: string;
  ref: StatisticRef | null;
  value: number | null;
  secret: boolean;
  sourceHash: string | null;
}

/** Ledger rows of releases still public (not withdrawn) about these indicators and years. */
export async function ledgerRows(db: Executor, codes: readonly string[], years: readonly number[]): Promise<LedgerRow[]> {
  if (!codes.length || !years.length) return [];
  const rows = await db
    .selectFrom("disclosure_cell as c")
    .innerJoin("disclosure_release as r", "r.id", "c.release_id")
    .leftJoin("disclosure_withdrawal as w", "w.release_id", "r.id")
    .select([
      "r.id as release_id",
      "r.label",
      "r.kind",
      "r.subject_id",
      "c.stat_key",
      "c.indicator_code",
      "c.reference_year",
      "c.organisation_id",
      "c.organisation_ids",
      "c.breakdown_key",
      "c.value",
      "c.secret",
      "c.source_hash",
    ])
    .where("w.id", "is", null)
    .where("c.indicator_code", "in", [...new Set(codes)])
    .where("c.reference_year", "in", [...new Set(years)])
    .orderBy("r.released_at")
    .execute();
  return rows.map((r) => {
    const ids = r.organisation_id ? [r.organisation_id] : r.organisation_ids ? (typeof r.organisation_ids === "string" ? (JSON.parse(r.organisation_ids) as string[]) : (r.organisation_ids as string[])) : null;
    const ref = ids && ids.length ? { indicatorCode: r.indicator_code, year: r.reference_year, organisationIds: ids, breakdownKey: r.breakdown_key } : null;
    return {
      releaseId: r.release_id,
      releaseLabel: r.label,
      kind: r.kind,
      subjectId: r.subject_id,
      statKey: r.stat_key,
      ref: ref && `${r.indicator_code}|${r.reference_year}|${scopeKey(ref.organisationIds)}|${r.breakdown_key}` === r.stat_key ? ref : null,
      value: r.value === null ? null : Number(r.value),
      secret: r.secret,
      sourceHash: r.source_hash,
    };
  });
}

/** The latest release of a subject: statistic key → value shown (null: secret). */
export async function releasedValues(db: Executor, kind: DisclosureReleaseKind, subjectId: string): Promise<Map<string, number | null> | null> {
  const release = await db
    .selectFrom("disclosure_release")
    .select("id")
    .where("kind", "=", kind)
    .where("subject_id", "=", subjectId)
    .orderBy("released_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!release) return null;
  const cells = await db.selectFrom("disclosure_cell").select(["stat_key", "value", "secret"]).where("release_id", "=", release.id).execute();
  return new Map(cells.map((c) => [c.stat_key, c.secret || c.value === null ? null : Number(c.value)]));
}

/** Is the release of this subject withdrawn from the public site? */
export async function withdrawalOf(db: Executor, kind: DisclosureReleaseKind, subjectId: string) {
  return db
    .selectFrom("disclosure_withdrawal as w")
    .innerJoin("disclosure_release as r", "r.id", "w.release_id")
    .select(["w.withdrawn_at", "w.reason"])
    .where("r.kind", "=", kind)
    .where("r.subject_id", "=", subjectId)
    .executeTakeFirst();
}

/** Every release, latest first (the referent's register). */
export async function listReleases(db: Executor) {
  return db
    .selectFrom("disclosure_release as r")
    .leftJoin("disclosure_withdrawal as w", "w.release_id", "r.id")
    .leftJoin("app_user as u", "u.id", "r.released_by")
    .select(["r.id", "r.kind", "r.subject_id", "r.label", "r.released_at", "u.display_name as released_by_name", "r.cell_count", "r.secret_count", "w.withdrawn_at", "w.reason as withdrawal_reason"])
    .orderBy("r.released_at", "desc")
    .execute();
}

/** One release and its cells, for the referent. */
export async function getRelease(db: Executor, id: string) {
  const release = await db
    .selectFrom("disclosure_release as r")
    .leftJoin("disclosure_withdrawal as w", "w.release_id", "r.id")
    .leftJoin("app_user as u", "u.id", "r.released_by")
    .select(["r.id", "r.kind", "r.subject_id", "r.label", "r.released_at", "u.display_name as released_by_name", "r.cell_count", "r.secret_count", "w.withdrawn_at", "w.reason as withdrawal_reason"])
    .where("r.id", "=", id)
    .executeTakeFirst();
  if (!release) throw notFound("Cette diffusion");
  const cells = await db
    .selectFrom("disclosure_cell as c")
    .leftJoin("organisation as o", "o.id", "c.organisation_id")
    .select(["c.stat_key", "c.indicator_code", "c.reference_year", "c.organisation_id", "o.name as organisation_name", "c.organisation_ids", "c.breakdown_key", "c.value", "c.secret"])
    .where("c.release_id", "=", id)
    .orderBy("c.indicator_code")
    .orderBy("c.reference_year")
    .orderBy("c.stat_key")
    .execute();
  return {
    release,
    cells: cells.map((c) => {
      const ids = c.organisation_ids ? (typeof c.organisation_ids === "string" ? (JSON.parse(c.organisation_ids) as string[]) : (c.organisation_ids as string[])) : null;
      return {
        key: c.stat_key,
        indicatorCode: c.indicator_code,
        year: c.reference_year,
        scope: c.organisation_name ?? (ids ? `Ensemble de ${ids.length} organismes` : "Ensemble"),
        breakdownKey: c.breakdown_key,
        value: c.value === null ? null : Number(c.value),
        secret: c.secret,
      };
    }),
  };
}

/** A release carrying exactly the cells of another (the ONPE package of a published edition). */
export async function copyRelease(
  trx: Transaction<Database>,
  actor: Actor,
  input: { fromKind: DisclosureReleaseKind; subjectId: string; kind: DisclosureReleaseKind; label: string; releasedAt: Date },
): Promise<string | null> {
  const from = await trx
    .selectFrom("disclosure_release")
    .select("id")
    .where("kind", "=", input.fromKind)
    .where("subject_id", "=", input.subjectId)
    .orderBy("released_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!from) return null;
  const cells = await trx
    .selectFrom("disclosure_cell")
    .select(["stat_key", "indicator_code", "reference_year", "organisation_id", "organisation_ids", "breakdown_key", "value", "secret", "source_hash"])
    .where("release_id", "=", from.id)
    .execute();
  return recordRelease(trx, actor, {
    kind: input.kind,
    subjectId: input.subjectId,
    label: input.label,
    releasedAt: input.releasedAt,
    cells: cells.map((c) => {
      const ids = c.organisation_id ? [c.organisation_id] : c.organisation_ids ? (typeof c.organisation_ids === "string" ? (JSON.parse(c.organisation_ids) as string[]) : (c.organisation_ids as string[])) : [];
      return {
        ref: ids.length ? { indicatorCode: c.indicator_code, year: c.reference_year, organisationIds: ids, breakdownKey: c.breakdown_key } : null,
        key: c.stat_key,
        indicatorCode: c.indicator_code,
        year: c.reference_year,
        breakdownKey: c.breakdown_key,
        value: c.value === null ? null : Number(c.value),
        secret: c.secret,
        sourceHash: c.source_hash,
      };
    }),
  });
}
