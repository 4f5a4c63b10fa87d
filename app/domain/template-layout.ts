/**
 * The layout of the yearly collection workbook, shared by the generator and
 * the parser. Changing it means bumping TEMPLATE_VERSION (older files are then
 * refused with a clear message).
 */
export const TEMPLATE_VERSION = "2";

/**
 * Why an older template version is refused: version 1 had no « non disponible »
 * choice nor reason column (ADR 026).
 */
export const OLDER_TEMPLATE_VERSIONS: Readonly<Record<string, string>> = Object.freeze({
  "1": "il ne permet pas de déclarer une donnée « non disponible » (ND/NC) avec son motif",
});

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
  /** Reason of a « non disponible » (ND/NC) declaration in the value cell (template v2, ADR 026). */
  reason: "I",
} as const;

/** Columns of the data sheet (A…I). */
export const DATA_COLUMN_COUNT = 9;

/** The key of a data line: indicator code and breakdown key (see breakdowns.ts). */
export const lineKey = (indicatorCode: string, breakdownKey: string) => `${indicatorCode}#${breakdownKey}`;

/** Metadata keys written in the hidden, protected metadata sheet (column A = key, B = value). */
export const META_KEYS = ["template_version", "organisation_code", "reference_year", "campaign_id", "plan_hash", "line_count", "generated_at"] as const;
export type MetaKey = (typeof META_KEYS)[number];

/** How far a sheet may extend: rows 1…`rows`, columns A…(`columns`). */
export interface SheetBounds {
  rows: number;
  columns: number;
}

/**
 * Room accepted around the template's own cells, so that a stray note beside
 * the table still gets the interpretation's precise message (« ligne ajoutée »),
 * while a sheet padded with a million cells is refused at its first cell out
 * of bounds (ADR 016).
 */
export const LAYOUT_MARGIN: Readonly<SheetBounds> = Object.freeze({ rows: 50, columns: 4 });

/** Rows used on the cover sheet: title, 6 facts, the instructions. */
const COVER_ROWS = 20;

/**
 * The accepted area of each sheet of an organisation's template with
 * `lineCount` data lines (the template's used range plus `LAYOUT_MARGIN`);
 * null for a sheet the template does not have.
 */
export function templateSheetBounds(sheet: string, lineCount: number): SheetBounds | null {
  const withMargin = (rows: number, columns: number) => ({ rows: rows + LAYOUT_MARGIN.rows, columns: columns + LAYOUT_MARGIN.columns });
  if (sheet === DATA_SHEET) return withMargin(FIRST_DATA_ROW + lineCount - 1, DATA_COLUMN_COUNT);
  if (sheet === META_SHEET) return withMargin(Math.max(META_KEYS.length, lineCount), 5);
  if (sheet === COVER_SHEET) return withMargin(COVER_ROWS, 2);
  return null;
}
