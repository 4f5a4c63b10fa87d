/**
 * Texts a published table shows instead of a number, in a module without zod:
 * the browser needs them to draw a table (app/ui/diffusion.tsx), not the
 * schemas of the modules that define them (issue 14 item 6, ADR 036).
 * app/domain/rates.ts and app/domain/aggregation.ts re-export them.
 */

/** A rate that the breakdown rule leaves undefined for this cell (app/domain/rates.ts). */
export const NOT_DEFINED_TEXT = "non défini";

/** What is shown instead of a number when an indicator cannot be aggregated across organisations (app/domain/aggregation.ts). */
export const NOT_AGGREGABLE_LABEL = "non agrégeable";
