import { loadExcelJS } from "~/server/excel.server";
import { NOT_DEFINED_TEXT } from "~/domain/rates";
import { describeNotAvailable } from "~/domain/not-available";
import { INCOMPLETE_MARK, NOT_AVAILABLE_LEGEND } from "~/domain/partial-totals";
import { breakdownLabel, INTERNAL_USE_MENTION, type DataSnapshot, type DataTable } from "~/domain/explorer";

/**
 * The XLSX of an export of pooled data (Art. 5), apart from export.server.ts
 * so that a worker thread can build it without loading the database layer
 * (app/server/heavy/tasks.server.ts, ADR 016).
 */

/**
 * Formula injection (CSV/XLSX): a text cell starting with `=`, `+`, `-`, `@`,
 * tab or carriage return is read as a formula by spreadsheet software; it is
 * neutralised with a leading apostrophe. Numbers are written as numbers.
 */
export function neutralizeCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export interface ExportDoc {
  title: string;
  sources: string;
  extractedAt: string;
  table: DataTable;
  snapshot: DataSnapshot;
}

export function preamble(doc: ExportDoc): string[] {
  return [doc.title, doc.sources, INTERNAL_USE_MENTION, `Extraction du ${doc.extractedAt}`, `Unité : ${doc.table.unitLabel}`, ...doc.table.notes];
}

export async function toXlsx(doc: ExportDoc): Promise<Uint8Array> {
  const workbook = new (await loadExcelJS()).Workbook();
  workbook.creator = "Portail ODPE";
  workbook.created = new Date();
  const sheet = workbook.addWorksheet("Tableau");
  for (const line of preamble(doc)) sheet.addRow([neutralizeCell(line)]);
  sheet.getRow(1).font = { bold: true, size: 13 };
  sheet.getRow(3).font = { bold: true, color: { argb: "FF8A3300" } };
  sheet.addRow([]);
  const header = sheet.addRow([neutralizeCell(doc.table.rowHeader), ...doc.table.columns.map((c) => neutralizeCell(c.label))]);
  header.font = { bold: true };
  for (const row of doc.table.rows) {
    // ADR 030: an ND/NC cell is its code as text (never 0 or blank), the reason in a cell note; an incomplete aggregate says so.
    const added = sheet.addRow([
      neutralizeCell(row.label),
      ...row.cells.map((c) => (c.notDefined ? NOT_DEFINED_TEXT : c.notAvailableCode ? c.notAvailableCode : c.value)),
    ]);
    row.cells.forEach((c, i) => {
      if (c.notAvailableCode) added.getCell(i + 2).note = neutralizeCell(describeNotAvailable(c.notAvailableCode, c.notAvailableReason));
      else if (c.incomplete) added.getCell(i + 2).note = `Ensemble ${INCOMPLETE_MARK} : une part est non disponible (ND), somme des valeurs connues.`;
    });
    if (row.isTotal) added.font = { bold: true };
  }
  if (doc.table.rows.some((r) => r.cells.some((c) => c.notAvailableCode || c.incomplete))) {
    for (const line of NOT_AVAILABLE_LEGEND) sheet.addRow([neutralizeCell(line)]).font = { italic: true };
  }
  sheet.addRow([]);
  sheet.addRow([neutralizeCell(INTERNAL_USE_MENTION)]).font = { italic: true };
  sheet.getColumn(1).width = 48;

  const long = workbook.addWorksheet("Données");
  long.addRow([neutralizeCell(doc.sources)]);
  long.addRow([neutralizeCell(INTERNAL_USE_MENTION)]);
  long.addRow([]);
  long.addRow(["Organisme", "Code organisme", "Indicateur", "Année", "Ventilation", "Valeur", "Unité", "Transmission d'origine", "Non disponible (ND/NC)", "Motif"]).font = { bold: true };
  const { snapshot } = doc;
  const orgOf = (id: string) => snapshot.organisations.find((o) => o.id === id);
  for (const v of snapshot.values) {
    const org = orgOf(v.organisationId);
    long.addRow([
      neutralizeCell(org?.name ?? ""),
      neutralizeCell(org?.code ?? ""),
      neutralizeCell(snapshot.indicator.code),
      v.year,
      neutralizeCell(breakdownLabel(v.key, snapshot.lists)),
      v.notAvailableCode ?? v.value,
      neutralizeCell(snapshot.indicator.unit),
      v.sourceVersionId,
      v.notAvailableCode ?? null,
      v.notAvailableReason ? neutralizeCell(v.notAvailableReason) : null,
    ]);
  }
  long.columns.forEach((c, i) => (c.width = i === 0 ? 40 : 18));
  const buffer = await workbook.xlsx.writeBuffer();
  return new Uint8Array(buffer as ArrayBuffer);
}

