import { lineKey } from "~/domain/template-layout";
import type { PlanLine } from "~/domain/validation";

/** A plan line of indicator `I{indicator}` (its total when `breakdownKey` is empty): integer, non-negative, summed, no previous value. */
export const planLine = (indicator: number, breakdownKey = "", over: Partial<PlanLine> = {}): PlanLine => ({
  key: lineKey(`I${indicator}`, breakdownKey),
  indicatorCode: `I${indicator}`,
  indicatorLabel: `Indicateur ${indicator}`,
  indicatorVersionId: `v${indicator}`,
  breakdownKey,
  breakdownLabel: breakdownKey || "Total",
  unit: "nombre",
  valueType: "integer",
  nonNegative: true,
  min: null,
  max: null,
  sumEqualsTotal: true,
  previous: null,
  notAvailableAllowed: false,
  ...over,
});
