import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import type { UploadLimits, UploadRefusal } from "~/domain/upload-errors";
import { guardUpload, UploadRefusedError, type GuardedWorkbook } from "~/server/collection/upload-guard.server";
import { iterateWorkbook, prepareReading, readSheetRows, readWorkbook, type CellContent, type WorkbookEvent } from "~/server/collection/workbook-reader.server";
import { minimalWorkbook, minimalWorkbookEntries, rezip, templateLikeWorkbook, worksheetXml } from "./upload-guard-corpus";

/**
 * Art. 4: the bounded streaming reader behind the guard —
 * every cell with its A1 reference, formulas reported with their cached
 * value, hidden sheets readable, absurd sheets refused at the first absurd
 * row or cell with a French message naming the cell.
 */

async function guarded(bytes: Buffer, limits?: Partial<UploadLimits>): Promise<GuardedWorkbook> {
  const result = await guardUpload({ body: bytes, filename: "collecte.xlsx" }, limits);
  if (!result.ok) throw new Error(`guard refused: ${result.refusal.message}`);
  return result.workbook;
}

async function events(workbook: GuardedWorkbook): Promise<WorkbookEvent[]> {
  const out: WorkbookEvent[] = [];
  for await (const event of iterateWorkbook(workbook)) out.push(event);
  return out;
}

/** Every cell as `Sheet!A1 → content`. */
async function cellMap(workbook: GuardedWorkbook): Promise<Map<string, CellContent>> {
  const cells = new Map<string, CellContent>();
  const result = await readWorkbook(workbook, {
    onRow: ({ sheet, cells: row }) => {
      for (const c of row) cells.set(`${sheet.name}!${c.ref}`, c.content);
    },
  });
  if (!result.ok) throw new Error(result.refusal.message);
  return cells;
}

async function readRefusal(bytes: Buffer, limits?: Partial<UploadLimits>): Promise<UploadRefusal> {
  const result = await readWorkbook(await guarded(bytes, limits), { onRow: () => undefined });
  if (result.ok) throw new Error("expected the reader to refuse this workbook");
  return result.refusal;
}

const sheetWith = (rows: string, before = "") => minimalWorkbook([{ name: "Données", xml: worksheetXml(rows, before) }]);

describe("workbook reader — reading back", () => {
  it("reads an exceljs workbook back cell by cell, with A1 references, sheets in tab order, the very hidden sheet included", async () => {
    const workbook = await guarded(await templateLikeWorkbook());
    const all = await events(workbook);
    expect(all.filter((e) => e.type === "sheet").map((e) => e.sheet.name)).toEqual(["Couverture", "Données", "Métadonnées"]);

    const cells = await cellMap(workbook);
    expect(Object.fromEntries(cells)).toEqual({
      "Couverture!A1": { kind: "string", value: "Observatoire départemental de la protection de l'enfance — Loire" },
      "Couverture!A2": { kind: "string", value: "Année de référence" },
      "Couverture!B2": { kind: "number", value: 2025 },
      "Données!A1": { kind: "string", value: "Code" },
      "Données!B1": { kind: "string", value: "Indicateur" },
      "Données!C1": { kind: "string", value: "Ventilation" },
      "Données!D1": { kind: "string", value: "Valeur" },
      "Données!E1": { kind: "string", value: "Commentaire" },
      "Données!A2": { kind: "string", value: "IP-01" },
      "Données!B2": { kind: "string", value: "Enfants accueillis à l'ASE" },
      "Données!C2": { kind: "string", value: "0-5 ans" },
      "Données!D2": { kind: "number", value: 120 },
      "Données!E2": { kind: "string", value: "Hausse liée à l'été" },
      "Données!A3": { kind: "string", value: "IP-01" },
      "Données!B3": { kind: "string", value: "Enfants accueillis à l'ASE" },
      "Données!C3": { kind: "string", value: "6-10 ans" },
      "Données!D3": { kind: "number", value: 95.5 },
      "Données!A4": { kind: "string", value: "IP-01" },
      "Données!B4": { kind: "string", value: "Enfants accueillis à l'ASE" },
      "Données!C4": { kind: "string", value: "Total" },
      "Données!D4": { kind: "formula", formula: "D2+D3", result: { kind: "number", value: 215.5 } },
      "Données!A5": { kind: "string", value: "IP-02" },
      "Données!B5": { kind: "string", value: "Mesures éducatives" },
      "Données!C5": { kind: "string", value: "Total" },
      "Données!D5": { kind: "boolean", value: true },
      "Données!D7": { kind: "date", value: new Date(Date.UTC(2025, 2, 4)) },
      "Données!E8": { kind: "formula", formula: 'IF(D2>100,"élevé","bas")', result: { kind: "string", value: "élevé" } },
      "Données!F9": { kind: "error", value: "#DIV/0!" },
      "Métadonnées!A1": { kind: "string", value: "template_version" },
      "Métadonnées!B1": { kind: "string", value: "3" },
      "Métadonnées!A2": { kind: "string", value: "organisation_code" },
      "Métadonnées!B2": { kind: "string", value: "CD42" },
      "Métadonnées!A3": { kind: "string", value: "reference_year" },
      "Métadonnées!B3": { kind: "string", value: "2025" },
    });
    const ends = all.filter((e) => e.type === "sheetEnd");
    expect(ends.map((e) => [e.sheet.name, e.rows, e.cells])).toEqual([
      ["Couverture", 2, 3],
      ["Données", 8, 25],
      ["Métadonnées", 3, 6],
    ]);
  });

  it("reports every kind of formula apart from plain values, with the cached result", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Données");
    ws.getCell("B2").value = 10;
    ws.getCell("B3").value = 20;
    ws.getCell("B4").value = 30;
    ws.fillFormula("C2:C4", "B2*2", [20, 40, 60]);
    const cells = await cellMap(await guarded(Buffer.from(await wb.xlsx.writeBuffer())));
    expect(cells.get("Données!C2")).toEqual({ kind: "formula", formula: "B2*2", result: { kind: "number", value: 20 } });
    // Shared formula: the text is on C2 only; the cached values are each cell's own.
    expect(cells.get("Données!C3")).toEqual({ kind: "formula", formula: null, result: { kind: "number", value: 40 } });
    expect(cells.get("Données!C4")).toEqual({ kind: "formula", formula: null, result: { kind: "number", value: 60 } });

    const handWritten = sheetWith(
      '<row r="1"><c r="A1" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="B1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>' +
        '<c r="C1"><f>SUM(1,2)</f></c><c r="D1" t="b"><f>TRUE()</f><v>1</v></c><c r="E1"><v>3</v></c></row>' +
        // Falsy cached results are results: 0, "" and FALSE.
        '<row r="2"><c r="A2"><f>B2-B2</f><v>0</v></c><c r="B2" t="str"><f>""</f><v></v></c><c r="C2" t="b"><f>FALSE()</f><v>0</v></c></row>',
    );
    const more = await cellMap(await guarded(handWritten));
    expect(Object.fromEntries(more)).toEqual({
      "Données!A1": { kind: "formula", formula: "1/0", result: { kind: "error", value: null } },
      "Données!B1": { kind: "formula", formula: '"a"&"b"', result: { kind: "string", value: "ab" } },
      "Données!C1": { kind: "formula", formula: "SUM(1,2)", result: { kind: "none" } },
      "Données!D1": { kind: "formula", formula: "TRUE()", result: { kind: "number", value: 1 } },
      "Données!E1": { kind: "number", value: 3 },
      "Données!A2": { kind: "formula", formula: "B2-B2", result: { kind: "number", value: 0 } },
      "Données!B2": { kind: "formula", formula: '""', result: { kind: "string", value: "" } },
      "Données!C2": { kind: "formula", formula: "FALSE()", result: { kind: "number", value: 0 } },
    });
  });

  it("reads shared strings as Excel means them: rich text joined, phonetic guides left out, _xHHHH_ escapes decoded", async () => {
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>' }], {
      sharedStrings: ["x"],
    }).map(([n, d]) =>
      n === "xl/sharedStrings.xml"
        ? ([
            n,
            d.replace(
              /<si>.*<\/si>/,
              '<si><r><rPr><b/></rPr><t>Enfants </t></r><r><t xml:space="preserve">accueillis</t></r></si><si><t>漢字</t><rPh sb="0" eb="2"><t>カンジ</t></rPh></si><si><t>ligne 1_x000D_ligne 2 _x005F_x0041_</t></si>',
            ),
          ] as [string, string])
        : ([n, d] as [string, string]),
    );
    const cells = await cellMap(await guarded(rezip(entries)));
    expect(cells.get("Feuil1!A1")).toEqual({ kind: "string", value: "Enfants accueillis" });
    expect(cells.get("Feuil1!B1")).toEqual({ kind: "string", value: "漢字" });
    expect(cells.get("Feuil1!C1")).toEqual({ kind: "string", value: "ligne 1\rligne 2 _x0041_" });
  });

  it("keeps accented text intact across chunk boundaries, where exceljs's WorkbookReader garbles it", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Données");
    const expected = (i: number) => `Libellé n°${i} — éèàçôœ € protégé`;
    for (let i = 1; i <= 20_000; i++) ws.addRow([i, expected(i)]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());

    // The precondition that makes this test meaningful: exceljs alone corrupts some strings of this file.
    let garbled = 0;
    for await (const sheet of new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), {})) {
      for await (const row of sheet) if (String(row.getCell(2).value).includes("\ufffd")) garbled += 1;
    }
    expect(garbled).toBeGreaterThan(0);

    let checked = 0;
    const result = await readWorkbook(await guarded(bytes), {
      onRow: ({ row, cells }) => {
        expect(cells[1]?.content).toEqual({ kind: "string", value: expected(row) });
        checked += 1;
      },
    });
    expect(result.ok).toBe(true);
    expect(checked).toBe(20_000);
  });

  it("reads only the sheets asked for, and can stop early and read again", async () => {
    const workbook = await guarded(await templateLikeWorkbook());
    const names: string[] = [];
    await readWorkbook(workbook, { onSheet: (s) => void names.push(s.name), onRow: () => undefined }, { sheets: (s) => s.state !== "visible" });
    expect(names).toEqual(["Métadonnées"]);

    for await (const event of iterateWorkbook(workbook)) if (event.type === "row") break;
    expect((await cellMap(workbook)).size).toBe(34);
  });

  it("gives the collection's interpretation its SheetRow shape", async () => {
    const rows = [];
    for await (const row of readSheetRows(await guarded(await templateLikeWorkbook()), { sheets: (s) => s.name === "Données" })) rows.push(row);
    expect(rows[3]).toEqual({
      sheet: "Données",
      row: 4,
      cells: { A: { value: "IP-01" }, B: { value: "Enfants accueillis à l'ASE" }, C: { value: "Total" }, D: { value: null, formula: "D2+D3", result: 215.5 } },
    });
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);
  });

  it("reads the same rows from shared strings and styles prepared beforehand, and only with that workbook's (ADR 056)", async () => {
    const workbook = await guarded(await templateLikeWorkbook());
    const rows = async (options: Parameters<typeof readSheetRows>[1]) => {
      const out = [];
      for await (const row of readSheetRows(workbook, options)) out.push(row);
      return out;
    };
    const prepared = prepareReading(workbook);
    expect(await rows({ prepared })).toEqual(await rows({}));
    const other = await guarded(await templateLikeWorkbook());
    await expect(rows({ prepared: prepareReading(other) })).rejects.toThrow(/another workbook/);
  });

  it("a prepared reading's refusal comes when the rows are read, as without it", async () => {
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' }], { sharedStrings: ["x"] }).map(([n, d]) =>
      n === "xl/sharedStrings.xml" ? ([n, d.replace("<si>", "<si><t>ouvert</si>")] as [string, string]) : ([n, d] as [string, string]),
    );
    const workbook = await guarded(rezip(entries));
    const prepared = prepareReading(workbook);
    prepared.catch(() => undefined);
    const read = async (options: Parameters<typeof readWorkbook>[2]) => {
      const result = await readWorkbook(workbook, { onRow: () => undefined }, options);
      if (result.ok) throw new Error("expected a refusal");
      return [result.refusal.code, result.refusal.message];
    };
    const without = await read({});
    expect(without[0]).toBe("workbook_invalid");
    expect(await read({ prepared })).toEqual(without);
  });

  it("reads nothing it was not given by the guard", async () => {
    const forged = { filename: null, sheets: [], limits: {}, bytes: Buffer.alloc(0) } as unknown as GuardedWorkbook;
    await expect(readWorkbook(forged, { onRow: () => undefined })).rejects.toThrow(/guardUpload/);
  });
});

describe("workbook reader — limits while streaming (422)", () => {
  it("refuses absurd dimensions: a cell at XFD1048576 (last row of Excel) is refused at its row", async () => {
    const r = await readRefusal(sheetWith('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'));
    expect(r).toMatchObject({ code: "too_many_rows", status: 422, sheet: "Données" });
    expect(r.message).toMatch(/La feuille « Données » utilise la ligne 1\s048\s576 \(cellule Données!A1048576\) ; 200\s000 lignes au plus/);
  });

  it("refuses a cell beyond the last allowed column, naming it", async () => {
    const r = await readRefusal(sheetWith('<row r="2"><c r="A2"><v>1</v></c><c r="XFD2"><v>1</v></c></row>'));
    expect(r).toMatchObject({ code: "too_many_columns", status: 422, sheet: "Données", cell: "XFD2" });
    expect(r.message).toMatch(/colonne XFD \(cellule Données!XFD2\) ; seules les colonnes A à IV \(256 colonnes\)/);

    const tight = await readRefusal(sheetWith('<row r="1"><c r="K1"><v>1</v></c></row>'), { maxColumns: 10 });
    expect(tight).toMatchObject({ code: "too_many_columns", cell: "K1" });
  });

  it("ignores an absurd <dimension> (advisory) when the cells themselves are fine", async () => {
    const cells = await cellMap(await guarded(sheetWith('<row r="1"><c r="A1"><v>1</v></c></row>', '<dimension ref="A1:XFD1048576"/>')));
    expect([...cells.keys()]).toEqual(["Données!A1"]);
  });

  it("refuses a cell text longer than 32 767 characters with its exact reference, below the guard's byte bound", async () => {
    const long = "é".repeat(40_000);
    const r = await readRefusal(sheetWith(`<row r="14"><c r="E14" t="inlineStr"><is><t>${long}</t></is></c></row>`));
    expect(r).toMatchObject({ code: "cell_text_too_long", status: 422, sheet: "Données", cell: "E14" });
    expect(r.message).toMatch(/La cellule Données!E14 contient un texte de 40\s000 caractères ; 32\s767 au plus/);

    const formula = await readRefusal(sheetWith(`<row r="3"><c r="B3" t="str"><f>"${"a".repeat(200)}"</f><v>x</v></c></row>`), { maxCellTextLength: 100 });
    expect(formula).toMatchObject({ code: "cell_text_too_long", cell: "B3" });
  });

  it("refuses rows out of order and malformed sheet XML, naming the sheet", async () => {
    const disorder = await readRefusal(sheetWith('<row r="5"><c r="A5"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>'));
    expect(disorder).toMatchObject({ code: "workbook_invalid", sheet: "Données" });
    expect(disorder.message).toMatch(/la ligne 2 apparaît après la ligne 5/);

    const broken = await readRefusal(sheetWith('<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v>'));
    expect(broken).toMatchObject({ code: "workbook_invalid", status: 422, sheet: "Données" });
    expect(broken.message).toMatch(/contenu XML illisible \(feuille « Données »\)/);
  });

  it("refuses bytes that are not UTF-8 in a sheet", async () => {
    const entries = minimalWorkbookEntries([{ name: "Données", xml: "" }]).map(
      ([n, d]) => [n, n === "xl/worksheets/sheet1.xml" ? Buffer.from(worksheetXml('<row r="1"><c r="A1" t="inlineStr"><is><t>caf\u00e9</t></is></c></row>'), "latin1") : Buffer.from(d)] as [string, Buffer],
    );
    const r = await readRefusal(rezip(entries));
    expect(r).toMatchObject({ code: "xml_invalid", status: 422, part: "xl/worksheets/sheet1.xml" });
    expect(r.message).toMatch(/UTF-8/);
  });

  it("turns an UploadRefusedError thrown by a handler into a refusal value, and lets other errors through", async () => {
    const workbook = await guarded(await templateLikeWorkbook());
    const refusal = await readWorkbook(workbook, {
      onRow: ({ sheet }) => {
        if (sheet.name === "Données") throw new UploadRefusedError({ code: "workbook_invalid", status: 422, title: "t", message: "m" });
      },
    });
    expect(refusal).toEqual({ ok: false, refusal: { code: "workbook_invalid", status: 422, title: "t", message: "m" } });
    await expect(
      readWorkbook(workbook, {
        onRow: () => {
          throw new Error("bug in a validator");
        },
      }),
    ).rejects.toThrow("bug in a validator");
  });
});
