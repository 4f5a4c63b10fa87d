/**
 * « Non disponible »: a cell of the yearly workbook honestly declared without
 * a figure, where the organisation's agreement allows it for the indicator
 * (docs/decisions/026-not-available.md). Never stored, summed or shown as 0.
 *
 * - ND — « non disponible »: the organisation does not have the figure this
 *   year (a reason is required). A total with an ND part is partial.
 * - NC — « non concerné »: the indicator does not apply to the organisation
 *   (reason optional). It is left out of totals, with a footnote.
 */
export const NOT_AVAILABLE_CODES = ["ND", "NC"] as const;
export type NotAvailableCode = (typeof NOT_AVAILABLE_CODES)[number];

export const NOT_AVAILABLE_LABELS: Readonly<Record<NotAvailableCode, string>> = Object.freeze({
  ND: "non disponible",
  NC: "non concerné",
});

/** The entries of the workbook's drop-down list, as the partner sees them. */
export const NOT_AVAILABLE_CHOICES: readonly string[] = NOT_AVAILABLE_CODES.map((code) => `${code} — ${NOT_AVAILABLE_LABELS[code]}`);

export const NOT_AVAILABLE_REASON_MAX = 500;

/** Whether the reason column must be filled for this code. */
export const reasonRequired = (code: NotAvailableCode): boolean => code === "ND";

/**
 * Reads a cell's text as a not-available declaration: « ND », « nc »,
 * « ND — non disponible », « N.D. », « non disponible », « non concerné »…
 * Returns null for anything else (a number, an empty cell, other text).
 */
export function parseNotAvailable(raw: unknown): NotAvailableCode | null {
  if (typeof raw !== "string") return null;
  const text = raw
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/[.\s\u00a0\u202f]+/g, " ")
    .trim();
  if (text === "") return null;
  const head = text.split(/\s*[—–\-:(]\s*/)[0]?.replace(/\s/g, "") ?? "";
  if (head === "nd" || text === "non disponible") return "ND";
  if (head === "nc" || text === "non concerne") return "NC";
  return null;
}

/** A value as stored: a number, or missing with its not-available code. */
export interface StoredCell {
  value: number | null;
  notAvailableCode: NotAvailableCode | null;
  notAvailableReason?: string | null;
}

/** How a not-available cell reads in French, e.g. « ND (non disponible) : logiciel en cours de migration ». */
export function describeNotAvailable(code: NotAvailableCode, reason?: string | null): string {
  const base = `${code} (${NOT_AVAILABLE_LABELS[code]})`;
  return reason ? `${base} : ${reason}` : base;
}
