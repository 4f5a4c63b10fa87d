import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { UploadRefusal } from "~/domain/upload-errors";
import { checkDeferredParts, guardUpload, guardedInternals, type GuardOptions } from "~/server/collection/upload-guard.server";
import { readWorkbook } from "~/server/collection/workbook-reader.server";
import { craftZip, minimalWorkbookEntries, worksheetXml, type CraftEntry } from "./upload-guard-corpus";

/**
 * ADR 056: the guard may leave the byte-level checks of the sheets an upload reads in full (and of the shared
 * strings and styles they need) to that read, instead of inflating them once more itself. The promise stays
 * the guard's: every chunk passes its checks before the parser sees it, and a file that fails any check is
 * refused with the same refusal as when the guard inflates everything first — whether the read reaches it or
 * `checkDeferredParts` does.
 */

const SHEET = "xl/worksheets/sheet1.xml";
const SST = "xl/sharedStrings.xml";
const readFeuil1: GuardOptions = { readLater: (sheet) => sheet.name === "Feuil1" };
const rows = '<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="s"><v>0</v></c></row>';

/** A two-sheet workbook (Feuil1 read later, Feuil2 not) with shared strings, `change` applied to its entries. */
function workbook(change: (entries: CraftEntry[]) => CraftEntry[] = (e) => e, sheet1 = worksheetXml(rows)): Buffer {
  const entries = minimalWorkbookEntries(
    [
      { name: "Feuil1", xml: sheet1 },
      { name: "Feuil2", xml: rows },
    ],
    { sharedStrings: ["un texte"] },
  ).map(([name, data]): CraftEntry => ({ name, data }));
  return craftZip(change(entries));
}

const on = (name: string, patch: Partial<CraftEntry>) => (entries: CraftEntry[]) => entries.map((e) => (e.name === name ? { ...e, ...patch } : e));

async function guardRefusal(bytes: Buffer, options?: GuardOptions): Promise<UploadRefusal | null> {
  const result = await guardUpload({ body: bytes, filename: "collecte.xlsx" }, {}, options);
  return result.ok ? null : result.refusal;
}

async function readRefusal(bytes: Buffer): Promise<UploadRefusal | null> {
  const result = await guardUpload({ body: bytes, filename: "collecte.xlsx" }, {}, readFeuil1);
  if (!result.ok) throw new Error(`the guard itself refused: ${result.refusal.code}`);
  const read = await readWorkbook(result.workbook, { onRow: () => undefined }, { sheets: (s) => s.name === "Feuil1" });
  if (!read.ok) return read.refusal;
  await checkDeferredParts(result.workbook);
  return null;
}

async function deferredCheckRefusal(bytes: Buffer): Promise<UploadRefusal | null> {
  const result = await guardUpload({ body: bytes, filename: "collecte.xlsx" }, {}, readFeuil1);
  if (!result.ok) throw new Error(`the guard itself refused: ${result.refusal.code}`);
  try {
    await checkDeferredParts(result.workbook);
    return null;
  } catch (error) {
    return (error as { refusal?: UploadRefusal }).refusal ?? Promise.reject(error);
  }
}

const garbled = (() => {
  const good = deflateRawSync(Buffer.from(worksheetXml(rows)));
  const bytes = Buffer.from(good);
  for (let i = 5; i < bytes.length - 5; i += 3) bytes[i] = bytes[i]! ^ 0x5a;
  return bytes;
})();

const cases: { label: string; bytes: () => Buffer; code: UploadRefusal["code"]; detail?: RegExp }[] = [
  { label: "corrupted compressed data in the sheet", bytes: () => workbook(on(SHEET, { rawPayload: garbled })), code: "zip_corrupt" },
  { label: "a wrong CRC-32 of the sheet", bytes: () => workbook(on(SHEET, { crc: 0x12345678 })), code: "zip_corrupt", detail: /CRC/ },
  { label: "a sheet larger than it declares", bytes: () => workbook(on(SHEET, { declaredUncompressed: 100 })), code: "zip_size_mismatch", detail: /stopped after inflating/ },
  { label: "a sheet smaller than it declares", bytes: () => workbook(on(SHEET, { declaredUncompressed: worksheetXml(rows).length + 50 })), code: "zip_size_mismatch" },
  {
    label: "a DTD in the sheet",
    bytes: () => workbook(undefined, worksheetXml(rows).replace("<worksheet", '<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet')),
    code: "xml_dtd_forbidden",
  },
  { label: "an absurd <col> definition in the sheet", bytes: () => workbook(undefined, worksheetXml(rows, '<cols><col min="1" max="20000"/></cols>')), code: "too_many_columns" },
  { label: "a wrong CRC-32 of the shared strings", bytes: () => workbook(on(SST, { crc: 0x12345678 })), code: "zip_corrupt", detail: /CRC/ },
];

describe("checks left to the reader (ADR 056)", () => {
  it.each(cases)("$label: refused by the read, and by checkDeferredParts alone, as by the guard inflating it first", async ({ bytes, code, detail }) => {
    const file = bytes();
    const byGuard = await guardRefusal(file);
    expect(byGuard?.code).toBe(code);
    if (detail) expect(byGuard?.logDetail).toMatch(detail);
    // The guard that leaves the part to the reader lets the file through…
    expect(await guardRefusal(file, readFeuil1)).toBeNull();
    // …and the read refuses it, or checkDeferredParts does, with the same refusal.
    for (const refusal of [await readRefusal(file), await deferredCheckRefusal(file)]) {
      expect([refusal?.code, refusal?.part, refusal?.message]).toEqual([byGuard!.code, byGuard!.part, byGuard!.message]);
    }
  });

  it("a sheet not read later is still inflated and checked by the guard", async () => {
    const file = workbook(on("xl/worksheets/sheet2.xml", { crc: 0x12345678 }));
    expect((await guardRefusal(file, readFeuil1))?.code).toBe("zip_corrupt");
  });

  it("a sound workbook read through passes, and its deferred parts count as checked (nothing inflated again)", async () => {
    const result = await guardUpload({ body: workbook(), filename: "collecte.xlsx" }, {}, readFeuil1);
    if (!result.ok) throw new Error(result.refusal.code);
    const inside = guardedInternals(result.workbook);
    expect([...inside.deferred.keys()].sort()).toEqual([SST.toLowerCase(), SHEET]);
    const read = await readWorkbook(result.workbook, { onRow: () => undefined }, { sheets: (s) => s.name === "Feuil1" });
    expect(read.ok).toBe(true);
    expect([...inside.checked].sort()).toEqual([SST.toLowerCase(), SHEET]);
    await expect(checkDeferredParts(result.workbook)).resolves.toBeUndefined();
  });

  it("without readLater the guard leaves nothing to the reader", async () => {
    const result = await guardUpload({ body: workbook(), filename: "collecte.xlsx" });
    if (!result.ok) throw new Error(result.refusal.code);
    expect(guardedInternals(result.workbook).deferred.size).toBe(0);
  });
});
