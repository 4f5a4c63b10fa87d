import { z } from "zod";
import { NOT_AGGREGABLE_LABEL } from "./cell-marks";

/**
 * How several organisations' values of one indicator make one figure
 * (département total, « Ensemble des organismes »). Declared per indicator in
 * the catalogue (conventions/indicators.json, column indicator.aggregation):
 *
 * - sum: counts, amounts, places — the values add up;
 * - weighted_mean: a rate or an average per organisation, weighted by the
 *   organisation's value of the weight indicator(s) (their sum, e.g. the places
 *   of a home for its occupancy rate): Σ(value × weight) / Σ weight;
 * - ratio_of_sums: a ratio recomputed from its parts, Σ numerator / Σ denominator
 *   × multiplier (the parts are indicators of the catalogue);
 * - not_aggregable: no meaningful figure across organisations — shown as
 *   « non agrégeable », never a number.
 *
 * docs/decisions/018-transmission-and-aggregation.md.
 */
export const aggregationKinds = ["sum", "weighted_mean", "ratio_of_sums", "not_aggregable"] as const;
export type AggregationKind = (typeof aggregationKinds)[number];

const code = z.string().regex(/^[A-Z0-9_]{2,40}$/);

export const indicatorAggregationSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("sum") }),
  z.object({ kind: z.literal("weighted_mean"), weightedBy: z.array(code).min(1).max(5) }),
  z.object({ kind: z.literal("ratio_of_sums"), numerator: code, denominator: code, multiplier: z.number().positive().default(1) }),
  z.object({ kind: z.literal("not_aggregable") }),
]);
export type IndicatorAggregation = z.infer<typeof indicatorAggregationSchema>;

export { NOT_AGGREGABLE_LABEL };

/** Units whose values are averages or shares: they never add up across organisations. */
const NON_ADDITIVE_UNITS = new Set(["pourcentage", "%", "taux", "ratio", "jours", "mois", "années", "ans", "euros", "€", "indice"]);

export function isNonAdditiveUnit(unit: string): boolean {
  return NON_ADDITIVE_UNITS.has(unit.trim().toLowerCase());
}

/**
 * The aggregation of an indicator: the declared one, else (an indicator
 * created before declarations existed) a sum for additive units and « not
 * aggregable » for averages and shares — never an unweighted mean.
 */
export function aggregationOf(declared: unknown, unit: string): IndicatorAggregation {
  const parsed = indicatorAggregationSchema.safeParse(declared);
  if (parsed.success) return parsed.data;
  return isNonAdditiveUnit(unit) ? { kind: "not_aggregable" } : { kind: "sum" };
}

/** The indicator codes an aggregation reads besides the indicator itself (weights, ratio parts). */
export function aggregationInputs(aggregation: IndicatorAggregation): string[] {
  if (aggregation.kind === "weighted_mean") return aggregation.weightedBy;
  if (aggregation.kind === "ratio_of_sums") return [aggregation.numerator, aggregation.denominator];
  return [];
}

/** One organisation's contribution: its value, and the values of the aggregation's inputs (by indicator code). */
export interface Contribution {
  value: number | null;
  inputs?: Record<string, number | null | undefined>;
}

export type AggregateResult = { value: number | null; notAggregable: false } | { value: null; notAggregable: true };

/**
 * The figure of several organisations' values. One organisation's value is
 * itself whatever the rule. A weighted mean leaves out an organisation
 * without a weight (it cannot be weighed); when no one has a weight, there is
 * no figure (null, "not available"), never an unweighted mean.
 */
export function aggregateContributions(contributions: readonly Contribution[], aggregation: IndicatorAggregation): AggregateResult {
  const present = contributions.filter((c) => typeof c.value === "number");
  if (aggregation.kind === "ratio_of_sums") {
    let numerator = 0;
    let denominator = 0;
    let any = false;
    for (const c of contributions) {
      const n = c.inputs?.[aggregation.numerator];
      const d = c.inputs?.[aggregation.denominator];
      if (typeof n !== "number" || typeof d !== "number") continue;
      numerator += n;
      denominator += d;
      any = true;
    }
    if (!any) return { value: present.length === 1 ? present[0]!.value : null, notAggregable: false };
    return { value: denominator === 0 ? null : (numerator / denominator) * aggregation.multiplier, notAggregable: false };
  }
  if (present.length === 0) return { value: null, notAggregable: false };
  if (present.length === 1) return { value: present[0]!.value, notAggregable: false };
  switch (aggregation.kind) {
    case "sum":
      return { value: present.reduce((a, c) => a + c.value!, 0), notAggregable: false };
    case "not_aggregable":
      return { value: null, notAggregable: true };
    case "weighted_mean": {
      let weighted = 0;
      let weights = 0;
      for (const c of present) {
        const parts = aggregation.weightedBy.map((w) => c.inputs?.[w]).filter((w): w is number => typeof w === "number");
        if (parts.length === 0) continue;
        const weight = parts.reduce((a, b) => a + b, 0);
        weighted += c.value! * weight;
        weights += weight;
      }
      return { value: weights > 0 ? weighted / weights : null, notAggregable: false };
    }
  }
}

/** The note printed under a table or block aggregated by a rule other than the sum. */
export function aggregationNote(aggregation: IndicatorAggregation, labelOf: (code: string) => string = (c) => c): string | null {
  switch (aggregation.kind) {
    case "sum":
      return null;
    case "weighted_mean":
      return `Ensemble : moyenne des organismes pondérée par « ${aggregation.weightedBy.map(labelOf).join(" » + « ")} » (un organisme sans cette valeur n'est pas compté).`;
    case "ratio_of_sums":
      return `Ensemble : rapport de la somme de « ${labelOf(aggregation.numerator)} » à la somme de « ${labelOf(aggregation.denominator)} ».`;
    case "not_aggregable":
      return `Ensemble : ${NOT_AGGREGABLE_LABEL} (les valeurs de plusieurs organismes ne s'additionnent ni ne se moyennent).`;
  }
}
