import ExcelJS from "exceljs";
import type { SheetRow } from "~/domain/workbook-interpretation";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW } from "~/domain/template-layout";

/**
 * Test helper: the rows of a workbook as the upload pipeline yields them,
 * read with exceljs's in-memory reader (production code streams).
 */
export async function* rowsOf(bytes: Uint8Array): AsyncGenerator<SheetRow> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  for (const ws of wb.worksheets) {
    const rows: SheetRow[] = [];
    ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const cells: SheetRow["cells"] = {};
      row.eachCell({ includeEmpty: false }, (cell) => {
        const col = cell.address.replace(/\d+$/, "");
        const v = cell.value as unknown;
        if (v && typeof v === "object" && "formula" in (v as object)) {
          const f = v as { formula: string; result?: unknown };
          cells[col] = { value: null, formula: f.formula, result: f.result };
        } else {
          cells[col] = { value: v };
        }
      });
      rows.push({ sheet: ws.name, row: rowNumber, cells });
    });
    yield* rows;
  }
}

/** Fills the data sheet's value column: `values` maps line keys (column H) to what to write. */
export async function fillTemplate(template: Uint8Array, values: Record<string, unknown>, edit?: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(template) as unknown as ArrayBuffer);
  const ws = wb.getWorksheet(DATA_SHEET)!;
  for (let r = FIRST_DATA_ROW; r <= ws.rowCount; r++) {
    const key = ws.getCell(`${COLUMNS.key}${r}`).value;
    if (typeof key === "string" && key in values) ws.getCell(`${COLUMNS.value}${r}`).value = values[key] as ExcelJS.CellValue;
  }
  edit?.(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * Fills every line of a downloaded template with values that pass validation:
 * each breakdown cell `cell`, each total the sum of the breakdown cells below
 * it (or 100 × `cell` when it has none). An upload of the result is stored
 * without error — unless `edit` spoils it afterwards.
 */
export async function fillConsistently(template: Uint8Array, cell = 10, edit?: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(template) as unknown as ArrayBuffer);
  const ws = wb.getWorksheet(DATA_SHEET)!;
  const keyAt = (r: number) => String(ws.getCell(`${COLUMNS.key}${r}`).value ?? "");
  for (let r = FIRST_DATA_ROW; r <= ws.rowCount; r++) {
    const key = keyAt(r);
    if (!key.includes("#")) continue;
    if (key.endsWith("#")) {
      let cells = 0;
      while (keyAt(r + cells + 1).includes("#") && !keyAt(r + cells + 1).endsWith("#")) cells++;
      ws.getCell(`${COLUMNS.value}${r}`).value = cells ? cells * cell : 100 * cell;
    } else {
      ws.getCell(`${COLUMNS.value}${r}`).value = cell;
    }
  }
  edit?.(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
