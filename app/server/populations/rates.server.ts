import type { Executor } from "../db.server";
import { populationYear, universeSchema, type BreakdownRule, type StoredRate, type YearPopulation } from "~/domain/rates";
import { loadPopulations, observatoryTerritory } from "./populations.server";

const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

export async function listRates(db: Executor, filter: { numerator?: string; code?: string } = {}): Promise<StoredRate[]> {
  let q = db.selectFrom("rate_definition").selectAll();
  if (filter.numerator) q = q.where("numerator_code", "=", filter.numerator);
  if (filter.code) q = q.where("code", "=", filter.code);
  const rows = await q.orderBy("position").orderBy("code").execute();
  return rows.map((r) => ({
    code: r.code,
    domainCode: r.domain_code,
    label: r.label,
    definition: r.definition,
    numeratorCode: r.numerator_code,
    numeratorUniverse: universeSchema.parse(json(r.numerator_universe)),
    populationUniverse: universeSchema.parse(json(r.population_universe)),
    multiplier: r.multiplier,
    unit: r.unit,
    decimals: r.decimals,
    rules: json(r.breakdown_rules) as Record<string, BreakdownRule>,
    sourceConvention: r.source_convention,
  }));
}

/** The observatory's populations for the numerator years of `rates` (each year shifted by the rate's reference date). */
export async function ratePopulations(db: Executor, rates: readonly StoredRate[], years: readonly number[]): Promise<Map<number, YearPopulation>> {
  const territory = await observatoryTerritory(db);
  if (!territory || !rates.length) return new Map();
  const needed = new Set<number>();
  for (const r of rates) for (const y of years) needed.add(populationYear(y, r.populationUniverse));
  return loadPopulations(db, territory, [...needed]);
}
