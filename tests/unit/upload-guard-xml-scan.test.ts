import { describe, expect, it } from "vitest";
import { XmlPartScanner, type XmlScanOptions, type XmlScanProblem } from "~/server/collection/xml-scan.server";

/**
 * The guard's byte scanner sees XML parts as the inflater hands them out, cut
 * anywhere. Whatever the cut, it must find the same thing: every document
 * below is fed whole, byte by byte, in 7-byte pieces and in random pieces.
 */

function scan(doc: Buffer, options: XmlScanOptions, cut: (i: number) => number): XmlScanProblem | null {
  const scanner = new XmlPartScanner(options);
  for (let i = 0; i < doc.length; ) {
    const n = Math.max(1, cut(i));
    const problem = scanner.feed(doc.subarray(i, i + n));
    if (problem) return problem;
    i += n;
  }
  return scanner.end();
}

function kindsUnderEveryCut(text: string | Buffer, options: XmlScanOptions): (string | null)[] {
  const doc = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return 1 + ((seed >>> 16) % 40);
  };
  const cuts = [() => doc.length, () => 1, () => 7, random, () => 16384];
  return cuts.map((cut) => scan(doc, options, cut)?.kind ?? null);
}

const plain: XmlScanOptions = { maxRunBytes: null, maxColumnDefinition: null };
const sheet: XmlScanOptions = { maxRunBytes: 100, maxColumnDefinition: 16384 };
const same = (kind: string | null) => Array(5).fill(kind);

describe("XML part scanner", () => {
  it.each([
    ['<?xml version="1.0"?><!DOCTYPE a><a/>', "dtd"],
    ['<?xml version="1.0"?><a><b/></a><!ENTITY x "y">', "dtd"],
    ["<a><!ELEMENT b ANY></a>", "dtd"],
    ["<a><!ATTLIST b c CDATA #IMPLIED></a>", "dtd"],
    ["<a><!doctype lower-case too></a>", "dtd"],
    ["<a><!-- a comment <b> --><![CDATA[ <x> ]]></a>", null],
    ["<a>plain text &amp; entities &#233;</a>", null],
  ])("finds markup declarations whatever the chunking: %s", (doc, kind) => {
    expect(kindsUnderEveryCut(doc, plain)).toEqual(same(kind));
  });

  it("measures runs between two `<` exactly (text or tag), including at the start and the end", () => {
    const cell = (n: number) => `<t>${"x".repeat(n)}</t>`;
    // From the `<` of <t> to the `<` of </t>: 3 + n bytes.
    expect(kindsUnderEveryCut(cell(97), sheet)).toEqual(same(null));
    expect(kindsUnderEveryCut(cell(98), sheet)).toEqual(same("run_too_long"));
    // From the start to the first `<`, from the last `<` to the end.
    expect(kindsUnderEveryCut(`${"y".repeat(100)}<a/>`, sheet)).toEqual(same(null));
    expect(kindsUnderEveryCut(`${"y".repeat(101)}<a/>`, sheet)).toEqual(same("run_too_long"));
    expect(kindsUnderEveryCut(`<a/>${"y".repeat(96)}`, sheet)).toEqual(same(null));
    expect(kindsUnderEveryCut(`<a/>${"y".repeat(97)}`, sheet)).toEqual(same("run_too_long"));
    const many = Array.from({ length: 500 }, () => cell(90)).join("");
    expect(kindsUnderEveryCut(many, sheet)).toEqual(same(null));
    expect(kindsUnderEveryCut(many + cell(200) + many, sheet)).toEqual(same("run_too_long"));
  });

  it("checks `<col>` definitions against Excel's last column, as exceljs would read them", () => {
    const opts: XmlScanOptions = { maxRunBytes: null, maxColumnDefinition: 16384 };
    expect(kindsUnderEveryCut('<cols><col min="1" max="16384" width="9"/></cols>', opts)).toEqual(same(null));
    expect(kindsUnderEveryCut('<cols><col min="1" max="16385"/></cols>', opts)).toEqual(same("column_definition"));
    expect(kindsUnderEveryCut("<cols><col\n\tmin='99999' max='99999'></col></cols>", opts)).toEqual(same("column_definition"));
    // exceljs matches the unprefixed name only; `<cols>` is not a column.
    expect(kindsUnderEveryCut('<x:col max="99999"/><cols max="99999"/>', opts)).toEqual(same(null));
    expect(kindsUnderEveryCut(`<col ${" ".repeat(5000)}max="1"/>`, opts)).toEqual(same("tag_too_long"));
  });

  it("decides markup cut by the boundary between two long chunks, at every cut position", () => {
    const filler = "<row><c><v>1</v></c></row>".repeat(800);
    const cases: [string, XmlScanOptions, string | null][] = [
      ["<!DOCTYPE x>", plain, "dtd"],
      ["<!-- fine -->", plain, null],
      ["<![CDATA[ fine ]]>", plain, null],
      ['<col min="1" max="99999" width="3"/>', sheet, "column_definition"],
      ['<col min="1" max="12" width="3"/>', sheet, null],
      [`<col ${" ".repeat(4100)}max="2"/>`, sheet, "tag_too_long"],
    ];
    for (const [markup, options, kind] of cases) {
      const doc = Buffer.from(filler + markup + filler);
      const at = filler.length;
      for (let cut = at - 2; cut <= at + Math.min(markup.length, 40); cut++) {
        const scanner = new XmlPartScanner({ ...options, maxRunBytes: null });
        const found = scanner.feed(doc.subarray(0, cut)) ?? scanner.feed(doc.subarray(cut)) ?? scanner.end();
        expect([markup.slice(0, 12), cut - at, found?.kind ?? null]).toEqual([markup.slice(0, 12), cut - at, kind]);
      }
    }
  });

  it("refuses encodings other than UTF-8", () => {
    expect(kindsUnderEveryCut('\ufeff<?xml version="1.0" encoding="UTF-8"?><a/>', plain)).toEqual(same(null));
    expect(kindsUnderEveryCut('<?xml version="1.0" encoding="ISO-8859-1"?><a/>', plain)).toEqual(same("encoding"));
    expect(kindsUnderEveryCut(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("<a/>", "utf16le")]), plain)).toEqual(same("encoding"));
    expect(kindsUnderEveryCut(Buffer.from("<a/>", "utf16le"), plain)).toEqual(same("encoding"));
  });
});
