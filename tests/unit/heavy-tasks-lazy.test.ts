import { describe, expect, it, vi } from "vitest";
import { assembleEdition } from "~/domain/edition-assembly";

// ADR 047: a heavy-work thread starts by loading the tasks module; a thread that only parses uploads (the reader uses
// exceljs's streaming internals, not its whole library) must not pay for pdfkit or exceljs's full library at its first task.
// Each library's first import is recorded by a pass-through mock (its factory runs when the module is first imported).
const loaded = vi.hoisted(() => new Set<string>());
vi.mock("pdfkit", async (importOriginal) => {
  loaded.add("pdfkit");
  return importOriginal();
});
vi.mock("exceljs", async (importOriginal) => {
  loaded.add("exceljs");
  return importOriginal();
});

describe("heavy-work thread: renderers loaded on first use", () => {
  it("loading the heavy-work tasks loads neither pdfkit nor exceljs's whole library; the first PDF loads pdfkit, the first annotated workbook exceljs", async () => {
    const tasks = await import("~/server/heavy/tasks.server");
    expect([...loaded], "libraries loaded with the tasks module").toEqual([]);

    const edition = assembleEdition({
      year: 2024,
      assembledAt: new Date("2025-09-01T08:00:00Z"),
      observatory: { code: "ODPE99", name: "Observatoire départemental de la protection de l'enfance", label: "ODPE test", departementCode: "99", departementName: "Test", isDemo: true },
      domains: [],
      indicators: [],
      codelists: [],
      derived: [],
      keyFigureCodes: [],
      organisations: [],
      values: [],
      usage: [],
      expectedPairs: [],
      campaign: null,
      expected: [],
      submissions: [],
    });
    const pdf = await tasks.renderPdf({ edition, meta: null, logos: [] });
    expect(Buffer.from(pdf.subarray(0, 5)).toString("latin1")).toBe("%PDF-");
    expect([...loaded]).toEqual(["pdfkit"]);

    const { loadExcelJS } = await import("~/server/excel.server");
    const ExcelJS = await loadExcelJS();
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet("Données").getCell("B2").value = 3;
    const annotated = await tasks.annotate({
      original: new Uint8Array(await wb.xlsx.writeBuffer()),
      problems: [{ severity: "error", sheet: "Données", cell: "B2", message: "Valeur négative.", hint: "Saisissez un nombre positif." }],
    });
    expect(annotated.byteLength).toBeGreaterThan(0);
    expect([...loaded].sort()).toEqual(["exceljs", "pdfkit"]);
  });
});
