/**
 * A problem found in an uploaded workbook: where (sheet, cell), which
 * indicator, what is wrong and what to do — in French. Errors block the
 * submission; warnings need a comment to submit.
 */
export type ProblemSeverity = "error" | "warning";

export type ProblemCode =
  | "required"
  | "not_a_number"
  | "not_integer"
  | "negative"
  | "below_min"
  | "above_max"
  | "breakdown_sum"
  | "formula_cached"
  | "formula_no_value"
  | "variation"
  | "not_available_not_allowed"
  | "not_available_reason_missing"
  | "not_available_reason_too_long"
  | "reason_without_not_available"
  | "unknown_row"
  | "missing_row"
  | "duplicate_row"
  | "wrong_organisation"
  | "wrong_year"
  | "wrong_template"
  | "not_a_template"
  | "file_refused";

export interface Problem {
  severity: ProblemSeverity;
  code: ProblemCode;
  sheet: string;
  /** A1 reference, e.g. "E14"; null for problems about the whole file. */
  cell: string | null;
  indicator: string | null;
  indicatorLabel: string | null;
  /** The line's breakdown cell (e.g. "Fille × Moins de 3 ans"); absent for a total or a whole-file problem. */
  breakdownLabel?: string | null;
  message: string;
  /** What to do. */
  hint: string;
}

/** `Données!E14` style reference, quoting sheet names with spaces. */
export function cellReference(problem: Pick<Problem, "sheet" | "cell">): string {
  if (!problem.cell) return problem.sheet;
  const sheet = /^[A-Za-zÀ-ÿ0-9_]+$/.test(problem.sheet) ? problem.sheet : `'${problem.sheet.replace(/'/g, "''")}'`;
  return `${sheet}!${problem.cell}`;
}

export const countBySeverity = (problems: readonly Problem[]) => ({
  errors: problems.filter((p) => p.severity === "error").length,
  warnings: problems.filter((p) => p.severity === "warning").length,
});
