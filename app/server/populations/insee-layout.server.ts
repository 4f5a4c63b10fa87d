import { loadExcelJS } from "~/server/excel.server";

/**
 * Writes a workbook in the layout of Insee's « Estimation de la population au
 * 1er janvier, par département, sexe et âge » (one sheet per year, title
 * lines, a « Départements » header row with the sex blocks, a row of ages,
 * one row per territory, the France row at the bottom). Used by the demo
 * seed and the tests' fixtures; `parseInseeWorkbook` reads it back.
 */
export interface InseeSheet {
  year: number;
  /** The highest age column (the last one is « N ou plus »). */
  maxAge: number;
  rows: { code: string; name: string; men: number[]; women: number[] }[];
  /** The national row (code cell empty, name « France »). */
  france?: { men: number[]; women: number[] };
  status: string;
}

export async function writeInseeWorkbook(sheets: readonly InseeSheet[]): Promise<Buffer> {
  const wb = new (await loadExcelJS()).Workbook();
  wb.creator = "Insee";
  for (const s of sheets) {
    const ws = wb.addWorksheet(String(s.year));
    ws.addRow([`Estimation de la population au 1er janvier ${s.year} par département, sexe et âge`]);
    ws.addRow([s.status]);
    ws.addRow([]);
    const ages = Array.from({ length: s.maxAge + 1 }, (_, a) => (a === s.maxAge ? `${a} ou plus` : String(a)));
    const width = ages.length + 1;
    const header = ["Départements", "", "Ensemble", ...Array(width - 1).fill(""), "Hommes", ...Array(width - 1).fill(""), "Femmes", ...Array(width - 1).fill("")];
    ws.addRow(header);
    ws.addRow(["", "", ...ages, "Total", ...ages, "Total", ...ages, "Total"]);
    const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
    const line = (code: string, name: string, men: number[], women: number[]) => {
      const both = men.map((m, i) => m + women[i]!);
      ws.addRow([code, name, ...both, sum(both), ...men, sum(men), ...women, sum(women)]);
    };
    for (const r of s.rows) line(r.code, r.name, r.men, r.women);
    if (s.france) line("", "France", s.france.men, s.france.women);
    ws.addRow([]);
    ws.addRow(["Source : Insee, estimations de population."]);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
