import type { NotAvailableCode } from "./not-available";

/**
 * Downstream honesty of « non disponible » cells
 * (docs/decisions/030-not-available-downstream.md; the collection half is
 * docs/decisions/026-not-available.md). Pure rules shared by the dashboard,
 * the explorer, completeness and the ONPE package:
 *
 * - ND (« non disponible »): the organisation has no figure. An aggregate
 *   with at least one ND part is PARTIAL: the value shown is the sum of the
 *   known parts, marked « total partiel », naming who is missing. Every part
 *   ND: no value, « non disponible ».
 * - NC (« non concerné »): the indicator does not apply to the organisation.
 *   Left out of the aggregate, with a footnote; it does not make it partial.
 * - A rate whose numerator or denominator is partial or ND is « non
 *   calculable », with the reason.
 * - A year-over-year change is shown only when both years are complete for
 *   the same contributors (ADR 023, like with like): an ND part in either
 *   year means no arrow, and the reason in words.
 */

export const PARTIAL_TOTAL_LABEL = "total partiel";
export const NOT_AVAILABLE_FIGURE_LABEL = "non disponible";
export const NOT_APPLICABLE_FIGURE_LABEL = "non concerné";
export const NOT_COMPUTABLE_LABEL = "non calculable";
/** The explorer's mark on an aggregate with an ND part. */
export const INCOMPLETE_MARK = "(incomplet)";

/** One organisation's part of an aggregate. */
export interface AggregatePart {
  /** Who the part is from (organisation id). */
  organisationId: string;
  value: number | null;
  notAvailableCode?: NotAvailableCode | null;
  notAvailableReason?: string | null;
}

export type PartsStatus =
  /** Every expected part has a number (NC parts left out). */
  | "complete"
  /** Some parts are ND, at least one has a number: the sum of known parts is shown as partial. */
  | "partial"
  /** Every part with a declaration is ND (and none has a number): no value. */
  | "not_available"
  /** Every part is NC: the indicator does not apply to anyone. */
  | "not_applicable"
  /** No part at all. */
  | "empty";

export interface PartsSummary {
  status: PartsStatus;
  /** The parts with a number (what an aggregate is made of). */
  known: AggregatePart[];
  /** The ND parts, in the given order. */
  notAvailable: AggregatePart[];
  /** The NC parts, left out of the aggregate. */
  notApplicable: AggregatePart[];
}

/** Sorts an aggregate's parts into known, ND and NC, and says whether the aggregate is complete. */
export function summariseParts(parts: readonly AggregatePart[]): PartsSummary {
  const known: AggregatePart[] = [];
  const notAvailable: AggregatePart[] = [];
  const notApplicable: AggregatePart[] = [];
  for (const p of parts) {
    if (p.notAvailableCode === "ND") notAvailable.push(p);
    else if (p.notAvailableCode === "NC") notApplicable.push(p);
    else if (typeof p.value === "number") known.push(p);
  }
  const status: PartsStatus = notAvailable.length
    ? known.length
      ? "partial"
      : "not_available"
    : known.length
      ? "complete"
      : notApplicable.length
        ? "not_applicable"
        : "empty";
  return { status, known, notAvailable, notApplicable };
}

/** The sum of the known parts; null when there is none (never 0 for « nothing known »). */
export function sumOfKnownParts(parts: readonly AggregatePart[]): { value: number | null; summary: PartsSummary } {
  const summary = summariseParts(parts);
  const value = summary.known.length ? summary.known.reduce((a, p) => a + (p.value as number), 0) : null;
  return { value, summary };
}

const byFrench = (a: string, b: string) => a.localeCompare(b, "fr");
/** Distinct names, sorted the French way, joined with commas. */
export function joinNames(names: Iterable<string>): string {
  return [...new Set(names)].sort(byFrench).join(", ");
}

/** « donnée non disponible pour CH de Feurs (logiciel en migration), IDEF » — names, never codes. */
export function notAvailableFor(entries: readonly { name: string; reason?: string | null }[]): string {
  const seen = new Map<string, string | null>();
  for (const e of entries) if (!seen.has(e.name) || (!seen.get(e.name) && e.reason)) seen.set(e.name, e.reason ?? null);
  const list = [...seen.entries()].sort(([a], [b]) => byFrench(a, b)).map(([name, reason]) => (reason ? `${name} (${reason})` : name));
  return `donnée non disponible pour ${list.join(", ")}`;
}

/**
 * The note under a figure with ND parts: « Total 2026 partiel (somme des
 * valeurs connues) : donnée non disponible pour CH de Feurs (…). » or, every
 * part ND, « Valeur 2026 non disponible : donnée non disponible pour … ».
 */
export function partialNote(year: number, status: PartsStatus, entries: readonly { name: string; reason?: string | null }[]): string | null {
  if (!entries.length) return null;
  if (status === "partial") return `Total ${year} partiel (somme des valeurs connues) : ${notAvailableFor(entries)}.`;
  if (status === "not_available") return `Valeur ${year} non disponible : ${notAvailableFor(entries)}.`;
  return null;
}

/** The footnote naming the organisations the indicator does not apply to: « Non concerné en 2026 : IDEF, MECS Les Tilleuls. » */
export function notApplicableNote(year: number, names: readonly string[]): string | null {
  return names.length ? `Non concerné en ${year} : ${joinNames(names)} (hors total).` : null;
}

/** Why no change is shown: « Évolution non calculée : donnée non disponible pour X en 2025. » */
export function changeNotComputedNote(byYear: readonly { year: number; names: readonly string[] }[]): string | null {
  const parts = byYear.filter((y) => y.names.length).map((y) => `donnée non disponible pour ${joinNames(y.names)} en ${y.year}`);
  return parts.length ? `Évolution non calculée : ${parts.join(" ; ")} (les deux années doivent être complètes pour les mêmes contributeurs).` : null;
}

/** Why a rate is « non calculable »: its numerator or denominator is partial or not available. */
export function notComputableNote(year: number, parts: readonly { role: "numérateur" | "dénominateur"; names: readonly string[] }[]): string | null {
  const why = parts.filter((p) => p.names.length).map((p) => `${p.role} incomplet, donnée non disponible pour ${joinNames(p.names)}`);
  return why.length ? `Taux ${year} non calculable : ${why.join(" ; ")}.` : null;
}

/** The legend printed with every export that carries ND/NC codes (XLSX, ONPE package). */
export const NOT_AVAILABLE_LEGEND: readonly string[] = [
  "ND — non disponible : l'organisme n'a pas la donnée pour l'année (motif indiqué). Une somme qui comprend une part ND est un total partiel : somme des valeurs connues, jamais complétée par 0.",
  "NC — non concerné : l'indicateur ne s'applique pas à l'organisme. Sa part est laissée hors du total, qui n'est pas partiel pour autant.",
  "Un taux dont le numérateur ou le dénominateur est partiel ou non disponible est « non calculable » ; aucune évolution n'est calculée quand l'une des deux années comprend une part ND.",
];

/**
 * Completeness (ADR 030): a dossier with ND/NC cells is transmitted, and says
 * how many cells have no figure: « 3 valeurs non disponibles, 1 non concernée ».
 * Null when there is none.
 */
export function notAvailableCountText(notAvailable: number, notApplicable: number): string | null {
  const parts: string[] = [];
  if (notAvailable > 0) parts.push(`${notAvailable} ${notAvailable > 1 ? "valeurs non disponibles" : "valeur non disponible"}`);
  if (notApplicable > 0) parts.push(`${notApplicable} ${notApplicable > 1 ? "non concernées" : "non concernée"}`);
  return parts.length ? parts.join(", ") : null;
}
