import { NOT_AVAILABLE_LABELS, type NotAvailableCode } from "./not-available";
/** The values of a version as validators and the referent read them on screen (Art. 4). */

/** One line of a version as the reviewer reads it (Art. 4 validation). */
export interface ReviewLine {
  cell: string;
  indicatorCode: string;
  indicatorLabel: string;
  unit: string;
  breakdownLabel: string;
  isTotal: boolean;
  value: number | null;
  /**
   * « ND — non disponible : <motif> » when the cell was declared not available
   * (ADR 026): shown in place of a number, never as 0.
   */
  notAvailable?: string | null;
  /** Last year's accepted value of the organisation (Art. 4: for comparison). */
  previousYear: number | null;
  /** Relative change against last year (0.12 = +12 %); null when not computable. */
  change: number | null;
  /** The same line in the previous version of the same year, when it differs (undefined: no previous version or same value). */
  previousVersionValue?: number | null;
  comment: string | null;
  warnings: string[];
  errors: string[];
}

export interface ReviewIndicator {
  code: string;
  label: string;
  unit: string;
  lines: ReviewLine[];
}

export interface ReviewDomain {
  code: string;
  label: string;
  indicators: ReviewIndicator[];
  changedCount: number;
  warningCount: number;
}

export interface VersionReview {
  versionNumber: number;
  /** The version compared with (the one numbered just below), if any. */
  comparedWith: number | null;
  lineCount: number;
  changedCount: number;
  domains: ReviewDomain[];
}

/** How a cell declared not available reads on screen: « ND — non disponible : logiciel en migration » (ADR 026). */
export function notAvailableText(code: NotAvailableCode, reason: string | null): string {
  return `${code} — ${NOT_AVAILABLE_LABELS[code]}${reason ? ` : ${reason}` : ""}`;
}
