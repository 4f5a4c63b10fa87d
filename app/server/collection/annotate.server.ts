import ExcelJS from "exceljs";
import type { Problem } from "~/domain/problems";

// Red for errors, amber for warnings: two hues told apart at a glance (the
// former pale orange read as the same pink-red as errors).
const fills = {
  error: { type: "pattern", pattern: "solid", fgColor: { argb: "FFFF8787" } },
  warning: { type: "pattern", pattern: "solid", fgColor: { argb: "FFFFD666" } },
} as const;

/**
 * The partner's own workbook with each faulty cell highlighted (red: error,
 * amber: warning) and a note saying what is wrong and what to do, so every
 * problem can be fixed in one pass.
 */
export async function annotateWorkbook(original: Uint8Array, problems: readonly Problem[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(original) as unknown as ArrayBuffer);
  const byCell = new Map<string, Problem[]>();
  for (const problem of problems) {
    if (!problem.cell) continue;
    const key = `${problem.sheet}!${problem.cell}`;
    byCell.set(key, [...(byCell.get(key) ?? []), problem]);
  }
  for (const [key, list] of byCell) {
    const [sheetName, address] = key.split("!") as [string, string];
    const sheet = wb.getWorksheet(sheetName);
    if (!sheet) continue;
    const cell = sheet.getCell(address);
    const severity = list.some((p) => p.severity === "error") ? "error" : "warning";
    cell.fill = fills[severity];
    cell.note = {
      texts: [
        {
          font: { bold: true },
          text: `${severity === "error" ? "Erreur" : "Avertissement"} — portail ODPE\n`,
        },
        { text: list.map((p) => `${p.message}\n→ ${p.hint}`).join("\n\n") },
      ],
    };
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
