import { createHash } from "node:crypto";
import ExcelJS from "exceljs";
import fc from "fast-check";
import { strFromU8, strToU8, unzipSync, Zip, ZipDeflate, ZipPassThrough, zipSync } from "fflate";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { apiRequest, call } from "../support/api";
import { fillTemplate } from "../support/workbook";
import { makeOrganisation, sessionCookie, testContext } from "../factories";
import { makeApiToken, setupApiPartner } from "../factories/collection";
import * as apiUploads from "~/routes/api.v1.campaigns.$year.uploads";
import * as webUpload from "~/routes/collection.$year.$org.upload";
import { buildCollectionPlan, type CollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW, META_KEYS, META_SHEET } from "~/domain/template-layout";
import { DEFAULT_UPLOAD_LIMITS, XLSX_CONTENT_TYPE } from "~/domain/upload-errors";
import type { Problem } from "~/domain/problems";

/**
 * ADR 013 — fuzzed uploads (Art. 4: a file that is not the expected
 * template is refused and leaves only an audit event; any other file becomes a
 * complete, numbered version). A valid filled template is mutated at every
 * level — cell values and types, sheets, the hidden metadata sheet, the zip
 * structure byte by byte — and driven through the real upload routes (partner
 * API and the web drag-and-drop action). The properties:
 *  - never a 5xx / never a non-domain error;
 *  - refused → no new version, no stored file, one audit event (none when the
 *    HTTP layer refuses the body before the use case: over the size cap);
 *  - accepted → a complete version (file bytes, sha256, size, problems, counts);
 *  - every problem carries a cell reference or a reason text;
 *  - heap growth stays bounded.
 *
 * Fixed seed (FUZZ_SEED to change it; fast-check prints seed and path on failure),
 * FUZZ_RUNS to raise the number of runs of each property locally.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const runs = (ci: number) => (RUNS > 0 ? RUNS : ci);
const MiB = 1024 * 1024;
const HEAP_BUDGET = 150 * MiB;

const t = useTestDb();

type Partner = Awaited<ReturnType<typeof setupApiPartner>>;
let partner: Partner;
let plan: CollectionPlan;
let otherOrgCode: string;
let cookie: string;
/** The organisation's template, filled with consistent values: uploads as a clean version. */
let base: Buffer;

beforeAll(async () => {
  partner = await setupApiPartner(t.db, {
    year: 2025,
    indicators: [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }] }, { valueType: "decimal", min: 0, max: 1000 }, {}],
  });
  otherOrgCode = (await makeOrganisation(t.db)).code;
  plan = await buildCollectionPlan(t.db, partner.year, partner.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
  const values = [120, 70, 50, 12.5, 8];
  base = await fillTemplate(template, Object.fromEntries(plan.lines.map((l, i) => [l.key, values[i]])));
  cookie = await sessionCookie(partner.correspondent.id);
}, 60_000);

// ── Arbitraries: workbook level (ExcelJS) ───────────────────────────────────

const sheetNames = fc.oneof(
  fc.constantFrom(DATA_SHEET, META_SHEET, "Couverture", "Donnees", "données", " Données", "Données ", "Feuil1", "Sheet1", "Métadonnées (2)", "'quoted'", "x".repeat(31)),
  fc.string({ minLength: 1, maxLength: 31 }),
);

const cellValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double(), // NaN, ±Infinity, -0, subnormals included
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, 1e21, 5e-324, -0.000001),
  fc.string({ maxLength: 40 }),
  fc.constantFrom("NaN", "Infinity", "-Infinity", "1e999", "1,5", " 12 ", "1 234,5", "1 234", "12abc", "0x1F", "—", "=1+1", "#DIV/0!", "", "   ", "١٢٣", "\u0000"),
  fc.date({ min: new Date("1899-12-30T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }),
  fc.boolean(),
  fc.integer({ min: 32_000, max: 40_000 }).map((n) => "9".repeat(n)),
  fc.record({ richText: fc.array(fc.record({ text: fc.string({ maxLength: 12 }), font: fc.constantFrom({ bold: true }, { italic: true, size: 30 }) }), { minLength: 1, maxLength: 4 }) }),
  fc.record({
    formula: fc.constantFrom("1+1", "SUM(E6:E8)", "A1", "1/0", "NOW()", "E6", "INDIRECT(\"A1\")", "x".repeat(300)),
    result: fc.option(fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 10 }), fc.boolean(), fc.constant({ error: "#DIV/0!" })), { nil: undefined }),
  }),
  fc.record({ error: fc.constantFrom("#N/A", "#REF!", "#DIV/0!", "#VALUE!") }),
  fc.constant(null),
  fc.record({ text: fc.string({ maxLength: 20 }), hyperlink: fc.constantFrom("https://example.org", "file:///etc/passwd") }),
);

type WorkbookEdit =
  | { kind: "cell"; line: number; column: string; value: unknown }
  | { kind: "anyCell"; sheet: number; row: number; column: number; value: unknown }
  | { kind: "renameSheet"; sheet: number; name: string }
  | { kind: "deleteSheet"; sheet: number }
  | { kind: "addSheet"; name: string; hidden: boolean; value: unknown }
  | { kind: "sheetState"; sheet: number; state: "visible" | "hidden" | "veryHidden" }
  | { kind: "spliceRow"; line: number }
  | { kind: "insertRow"; line: number; copyOf: number | null }
  | { kind: "meta"; key: number; value: unknown }
  | { kind: "metaKey"; key: number; newKey: string }
  | { kind: "metaRemove"; key: number }
  | { kind: "metaVersion"; index: number; column: "D" | "E"; value: unknown };

const metaValue = fc.oneof(
  cellValue,
  fc.constantFrom("1", "2", "2024", "2026", 2025, "2025 ", "0".repeat(64), "ORG", ""),
  fc.constant("__OTHER_ORG__"),
);

const workbookEdit: fc.Arbitrary<WorkbookEdit> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("cell" as const), line: fc.nat(9), column: fc.constantFrom("E", "E", "E", "G", "H", "A", "F"), value: cellValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("anyCell" as const), sheet: fc.nat(3), row: fc.integer({ min: 1, max: 60 }), column: fc.integer({ min: 1, max: 30 }), value: cellValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("renameSheet" as const), sheet: fc.nat(3), name: sheetNames }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteSheet" as const), sheet: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("addSheet" as const), name: sheetNames, hidden: fc.boolean(), value: cellValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("sheetState" as const), sheet: fc.nat(3), state: fc.constantFrom("visible" as const, "hidden" as const, "veryHidden" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("spliceRow" as const), line: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("insertRow" as const), line: fc.nat(6), copyOf: fc.option(fc.nat(4), { nil: null }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("meta" as const), key: fc.nat(META_KEYS.length - 1), value: metaValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("metaKey" as const), key: fc.nat(META_KEYS.length - 1), newKey: fc.constantFrom("", "organisation", "Organisation_Code", "template_version ", "reference_year") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("metaRemove" as const), key: fc.nat(META_KEYS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("metaVersion" as const), index: fc.nat(3), column: fc.constantFrom("D" as const, "E" as const), value: metaValue }) },
);

function applyWorkbookEdit(wb: ExcelJS.Workbook, edit: WorkbookEdit) {
  const sheet = (i: number) => wb.worksheets[i % Math.max(1, wb.worksheets.length)];
  const data = () => wb.getWorksheet(DATA_SHEET);
  const meta = () => wb.getWorksheet(META_SHEET);
  const value = (v: unknown) => (v === "__OTHER_ORG__" ? otherOrgCode : v) as ExcelJS.CellValue;
  switch (edit.kind) {
    case "cell":
      if (data()) data()!.getCell(`${edit.column}${FIRST_DATA_ROW + edit.line}`).value = value(edit.value) as never;
      return;
    case "anyCell":
      if (sheet(edit.sheet)) sheet(edit.sheet)!.getCell(edit.row, edit.column).value = value(edit.value) as never;
      return;
    case "renameSheet":
      if (sheet(edit.sheet)) sheet(edit.sheet)!.name = edit.name;
      return;
    case "deleteSheet":
      if (sheet(edit.sheet)) wb.removeWorksheet(sheet(edit.sheet)!.id);
      return;
    case "addSheet": {
      const ws = wb.addWorksheet(edit.name, { state: edit.hidden ? "hidden" : "visible" });
      ws.getCell(`${COLUMNS.key}${FIRST_DATA_ROW}`).value = plan.lines[0]!.key;
      ws.getCell(`${COLUMNS.value}${FIRST_DATA_ROW}`).value = value(edit.value) as never;
      return;
    }
    case "sheetState":
      if (sheet(edit.sheet)) sheet(edit.sheet)!.state = edit.state;
      return;
    case "spliceRow":
      data()?.spliceRows(FIRST_DATA_ROW + edit.line, 1);
      return;
    case "insertRow": {
      const ws = data();
      if (!ws) return;
      const source = edit.copyOf === null ? [] : (ws.getRow(FIRST_DATA_ROW + edit.copyOf).values as ExcelJS.CellValue[]);
      ws.insertRow(FIRST_DATA_ROW + edit.line, source);
      return;
    }
    case "meta":
    case "metaKey":
    case "metaRemove": {
      const ws = meta();
      if (!ws) return;
      const key = META_KEYS[edit.key];
      ws.eachRow((row, n) => {
        if (row.getCell(1).value !== key) return;
        if (edit.kind === "meta") row.getCell(2).value = value(edit.value) as never;
        else if (edit.kind === "metaKey") row.getCell(1).value = edit.newKey;
        else ws.getCell(`A${n}`).value = null;
      });
      return;
    }
    case "metaVersion":
      if (meta()) meta()!.getCell(`${edit.column}${edit.index + 1}`).value = value(edit.value) as never;
      return;
  }
}

/** The base workbook with `edits` applied through ExcelJS; edits ExcelJS itself refuses (invalid sheet name…) are skipped. */
async function editWorkbook(edits: readonly WorkbookEdit[]): Promise<Uint8Array> {
  if (!edits.length) return base;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(base as unknown as ArrayBuffer);
  for (const edit of edits) {
    try {
      applyWorkbookEdit(wb, edit);
    } catch {
      // ExcelJS guards its own model (sheet names, merges): not what is under test.
    }
  }
  try {
    return new Uint8Array(await wb.xlsx.writeBuffer());
  } catch {
    return base;
  }
}

// ── Arbitraries: zip level (fflate) ─────────────────────────────────────────

interface Entry {
  name: string;
  data: Uint8Array;
  level: 0 | 1 | 6 | 9;
}

type EntryEdit =
  | { kind: "drop"; entry: number }
  | { kind: "duplicate"; entry: number }
  | { kind: "rename"; entry: number; to: string }
  | { kind: "level"; entry: number; level: 0 | 1 | 6 | 9 }
  | { kind: "dtd"; entry: number; variant: number }
  | { kind: "inflate"; entry: number; mib: number; level: 0 | 9 }
  | { kind: "addEntry"; name: string; mib: number }
  | { kind: "truncatePart"; entry: number; at: number }
  | { kind: "reorder"; keys: number[] }
  | { kind: "sheetOrder"; reverse: boolean }
  | { kind: "xmlCell"; entry: number; cell: number; xml: string }
  | { kind: "xmlRow"; entry: number; row: number; r: string };

type ByteEdit =
  | { kind: "truncate"; at: number }
  | { kind: "flip"; flips: [number, number][] }
  | { kind: "method"; entry: number; method: number; where: "local" | "central" | "both" }
  | { kind: "prepend"; bytes: Uint8Array }
  | { kind: "append"; bytes: Uint8Array };

const DTDS = [
  '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
  '<!DOCTYPE x SYSTEM "http://example.org/x.dtd">',
  '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>',
  '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
  "<!DOCTYPE x>",
];

/** A `<c>` element as no spreadsheet application writes it: odd references, types, values, inline strings. */
const xmlCell = fc
  .record({
    r: fc.constantFrom("E7", "E6", "E0", "XFD7", "XFE7", "E1048577", "E99999999999", "", "7E", "e7", "E7E7", "AAAA1", "H6", "A1"),
    t: fc.constantFrom(null, "s", "n", "b", "e", "str", "inlineStr", "d", "zz"),
    v: fc.constantFrom("", "0", "1", "-1", "1e400", "-1e400", "NaN", "Infinity", "99999999", "4294967296", "-5", "abc", "2", "1.5", "0x10", "&amp;", "&#0;", "2024-13-45T25:00", "1 234,5"),
    shape: fc.constantFrom("v", "is", "f", "empty", "selfClosing"),
  })
  .map(({ r, t, v, shape }) => {
    const attrs = `${r === "" ? "" : ` r="${r}"`}${t === null ? "" : ` t="${t}"`}`;
    if (shape === "selfClosing") return `<c${attrs}/>`;
    if (shape === "empty") return `<c${attrs}></c>`;
    if (shape === "is") return `<c${attrs}><is><t>${v}</t></is></c>`;
    if (shape === "f") return `<c${attrs}><f>${v === "" ? "1+" : `${v}+1`}</f><v>${v}</v></c>`;
    return `<c${attrs}><v>${v}</v></c>`;
  });

const entryEdit: fc.Arbitrary<EntryEdit> = fc.oneof(
  fc.record({ kind: fc.constant("xmlCell" as const), entry: fc.nat(40), cell: fc.nat(60), xml: xmlCell }),
  fc.record({ kind: fc.constant("xmlRow" as const), entry: fc.nat(40), row: fc.nat(12), r: fc.constantFrom("0", "-1", "1", "6", "1048577", "99999999999", "abc", "", "6.5") }),
  fc.record({ kind: fc.constant("drop" as const), entry: fc.nat(40) }),
  fc.record({ kind: fc.constant("duplicate" as const), entry: fc.nat(40) }),
  fc.record({
    kind: fc.constant("rename" as const),
    entry: fc.nat(40),
    to: fc.constantFrom("xl/Workbook.xml", "../evil.xml", "/abs/x.xml", "xl\\worksheets\\sheet1.xml", "C:/x.xml", "xl/worksheets/sheet9.xml", "xl/vbaProject.bin", "a\u0001b.xml", "[content_types].xml", "xl/macrosheets/sheet1.xml", ""),
  }),
  fc.record({ kind: fc.constant("level" as const), entry: fc.nat(40), level: fc.constantFrom(0 as const, 1 as const, 9 as const) }),
  fc.record({ kind: fc.constant("dtd" as const), entry: fc.nat(40), variant: fc.nat(DTDS.length - 1) }),
  fc.record({ kind: fc.constant("inflate" as const), entry: fc.nat(40), mib: fc.constantFrom(0.5, 2, 11), level: fc.constantFrom(0 as const, 9 as const) }),
  fc.record({ kind: fc.constant("addEntry" as const), name: fc.constantFrom("xl/media/big.bin", "docProps/custom.xml", "xl/worksheets/sheet99.xml"), mib: fc.constantFrom(0.01, 3, 24) }),
  fc.record({ kind: fc.constant("truncatePart" as const), entry: fc.nat(40), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("reorder" as const), keys: fc.array(fc.nat(1000), { minLength: 20, maxLength: 20 }) }),
  fc.record({ kind: fc.constant("sheetOrder" as const), reverse: fc.boolean() }),
);

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant("flip" as const), flips: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("method" as const), entry: fc.nat(40), method: fc.constantFrom(1, 9, 12, 14, 93, 95, 99, 0xffff), where: fc.constantFrom("local" as const, "central" as const, "both" as const) }),
  fc.record({ kind: fc.constant("prepend" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

/** A buffer of `bytes` spaces: compresses extremely well (ratio bomb) and is valid XML whitespace. */
const padding = (bytes: number) => new Uint8Array(Math.floor(bytes)).fill(0x20);

function withXmlPrefix(data: Uint8Array, insert: string): Uint8Array {
  const text = strFromU8(data);
  const end = text.startsWith("<?xml") ? text.indexOf("?>") + 2 : 0;
  return strToU8(text.slice(0, end) + insert + text.slice(end));
}

function inflatePart(data: Uint8Array, bytes: number): Uint8Array {
  const text = strFromU8(data);
  const close = text.lastIndexOf("</");
  const at = close > 0 ? close : text.length;
  const head = strToU8(text.slice(0, at));
  const tail = strToU8(text.slice(at));
  const out = new Uint8Array(head.length + Math.floor(bytes) + tail.length);
  out.set(head, 0);
  out.fill(0x20, head.length, head.length + Math.floor(bytes));
  out.set(tail, head.length + Math.floor(bytes));
  return out;
}

function applyEntryEdit(entries: Entry[], edit: EntryEdit): Entry[] {
  const at = (i: number) => i % entries.length;
  if (!entries.length && edit.kind !== "addEntry") return entries;
  switch (edit.kind) {
    case "drop":
      return entries.filter((_, i) => i !== at(edit.entry));
    case "duplicate":
      return [...entries, { ...entries[at(edit.entry)]! }];
    case "rename":
      return entries.map((e, i) => (i === at(edit.entry) ? { ...e, name: edit.to } : e));
    case "level":
      return entries.map((e, i) => (i === at(edit.entry) ? { ...e, level: edit.level } : e));
    case "dtd":
      return entries.map((e, i) => (i === at(edit.entry) ? { ...e, data: withXmlPrefix(e.data, DTDS[edit.variant]!) } : e));
    case "inflate":
      return entries.map((e, i) => (i === at(edit.entry) ? { ...e, data: inflatePart(e.data, edit.mib * MiB), level: edit.level } : e));
    case "addEntry":
      return [...entries, { name: edit.name, data: padding(edit.mib * MiB), level: 9 }];
    case "truncatePart":
      return entries.map((e, i) => (i === at(edit.entry) ? { ...e, data: e.data.slice(0, Math.floor(e.data.length * edit.at)) } : e));
    case "reorder":
      return entries.map((e, i) => ({ e, k: edit.keys[i % edit.keys.length]! })).sort((a, b) => a.k - b.k).map((x) => x.e);
    case "xmlCell":
    case "xmlRow": {
      // Worksheet parts only (the data sheet among them), picked by index.
      const sheets = entries.filter((e) => /^xl\/worksheets\/[^/]+\.xml$/.test(e.name));
      if (!sheets.length) return entries;
      const target = sheets[edit.entry % sheets.length]!;
      const text = strFromU8(target.data);
      const pattern = edit.kind === "xmlCell" ? /<c\b[^>]*?(?:\/>|>[\s\S]*?<\/c>)/g : /<row\b[^>]*?\br="[^"]*"/g;
      const matches = [...text.matchAll(pattern)];
      if (!matches.length) return entries;
      const match = matches[(edit.kind === "xmlCell" ? edit.cell : edit.row) % matches.length]!;
      const replacement = edit.kind === "xmlCell" ? edit.xml : match[0].replace(/\br="[^"]*"/, edit.r === "" ? "" : `r="${edit.r}"`);
      const data = strToU8(text.slice(0, match.index) + replacement + text.slice(match.index + match[0].length));
      return entries.map((e) => (e === target ? { ...e, data } : e));
    }
    case "sheetOrder":
      return entries.map((e) => {
        if (e.name !== "xl/workbook.xml") return e;
        const text = strFromU8(e.data);
        const sheets = text.match(/<sheet [^>]*\/>/g) ?? [];
        const order = edit.reverse ? [...sheets].reverse() : [...sheets.slice(1), ...sheets.slice(0, 1)];
        let n = 0;
        return { ...e, data: strToU8(text.replace(/<sheet [^>]*\/>/g, () => order[n++]!)) };
      });
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Rebuilds a zip. Unique names: zipSync (sizes in the local headers, as Excel writes); duplicates: fflate's streaming writer, which allows them. */
function buildZip(entries: readonly Entry[]): Uint8Array {
  const names = new Set(entries.map((e) => e.name));
  if (names.size === entries.length) {
    return zipSync(Object.fromEntries(entries.map((e) => [e.name, [e.data, { level: e.level }]])));
  }
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, chunk) => {
    if (error) throw error;
    chunks.push(chunk);
  });
  for (const e of entries) {
    const file = e.level === 0 ? new ZipPassThrough(e.name) : new ZipDeflate(e.name, { level: e.level });
    zip.add(file);
    file.push(e.data, true);
  }
  zip.end();
  return concat(chunks);
}

/** Offsets of zip records with the given little-endian signature. */
function recordOffsets(bytes: Uint8Array, signature: number): number[] {
  const offsets: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i++) if (view.getUint32(i, true) === signature) offsets.push(i);
  return offsets;
}

function applyByteEdit(input: Uint8Array, edit: ByteEdit): Uint8Array {
  const bytes = new Uint8Array(input);
  switch (edit.kind) {
    case "truncate":
      return bytes.slice(0, Math.floor(bytes.length * edit.at));
    case "flip":
      for (const [position, mask] of edit.flips) {
        const i = Math.floor(position * bytes.length);
        if (i < bytes.length) bytes[i]! ^= mask;
      }
      return bytes;
    case "method": {
      const view = new DataView(bytes.buffer);
      const patch = (offsets: number[], field: number) => {
        if (!offsets.length) return;
        const o = offsets[edit.entry % offsets.length]!;
        if (o + field + 2 <= bytes.length) view.setUint16(o + field, edit.method, true);
      };
      if (edit.where !== "central") patch(recordOffsets(bytes, 0x04034b50), 8);
      if (edit.where !== "local") patch(recordOffsets(bytes, 0x02014b50), 10);
      return bytes;
    }
    case "prepend":
      return concat([edit.bytes, bytes]);
    case "append":
      return concat([bytes, edit.bytes]);
  }
}

async function zipMutant(edits: { workbook: readonly WorkbookEdit[]; entries: readonly EntryEdit[]; bytes: readonly ByteEdit[] }): Promise<Uint8Array> {
  let bytes = await editWorkbook(edits.workbook);
  if (edits.entries.length) {
    let entries: Entry[] = Object.entries(unzipSync(bytes)).map(([name, data]) => ({ name, data, level: 6 }));
    for (const edit of edits.entries) entries = applyEntryEdit(entries, edit);
    bytes = buildZip(entries);
  }
  for (const edit of edits.bytes) bytes = applyByteEdit(bytes, edit);
  return bytes;
}

// ── The real upload paths and the invariants ────────────────────────────────

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const A1 = /^[A-Z]{1,3}[1-9]\d*$/;

interface Snapshot {
  versions: number;
  files: number;
  values: number;
  events: { action: string }[];
  maxNumber: number;
}

async function snapshot(): Promise<Snapshot> {
  const count = async (table: "submission_version" | "stored_file" | "submission_value") =>
    Number((await t.db.selectFrom(table).select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow()).n);
  const events = await t.db
    .selectFrom("audit_event")
    .select("action")
    .where("organisation_id", "=", partner.org.id)
    .where("action", "like", "submission.%")
    .orderBy("id")
    .execute();
  const max = await t.db
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .select(sql<number | null>`max(v.number)`.as("n"))
    .where("s.organisation_id", "=", partner.org.id)
    .executeTakeFirstOrThrow();
  return { versions: await count("submission_version"), files: await count("stored_file"), values: await count("submission_value"), events, maxNumber: Number(max.n ?? 0) };
}

/** Over the size cap, the HTTP layer stops reading the body: the use case never sees it. */
const overCap = (bytes: Uint8Array) => bytes.byteLength > DEFAULT_UPLOAD_LIMITS.maxFileBytes;

interface Outcome {
  status: number;
  /** The stored version's id, when the upload became a version. */
  versionId: string | null;
  /** The body refused before the use case (over the HTTP size cap): no audit event then. */
  beforeUseCase: boolean;
  /** Problems as reported to the client (cell reference, or reason). */
  reported: { ref: string | null; cell: string | null; message: string }[];
}

/** The API answers 429 past API_RATE_LIMIT_PER_MINUTE requests per token: a fresh token every 100 requests. */
let tokenUses = 0;
let token = "";
async function apiToken() {
  if (!token || tokenUses >= 100) {
    token = (await makeApiToken(t.db, partner.org.id, { createdBy: partner.correspondent.id })).token;
    tokenUses = 0;
  }
  tokenUses++;
  return token;
}

async function viaApi(bytes: Uint8Array): Promise<Outcome> {
  const request = apiRequest(`/campaigns/${partner.year}/uploads`, {
    token: await apiToken(),
    body: new Uint8Array(bytes),
    headers: { "Content-Type": XLSX_CONTENT_TYPE, "Content-Disposition": 'attachment; filename="tableau.xlsx"' },
  });
  const response = await call(apiUploads.action, request, { year: String(partner.year) });
  const body = (await response.json()) as {
    id?: string;
    type?: string;
    detail?: string;
    title?: string;
    errors?: { ref: string | null; cell: string | null; message: string }[];
    upload?: { id: string };
  };
  const type = body.type?.split("#").pop();
  const versionId = response.status === 201 ? body.id! : type === "workbook-errors" ? body.upload!.id : null;
  const reported = body.errors ?? (response.status >= 400 ? [{ ref: null, cell: null, message: `${body.title ?? ""} : ${body.detail ?? ""}` }] : []);
  return { status: response.status, versionId, beforeUseCase: overCap(bytes), reported };
}

async function viaWeb(bytes: Uint8Array): Promise<Outcome> {
  const form = new FormData();
  form.append("file", new File([new Uint8Array(bytes)], "tableau.xlsx", { type: XLSX_CONTENT_TYPE }));
  const request = new Request(`http://localhost/collection/${partner.year}/${partner.org.code}/upload`, {
    method: "POST",
    headers: { Cookie: cookie, Origin: "http://localhost", Accept: "application/json", "User-Agent": "vitest" },
    body: form,
  });
  let response: Response;
  try {
    response = await webUpload.action({ request, params: { year: String(partner.year), org: partner.org.code }, context: testContext() } as never);
  } catch (thrown) {
    // Remix renders a thrown Response as is; anything else is a 500.
    if (thrown instanceof Response) response = thrown;
    else throw thrown;
  }
  const body = (await response.json()) as { ok: boolean; status: number; message: string; number?: number; problems: Problem[] };
  let versionId: string | null = null;
  if (body.number) {
    const row = await t.db
      .selectFrom("submission_version as v")
      .innerJoin("submission as s", "s.id", "v.submission_id")
      .select("v.id")
      .where("s.organisation_id", "=", partner.org.id)
      .where("v.number", "=", body.number)
      .executeTakeFirstOrThrow();
    versionId = row.id;
  }
  const reported = body.ok
    ? body.problems.map((p) => ({ ref: p.cell ? `${p.sheet}!${p.cell}` : null, cell: p.cell, message: p.message }))
    : [{ ref: null, cell: null, message: body.message }, ...body.problems.map((p) => ({ ref: p.cell ? `${p.sheet}!${p.cell}` : null, cell: p.cell, message: p.message }))];
  return { status: response.status, versionId, beforeUseCase: overCap(bytes), reported };
}

/** Uploads `bytes` through one real path and checks every invariant. */
async function uploadAndCheck(bytes: Uint8Array, path: "api" | "web") {
  const before = await snapshot();
  const outcome = await (path === "api" ? viaApi(bytes) : viaWeb(bytes));
  const after = await snapshot();
  const newEvents = after.events.slice(before.events.length).map((e) => e.action);
  if (process.env.FUZZ_DEBUG) console.log(JSON.stringify({ outcome, newEvents, before: { ...before, events: before.events.length }, after: { ...after, events: after.events.length } }));

  // Never a server error.
  expect(outcome.status).toBeLessThan(500);
  expect([201, 413, 415, 422]).toContain(outcome.status);

  // Every problem says where (a cell reference) or why (a reason text).
  for (const p of outcome.reported) {
    if (p.cell !== null) {
      expect(p.cell).toMatch(A1);
      expect(p.ref).toMatch(new RegExp(`!${p.cell}$`));
    } else expect(p.message.replace(/[\s:]/g, "").length).toBeGreaterThan(5);
  }

  if (outcome.beforeUseCase) expect([413, 422]).toContain(outcome.status);
  if (outcome.versionId === null) {
    // Refused: no version, no stored bytes, only the audit event of the refusal.
    expect(after.versions).toBe(before.versions);
    expect(after.files).toBe(before.files);
    expect(after.values).toBe(before.values);
    expect(after.maxNumber).toBe(before.maxNumber);
    expect(newEvents).toEqual(outcome.beforeUseCase ? [] : [expect.stringMatching(/^submission\.upload_(refused|rejected)$/)]);
    return "refused" as const;
  }

  // Accepted: one complete version, numbered next, with its bytes, hash, size and problems.
  expect(after.versions).toBe(before.versions + 1);
  expect(after.files).toBe(before.files + 1);
  expect(newEvents).toEqual(["submission.version_uploaded"]);
  const version = await t.db
    .selectFrom("submission_version as v")
    .innerJoin("stored_file as f", "f.id", "v.file_id")
    .select(["v.number", "v.problems", "v.error_count", "v.warning_count", "f.sha256", "f.size_bytes", "f.content"])
    .where("v.id", "=", outcome.versionId)
    .executeTakeFirstOrThrow();
  expect(version.number).toBe(before.maxNumber + 1);
  expect(version.sha256).toBe(sha256(bytes));
  expect(Number(version.size_bytes)).toBe(bytes.byteLength);
  expect(sha256(new Uint8Array(version.content))).toBe(version.sha256);
  const problems = (typeof version.problems === "string" ? JSON.parse(version.problems) : version.problems) as Problem[];
  expect(Array.isArray(problems)).toBe(true);
  expect(problems.filter((p) => p.severity === "error")).toHaveLength(version.error_count);
  expect(problems.filter((p) => p.severity === "warning")).toHaveLength(version.warning_count);
  for (const p of problems) {
    // A stored version's problems are about its values: each one points at its cell of the data sheet.
    expect(p.sheet).toBe(DATA_SHEET);
    expect(p.cell).toMatch(A1);
    expect(p.message.length).toBeGreaterThan(5);
  }
  const values = Number(
    (await t.db.selectFrom("submission_value").select(sql<string>`count(*)`.as("n")).where("version_id", "=", outcome.versionId).executeTakeFirstOrThrow()).n,
  );
  expect(values).toBe(plan.lines.length);
  return "stored" as const;
}

const heapUsed = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

async function checkProperty<T>(arbitrary: fc.Arbitrary<T>, numRuns: number, body: (value: T) => Promise<"stored" | "refused">) {
  const tally = { stored: 0, refused: 0 };
  const heapBefore = heapUsed();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      tally[await body(value)]++;
    }),
    { seed: SEED, numRuns, endOnFailure: true },
  );
  const growth = heapUsed() - heapBefore;
  if (process.env.FUZZ_DEBUG) console.log(JSON.stringify({ numRuns, ...tally, heapGrowthMiB: +(growth / MiB).toFixed(1) }));
  expect(growth, `heap grew by ${(growth / MiB).toFixed(1)} MiB`).toBeLessThan(HEAP_BUDGET);
  return tally;
}

describe("fuzzed uploads (Art. 4: a wrong file leaves only an audit event; a kept file is a complete version)", () => {
  it("the unmutated base workbook is stored as a clean version (the fuzzer starts from a valid file)", async () => {
    expect(await uploadAndCheck(base, "api")).toBe("stored");
    const latest = await t.db.selectFrom("submission_version").select(["error_count", "warning_count"]).orderBy("number", "desc").executeTakeFirstOrThrow();
    expect(latest).toEqual({ error_count: 0, warning_count: 0 });
  });

  it("cell values and types, sheets and the metadata sheet mutated: never a 5xx, never a half version", async () => {
    const tally = await checkProperty(fc.array(workbookEdit, { minLength: 1, maxLength: 5 }), runs(60), async (edits) => uploadAndCheck(await editWorkbook(edits), "api"));
    // The fuzzer explores both sides of the guard, or it tests nothing.
    expect(tally.stored).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 120_000);

  it("the zip structure mutated (entries dropped, duplicated, renamed, recompressed, DTD, inflated; bytes truncated and flipped): never a 5xx", async () => {
    const mutation = fc.record({
      workbook: fc.array(workbookEdit, { maxLength: 1 }),
      entries: fc.array(entryEdit, { maxLength: 3 }),
      bytes: fc.array(byteEdit, { maxLength: 2 }),
    });
    const tally = await checkProperty(mutation, runs(80), async (edits) => uploadAndCheck(await zipMutant(edits), "api"));
    expect(tally.stored).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 120_000);

  it("worksheet XML as no spreadsheet application writes it (odd cell references, types, values, row numbers): never a 5xx", async () => {
    const xmlEdit: fc.Arbitrary<EntryEdit> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("xmlCell" as const), entry: fc.nat(40), cell: fc.nat(60), xml: xmlCell }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("xmlRow" as const), entry: fc.nat(40), row: fc.nat(12), r: fc.constantFrom("0", "-1", "1", "6", "1048577", "99999999999", "abc", "", "6.5") }) },
    );
    const mutation = fc.record({ workbook: fc.constant([]), entries: fc.array(xmlEdit, { minLength: 1, maxLength: 4 }), bytes: fc.constant([]) });
    const tally = await checkProperty(mutation, runs(30), async (edits) => uploadAndCheck(await zipMutant(edits), "api"));
    expect(tally.stored).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 120_000);

  it("the web upload action (drag and drop) holds the same invariants", async () => {
    const mutation = fc.record({
      workbook: fc.array(workbookEdit, { maxLength: 3 }),
      entries: fc.array(entryEdit, { maxLength: 2 }),
      bytes: fc.array(byteEdit, { maxLength: 1 }),
    });
    const tally = await checkProperty(mutation, runs(30), async (edits) => uploadAndCheck(await zipMutant(edits), "web"));
    expect(tally.stored).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 120_000);
});
