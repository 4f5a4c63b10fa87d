/**
 * The layout of the yearly collection workbook, shared by the generator and
 * the parser. Changing it means bumping TEMPLATE_VERSION (older files are then
 * refused with a clear message).
 */
export const TEMPLATE_VERSION = "1";

export const COVER_SHEET = "Couverture";
export const DATA_SHEET = "Données";
export const META_SHEET = "Métadonnées";

/** First row of the data table (rows above: title, instructions, header). */
export const HEADER_ROW = 5;
export const FIRST_DATA_ROW = 6;

export const COLUMNS = {
  code: "A",
  label: "B",
  breakdown: "C",
  unit: "D",
  value: "E",
  previous: "F",
  comment: "G",
  key: "H",
} as const;

/** The key of a data line: indicator code and breakdown key (see breakdowns.ts). */
export const lineKey = (indicatorCode: string, breakdownKey: string) => `${indicatorCode}#${breakdownKey}`;

export function splitLineKey(key: string): { indicatorCode: string; breakdownKey: string } | null {
  const at = key.indexOf("#");
  if (at <= 0) return null;
  return { indicatorCode: key.slice(0, at), breakdownKey: key.slice(at + 1) };
}

/** Metadata keys written in the hidden, protected metadata sheet (column A = key, B = value). */
export const META_KEYS = ["template_version", "organisation_code", "reference_year", "campaign_id", "plan_hash", "line_count", "generated_at"] as const;
export type MetaKey = (typeof META_KEYS)[number];
