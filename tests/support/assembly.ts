import type { AssemblyVersion } from "~/domain/edition-assembly";

/**
 * An indicator version for a hand-made assembly input (app/domain/edition-assembly.ts):
 * an integer count (« nombre »), a flow, non-negative, without bounds,
 * definition or breakdown, its breakdowns summing to its total — unless
 * `over` says otherwise.
 */
export function assemblyVersion(id: string, over: Partial<AssemblyVersion> = {}): AssemblyVersion {
  return {
    id,
    version: 1,
    valid_from_year: null,
    label: id,
    definition: null,
    unit: "nombre",
    value_type: "integer",
    measure: "flow",
    non_negative: true,
    min_value: null,
    max_value: null,
    breakdown_sum_equals_total: true,
    breakdowns: [],
    ...over,
  };
}
