import { PassThrough } from "node:stream";
import { crc32, deflateRawSync } from "node:zlib";
import ExcelJS from "exceljs";
import yauzl from "yauzl";

/**
 * Builds the hostile-file corpus of the upload-guard and workbook-reader
 * tests, in memory, at test time (no binary is committed).
 *
 * `craftZip` writes zip archives byte by byte because well-behaved zip
 * libraries refuse to write what these tests need: lying sizes, `../` names,
 * duplicate names, encrypted flags, bytes smuggled between entries. It is a
 * test fixture writer (APPNOTE 6.3 layout: local headers, central directory,
 * end record); the production code reads zips with yauzl only.
 */

export interface CraftEntry {
  name: string | Buffer;
  data: Buffer | string;
  /** 0 stored, 8 deflated (default). */
  method?: 0 | 8;
  /** Lie about sizes or CRC in both headers. */
  declaredUncompressed?: number;
  declaredCompressed?: number;
  crc?: number;
  /** General purpose flags (bit 0: encrypted, bit 3: data descriptor, bit 11: UTF-8). */
  flags?: number;
  /** A different name in the local header than in the central directory. */
  localName?: string;
  /** Raw compressed payload to store instead of deflating `data`. */
  rawPayload?: Buffer;
}

export interface CraftOptions {
  /** Bytes written before the first entry (a polyglot). */
  prefix?: Buffer;
  /** Bytes smuggled after the first entry's data. */
  afterFirstEntry?: Buffer;
  /** The archive comment. */
  comment?: string;
  /** Deflate level (default 9). */
  level?: number;
  /** Also write a Zip64 end-of-central-directory record and locator (as some writers always do). */
  zip64EndRecord?: boolean;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n & 0xffff);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

export function craftZip(entries: CraftEntry[], options: CraftOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  if (options.prefix) push(options.prefix);
  entries.forEach((entry, i) => {
    const data = typeof entry.data === "string" ? Buffer.from(entry.data, "utf8") : entry.data;
    const method = entry.method ?? 8;
    const payload = entry.rawPayload ?? (method === 8 ? deflateRawSync(data, { level: options.level ?? 9 }) : data);
    const name = typeof entry.name === "string" ? Buffer.from(entry.name, "utf8") : entry.name;
    const localName = entry.localName !== undefined ? Buffer.from(entry.localName, "utf8") : name;
    const crc = entry.crc ?? crc32(data);
    const flags = entry.flags ?? 0x0800;
    const compressed = entry.declaredCompressed ?? payload.length;
    const uncompressed = entry.declaredUncompressed ?? data.length;
    const headerOffset = offset;
    const common = [u16(20), u16(flags), u16(method), u16(0), u16(0x21), u32(crc), u32(compressed), u32(uncompressed)];
    push(Buffer.concat([u32(0x04034b50), ...common, u16(localName.length), u16(0), localName]));
    push(payload);
    if (i === 0 && options.afterFirstEntry) push(options.afterFirstEntry);
    central.push(
      Buffer.concat([u32(0x02014b50), u16(0x031e), ...common, u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(headerOffset), name]),
    );
  });
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  push(cd);
  if (options.zip64EndRecord) {
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const recordOffset = offset;
    push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(entries.length), u64(entries.length), u64(cd.length), u64(cdOffset)]));
    push(Buffer.concat([u32(0x07064b50), u32(0), u64(recordOffset), u32(1)]));
  }
  const comment = Buffer.from(options.comment ?? "", "latin1");
  push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(cdOffset), u16(comment.length), comment]));
  return Buffer.concat(parts);
}

/** The entries of a (valid) zip, in order, inflated: to rebuild a real workbook with one thing changed. */
export async function unzipEntries(bytes: Buffer): Promise<[string, Buffer][]> {
  const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
  const out: [string, Buffer][] = [];
  for await (const entry of zip.eachEntry()) {
    const stream = await zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    out.push([entry.fileName, Buffer.concat(chunks)]);
  }
  return out;
}

/** Rebuilds a zip from entries with `craftZip`, letting a test replace, add or drop entries. */
export function rezip(entries: [string, Buffer | string][], options?: CraftOptions): Buffer {
  return craftZip(
    entries.map(([name, data]) => ({ name, data })),
    options,
  );
}

export function replaceEntry(entries: [string, Buffer][], name: string, data: Buffer | string): [string, Buffer][] {
  const buffer = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return entries.some(([n]) => n === name) ? entries.map(([n, d]) => [n, n === name ? buffer : d]) : [...entries, [name, buffer]];
}

// ---------------------------------------------------------------------------
// Hand-written minimal workbooks (for structures exceljs would not write)

export const NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
export const NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
export const XLSX_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
const WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";

export interface MinimalSheet {
  name: string;
  /** The `<sheetData>` content, or a whole worksheet document when it starts with "<?xml". */
  xml: string;
  state?: "hidden" | "veryHidden";
}

export const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function worksheetXml(sheetData: string, before = ""): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">${before}<sheetData>${sheetData}</sheetData></worksheet>`;
}

/** The parts of a minimal valid .xlsx: content types, relationships, workbook, sheets, optional shared strings. */
export function minimalWorkbookEntries(
  sheets: MinimalSheet[],
  options: { sharedStrings?: string[]; mainType?: string; extraTypes?: string } = {},
): [string, string][] {
  const sheetParts = sheets.map((s, i) => [`xl/worksheets/sheet${i + 1}.xml`, s.xml.startsWith("<?xml") ? s.xml : worksheetXml(s.xml)] as [string, string]);
  const sst = options.sharedStrings;
  const contentTypes =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
    `<Override PartName="/xl/workbook.xml" ContentType="${options.mainType ?? XLSX_MAIN_TYPE}"/>` +
    sheets.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="${WORKSHEET_TYPE}"/>`).join("") +
    (sst ? `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` : "") +
    (options.extraTypes ?? "") +
    `</Types>`;
  const rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  const workbook =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets>` +
    sheets.map((s, i) => `<sheet name="${xmlEscape(s.name)}" sheetId="${i + 1}"${s.state ? ` state="${s.state}"` : ""} r:id="rId${i + 1}"/>`).join("") +
    `</sheets></workbook>`;
  const workbookRels =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${NS_REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join("") +
    (sst ? `<Relationship Id="rIdSst" Type="${NS_REL}/sharedStrings" Target="sharedStrings.xml"/>` : "") +
    `</Relationships>`;
  const entries: [string, string][] = [
    ["[Content_Types].xml", contentTypes],
    ["_rels/.rels", rootRels],
    ["xl/workbook.xml", workbook],
    ["xl/_rels/workbook.xml.rels", workbookRels],
    ...sheetParts,
  ];
  if (sst) {
    entries.push([
      "xl/sharedStrings.xml",
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${NS_MAIN}" count="${sst.length}" uniqueCount="${sst.length}">${sst.map((s) => `<si><t xml:space="preserve">${xmlEscape(s)}</t></si>`).join("")}</sst>`,
    ]);
  }
  return entries;
}

export const minimalWorkbook = (sheets: MinimalSheet[], options?: Parameters<typeof minimalWorkbookEntries>[1]) =>
  rezip(minimalWorkbookEntries(sheets, options));

// ---------------------------------------------------------------------------
// Workbooks written by exceljs, the way the portal's templates are

/** A small template-like workbook: a cover, a data sheet with formulas and dates, a very hidden metadata sheet. */
export async function templateLikeWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const cover = wb.addWorksheet("Couverture");
  cover.getCell("A1").value = "Observatoire départemental de la protection de l'enfance — Loire";
  cover.getCell("A2").value = "Année de référence";
  cover.getCell("B2").value = 2025;
  const data = wb.addWorksheet("Données");
  data.addRow(["Code", "Indicateur", "Ventilation", "Valeur", "Commentaire"]);
  data.addRow(["IP-01", "Enfants accueillis à l'ASE", "0-5 ans", 120, "Hausse liée à l'été"]);
  data.addRow(["IP-01", "Enfants accueillis à l'ASE", "6-10 ans", 95.5, null]);
  data.addRow(["IP-01", "Enfants accueillis à l'ASE", "Total", { formula: "D2+D3", result: 215.5 }, null]);
  data.addRow(["IP-02", "Mesures éducatives", "Total", true, null]);
  data.getCell("D7").value = new Date(Date.UTC(2025, 2, 4));
  data.getCell("D7").numFmt = "dd/mm/yyyy";
  data.getCell("E8").value = { formula: 'IF(D2>100,"élevé","bas")', result: "élevé" };
  data.getCell("F9").value = { error: "#DIV/0!" };
  const meta = wb.addWorksheet("Métadonnées", { state: "veryHidden" });
  meta.addRow(["template_version", "3"]);
  meta.addRow(["organisation_code", "CD42"]);
  meta.addRow(["reference_year", "2025"]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * A large data sheet laid out as Excel writes one (shared strings for the
 * labels, numbers inline, a styles-free minimal package), built as text:
 * much faster than exceljs's writer for 100 000 lines.
 */
export function largeWorkbookFast(rows: number): Buffer {
  const labels = Array.from({ length: 50 }, (_, i) => `Libellé de l'indicateur n°${i} — protégé`);
  const breakdowns = ["0-5 ans", "6-10 ans", "11-17 ans", "Total"];
  const codes = Array.from({ length: 50 }, (_, i) => `IND-${i}`);
  const strings = [...codes, ...labels, ...breakdowns];
  const parts: string[] = [];
  for (let r = 1; r <= rows; r++) {
    const k = r % 50;
    parts.push(
      `<row r="${r}" spans="1:5"><c r="A${r}" t="s"><v>${k}</v></c><c r="B${r}" t="s"><v>${50 + k}</v></c><c r="C${r}" t="s"><v>${100 + (r % 4)}</v></c>` +
        `<c r="D${r}"><v>${r % 1000}</v></c><c r="E${r}"><v>${(r * 7) % 1000}</v></c></row>`,
    );
  }
  const entries = minimalWorkbookEntries([{ name: "Données", xml: worksheetXml(parts.join("")) }], { sharedStrings: strings });
  return craftZip(
    entries.map(([name, data]) => ({ name, data })),
    { level: 6 },
  );
}

/** A large data sheet written with exceljs's streaming writer (shared strings, as Excel files have). */
export async function largeWorkbook(rows: number, build?: (row: number) => unknown[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new PassThrough();
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => out.on("end", resolve));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: true });
  const ws = wb.addWorksheet("Données");
  const breakdowns = ["0-5 ans", "6-10 ans", "11-17 ans", "Total"];
  for (let r = 1; r <= rows; r++) {
    ws.addRow(build ? build(r) : [`IND-${r % 50}`, `Libellé de l'indicateur n°${r % 50} — protégé`, breakdowns[r % 4], r % 1000, (r * 7) % 1000]).commit();
  }
  ws.commit();
  await wb.commit();
  await done;
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------
// OLE2 compound files (legacy .xls, encrypted OOXML)

/**
 * A minimal but well-formed Compound File Binary (MS-CFB, version 3, 512-byte
 * sectors): header, one FAT sector, one directory sector, then each stream in
 * regular sectors (streams are padded to the 4 096-byte mini-stream cutoff).
 * That is the container of legacy .xls files and of password-encrypted .xlsx
 * files (streams `EncryptionInfo` and `EncryptedPackage`).
 */
export function compoundFile(streams: { name: string; data: Buffer }[]): Buffer {
  const SECTOR = 512;
  const ENDOFCHAIN = 0xfffffffe;
  const FREESECT = 0xffffffff;
  const FATSECT = 0xfffffffd;
  if (streams.length > 3) throw new Error("one directory sector holds the root and three streams");
  const padded = streams.map((s) => {
    const size = Math.max(4096, Math.ceil(s.data.length / SECTOR) * SECTOR);
    const data = Buffer.alloc(size);
    s.data.copy(data);
    return { name: s.name, data, size: Math.max(4096, s.data.length) };
  });
  const fat: number[] = [FATSECT, ENDOFCHAIN];
  const starts: number[] = [];
  let next = 2;
  for (const s of padded) {
    const count = s.data.length / SECTOR;
    starts.push(next);
    for (let i = 0; i < count; i++) fat.push(i === count - 1 ? ENDOFCHAIN : next + i + 1);
    next += count;
  }
  if (fat.length > SECTOR / 4) throw new Error("streams too large for one FAT sector");
  const fatSector = Buffer.alloc(SECTOR, 0xff);
  fat.forEach((v, i) => fatSector.writeUInt32LE(v, i * 4));

  const dirEntry = (name: string, type: number, child: number, right: number, start: number, size: number) => {
    const e = Buffer.alloc(128);
    const n = Buffer.from(`${name}\u0000`, "utf16le");
    n.copy(e, 0);
    e.writeUInt16LE(n.length, 64);
    e.writeUInt8(type, 66);
    e.writeUInt8(1, 67); // black
    e.writeUInt32LE(FREESECT, 68); // left sibling
    e.writeUInt32LE(right, 72);
    e.writeUInt32LE(child, 76);
    e.writeUInt32LE(start, 116);
    e.writeUInt32LE(size, 120);
    return e;
  };
  // Siblings as a right-leaning chain, ordered as CFB compares names (length, then upper case).
  const order = padded.map((_, i) => i).sort((a, b) => padded[a]!.name.length - padded[b]!.name.length || padded[a]!.name.toUpperCase().localeCompare(padded[b]!.name.toUpperCase()));
  const directory = Buffer.alloc(SECTOR);
  dirEntry("Root Entry", 5, order.length ? order[0]! + 1 : FREESECT, FREESECT, ENDOFCHAIN, 0).copy(directory, 0);
  order.forEach((streamIndex, k) => {
    const s = padded[streamIndex]!;
    const right = k + 1 < order.length ? order[k + 1]! + 1 : FREESECT;
    dirEntry(s.name, 2, FREESECT, right, starts[streamIndex]!, s.size).copy(directory, (streamIndex + 1) * 128);
  });

  const header = Buffer.alloc(SECTOR);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x003e, 24); // minor version
  header.writeUInt16LE(0x0003, 26); // major version 3
  header.writeUInt16LE(0xfffe, 28); // byte order
  header.writeUInt16LE(9, 30); // sector shift: 512
  header.writeUInt16LE(6, 32); // mini sector shift: 64
  header.writeUInt32LE(1, 44); // FAT sectors
  header.writeUInt32LE(1, 48); // first directory sector
  header.writeUInt32LE(4096, 56); // mini stream cutoff
  header.writeUInt32LE(ENDOFCHAIN, 60); // first mini FAT sector
  header.writeUInt32LE(ENDOFCHAIN, 68); // first DIFAT sector
  header.fill(0xff, 76); // DIFAT
  header.writeUInt32LE(0, 76); // the FAT is sector 0
  return Buffer.concat([header, fatSector, directory, ...padded.map((s) => s.data)]);
}

/** A legacy Excel 97-2003 file: a CFB whose `Workbook` stream starts with a BIFF8 BOF record. */
export const legacyXls = () =>
  compoundFile([{ name: "Workbook", data: Buffer.from([0x09, 0x08, 0x10, 0x00, 0x00, 0x06, 0x05, 0x00, 0xbb, 0x0d, 0xcc, 0x07, 0, 0, 0, 0, 0x06, 0x03, 0, 0]) }]);

/** A password-encrypted .xlsx as Office writes it: a CFB holding `EncryptionInfo` (agile, version 4.4) and `EncryptedPackage`. */
export const encryptedXlsx = () => {
  const info = Buffer.concat([
    Buffer.from([0x04, 0x00, 0x04, 0x00, 0x40, 0x00, 0x00, 0x00]),
    Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"/></encryption>'),
  ]);
  const pkg = Buffer.alloc(8192);
  for (let i = 0; i < pkg.length; i++) pkg[i] = (i * 131 + 7) & 0xff;
  return compoundFile([
    { name: "EncryptionInfo", data: info },
    { name: "EncryptedPackage", data: pkg },
  ]);
};
