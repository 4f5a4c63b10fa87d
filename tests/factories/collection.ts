import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "~/server/db.server";
import type { UsageRights } from "~/domain/agreements";
import { createApiToken } from "~/server/api/tokens.server";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload } from "~/server/collection/submissions.server";
import { systemActor } from "~/server/command.server";
import { fillTemplate } from "../support/workbook";
import { system } from "../support/actors";
import { setupCampaign } from "./campaign-setup";
import { makeUser } from "./index";

/**
 * Collection rows for tests, with their full lineage: stored_file →
 * submission (campaign × organisation) → submission_version → accepted_value.
 */
const suffix = () => randomBytes(3).toString("hex").toUpperCase();

export async function ensureDomain(db: Db, code = "DANGER", label = "Enfance en danger") {
  const position = Number((await db.selectFrom("indicator_domain").select(sql<number>`coalesce(max(position), 0)`.as("p")).executeTakeFirstOrThrow()).p) + 1;
  await db.insertInto("indicator_domain").values({ code, label, position }).onConflict((oc) => oc.column("code").doNothing()).execute();
  return code;
}

export async function ensureCodelist(db: Db, code: string, items: [string, string][], label = code) {
  await db.insertInto("codelist").values({ code, label }).onConflict((oc) => oc.column("code").doNothing()).execute();
  await db
    .insertInto("codelist_item")
    .values(items.map(([c, l], position) => ({ codelist_code: code, code: c, label: l, position })))
    .onConflict((oc) => oc.columns(["codelist_code", "code"]).doNothing())
    .execute();
  return code;
}

export interface TestIndicator {
  id: string;
  code: string;
  versionId: string;
  label: string;
}

export async function makeIndicator(
  db: Db,
  options: Partial<{
    code: string;
    label: string;
    unit: string;
    valueType: "integer" | "decimal";
    threshold: number;
    domain: string;
    breakdowns: string[];
    providers: string[];
  }> = {},
): Promise<TestIndicator> {
  const domain = await ensureDomain(db, options.domain ?? "DANGER");
  const code = options.code ?? `IND_${suffix()}`;
  const label = options.label ?? `Indicateur ${code}`;
  const indicator = await db
    .insertInto("indicator")
    .values({ code, domain_code: domain, secrecy_threshold: options.threshold ?? 5 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const version = await db
    .insertInto("indicator_version")
    .values({
      indicator_id: indicator.id,
      version: 1,
      valid_from_year: null,
      label,
      unit: options.unit ?? "nombre",
      value_type: options.valueType ?? "integer",
      measure: "stock",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (options.breakdowns?.length) {
    await db
      .insertInto("indicator_version_breakdown")
      .values(options.breakdowns.map((codelist_code, position) => ({ indicator_version_id: version.id, position, codelist_code })))
      .execute();
  }
  for (const org of options.providers ?? []) {
    await db.insertInto("indicator_provider").values({ indicator_id: indicator.id, organisation_id: org }).execute();
  }
  return { id: indicator.id, code, versionId: version.id, label };
}

export async function ensureCampaign(db: Db, year: number) {
  const existing = await db.selectFrom("campaign").select("id").where("reference_year", "=", year).executeTakeFirst();
  if (existing) return existing.id;
  const row = await db
    .insertInto("campaign")
    .values({ reference_year: year, opens_on: `${year + 1}-01-15`, deadline: `${year + 1}-03-31`, status: "closed" })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Accepts `values` (breakdown key → value; '' is the total) of `indicator`
 * for `organisationId` and `year`: a new submission version (with a stored
 * workbook) is created and the accepted values point to it.
 */
export async function acceptValues(db: Db, input: { organisationId: string; year: number; indicator: TestIndicator; values: Record<string, number | null> }) {
  const campaignId = await ensureCampaign(db, input.year);
  const bytes = new TextEncoder().encode(`workbook ${input.organisationId} ${input.year} ${suffix()}`);
  const file = await db
    .insertInto("stored_file")
    .values({
      filename: `tableau-${input.year}.xlsx`,
      content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      size_bytes: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      content: bytes,
      created_by: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  let submission = await db
    .selectFrom("submission")
    .select(["id", "version_count"])
    .where("campaign_id", "=", campaignId)
    .where("organisation_id", "=", input.organisationId)
    .executeTakeFirst();
  if (!submission) {
    submission = await db
      .insertInto("submission")
      .values({ campaign_id: campaignId, organisation_id: input.organisationId, status: "accepted" })
      .returning(["id", "version_count"])
      .executeTakeFirstOrThrow();
  }
  const number = submission.version_count + 1;
  const version = await db
    .insertInto("submission_version")
    .values({ submission_id: submission.id, number, file_id: file.id, uploaded_via: "web", status: "accepted", problems: "[]" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .updateTable("submission")
    .set({ current_version_id: version.id, version_count: number, status: "accepted", accepted_at: new Date() })
    .where("id", "=", submission.id)
    .execute();
  for (const [key, value] of Object.entries(input.values)) {
    await db
      .insertInto("accepted_value")
      .values({
        organisation_id: input.organisationId,
        reference_year: input.year,
        indicator_id: input.indicator.id,
        indicator_version_id: input.indicator.versionId,
        breakdown_key: key,
        value,
        source_version_id: version.id,
      })
      .onConflict((oc) =>
        oc.columns(["organisation_id", "reference_year", "indicator_id", "breakdown_key"]).doUpdateSet({ value, source_version_id: version.id, indicator_version_id: input.indicator.versionId }),
      )
      .execute();
  }
  return { submissionId: submission.id, versionId: version.id };
}

/** An agreement of `organisationId` covering the given indicators with their usage rights. */
export async function makeAgreement(db: Db, organisationId: string, rights: { indicator: TestIndicator; usageRights: UsageRights }[], period = { startsOn: "2015-01-01", endsOn: null as string | null }) {
  const agreement = await db
    .insertInto("agreement")
    .values({ organisation_id: organisationId, starts_on: period.startsOn, ends_on: period.endsOn })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (rights.length) {
    await db
      .insertInto("agreement_indicator")
      .values(rights.map((r) => ({ agreement_id: agreement.id, indicator_id: r.indicator.id, usage_rights: r.usageRights })))
      .execute();
  }
  return agreement.id;
}

/** Art. 7: the organisation withdrew (registered letter four months ago: the withdrawal took effect a month ago). */
export async function withdrawOrganisation(db: Db, organisationId: string) {
  const notice = new Date();
  notice.setUTCMonth(notice.getUTCMonth() - 4);
  await db
    .updateTable("organisation")
    .set({
      member_since: "2019-01-28",
      withdrawal_notice_date: notice.toISOString().slice(0, 10),
      withdrawal_effective_date: sql<string>`(${notice.toISOString().slice(0, 10)}::date + interval '3 months')::date`,
    })
    .where("id", "=", organisationId)
    .execute();
}

// ── Partner API (ADR 008) ───────────────────────────────────────────

/** A partner-API token of `organisationId`, made by the use case (stored hashed, audited). Returns the secret once. */
export async function makeApiToken(db: Db, organisationId: string, options: { name?: string; createdBy?: string | null } = {}) {
  return createApiToken(db, system(), { organisationId, name: options.name ?? `Système ${suffix()}`, createdBy: options.createdBy ?? null });
}

/**
 * A partner expected in an open campaign (tests/factories/campaign-setup.ts),
 * its correspondent, and an API token created by that correspondent.
 */
export async function setupApiPartner(db: Db, options: Parameters<typeof setupCampaign>[1] = {}) {
  const setup = await setupCampaign(db, options);
  const correspondent = await makeUser(db, "partner_correspondent", setup.org.id);
  const token = await makeApiToken(db, setup.org.id, { createdBy: correspondent.id });
  return { ...setup, correspondent, token: token.token, tokenId: token.id };
}

/**
 * A version stored through the real upload path: a campaign with one indicator (total, F, M) uploaded as a filled
 * template (12 = 5 + 7) by the system actor. Returns the version and the total's indicator version.
 */
export async function uploadThreeLineVersion(db: Db): Promise<{ versionId: string; indicatorVersionId: string }> {
  const setup = await setupCampaign(db);
  const plan = await buildCollectionPlan(db, setup.year, setup.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
  const [total, f, m] = plan.lines;
  const filled = await fillTemplate(template, { [total!.key]: 12, [f!.key]: 5, [m!.key]: 7 });
  const stored = await receiveUpload(db, systemActor("test"), { year: setup.year, organisationId: setup.org.id, uploadedBy: null, via: "web", filename: "t.xlsx", bytes: filled });
  if (stored.kind !== "stored") throw new Error(`upload ${stored.kind}`);
  return { versionId: stored.versionId, indicatorVersionId: total!.indicatorVersionId };
}
