import { sql } from "kysely";
import type { Db, Executor } from "../db.server";
import { agreementCoversYear, type UsageRights } from "~/domain/agreements";
import { TREND_YEARS, type DashboardEdition } from "~/domain/dashboard";
import { aggregationOf } from "~/domain/aggregation";
import { getObservatory } from "../observatory/observatory.server";
import { loadVersions } from "../indicators/indicators.server";
import { listRates, ratePopulations } from "../populations/rates.server";
import { loadReferenceRates } from "../populations/reference-rates.server";
import { assembleEdition, type AssemblyInput, type AssemblyVersion } from "~/domain/edition-assembly";
import { acceptedValueRows } from "./accepted-values.server";

/**
 * Reads everything an edition of year `year` is assembled from: the
 * catalogue (with every version), derived indicators and key figures, the
 * accepted values of the trend years with their lineage (accepted value →
 * submission version → submission → organisation), agreements' usage rights
 * and the campaign's expected and actual transmissions.
 */
export async function loadAssemblyInput(db: Executor, year: number, now: Date = new Date()): Promise<AssemblyInput> {
  const firstYear = year - TREND_YEARS + 1;
  const [observatory, domains, indicators, versions, codelists, items, derived, keyFigures, organisations, values, agreements, campaign] =
    await Promise.all([
      getObservatory(db as Db),
      db.selectFrom("indicator_domain").select(["code", "label", "position"]).orderBy("position").execute(),
      db.selectFrom("indicator").select(["id", "code", "domain_code", "secrecy_threshold", "aggregation"]).execute(),
      loadVersions(db, "all"),
      db.selectFrom("codelist").select(["code", "label"]).execute(),
      db.selectFrom("codelist_item").select(["codelist_code", "code", "label"]).orderBy("codelist_code").orderBy("position").execute(),
      db
        .selectFrom("derived_indicator as d")
        .innerJoin("indicator as n", "n.id", "d.numerator_indicator_id")
        .innerJoin("indicator as q", "q.id", "d.denominator_indicator_id")
        .select(["d.code", "d.domain_code", "d.label", "d.definition", "n.code as numerator", "q.code as denominator", "d.multiplier", "d.unit", "d.decimals"])
        .orderBy("d.code")
        .execute(),
      db.selectFrom("dashboard_key_figure").select(["code"]).orderBy("position").execute(),
      db.selectFrom("organisation").select(["id", "code", "name", "logo_file_id"]).execute(),
      // Lineage: the organisation is the one of the submission the value was accepted from.
      // In the form fastest on this driver (accepted-values.server.ts, ADR 033).
      acceptedValueRows(db, firstYear, year),
      db
        .selectFrom("agreement as g")
        .innerJoin("agreement_indicator as ai", "ai.agreement_id", "g.id")
        .select(["g.id", "g.organisation_id", "g.starts_on", "g.ends_on", "ai.indicator_id", "ai.usage_rights"])
        .execute(),
      db.selectFrom("campaign").select(["id", "deadline", "status"]).where("reference_year", "=", year).executeTakeFirst(),
    ]);

  const versionsOf = new Map<string, AssemblyVersion[]>();
  for (const v of versions) {
    const list = versionsOf.get(v.indicator_id) ?? [];
    list.push(v);
    versionsOf.set(v.indicator_id, list);
  }

  // Per organisation, the agreement covering the year (the latest to start).
  const agreementOf = new Map<string, { id: string; starts_on: string }>();
  for (const a of agreements) {
    if (!agreementCoversYear(a, year)) continue;
    const chosen = agreementOf.get(a.organisation_id);
    if (!chosen || a.starts_on > chosen.starts_on) agreementOf.set(a.organisation_id, { id: a.id, starts_on: a.starts_on });
  }
  const usage: AssemblyInput["usage"] = agreements
    .filter((a) => agreementOf.get(a.organisation_id)?.id === a.id)
    .map((a) => ({ organisationId: a.organisation_id, indicatorId: a.indicator_id, usageRights: a.usage_rights as UsageRights }));

  let expected: AssemblyInput["expected"] = [];
  let expectedPairs: AssemblyInput["expectedPairs"] = [];
  let submissions: AssemblyInput["submissions"] = [];
  if (campaign) {
    const [expectedRows, submissionRows] = await Promise.all([
      db.selectFrom("expected_submission").select(["organisation_id", "deadline", "agreement_id"]).where("campaign_id", "=", campaign.id).execute(),
      db.selectFrom("submission").select(["organisation_id", "first_transmitted_at", "accepted_at"]).where("campaign_id", "=", campaign.id).execute(),
    ]);
    expected = expectedRows.map((e) => ({ organisationId: e.organisation_id, deadline: e.deadline }));
    const expectedAgreement = new Map(expectedRows.map((e) => [e.organisation_id, e.agreement_id]));
    expectedPairs = agreements
      .filter((a) => {
        const agreementId = expectedAgreement.get(a.organisation_id);
        return agreementId === undefined ? false : (agreementId ?? agreementOf.get(a.organisation_id)?.id) === a.id;
      })
      .map((a) => ({ organisationId: a.organisation_id, indicatorId: a.indicator_id }));
    submissions = submissionRows.map((s) => ({ organisationId: s.organisation_id, firstTransmittedAt: s.first_transmitted_at, acceptedAt: s.accepted_at }));
  } else {
    // No campaign for the year: completeness is measured against the catalogue's providers.
    const providers = await db.selectFrom("indicator_provider").select(["organisation_id", "indicator_id"]).execute();
    expectedPairs = providers.map((p) => ({ organisationId: p.organisation_id, indicatorId: p.indicator_id }));
  }

  const rates = await listRates(db);
  const trendYears = Array.from({ length: TREND_YEARS }, (_, i) => firstYear + i);
  const populations = await ratePopulations(db, rates, trendYears);
  const references = await loadReferenceRates(
    db,
    rates.map((r) => r.code),
    trendYears,
  );

  return {
    year,
    assembledAt: now,
    rates,
    populations,
    references,
    observatory: {
      code: observatory.code,
      name: observatory.name,
      label: observatory.label,
      departementCode: observatory.departementCode,
      departementName: observatory.departementName,
      isDemo: observatory.isDemo,
    },
    domains,
    indicators: indicators.map((i) => ({
      id: i.id,
      code: i.code,
      domainCode: i.domain_code,
      secrecyThreshold: i.secrecy_threshold,
      // Declared in the catalogue, else the default of the current unit (sum, or « non agrégeable »).
      aggregation: i.aggregation ? aggregationOf(i.aggregation, "") : null,
      versions: versionsOf.get(i.id) ?? [],
    })),
    codelists: codelists.map((c) => ({ code: c.code, label: c.label, items: items.filter((i) => i.codelist_code === c.code).map(({ code, label }) => ({ code, label })) })),
    derived: derived.map((d) => ({
      code: d.code,
      domainCode: d.domain_code,
      label: d.label,
      definition: d.definition,
      numeratorCode: d.numerator,
      denominatorCode: d.denominator,
      multiplier: d.multiplier,
      unit: d.unit,
      decimals: d.decimals,
    })),
    keyFigureCodes: keyFigures.map((k) => k.code),
    organisations: organisations.map((o) => ({ id: o.id, code: o.code, name: o.name, logoFileId: o.logo_file_id })),
    values,
    usage,
    expectedPairs,
    campaign: campaign ? { deadline: campaign.deadline, status: campaign.status } : null,
    expected,
    submissions,
  };
}

/** Loads and assembles the internal edition of `year`. */
export async function assembleFromDb(db: Executor, year: number, now: Date = new Date()): Promise<DashboardEdition> {
  return assembleEdition(await loadAssemblyInput(db, year, now));
}

/** Reference years for which accepted values exist, latest first. */
export async function yearsWithValues(db: Executor): Promise<number[]> {
  const rows = await db
    .selectFrom("accepted_value")
    .select(sql<number>`reference_year`.as("year"))
    .distinct()
    .orderBy("reference_year", "desc")
    .execute();
  return rows.map((r) => r.year);
}
