// Heavy work run in worker threads (piscina), off the portal's event loop: see
// pool.server.ts and docs/decisions/016-bounded-workbooks-and-heavy-work.md.
// Plain JavaScript (ESM) on purpose: the same file runs from the source tree
// (vitest, `npm run dev`) and, copied beside the server bundle by vite.config.ts,
// from build/server/ in production. Each export is one task (piscina `name`).
import ExcelJS from "exceljs";

const fills = {
  error: { type: "pattern", pattern: "solid", fgColor: { argb: "FFFF8787" } },
  warning: { type: "pattern", pattern: "solid", fgColor: { argb: "FFFFD666" } },
};

/**
 * The partner's own workbook with each faulty cell highlighted (red: error,
 * orange: warning) and a note saying what is wrong and what to do.
 * @param {{ original: Uint8Array; problems: { sheet: string; cell: string | null; severity: string; message: string; hint: string }[] }} input
 * @returns {Promise<Uint8Array>}
 */
export async function annotate({ original, problems }) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(original.buffer, original.byteOffset, original.byteLength));
  const byCell = new Map();
  for (const problem of problems) {
    if (!problem.cell) continue;
    const key = `${problem.sheet}!${problem.cell}`;
    byCell.set(key, [...(byCell.get(key) ?? []), problem]);
  }
  for (const [key, list] of byCell) {
    const [sheetName, address] = key.split("!");
    const sheet = wb.getWorksheet(sheetName);
    if (!sheet) continue;
    const cell = sheet.getCell(address);
    const severity = list.some((p) => p.severity === "error") ? "error" : "warning";
    cell.fill = fills[severity];
    cell.note = {
      texts: [
        { font: { bold: true }, text: `${severity === "error" ? "Erreur" : "Avertissement"} — portail ODPE\n` },
        { text: list.map((p) => `${p.message}\n→ ${p.hint}`).join("\n\n") },
      ],
    };
  }
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** A no-op task: the pool's health and the tests' check that work runs in another thread. */
export async function threadInfo() {
  const { threadId, isMainThread } = await import("node:worker_threads");
  return { threadId, isMainThread };
}
