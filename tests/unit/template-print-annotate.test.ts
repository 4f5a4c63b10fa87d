import { describe, expect, it } from "vitest";
import { strFromU8, unzipSync } from "fflate";
import ExcelJS from "exceljs";
import { buildTemplate } from "~/server/collection/template.server";
import { annotateWorkbook } from "~/server/collection/annotate.server";
import type { CollectionPlan } from "~/server/collection/plan.server";
import type { PlanLine } from "~/domain/validation";
import type { Problem } from "~/domain/problems";
import { DATA_SHEET } from "~/domain/template-layout";
import { planLine } from "../factories/plan-line";

const line = (indicator: number, breakdownKey: string, valueType: "integer" | "decimal", notAvailableAllowed = false): PlanLine =>
  planLine(indicator, breakdownKey, { valueType, notAvailableAllowed });

// Rows 6–8 and 13–14 share a rule, row 9 has another, rows 10–12 (ND allowed) a third: the shape that produced E6:E14 and E10:E14.
const plan: CollectionPlan = {
  campaign: { id: "c", year: 2025, deadline: "2026-03-31", status: "open" },
  organisation: { id: "o", code: "ORG", name: "Organisme" },
  hash: "h",
  lines: [
    line(1, "", "integer"),
    line(1, "S=F", "integer"),
    line(1, "S=M", "integer"),
    line(2, "", "decimal"),
    line(3, "", "integer", true),
    line(3, "S=F", "integer", true),
    line(3, "S=M", "integer", true),
    line(4, "", "integer"),
    line(4, "S=F", "integer"),
  ],
};

function rowsOf(sqref: string): number[] {
  return sqref.split(" ").flatMap((range) => {
    const [from, to = from] = range.split(":").map((a) => Number(/\d+/.exec(a)![0]));
    return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
  });
}

async function dataSheetXml() {
  const files = unzipSync(new Uint8Array(await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: "contact@odpe.example.org" })));
  return { sheet: strFromU8(files["xl/worksheets/sheet2.xml"]!), book: strFromU8(files["xl/workbook.xml"]!) };
}

describe("yearly template (Art. 4 : tableaux Excel annuels)", () => {
  it("Art. 4 : data-validation ranges never overlap (each input cell has exactly one rule)", async () => {
    const { sheet } = await dataSheetXml();
    const sqrefs = [...sheet.matchAll(/<dataValidation [^>]*sqref="([^"]+)"/g)].map((m) => m[1]!);
    for (const column of ["E", "G"]) {
      const rows = sqrefs.filter((s) => s.startsWith(column)).flatMap(rowsOf);
      expect([column, rows.sort((a, b) => a - b)]).toEqual([column, Array.from({ length: plan.lines.length }, (_, i) => 6 + i)]);
    }
  });

  it("Art. 4 / ADR 026 : where the agreement allows ND, the value cell accepts a number or « ND — non disponible », with an input message, and the reason column I is open", async () => {
    const { sheet } = await dataSheetXml();
    const rules = [...sheet.matchAll(/<dataValidation ([^>]*)>([\s\S]*?)<\/dataValidation>/g)].map((m) => ({ attrs: m[1]!, body: m[2]! }));
    const at = (sqref: string) => rules.find((r) => r.attrs.includes(`sqref="${sqref}"`));
    const nd = at("E10:E12");
    expect(nd?.attrs).toContain('type="custom"');
    expect(nd?.attrs).toContain('promptTitle="ND/NC possible"');
    expect(nd?.body).toContain("ISNUMBER(E10)");
    expect(nd?.body).toContain("E10=&quot;ND — non disponible&quot;");
    expect(nd?.body).toContain("E10=&quot;NC — non concerné&quot;");
    // lines where ND is not allowed keep numbers only
    expect(at("E6:E8")?.attrs).toContain('type="whole"');
    expect(at("E13:E14")?.attrs).toContain('type="whole"');
    expect(rules.filter((r) => r.attrs.includes('sqref="I')).map((r) => /sqref="([^"]+)"/.exec(r.attrs)![1])).toEqual(["I10:I12"]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: null })) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(DATA_SHEET)!;
    expect(ws.getCell("I5").value).toBe("Motif (si ND ou NC)");
    expect(ws.getCell("I10").protection?.locked).toBe(false);
    expect(ws.getCell("I6").protection?.locked).not.toBe(false);
    const cover = wb.getWorksheet("Couverture")!;
    const text = cover.getSheetValues().flat().filter((v) => typeof v === "string").join("\n");
    expect(text).toContain("ne saisissez jamais 0");
    expect(text).toContain("ND — non disponible");
  });

  it("Art. 4 : prints landscape, one page wide, with the header row repeated and the table as print area", async () => {
    const { sheet, book } = await dataSheetXml();
    expect(sheet).toMatch(/<pageSetup [^>]*orientation="landscape"/);
    expect(sheet).toMatch(/<pageSetup [^>]*fitToWidth="1"/);
    expect(sheet).toMatch(/<pageSetup [^>]*fitToHeight="0"/);
    expect(sheet).toMatch(/<pageSetUpPr [^>]*fitToPage="1"/);
    expect(book).toContain(`<definedName name="_xlnm.Print_Titles" localSheetId="1">&apos;${DATA_SHEET}&apos;!$5:$5</definedName>`);
    expect(book).toContain(`<definedName name="_xlnm.Print_Area" localSheetId="1">&apos;${DATA_SHEET}&apos;!$A1:$I14</definedName>`);
  });
});

describe("annotated workbook", () => {
  it("marks warnings in amber and errors in red: two different colours", async () => {
    const template = await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: null });
    const problem = (severity: Problem["severity"], cell: string): Problem => ({ severity, code: "variation", sheet: DATA_SHEET, cell, indicator: "I1", indicatorLabel: "x", message: "m", hint: "h" });
    const annotated = await annotateWorkbook(template, [problem("error", "E6"), problem("warning", "E9")]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(annotated as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(DATA_SHEET)!;
    const colour = (cell: string) => ((ws.getCell(cell).fill as ExcelJS.FillPattern).fgColor?.argb ?? "").toUpperCase();
    const hue = (argb: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(argb.slice(i + 1, i + 3), 16) / 255) as [number, number, number];
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      if (max === min) return 0;
      const h = max === r ? (g - b) / (max - min) : max === g ? 2 + (b - r) / (max - min) : 4 + (r - g) / (max - min);
      return (h * 60 + 360) % 360;
    };
    expect(colour("E6")).not.toBe(colour("E9"));
    // red sits near 0°, amber between 35° and 50°
    expect(hue(colour("E6")) < 10 || hue(colour("E6")) > 350).toBe(true);
    expect(hue(colour("E9"))).toBeGreaterThanOrEqual(35);
    expect(hue(colour("E9"))).toBeLessThanOrEqual(50);
  });
});

describe("observatory contact on templates", () => {
  it("prints the configured address, else the observatory file's, never a placeholder on .invalid", async () => {
    const { configuredContact } = await import("~/server/observatory/observatory.server");
    expect(configuredContact("odpe@example.invalid", "observatoire@departement.example.org")).toBe("observatoire@departement.example.org");
    expect(configuredContact("odpe@loire.example.org", undefined)).toBe("odpe@loire.example.org");
    expect(configuredContact("odpe@example.invalid", undefined)).toBeNull();
    expect(configuredContact(null, undefined)).toBeNull();
  });
});
