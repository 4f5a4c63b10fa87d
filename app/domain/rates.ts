import { z } from "zod";
import { parseBreakdownKey, TOTAL_KEY } from "./breakdowns";

/**
 * Rates (ADR 019): a numerator indicator over a
 * reference population of the SAME universe (age range, sex, territory,
 * reference date), times a multiplier (‰, per 10,000, € per young person),
 * with a rule per breakdown: the numerator's cell over the matching cell of
 * the population, or « non défini ». Pure and isomorphic.
 */

export const sexes = ["all", "F", "M"] as const;
export const referenceDates = ["01-01-N", "01-01-N+1"] as const;
export type ReferenceDate = (typeof referenceDates)[number];

export const universeSchema = z
  .object({
    ageMin: z.number({ error: "Âge minimal : un entier." }).int().min(0).max(120),
    ageMax: z.number({ error: "Âge maximal : un entier." }).int().min(0).max(120),
    sex: z.enum(sexes, { error: "Sexe : all, F ou M." }),
    territory: z.enum(["departement"], { error: "Territoire : departement." }),
    referenceDate: z.enum(referenceDates, { error: "Date de référence : 01-01-N ou 01-01-N+1." }),
  })
  .refine((u) => u.ageMin <= u.ageMax, { error: "L'âge minimal doit précéder l'âge maximal." });
export type Universe = z.infer<typeof universeSchema>;

/** The breakdown lists a population can be cut by (Insee estimates: sex and single year of age). */
export const POPULATION_LISTS = ["SEXE", "AGE_BAND"] as const;
export const breakdownRules = ["matching_cell", "not_defined"] as const;
export type BreakdownRule = (typeof breakdownRules)[number];

const sexWords: Record<Universe["sex"], string> = { all: "filles et garçons", F: "filles", M: "garçons" };
const dateWords: Record<ReferenceDate, string> = { "01-01-N": "au 1er janvier de l'année N", "01-01-N+1": "au 1er janvier de l'année N+1 (31 décembre N)" };

/** "0 à 20 ans, filles et garçons, département, au 1er janvier de l'année N+1 (31 décembre N)". */
export function describeUniverse(u: Universe): string {
  return `${u.ageMin} à ${u.ageMax} ans, ${sexWords[u.sex]}, département, ${dateWords[u.referenceDate]}`;
}

/** The differences between two universes, in French; empty when they are the same. */
export function universeDifferences(numerator: Universe, population: Universe): string[] {
  const diffs: string[] = [];
  if (numerator.ageMin !== population.ageMin || numerator.ageMax !== population.ageMax) {
    diffs.push(`âges ${numerator.ageMin} à ${numerator.ageMax} ans au numérateur, ${population.ageMin} à ${population.ageMax} ans dans la population`);
  }
  if (numerator.sex !== population.sex) diffs.push(`sexe « ${sexWords[numerator.sex]} » au numérateur, « ${sexWords[population.sex]} » dans la population`);
  if (numerator.territory !== population.territory) diffs.push("territoires différents");
  if (numerator.referenceDate !== population.referenceDate) {
    diffs.push(`date de référence ${dateWords[numerator.referenceDate]} au numérateur, ${dateWords[population.referenceDate]} dans la population`);
  }
  return diffs;
}

const code = z.string().regex(/^[A-Z0-9_]{2,40}$/, { error: "Code : lettres capitales, chiffres ou _ (2 à 40 caractères)." });

/** One rate of the catalogue, as written in conventions/rates.json. */
export const rateDefinitionSchema = z
  .object({
    code,
    domain: z.string().regex(/^[A-Z_]+$/, { error: "Domaine inconnu." }),
    label: z.string().trim().min(2).max(300),
    definition: z.string().trim().max(4000).optional(),
    numerator: code,
    numeratorUniverse: universeSchema,
    populationUniverse: universeSchema,
    multiplier: z.number().positive({ error: "Le multiplicateur doit être positif." }),
    unit: z.string().trim().min(1).max(80),
    decimals: z.number().int().min(0).max(4).default(1),
    breakdowns: z.record(code, z.enum(breakdownRules, { error: "Règle de ventilation : matching_cell ou not_defined." })).default({}),
    sourceConvention: z.string().trim().min(2, { error: "Citez la convention de calcul (DREES, ONPE…)." }).max(500),
  })
  .superRefine((def, ctx) => {
    const diffs = universeDifferences(def.numeratorUniverse, def.populationUniverse);
    if (diffs.length) {
      ctx.addIssue({
        code: "custom",
        path: ["populationUniverse"],
        message: `Taux ${def.code} refusé : le numérateur et la population de référence n'ont pas le même univers (${diffs.join(" ; ")}). Choisissez une population du même univers.`,
      });
    }
    for (const [list, rule] of Object.entries(def.breakdowns)) {
      if (rule === "matching_cell" && !(POPULATION_LISTS as readonly string[]).includes(list)) {
        ctx.addIssue({
          code: "custom",
          path: ["breakdowns", list],
          message: `Taux ${def.code} : la population de référence n'est pas ventilée par ${list} ; la règle de cette ventilation doit être « not_defined ».`,
        });
      }
    }
  });
export type RateDefinition = z.infer<typeof rateDefinitionSchema>;

/** A rate of the catalogue as stored (conventions/rates.json, ADR 019). */
export interface StoredRate {
  code: string;
  domainCode: string;
  label: string;
  definition: string | null;
  numeratorCode: string;
  numeratorUniverse: Universe;
  populationUniverse: Universe;
  multiplier: number;
  unit: string;
  decimals: number;
  rules: Record<string, BreakdownRule>;
  sourceConvention: string;
}

export const ratesFile = z.object({ rates: z.array(rateDefinitionSchema) });

/** The population of one territory and year: "F|7" → count; the highest age counts "that age or more". */
export type PopulationCounts = ReadonlyMap<string, number>;

/** A population of one year with the vintage it comes from (cited with every rate). */
export interface YearPopulation {
  vintageLabel: string;
  counts: PopulationCounts;
}

export { NOT_DEFINED_TEXT } from "./cell-marks";

/** « Insee, estimations de population (estimations provisoires au 1er janvier 2025) ». */
export function populationCitation(vintageLabels: Iterable<string>): string {
  const labels = [...new Set(vintageLabels)];
  return labels.length ? `Insee, estimations de population (${labels.join(" ; ")})` : "Insee, estimations de population";
}

/** The population year a numerator year is compared with. */
export function populationYear(year: number, universe: Universe): number {
  return universe.referenceDate === "01-01-N+1" ? year + 1 : year;
}

function parseAgeBand(value: string): [number, number] | null {
  const m = /^(\d{1,3})-(\d{1,3})$/.exec(value);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export type CellPopulation = { kind: "value"; value: number } | { kind: "not_defined" } | { kind: "missing" };

/**
 * The population matching a breakdown key (TOTAL_KEY, "SEXE=F",
 * "AGE_BAND=0-2", "AGE_BAND=0-2|SEXE=F") within the universe: « not
 * defined » when a list's rule says so, or when the cell lies (even partly)
 * outside the universe; « missing » when the population lacks an age.
 */
export function populationCell(counts: PopulationCounts | undefined, universe: Universe, key: string, rules: Record<string, BreakdownRule>): CellPopulation {
  let ageMin = universe.ageMin;
  let ageMax = universe.ageMax;
  let sexList: ("F" | "M")[] = universe.sex === "all" ? ["F", "M"] : [universe.sex];
  if (key !== TOTAL_KEY) {
    for (const [list, item] of Object.entries(parseBreakdownKey(key))) {
      if (rules[list] !== "matching_cell") return { kind: "not_defined" };
      if (list === "SEXE") {
        if (item !== "F" && item !== "M") return { kind: "not_defined" };
        if (!sexList.includes(item)) return { kind: "not_defined" };
        sexList = [item];
      } else if (list === "AGE_BAND") {
        const band = parseAgeBand(item);
        if (!band || band[0] < ageMin || band[1] > ageMax) return { kind: "not_defined" };
        [ageMin, ageMax] = band;
      } else {
        return { kind: "not_defined" };
      }
    }
  }
  if (!counts) return { kind: "missing" };
  let total = 0;
  for (const sex of sexList) {
    for (let age = ageMin; age <= ageMax; age++) {
      const n = counts.get(`${sex}|${age}`);
      if (n === undefined) return { kind: "missing" };
      total += n;
    }
  }
  return { kind: "value", value: total };
}

export type RateCell = { value: number | null; notDefined?: true };

/** numerator / population × multiplier for one cell; « non défini » never becomes a number. */
export function rateCell(numerator: number | null | undefined, population: CellPopulation, multiplier: number): RateCell {
  if (population.kind === "not_defined") return { value: null, notDefined: true };
  if (population.kind === "missing" || numerator === null || numerator === undefined || population.value === 0) return { value: null };
  return { value: (numerator / population.value) * multiplier };
}

/** Builds the "F|7" → count map from rows. */
export function populationCounts(rows: Iterable<{ sex: string; age: number; population: number }>): Map<string, number> {
  const map = new Map<string, number>();
  for (const r of rows) map.set(`${r.sex}|${r.age}`, (map.get(`${r.sex}|${r.age}`) ?? 0) + r.population);
  return map;
}

// ── Vintages of Insee estimates (ADR 019) ───────────────────────────────

export interface Vintage {
  year: number;
  status: "provisional" | "final";
}

/** « estimations provisoires au 1er janvier 2025 » / « estimations définitives au 1er janvier 2022 ». */
export function vintageLabel(v: Vintage): string {
  return `estimations ${v.status === "final" ? "définitives" : "provisoires"} au 1er janvier ${v.year}`;
}

/** Reads a vintage as the referent writes it; null when it is not one. */
export function parseVintage(text: string): Vintage | null {
  const m = /^\s*(?:estimations?\s+)?(provisoires?|d[ée]finitives?)\s+au\s+1(?:er)?\s+janvier\s+(\d{4})\s*$/i.exec(text.normalize("NFC"));
  if (!m) return null;
  return { year: Number(m[2]), status: m[1]!.toLowerCase().startsWith("p") ? "provisional" : "final" };
}

/** Newer first: a later vintage year, then final before provisional for the same year. */
export function compareVintages(a: Vintage, b: Vintage): number {
  return b.year - a.year || (a.status === b.status ? 0 : a.status === "final" ? -1 : 1);
}

// ── Reference rates of France and the region (ADR 019) ──────────────────

/** A published rate of a wider territory, with its source (DREES, ONPE…). */
export interface ReferenceRate {
  territory: string;
  level: "region" | "france";
  year: number;
  value: number;
  source: string;
}

/** « Références 2024 : France 10,2 ; Auvergne-Rhône-Alpes 9,8 (pour 1 000 …) — sources : DREES … ». */
export function referenceNote(references: readonly ReferenceRate[], year: number, unit: string, decimals: number): string | null {
  const ofYear = references.filter((r) => r.year === year);
  if (!ofYear.length) return null;
  const format = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  const sources = [...new Set(ofYear.map((r) => r.source))].join(" ; ");
  return `Références ${year} : ${ofYear.map((r) => `${r.territory} ${format.format(r.value)}`).join(" ; ")} (${unit}) — ${sources.includes(";") ? "sources" : "source"} : ${sources}.`;
}
