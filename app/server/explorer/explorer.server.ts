import { sql } from "kysely";
import type { Executor } from "../db.server";
import { getIndicator } from "../indicators/indicators.server";
import { parseBreakdownKey, TOTAL_KEY } from "~/domain/breakdowns";
import type { DataSnapshot, ExplorerQuery, SnapshotIndicator, SnapshotRate, SnapshotValue } from "~/domain/explorer";
import { describeUniverse, populationCell, populationCitation, populationYear } from "~/domain/rates";
import { listRates, ratePopulations } from "../populations/rates.server";
import { loadReferenceRates } from "../populations/reference-rates.server";
import { aggregationInputs as aggregationInputs_ } from "~/domain/aggregation";

/**
 * The pooled data (convention Art. 5): every provider's accepted values,
 * read with their lineage (accepted value → submission version → submission
 * → organisation). Internal: callers are guarded by `read:pooled_data`.
 */

/** What the explorer's form offers: indicators holding accepted values, denominators, organisations, years. */
export async function explorerOptions(db: Executor) {
  const [indicators, organisations, years, rates] = await Promise.all([
    db
      .selectFrom("indicator as i")
      .innerJoin("indicator_domain as d", "d.code", "i.domain_code")
      .innerJoin("indicator_version as v", (join) =>
        join.onRef("v.indicator_id", "=", "i.id").on((eb) =>
          eb("v.version", "=", eb.selectFrom("indicator_version as v2").select((e) => e.fn.max("v2.version").as("m")).whereRef("v2.indicator_id", "=", "i.id")),
        ),
      )
      .select(["i.code", "v.label", "v.unit", "v.value_type", "d.label as domain_label", "d.position"])
      .where((eb) => eb.exists(eb.selectFrom("accepted_value as a").select(sql`1`.as("x")).whereRef("a.indicator_id", "=", "i.id")))
      .orderBy("d.position")
      .orderBy("i.code")
      .execute(),
    db
      .selectFrom("organisation as o")
      .select(["o.id", "o.code", "o.name"])
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("accepted_value as a")
            .innerJoin("submission_version as sv", "sv.id", "a.source_version_id")
            .innerJoin("submission as s", "s.id", "sv.submission_id")
            .select(sql`1`.as("x"))
            .whereRef("s.organisation_id", "=", "o.id"),
        ),
      )
      .orderBy("o.name")
      .execute(),
    db.selectFrom("accepted_value").select("reference_year").distinct().orderBy("reference_year").execute(),
    listRates(db),
  ]);
  return {
    indicators: indicators.map((i) => ({ code: i.code, label: i.label, unit: i.unit, valueType: i.value_type, domain: i.domain_label })),
    /** Rates of the catalogue (ADR 019), each offered with its numerator only: a population of another universe is never proposed. */
    rates: rates.map((r) => ({ code: r.code, label: r.label, numerator: r.numeratorCode })),
    organisations,
    years: years.map((y) => y.reference_year),
  };
}

async function snapshotIndicator(db: Executor, code: string) {
  const indicator = await getIndicator(db, code);
  const current = indicator.current;
  const info: SnapshotIndicator = {
    id: indicator.id,
    code: indicator.code,
    label: current.label,
    unit: current.unit,
    valueType: current.value_type,
    secrecyThreshold: indicator.secrecy_threshold,
    domainLabel: indicator.domain_label,
    aggregation: indicator.aggregation,
  };
  return { indicator, info };
}

/** Accepted values with the organisation their submission belongs to (the lineage), filtered by the query. */
async function lineageValues(db: Executor, indicatorId: string, filter: { from: number | null; to: number | null; years?: number[]; organisations: string[]; totalsOnly: boolean }) {
  let q = db
    .selectFrom("accepted_value as a")
    .innerJoin("submission_version as sv", "sv.id", "a.source_version_id")
    .innerJoin("submission as s", "s.id", "sv.submission_id")
    .select(["s.organisation_id", "a.reference_year", "a.breakdown_key", "a.value", "a.source_version_id", "a.indicator_version_id", "a.not_available_code", "a.not_available_reason"])
    .where("a.indicator_id", "=", indicatorId);
  if (filter.from !== null) q = q.where("a.reference_year", ">=", filter.from);
  if (filter.to !== null) q = q.where("a.reference_year", "<=", filter.to);
  if (filter.years) q = filter.years.length ? q.where("a.reference_year", "in", filter.years) : q.where(sql<boolean>`false`);
  if (filter.organisations.length) q = q.where("s.organisation_id", "in", filter.organisations);
  if (filter.totalsOnly) q = q.where("a.breakdown_key", "=", TOTAL_KEY);
  const rows = await q.orderBy("a.reference_year").orderBy("s.organisation_id").orderBy("a.breakdown_key").execute();
  return rows.map(
    (r): SnapshotValue => ({
      organisationId: r.organisation_id,
      year: r.reference_year,
      key: r.breakdown_key,
      value: r.value === null ? null : Number(r.value),
      sourceVersionId: r.source_version_id,
      indicatorVersionId: r.indicator_version_id,
      // ADR 030: a cell declared « non disponible » (ND) or « non concerné » (NC), never a 0.
      ...(r.not_available_code ? { notAvailableCode: r.not_available_code, notAvailableReason: r.not_available_reason } : {}),
    }),
  );
}

/**
 * Runs a query: the values it shows, with their lineage, labels and the
 * breaks in series of the period. The snapshot holds exactly the values
 * shown (totals for a series; one year's cells for a breakdown), so freezing
 * it freezes what the reader sees and nothing more. Resolves the breakdown
 * year when the query leaves it open (the latest year with data).
 */
export async function runQuery(db: Executor, query: ExplorerQuery): Promise<{ query: ExplorerQuery; snapshot: DataSnapshot }> {
  const { indicator, info } = await snapshotIndicator(db, query.indicator);
  let resolved = { ...query, rate: query.rate && info.valueType === "integer" ? query.rate : null };
  if (query.view === "breakdown") {
    let year = query.year;
    if (year === null) {
      const latest = await db
        .selectFrom("accepted_value")
        .select((eb) => eb.fn.max("reference_year").as("y"))
        .where("indicator_id", "=", indicator.id)
        .executeTakeFirst();
      year = latest?.y ?? null;
    }
    resolved = { ...resolved, year };
  } else {
    resolved = { ...resolved, year: null };
  }
  const values =
    resolved.view === "breakdown"
      ? await lineageValues(db, indicator.id, { from: null, to: null, years: resolved.year === null ? [] : [resolved.year], organisations: query.organisations, totalsOnly: false })
      : await lineageValues(db, indicator.id, { from: query.from, to: query.to, organisations: query.organisations, totalsOnly: true });

  // A rate of the catalogue whose numerator is this indicator (ADR 019); anything else is dropped.
  let rate: SnapshotRate | undefined;
  if (resolved.rate) {
    const [definition] = await listRates(db, { code: resolved.rate, numerator: indicator.code });
    const years = [...new Set(values.map((v) => v.year))];
    const populations = definition ? await ratePopulations(db, [definition], years) : new Map();
    if (!definition || populations.size === 0) {
      resolved = { ...resolved, rate: null };
    } else {
      const cells: SnapshotRate["populations"] = {};
      const vintages: string[] = [];
      for (const v of [...values, ...years.map((year) => ({ year, key: TOTAL_KEY }))]) {
        const population = populations.get(populationYear(v.year, definition.populationUniverse));
        if (population) vintages.push(population.vintageLabel);
        const cell = populationCell(population?.counts, definition.populationUniverse, v.key, definition.rules);
        cells[`${v.year}|${v.key}`] = cell.kind === "not_defined" ? { value: null, notDefined: true } : { value: cell.kind === "value" ? cell.value : null };
      }
      const references = (await loadReferenceRates(db, [definition.code], years)).get(definition.code);
      rate = {
        ...(references?.length ? { references } : {}),
        code: definition.code,
        label: definition.label,
        unit: definition.unit,
        multiplier: definition.multiplier,
        decimals: definition.decimals,
        citation: populationCitation(vintages),
        universe: describeUniverse(definition.populationUniverse),
        sourceConvention: definition.sourceConvention,
        populations: cells,
      };
    }
  }

  // The totals the « Ensemble » of a weighted mean or a ratio of sums reads, for the same organisations and years.
  const aggregationInputs: NonNullable<DataSnapshot["aggregationInputs"]> = [];
  const valueYears = [...new Set(values.map((v) => v.year))];
  for (const code of aggregationInputs_(indicator.aggregation)) {
    const input = await snapshotIndicator(db, code).catch(() => null);
    if (!input) continue;
    const organisations = [...new Set(values.map((v) => v.organisationId))];
    aggregationInputs.push({
      code,
      label: input.info.label,
      values: organisations.length ? await lineageValues(db, input.indicator.id, { from: null, to: null, years: valueYears, organisations, totalsOnly: true }) : [],
    });
  }

  const orgIds = [...new Set(values.map((v) => v.organisationId))];
  const organisations = orgIds.length
    ? await db.selectFrom("organisation").select(["id", "code", "name"]).where("id", "in", orgIds).orderBy("name").execute()
    : [];

  const listCodes = [...new Set(values.filter((v) => v.key !== TOTAL_KEY).flatMap((v) => Object.keys(parseBreakdownKey(v.key))))];
  const [lists, items] = listCodes.length
    ? await Promise.all([
        db.selectFrom("codelist").select(["code", "label"]).where("code", "in", listCodes).execute(),
        db.selectFrom("codelist_item").select(["codelist_code", "code", "label"]).where("codelist_code", "in", listCodes).orderBy("position").execute(),
      ])
    : [[], []];

  const years = values.map((v) => v.year);
  const first = years.length ? Math.min(...years) : null;
  const last = years.length ? Math.max(...years) : null;
  const breaks = indicator.breaks
    .filter((b) => first !== null && last !== null && b.year > first && b.year <= last)
    .map((b) => ({ year: b.year, breaksComparability: b.breaksComparability, changes: b.changes }));

  return {
    query: resolved,
    snapshot: {
      indicator: info,
      organisations,
      lists: listCodes.map((code) => ({
        code,
        label: lists.find((l) => l.code === code)?.label ?? code,
        items: items.filter((i) => i.codelist_code === code).map(({ code: c, label }) => ({ code: c, label })),
      })),
      values,
      denominator: null,
      ...(rate ? { rate } : {}),
      breaks,
      ...(aggregationInputs.length ? { aggregationInputs } : {}),
    },
  };
}
