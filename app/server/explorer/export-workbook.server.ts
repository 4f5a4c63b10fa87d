import ExcelJS from "exceljs";
import { NOT_DEFINED_TEXT } from "~/domain/rates";
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
  const workbook = new ExcelJS.Workbook();
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
    const added = sheet.addRow([neutralizeCell(row.label), ...row.cells.map((c) => (c.notDefined ? NOT_DEFINED_TEXT : c.value))]);
    if (row.isTotal) added.font = { bold: true };
  }
  sheet.addRow([]);
  sheet.addRow([neutralizeCell(INTERNAL_USE_MENTION)]).font = { italic: true };
  sheet.getColumn(1).width = 48;

  const long = workbook.addWorksheet("Données");
  long.addRow([neutralizeCell(doc.sources)]);
  long.addRow([neutralizeCell(INTERNAL_USE_MENTION)]);
  long.addRow([]);
  long.addRow(["Organisme", "Code organisme", "Indicateur", "Année", "Ventilation", "Valeur", "Unité", "Transmission d'origine"]).font = { bold: true };
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
      v.value,
      neutralizeCell(snapshot.indicator.unit),
      v.sourceVersionId,
    ]);
  }
  long.columns.forEach((c, i) => (c.width = i === 0 ? 40 : 18));
  const buffer = await workbook.xlsx.writeBuffer();
  return new Uint8Array(buffer as ArrayBuffer);
}

