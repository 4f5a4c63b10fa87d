import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { deflateRawSync } from "node:zlib";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { DEFAULT_UPLOAD_LIMITS, resolveUploadLimits, type UploadLimits, type UploadRefusal, type UploadRefusalCode } from "~/domain/upload-errors";
import { guardUpload, unsafeNameReason, type UploadedFile } from "~/server/collection/upload-guard.server";
import {
  compoundFile,
  craftZip,
  encryptedXlsx,
  legacyXls,
  minimalWorkbook,
  minimalWorkbookEntries,
  NS_MAIN,
  replaceEntry,
  rezip,
  templateLikeWorkbook,
  unzipEntries,
  worksheetXml,
  type CraftEntry,
} from "./upload-guard-corpus";

/**
 * Art. 4 and ADR 016 (upload limits, hostile files): every upload
 * passes the guard before any parsing; each hostile file is refused with its
 * own code, the HTTP status to answer (413 / 415 / 422) and a French message
 * saying what to do. The corpus is built here, in memory.
 */

async function refused(file: UploadedFile | Buffer, limits?: Partial<UploadLimits>): Promise<UploadRefusal> {
  const result = await guardUpload(Buffer.isBuffer(file) ? { body: file, filename: "collecte-2025.xlsx" } : file, limits);
  if (result.ok) throw new Error("expected the guard to refuse this file, it accepted it");
  return result.refusal;
}

function expectRefusal(refusal: UploadRefusal, code: UploadRefusalCode, status: 413 | 415 | 422, ...fragments: (string | RegExp)[]) {
  expect({ code: refusal.code, status: refusal.status }).toEqual({ code, status });
  for (const fragment of fragments) expect(refusal.message).toMatch(fragment);
  // A message the user can act on: French, says what to do, no technical detail.
  expect(refusal.message).toMatch(/(déposez|enregistrez|renvoyez|supprimez|retirez|raccourcissez|repartez|saisissez|vérifiez)/i);
  if (refusal.logDetail) expect(refusal.message).not.toContain(refusal.logDetail);
  expect(refusal.title.length).toBeGreaterThan(3);
}

const spaces = (n: number) => Buffer.alloc(n, 0x20);
/** Letters that do not compress much (a linear congruential sequence). */
function lettersNoise(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 97 + ((x >>> 16) % 26);
  }
  return out;
}

describe("upload guard — what is accepted", () => {
  it("accepts a workbook written by exceljs (the portal's own templates) and describes its sheets, hidden ones included", async () => {
    const bytes = await templateLikeWorkbook();
    const result = await guardUpload({ body: bytes, filename: "modèle-CD42-2025.xlsx" });
    if (!result.ok) throw new Error(result.refusal.message);
    const wb = result.workbook;
    expect(wb.sheets.map((s) => [s.name, s.state, s.kind])).toEqual([
      ["Couverture", "visible", "worksheet"],
      ["Données", "visible", "worksheet"],
      ["Métadonnées", "veryHidden", "worksheet"],
    ]);
    expect(wb.size).toBe(bytes.length);
    expect(wb.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(wb.bytes.equals(bytes)).toBe(true);
    expect(wb.bytes).not.toBe(bytes); // a private copy
    expect(wb.filename).toBe("modèle-CD42-2025.xlsx");
    expect(wb.stats.uncompressedBytes).toBeGreaterThan(wb.stats.compressedBytes);
  });

  it("keeps bytes handed over (`owned`, the heavy-work thread's own clone) as they are, without a copy (ADR 053)", async () => {
    const bytes = new Uint8Array(await templateLikeWorkbook());
    const result = await guardUpload({ body: bytes, filename: "modèle-CD42-2025.xlsx", owned: true });
    if (!result.ok) throw new Error(result.refusal.message);
    expect(result.workbook.bytes.buffer).toBe(bytes.buffer);
    expect(result.workbook.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    // Not handed over: a private copy, whatever the caller does with its bytes afterwards.
    const copied = await guardUpload({ body: bytes, filename: "modèle-CD42-2025.xlsx" });
    if (!copied.ok) throw new Error(copied.refusal.message);
    expect(copied.workbook.bytes.buffer).not.toBe(bytes.buffer);
  });

  it("accepts a minimal hand-written workbook (no shared strings, no styles) and a workbook re-saved through exceljs's reader", async () => {
    const minimal = minimalWorkbook([{ name: "Feuil1", xml: '<row r="1"><c r="A1"><v>1</v></c></row>' }]);
    expect((await guardUpload({ body: minimal })).ok).toBe(true);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await templateLikeWorkbook()) as unknown as ArrayBuffer);
    wb.getWorksheet("Données")!.getCell("D3").value = 96;
    const resaved = Buffer.from(await wb.xlsx.writeBuffer());
    expect((await guardUpload({ body: resaved })).ok).toBe(true);
  });

  it("reads the body from a Node stream or a web ReadableStream (request.body), whatever the chunking", async () => {
    const bytes = await templateLikeWorkbook();
    const pieces = Array.from({ length: Math.ceil(bytes.length / 777) }, (_, i) => bytes.subarray(i * 777, (i + 1) * 777));
    expect((await guardUpload({ body: Readable.from(pieces) })).ok).toBe(true);
    expect((await guardUpload({ body: new Blob([new Uint8Array(bytes)]).stream() })).ok).toBe(true);
  });

  it("sniffs the content, not the name: a real workbook named .csv is accepted", async () => {
    const result = await guardUpload({ body: await templateLikeWorkbook(), filename: "export.csv", contentType: "text/csv" });
    expect(result.ok).toBe(true);
  });

  it("has documented defaults, overridable with validation", () => {
    expect(DEFAULT_UPLOAD_LIMITS.maxFileBytes).toBe(10 * 1024 * 1024);
    expect(resolveUploadLimits({ maxRows: 500 }).maxRows).toBe(500);
    expect(() => resolveUploadLimits({ maxSheets: 0 })).toThrow();
    expect(() => resolveUploadLimits({ maxColumns: 20_000 })).toThrow();
  });
});

describe("upload guard — size (413)", () => {
  it("refuses a file above 10 Mo, saying its size and the limit", async () => {
    const r = await refused(Buffer.alloc(10 * 1024 * 1024 + 1, 0x41));
    expectRefusal(r, "file_too_large", 413, "dépasse 10 Mo", "il pèse 10 Mo");
  });

  it("stops reading a stream as soon as it passes the limit", async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled += 1;
        yield Buffer.alloc(1024 * 1024, 0x41);
      }
    }
    const r = await refused({ body: endless() });
    expectRefusal(r, "file_too_large", 413, "dépasse 10 Mo");
    expect(pulled).toBe(11);
  });

  it("cancels a web stream (request.body) once it passes the limit", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(1024 * 1024)),
      cancel: () => {
        cancelled = true;
      },
    });
    expectRefusal(await refused({ body }), "file_too_large", 413);
    expect(cancelled).toBe(true);
  });

  it("refuses a declared Content-Length above the limit without reading the body", async () => {
    const untouchable: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => {
        throw new Error("the body must not be read");
      },
    };
    const r = await refused({ body: untouchable, declaredSize: 50 * 1024 * 1024 });
    expectRefusal(r, "file_too_large", 413, "il pèse 50 Mo");
  });

  it("applies a configured limit", async () => {
    const r = await refused({ body: await templateLikeWorkbook() }, { maxFileBytes: 2048 });
    expectRefusal(r, "file_too_large", 413, "dépasse 2 Ko");
  });
});

describe("upload guard — not an OOXML workbook (415)", () => {
  it("refuses an empty file", async () => {
    expectRefusal(await refused(Buffer.alloc(0)), "file_empty", 415, "est vide");
  });

  it("refuses a legacy Excel 97-2003 file (.xls, an OLE2 compound file)", async () => {
    expectRefusal(await refused({ body: legacyXls(), filename: "collecte.xlsx" }), "legacy_format", 415, "« collecte.xlsx »", "Excel 97-2003 (.xls)", "Classeur Excel (.xlsx)");
  });

  it("refuses a password-encrypted .xlsx (a compound file holding EncryptionInfo), saying how to remove the password", async () => {
    const r = await refused({ body: encryptedXlsx(), filename: "données.xlsx" });
    expectRefusal(r, "encrypted_workbook", 415, "chiffré", "mot de passe", "Chiffrer avec mot de passe");
  });

  it("tells other legacy Office files apart (a Word 97 document)", async () => {
    const doc = compoundFile([{ name: "WordDocument", data: Buffer.alloc(100, 1) }]);
    expectRefusal(await refused(doc), "legacy_format", 415, "Word 97-2003");
  });

  it.each([
    ["a CSV renamed .xlsx", Buffer.from("code;indicateur;valeur\nIP-01;Enfants accueillis;120\n"), /fichier texte \(CSV/],
    ["a UTF-16 text export renamed .xlsx", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("code\tvaleur\r\nIP-01\t120\r\n", "utf16le")]), /fichier texte \(CSV/],
    ["a PDF renamed .xlsx", Buffer.from("%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "latin1"), /document PDF/],
    ["an HTML table saved as .xls/.xlsx", Buffer.from("<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>"), /page web \(HTML\)/],
    ["an XML Spreadsheet 2003", Buffer.from('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'), /fichier XML/],
    ["a PNG image", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), /une image/],
    ["a gzip archive", Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), /archive compressée/],
    ["random bytes", Buffer.from([0x00, 0x01, 0x02, 0xfe, 0x00, 0x99, 0x42]), /ne correspond pas à ce format/],
  ])("refuses %s", async (_label, bytes, fragment) => {
    expectRefusal(await refused(bytes), "not_a_workbook", 415, fragment);
  });

  it("refuses zips that are not workbooks: a plain archive, an OpenDocument spreadsheet, a Word document, a template (.xltx)", async () => {
    const plain = rezip([["rapport.txt", "bonjour"]]);
    expectRefusal(await refused(plain), "not_a_workbook", 415, /archive ZIP/);

    const ods = craftZip([
      { name: "mimetype", data: "application/vnd.oasis.opendocument.spreadsheet", method: 0 },
      { name: "content.xml", data: "<office:document-content/>" },
    ]);
    expectRefusal(await refused(ods), "not_a_workbook", 415, /OpenDocument/);

    const docx = rezip([
      ["[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'],
      ["word/document.xml", "<w:document/>"],
    ]);
    expectRefusal(await refused(docx), "not_a_workbook", 415, /document Word/);

    const xltx = minimalWorkbook([{ name: "Feuil1", xml: "" }], { mainType: "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml" });
    expectRefusal(await refused(xltx), "not_a_workbook", 415, /modèle Excel \(\.xltx\)/);
  });

  describe("macro-enabled workbooks", () => {
    it("refuses a workbook carrying a VBA project (vbaProject.bin)", async () => {
      const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }], {
        mainType: "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        extraTypes: '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
      });
      const xlsm = rezip([...entries, ["xl/vbaProject.bin", Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2, 3])]]);
      const r = await refused({ body: xlsm, filename: "collecte.xlsx" });
      expectRefusal(r, "macro_enabled", 415, "contient des macros (code VBA)", "xl/vbaProject.bin", "Classeur Excel (.xlsx)");
      expect(r.part).toBe("xl/vbaProject.bin");
    });

    it("refuses a macro-enabled main part even without a VBA project, an Excel 4.0 macro sheet, ActiveX controls", async () => {
      const macroType = minimalWorkbook([{ name: "Feuil1", xml: "" }], { mainType: "application/vnd.ms-excel.sheet.macroEnabled.main+xml" });
      expectRefusal(await refused(macroType), "macro_enabled", 415, /prenant en charge les macros/);

      const macroSheet = rezip([...minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]), ["xl/macrosheets/sheet1.xml", "<xm:macrosheet/>"]]);
      expectRefusal(await refused(macroSheet), "macro_enabled", 415, /feuille de macros Excel 4\.0/);

      const activeX = rezip([...minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]), ["xl/activeX/activeX1.xml", "<ax:ocx/>"]]);
      expectRefusal(await refused(activeX), "macro_enabled", 415, /ActiveX/);
    });

    it("refuses a file declared as .xlsm (name or content type) even when its content has no macro", async () => {
      const clean = await templateLikeWorkbook();
      expectRefusal(await refused({ body: clean, filename: "collecte.xlsm" }), "macro_enabled", 415, /« collecte\.xlsm »/);
      expectRefusal(await refused({ body: clean, contentType: "application/vnd.ms-excel.sheet.macroEnabled.12" }), "macro_enabled", 415);
    });
  });
});

describe("upload guard — hostile or broken zips (422)", () => {
  it("refuses a truncated workbook (an interrupted download)", async () => {
    const bytes = await templateLikeWorkbook();
    for (const keep of [0.3, 0.9, bytes.length - 10]) {
      const cut = bytes.subarray(0, keep < 1 ? Math.floor(bytes.length * keep) : keep);
      expectRefusal(await refused(cut), "zip_corrupt", 422, "endommagé ou incomplet");
    }
  });

  it("refuses corrupted compressed data and a wrong CRC-32", async () => {
    const sheet = worksheetXml('<row r="1"><c r="A1"><v>1</v></c></row>');
    const good = deflateRawSync(Buffer.from(sheet));
    const garbled = Buffer.from(good);
    for (let i = 5; i < garbled.length - 5; i += 3) garbled[i] = garbled[i]! ^ 0x5a;
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: sheet }]).map(([name, data]): CraftEntry => ({ name, data }));
    const withPayload = entries.map((e) => (e.name === "xl/worksheets/sheet1.xml" ? { ...e, rawPayload: garbled } : e));
    expectRefusal(await refused(craftZip(withPayload)), "zip_corrupt", 422, "xl/worksheets/sheet1.xml");

    const badCrc = entries.map((e) => (e.name === "xl/worksheets/sheet1.xml" ? { ...e, crc: 0x12345678 } : e));
    const r = await refused(craftZip(badCrc));
    expectRefusal(r, "zip_corrupt", 422);
    expect(r.logDetail).toMatch(/CRC/);
  });

  it("refuses a zip bomb (a sheet 1 000 times smaller compressed) from its directory, before inflating it", async () => {
    const bomb = Buffer.concat([Buffer.from(worksheetXml("").replace("</sheetData></worksheet>", "")), spaces(50 * 1024 * 1024), Buffer.from("</sheetData></worksheet>")]);
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]).map(([name, data]) => [name, name === "xl/worksheets/sheet1.xml" ? bomb : Buffer.from(data)] as [string, Buffer]);
    const bytes = rezip(entries);
    expect(bytes.length).toBeLessThan(200 * 1024);
    const started = performance.now();
    const r = await refused(bytes);
    expectRefusal(r, "zip_compression_ratio", 422, "bombe de décompression", /\d[\d  ]* fois plus volumineux/, "200 fois au plus");
    expect(r.part).toBe("xl/worksheets/sheet1.xml");
    expect(r.logDetail).toMatch(/^declared 524\d{5} bytes from/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("catches a size lie at the first extra byte: a bomb declaring 1 Ko is stopped while inflating", async () => {
    const bomb = spaces(60 * 1024 * 1024);
    const entries: CraftEntry[] = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]).map(([name, data]) => ({ name, data }));
    entries.push({ name: "xl/media/image1.png", data: bomb, declaredUncompressed: 1024 });
    const r = await refused(craftZip(entries));
    expectRefusal(r, "zip_size_mismatch", 422, "annonce 1 Ko", "davantage");
    expect(r.part).toBe("xl/media/image1.png");
    // Abandoned after the first inflated chunk, not after 60 MB.
    const inflated = Number(/stopped after inflating (\d+) bytes/.exec(r.logDetail ?? "")?.[1]);
    expect(inflated).toBeGreaterThan(1024);
    expect(inflated).toBeLessThanOrEqual(64 * 1024);
  });

  it("refuses declared sizes that do not add up: too large declared, or smaller actual content", async () => {
    const entries: CraftEntry[] = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]).map(([name, data]) => ({ name, data }));
    const huge = craftZip([...entries, { name: "docProps/custom.xml", data: "<x/>", declaredUncompressed: 3_000_000_000 }]);
    const r1 = await refused(huge);
    expectRefusal(r1, "zip_too_large_uncompressed", 422, "dépasserait 128 Mo");

    const smaller = craftZip([...entries, { name: "docProps/custom.xml", data: "<x/>", declaredUncompressed: 40 }]);
    expectRefusal(await refused(smaller), "zip_size_mismatch", 422, "moins");
  });

  it("caps the total uncompressed size and the overall compression ratio (configured limits)", async () => {
    const entries: [string, Buffer | string][] = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]);
    const noise = lettersNoise(3 * 1024 * 1024);
    const big = rezip([...entries, ["docProps/big.xml", noise]]);
    expectRefusal(await refused(big, { maxTotalUncompressedBytes: 2 * 1024 * 1024 }), "zip_too_large_uncompressed", 422, "dépasserait 2 Mo");

    const squeezed = rezip([...entries, ["docProps/a.xml", spaces(2 * 1024 * 1024)], ["docProps/b.xml", spaces(2 * 1024 * 1024)]]);
    const r = await refused(squeezed, { maxEntryCompressionRatio: 5000, maxTotalCompressionRatio: 50 });
    expectRefusal(r, "zip_compression_ratio", 422, "50 fois au plus");
    expect(r.part).toBeUndefined();
  });

  it("refuses too many zip entries", async () => {
    const entries: [string, string][] = [...minimalWorkbookEntries([{ name: "Feuil1", xml: "" }])];
    for (let i = 0; i < 1500; i++) entries.push([`docProps/junk${i}.xml`, "<x/>"]);
    expectRefusal(await refused(rezip(entries)), "zip_too_many_entries", 422, /1\s505 éléments/, /1\s000 au plus/);
  });

  it("refuses thousands of sheets, and more sheets than allowed, saying « feuilles »", async () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ name: `F${i + 1}`, xml: "" }));
    const r1 = await refused(minimalWorkbook(many));
    expectRefusal(r1, "too_many_sheets", 422, /contient 2\s000 feuilles/, "50 au plus");

    const sixty = Array.from({ length: 60 }, (_, i) => ({ name: `F${i + 1}`, xml: "" }));
    expectRefusal(await refused(minimalWorkbook(sixty)), "too_many_sheets", 422, "60 feuilles");
    expect((await guardUpload({ body: minimalWorkbook(sixty) }, { maxSheets: 60 })).ok).toBe(true);
  });

  it.each([
    ["../../etc/passwd", "parent directory segment"],
    ["xl/../../evil.xml", "parent directory segment"],
    ["/etc/cron.d/evil", "absolute path"],
    ["C:/Windows/System32/evil.dll", "drive letter"],
    ["xl\\worksheets\\sheet9.xml", "backslash"],
    ["xl/./worksheets/sheet9.xml", "current directory segment"],
    ["xl//sheet9.xml", "empty segment"],
    ["xl/evil\u0000.xml", "control character"],
  ])("refuses a path-traversal / unsafe entry name: %j", async (name, reason) => {
    expect(unsafeNameReason(name)).toBe(reason);
    const entries: CraftEntry[] = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]).map(([n, data]) => ({ name: n, data }));
    const r = await refused(craftZip([...entries, { name, data: "pwned" }]));
    expectRefusal(r, "zip_unsafe_entry_name", 422, "nom dangereux");
    expect(r.part).toBe(name);
    expect(r.message).not.toContain("\u0000");
  });

  it("refuses duplicate entry names, including names differing only by case (OPC names are case-insensitive)", async () => {
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]);
    const twice = rezip([...entries, ["xl/worksheets/sheet1.xml", worksheetXml('<row r="1"><c r="A1"><v>666</v></c></row>')]]);
    expectRefusal(await refused(twice), "zip_duplicate_entry", 422, "deux fois", "xl/worksheets/sheet1.xml");
    const cased = rezip([...entries, ["XL/Worksheets/Sheet1.xml", worksheetXml("")]]);
    expectRefusal(await refused(cased), "zip_duplicate_entry", 422);
  });

  it("refuses encrypted entries and unsupported compression methods", async () => {
    const entries: CraftEntry[] = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]).map(([name, data]) => ({ name, data }));
    const encrypted = craftZip(entries.map((e) => (e.name === "xl/workbook.xml" ? { ...e, flags: 0x0801 } : e)));
    expectRefusal(await refused(encrypted), "zip_encrypted_entry", 422, "chiffré par mot de passe", "xl/workbook.xml");
    const bzip2 = craftZip([...entries, { name: "docProps/x.xml", data: "<x/>", method: 12 as 0 }]);
    expectRefusal(await refused(bzip2), "zip_unsupported", 422, "méthode de compression n° 12");
    expectRefusal(await refused(craftZip(entries, { zip64EndRecord: true })), "zip_unsupported", 422, "Zip64");
  });

  it("refuses layout tricks: bytes smuggled between entries, a local name that differs from the directory, bytes before the first entry", async () => {
    const entries: CraftEntry[] = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]).map(([name, data]) => ({ name, data }));
    const hidden = craftZip([{ name: "xl/worksheets/sheet1.xml", data: worksheetXml("<row r='1'><c r='A1'><v>666</v></c></row>") }]);
    const smuggled = craftZip(entries, { afterFirstEntry: hidden.subarray(0, hidden.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))) });
    expectRefusal(await refused(smuggled), "zip_corrupt", 422);

    const renamed = craftZip(entries.map((e) => (e.name === "xl/workbook.xml" ? { ...e, localName: "xl/workbook.xmm" } : e)));
    expectRefusal(await refused(renamed), "zip_corrupt", 422);

    const prefixed = craftZip(entries, { prefix: Buffer.from("PK\u0005\u0006 self-extracting stub ") });
    expectRefusal(await refused(prefixed), "zip_corrupt", 422);
  });
});

describe("upload guard — XML parts (422)", () => {
  const billionLaughs =
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n' +
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">\n]>\n' +
    `<worksheet xmlns="${NS_MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>`;

  it("refuses entity expansion (billion laughs) in a sheet", async () => {
    const r = await refused(minimalWorkbook([{ name: "Données", xml: billionLaughs }]));
    expectRefusal(r, "xml_dtd_forbidden", 422, "<!DOCTYPE", "xl/worksheets/sheet1.xml");
    expect(r.part).toBe("xl/worksheets/sheet1.xml");
  });

  it("refuses an external entity (XXE) in the shared strings of a real exceljs workbook", async () => {
    const entries = await unzipEntries(await templateLikeWorkbook());
    const sst = entries.find(([n]) => n === "xl/sharedStrings.xml")![1].toString("utf8");
    const xxe = sst.replace(/^(<\?xml[^>]*\?>)/, '$1<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace("<t>Code</t>", "<t>&xxe;</t>");
    expect(xxe).toContain("SYSTEM");
    const r = await refused(rezip(replaceEntry(entries, "xl/sharedStrings.xml", xxe)));
    expectRefusal(r, "xml_dtd_forbidden", 422, "xl/sharedStrings.xml");
  });

  it("refuses a plain DOCTYPE anywhere: [Content_Types].xml, a part nobody parses, an ENTITY without DOCTYPE", async () => {
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]);
    const ct = entries.map(([n, d]) => [n, n === "[Content_Types].xml" ? d.replace("?>\n", "?>\n<!DOCTYPE Types>") : d] as [string, string]);
    expectRefusal(await refused(rezip(ct)), "xml_dtd_forbidden", 422, "[Content_Types].xml");

    const core = rezip([...entries, ["docProps/core.xml", '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://attacker.example/x.dtd"><cp:coreProperties/>']]);
    expectRefusal(await refused(core), "xml_dtd_forbidden", 422, "docProps/core.xml");

    const entity = rezip([...entries, ["customXml/item1.xml", '<?xml version="1.0"?><!ENTITY a "b"><r/>']]);
    expectRefusal(await refused(entity), "xml_dtd_forbidden", 422);
  });

  it("finds a DOCTYPE deep in a large part, across inflate chunk boundaries", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}"><v>${i}</v></c></row>`).join("");
    const sheet = worksheetXml(rows).replace("</worksheet>", "<!DOCTYPE late></worksheet>");
    expectRefusal(await refused(minimalWorkbook([{ name: "Feuil1", xml: sheet }])), "xml_dtd_forbidden", 422);
  });

  it("accepts comments and CDATA, which are not declarations", async () => {
    const sheet = worksheetXml('<!-- généré --><row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[a<b]]></t></is></c></row>');
    expect((await guardUpload({ body: minimalWorkbook([{ name: "Feuil1", xml: sheet }]) })).ok).toBe(true);
  });

  it("refuses a sheet in UTF-16 (it would hide a DOCTYPE from a byte scan)", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(worksheetXml("").replace('encoding="UTF-8"', 'encoding="UTF-16"'), "utf16le")]);
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]).map(([n, d]) => [n, n === "xl/worksheets/sheet1.xml" ? utf16 : Buffer.from(d)] as [string, Buffer]);
    expectRefusal(await refused(rezip(entries)), "xml_invalid", 422, "encodage autre que UTF-8");
  });

  it("refuses a huge string in a cell before reading it: in the shared strings, and inline in a named sheet", async () => {
    // Pseudo-random letters: a run of one letter would be refused first, as a zip bomb.
    const huge = lettersNoise(1024 * 1024).toString("latin1");
    const r1 = await refused(minimalWorkbook([{ name: "Données", xml: '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' }], { sharedStrings: [huge] }));
    expectRefusal(r1, "cell_text_too_long", 422, /Le classeur contient un texte de plus de 32\s767 caractères/, "Raccourcissez");

    const r2 = await refused(minimalWorkbook([{ name: "Données", xml: `<row r="1"><c r="A1" t="inlineStr"><is><t>${huge}</t></is></c></row>` }]));
    expectRefusal(r2, "cell_text_too_long", 422, /La feuille « Données » contient un texte de plus de 32\s767 caractères/);
  });

  it("refuses absurd column definitions (exceljs would build one object per column)", async () => {
    const sheet = worksheetXml('<row r="1"><c r="A1"><v>1</v></c></row>', '<cols><col min="1" max="2000000000" width="9"/></cols>');
    const r = await refused(minimalWorkbook([{ name: "Données", xml: sheet }]));
    expectRefusal(r, "too_many_columns", 422, "feuille « Données »");
    const wholeRow = worksheetXml('<row r="1"><c r="A1"><v>1</v></c></row>', '<cols><col min="1" max="16384" width="9"/></cols>');
    expect((await guardUpload({ body: minimalWorkbook([{ name: "Données", xml: wholeRow }]) })).ok).toBe(true);
  });

  it("refuses a package whose structure lies: main document elsewhere, a missing sheet, two sheets with one name", async () => {
    const entries = minimalWorkbookEntries([{ name: "Feuil1", xml: "" }]);
    const elsewhere = entries.map(([n, d]) => [n, n === "_rels/.rels" ? d.replace('Target="xl/workbook.xml"', 'Target="xl/other.xml"') : d] as [string, string]);
    expectRefusal(await refused(rezip(elsewhere)), "workbook_invalid", 422, "xl/workbook.xml");

    const missing = entries.filter(([n]) => n !== "xl/worksheets/sheet1.xml");
    expectRefusal(await refused(rezip(missing)), "workbook_invalid", 422, "« Feuil1 » est absent");

    expectRefusal(
      await refused(
        minimalWorkbook([
          { name: "Données", xml: "" },
          { name: "DONNÉES", xml: "" },
        ]),
      ),
      "workbook_invalid",
      422,
      "deux feuilles",
    );
  });
});
