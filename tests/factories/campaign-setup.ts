import { createHash } from "node:crypto";
import { randomBytes } from "node:crypto";
import type { Db } from "~/server/db.server";
import { makeOrganisation } from "./index";

const tag = () => randomBytes(3).toString("hex").toUpperCase();

export interface IndicatorSpec {
  code?: string;
  label?: string;
  valueType?: "integer" | "decimal";
  breakdowns?: { code: string; items: string[] }[];
  min?: number | null;
  max?: number | null;
  nonNegative?: boolean;
  sumEqualsTotal?: boolean;
  /** The agreement lets the organisation declare this indicator « non disponible » (ADR 026). */
  notAvailableAllowed?: boolean;
}

/**
 * An organisation with an agreement for the given indicators, an open campaign
 * for `year` and its expected submission: the smallest referential a
 * collection test needs. Direct inserts (the referential use cases are tested on their own).
 */
export async function setupCampaign(db: Db, options: { year?: number; indicators?: IndicatorSpec[]; status?: "open" | "closed"; deadline?: string; samePersonMayValidate?: boolean } = {}) {
  const year = options.year ?? 2025;
  const org = await makeOrganisation(db);
  await db.updateTable("organisation").set({ member_since: "2019-01-28" }).where("id", "=", org.id).execute();
  const domain = await db.selectFrom("indicator_domain").select("code").executeTakeFirst();
  const domainCode = domain?.code ?? "DANGER";
  if (!domain) {
    await db.insertInto("indicator_domain").values({ code: domainCode, label: "Enfance en danger", position: 3 }).execute();
  }
  const specs = options.indicators ?? [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }] }];
  const indicators: { id: string; code: string; versionId: string; notAvailableAllowed: boolean }[] = [];
  const prefix = tag();
  for (const [index, spec] of specs.entries()) {
    for (const list of spec.breakdowns ?? []) {
      const listCode = list.code;
      const exists = await db.selectFrom("codelist").select("code").where("code", "=", listCode).executeTakeFirst();
      if (!exists) {
        await db.insertInto("codelist").values({ code: listCode, label: listCode }).execute();
        await db
          .insertInto("codelist_item")
          .values(list.items.map((code, position) => ({ codelist_code: listCode, code, label: `Libellé ${code}`, position })))
          .execute();
      }
    }
    // codes sort in the order given (the plan orders indicators by domain, then code)
    const code = spec.code ?? `I${prefix}_${String(index).padStart(2, "0")}`;
    const indicator = await db.insertInto("indicator").values({ code, domain_code: domainCode }).returning("id").executeTakeFirstOrThrow();
    const version = await db
      .insertInto("indicator_version")
      .values({
        indicator_id: indicator.id,
        version: 1,
        valid_from_year: null,
        label: spec.label ?? `Indicateur ${code}`,
        unit: "nombre",
        value_type: spec.valueType ?? "integer",
        measure: "flow",
        non_negative: spec.nonNegative ?? true,
        min_value: spec.min ?? null,
        max_value: spec.max ?? null,
        breakdown_sum_equals_total: spec.sumEqualsTotal ?? true,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (spec.breakdowns?.length) {
      await db
        .insertInto("indicator_version_breakdown")
        .values(spec.breakdowns.map((b, position) => ({ indicator_version_id: version.id, position, codelist_code: b.code })))
        .execute();
    }
    indicators.push({ id: indicator.id, code, versionId: version.id, notAvailableAllowed: spec.notAvailableAllowed ?? false });
  }
  const agreement = await db
    .insertInto("agreement")
    .values({ organisation_id: org.id, starts_on: "2019-01-01", same_person_may_validate: options.samePersonMayValidate ?? false })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (indicators.length) {
    await db
      .insertInto("agreement_indicator")
      .values(indicators.map((i) => ({ agreement_id: agreement.id, indicator_id: i.id, usage_rights: "with_approval" as const, not_available_allowed: i.notAvailableAllowed })))
      .execute();
  }
  const deadline = options.deadline ?? `${year + 1}-12-31`;
  const campaign = await db
    .insertInto("campaign")
    .values({ reference_year: year, opens_on: `${year + 1}-01-01`, deadline, status: options.status ?? "open", opened_at: new Date() })
    .onConflict((oc) => oc.column("reference_year").doUpdateSet({ status: options.status ?? "open" }))
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("expected_submission")
    .values({ campaign_id: campaign.id, organisation_id: org.id, agreement_id: agreement.id, deadline })
    .execute();
  return { org, year, campaignId: campaign.id, agreementId: agreement.id, indicators };
}

/** An accepted value with its full lineage (stored file → submission → version), for a year with a closed campaign. */
export async function acceptValue(db: Db, input: { organisationId: string; year: number; indicatorId: string; indicatorVersionId: string; value: number; breakdownKey?: string }) {
  const campaign = await db
    .insertInto("campaign")
    .values({ reference_year: input.year, opens_on: `${input.year + 1}-01-01`, deadline: `${input.year + 1}-03-31`, status: "closed", closed_at: new Date() })
    .onConflict((oc) => oc.column("reference_year").doUpdateSet({ updated_at: new Date() }))
    .returning("id")
    .executeTakeFirstOrThrow();
  const submission = await db
    .insertInto("submission")
    .values({ campaign_id: campaign.id, organisation_id: input.organisationId, status: "accepted" })
    .onConflict((oc) => oc.columns(["campaign_id", "organisation_id"]).doUpdateSet({ status: "accepted" }))
    .returning("id")
    .executeTakeFirstOrThrow();
  const bytes = Buffer.from(`lineage ${input.organisationId} ${input.year}`);
  const file = await db
    .insertInto("stored_file")
    .values({ filename: "tableau.xlsx", content_type: "application/octet-stream", size_bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex"), content: bytes })
    .returning("id")
    .executeTakeFirstOrThrow();
  const version = await db
    .insertInto("submission_version")
    .values({ submission_id: submission.id, number: 1, file_id: file.id, uploaded_via: "web", status: "accepted" })
    .onConflict((oc) => oc.columns(["submission_id", "number"]).doUpdateSet({ status: "accepted" }))
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("accepted_value")
    .values({
      organisation_id: input.organisationId,
      reference_year: input.year,
      indicator_id: input.indicatorId,
      indicator_version_id: input.indicatorVersionId,
      breakdown_key: input.breakdownKey ?? "",
      value: input.value,
      source_version_id: version.id,
    })
    .execute();
  return { versionId: version.id };
}
