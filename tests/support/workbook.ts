import ExcelJS from "exceljs";
import type { SheetRow } from "~/server/collection/interpret.server";
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
