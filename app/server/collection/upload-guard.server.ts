import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import {
  resolveUploadLimits,
  uploadRefusal,
  type DetectedFormat,
  type LegacyFormat,
  type UploadLimits,
  type UploadRefusal,
  type UploadRefusalCode,
  type UploadRefusalParams,
} from "~/domain/upload-errors";
import {
  MAIN_PART_TYPES,
  OoxmlStructureError,
  isActiveContentType,
  parseContentTypes,
  parseRelationships,
  parseWorkbookXml,
  partKey,
  relationshipTypeIs,
  relationshipsPartOf,
  sheetKindOf,
  type ContentTypes,
  type SheetState,
} from "./ooxml-structure.server";
import { XmlPartScanner, type XmlScanOptions, type XmlScanProblem } from "./xml-scan.server";
import {
  ZIP_FLAG_DATA_DESCRIPTOR,
  ZIP_FLAG_ENCRYPTED,
  ZIP_FLAG_STRONG_ENCRYPTION,
  ZIP_METHOD_DEFLATED,
  ZIP_METHOD_STORED,
  ZipArchive,
  type ZipEntryInfo,
} from "./zip-archive.server";

/**
 * THE upload guard: every workbook a partner uploads (browser or API) passes
 * here before anything parses it. It answers either a `GuardedWorkbook` — the
 * only thing `workbook-reader.server.ts` accepts — or an `UploadRefusal`
 * (code, HTTP status 413/415/422, French message saying what to do).
 *
 * In order, cheapest first, nothing trusted that the file says about itself:
 *  1. size: the body is read up to `maxFileBytes` and no further (413);
 *  2. content sniffed by magic bytes, never by name: OLE2/CFB (legacy .xls,
 *     or an *encrypted* OOXML package, which is a CFB holding
 *     `EncryptionInfo`/`EncryptedPackage`), PDF, text/CSV/HTML/XML, images,
 *     archives → 415; only a zip goes on;
 *  3. the zip's central directory, read without inflating anything (yauzl):
 *     entry count, names (no absolute path, `..`, backslash, drive letter,
 *     control character), duplicates (case-insensitive, as OPC), encrypted
 *     entries, compression methods, Zip64, declared sizes and ratios, macro
 *     parts by name (vbaProject.bin, macro sheets, ActiveX);
 *  4. layout: each local header agrees with its central record, entries are
 *     contiguous from byte 0 and neither overlap nor hide bytes between them
 *     (no polyglot, no overlapping-entry bomb, no smuggled entry);
 *  5. OOXML structure: [Content_Types].xml, the package relationships point
 *     to xl/workbook.xml whose content type is a plain workbook (not
 *     macro-enabled, not a template), sheets listed and found, at most
 *     `maxSheets`;
 *  6. every entry inflated as a stream, counting the ACTUAL bytes (a lying
 *     declared size is caught at its first extra byte), checking CRC-32,
 *     total size and ratios, and scanning every XML part for a DTD / entity
 *     declaration, a non-UTF-8 encoding, over-long text runs and absurd
 *     `<col>` definitions in worksheets.
 *
 * Memory: the upload itself (≤ `maxFileBytes`) plus one inflate chunk at a
 * time, plus the few structural parts (≤ `maxCachedPartBytes` each).
 */

export interface UploadedFile {
  /** The bytes, or a stream of them: a Node Readable, a web ReadableStream (`request.body`), any async iterable. */
  body: Uint8Array | AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>;
  /** The name the browser or the API client gave; used in messages and to spot `.xlsm`, never to decide the format. */
  filename?: string | null;
  /** The declared content type; only a macro-enabled one is refused on its own. */
  contentType?: string | null;
  /** Content-Length when known: a larger declared size is refused before reading. */
  declaredSize?: number | null;
  /**
   * The caller hands the bytes (a Uint8Array `body`) over: nothing else holds or changes them (the heavy-work
   * thread's structured clone of an upload). The guard then keeps them as they are instead of copying them.
   */
  owned?: boolean;
}

export interface WorkbookSheet {
  /** Position among the workbook's tabs, from 0. */
  index: number;
  name: string;
  sheetId: number;
  /** Hidden sheets (the template's metadata sheet) are read like the others. */
  state: SheetState;
  kind: "worksheet" | "chartsheet" | "dialogsheet";
  /** The zip entry holding the sheet, e.g. `xl/worksheets/sheet1.xml`. */
  part: string;
}

/** A workbook that passed the guard. Only `guardUpload` makes one; the reader accepts nothing else. */
export interface GuardedWorkbook {
  readonly filename: string | null;
  /** The uploaded bytes (a private copy). Store them as they are; do not mutate them. */
  readonly bytes: Buffer;
  readonly size: number;
  /** SHA-256 of the bytes, lower-case hex. */
  readonly sha256: string;
  /** Every sheet, in tab order, hidden ones included. */
  readonly sheets: readonly WorkbookSheet[];
  /** The workbook counts dates from 1904 (old Mac Excel). */
  readonly date1904: boolean;
  readonly limits: Readonly<UploadLimits>;
  readonly stats: { readonly entries: number; readonly compressedBytes: number; readonly uncompressedBytes: number };
}

export type UploadGuardResult = { ok: true; workbook: GuardedWorkbook } | { ok: false; refusal: UploadRefusal };

/** Carries a refusal through streaming code; `guardUpload` and `readWorkbook` turn it back into a value. */
export class UploadRefusedError extends Error {
  constructor(readonly refusal: UploadRefusal) {
    super(`${refusal.code}: ${refusal.message}`);
    this.name = "UploadRefusedError";
  }
}

export const isUploadRefusedError = (error: unknown): error is UploadRefusedError => error instanceof UploadRefusedError;

/** What the reader needs and nobody else should touch. */
export interface GuardedInternals {
  archive: ZipArchive;
  entries: ReadonlyMap<string, ZipEntryInfo>;
  sharedStringsPart: string | null;
  stylesPart: string | null;
  /**
   * Parts the guard left for the reader to check as it reads them (`GuardOptions.readLater`), by part key:
   * each call opens the step-6 checks of one full read of that part. Empty unless asked for.
   */
  deferred: ReadonlyMap<string, () => EntryCheck>;
  /** Keys of deferred parts whose checks ran to their end (every byte inflated and passed). */
  checked: Set<string>;
}

/** What the caller of `guardUpload` will read itself. */
export interface GuardOptions {
  /**
   * Sheets the caller reads in full right after the guard (with the shared strings and styles they need): their
   * step-6 checks then run on the reader's own inflation, chunk by chunk, each chunk checked before the parser
   * sees it, instead of inflating them once more here (ADR 056). A workbook so guarded must be read through to
   * the end, or passed to `checkDeferredParts`, before anything is kept of it.
   */
  readLater?: (sheet: WorkbookSheet) => boolean;
}
const internals = new WeakMap<GuardedWorkbook, GuardedInternals>();

/** @internal For workbook-reader.server.ts: the checked archive behind a guarded workbook. */
export function guardedInternals(workbook: GuardedWorkbook): GuardedInternals {
  const found = internals.get(workbook);
  if (!found) throw new TypeError("This workbook did not go through guardUpload(): refusing to read it.");
  return found;
}

/**
 * Checks an uploaded workbook before anything parses it. Expected refusals
 * are values (`{ ok: false, refusal }`); only programming errors throw.
 */
export async function guardUpload(file: UploadedFile, limits: Partial<UploadLimits> = {}, options: GuardOptions = {}): Promise<UploadGuardResult> {
  const resolved = resolveUploadLimits(limits);
  try {
    return { ok: true, workbook: await new Guard(file, resolved, options).run() };
  } catch (error) {
    if (error instanceof UploadRefusedError) return { ok: false, refusal: error.refusal };
    throw error;
  }
}

/**
 * Runs the step-6 checks of every part `guardUpload` left to the reader (`GuardOptions.readLater`) that no read
 * has completed: after it, the workbook has passed every check of an ordinary guard. Throws
 * `UploadRefusedError` for the first part that fails them.
 */
export async function checkDeferredParts(workbook: GuardedWorkbook): Promise<void> {
  const inside = guardedInternals(workbook);
  for (const [key, open] of inside.deferred) {
    if (!inside.checked.has(key)) await inflateChecked(inside.archive, open());
  }
}

/** Inflates `check`'s entry as a stream, every chunk through the check (then to `onChunk`), and ends the check. */
async function inflateChecked(archive: ZipArchive, check: EntryCheck, onChunk?: (chunk: Buffer) => void): Promise<void> {
  try {
    const stream = await archive.openStream(check.entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      check.chunk(chunk);
      onChunk?.(chunk);
    }
  } catch (error) {
    check.failed(error);
  }
  check.end();
}

/** Throws the refusal of a workbook named `filename` (the guard's and the reader's). */
export const refuserFor =
  (filename: string | null): Refuser =>
  (code, params, logDetail) => {
    throw new UploadRefusedError(uploadRefusal(code, params, { filename, ...(logDetail ? { logDetail } : {}) }));
  };

// ---------------------------------------------------------------------------

const ascii = (text: string) => Buffer.from(text, "latin1");
const utf16 = (text: string) => Buffer.from(text, "utf16le");
const CFB_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ZIP_SIGNATURE = ascii("PK");
const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const EOCD_SIZE = 22;
/** Lengths a data descriptor may have: with or without signature, 32- or 64-bit sizes. */
const DESCRIPTOR_LENGTHS = new Set([12, 16, 20, 24]);
const MAX_EXCEL_COLUMN = 16_384;
/** Worst-case bytes of XML for one character of text (`&#x10FFFF;`). */
const XML_BYTES_PER_CHAR = 10;
/** Room for a cell's tag and attributes on top of its text. */
const XML_RUN_MARGIN = 4096;

const MACRO_NAME = /(^|\/)vbaproject(signature)?\.bin$/i;
const MACRO_SHEET_DIR = /^xl\/macrosheets\//i;
const ACTIVEX_DIR = /^xl\/activex\//i;
const SHEET_LIKE_NAME = /^xl\/(worksheets|chartsheets|dialogsheets|macrosheets)\/[^/]+\.xml$/i;
const XML_NAME = /\.(xml|rels|vml)$/i;
const MACRO_FILE_NAME = /\.(xlsm|xltm|xlam)$/i;
const MACRO_DECLARED_TYPE = /macroenabled/i;

class Guard {
  private readonly filename: string | null;
  private archive!: ZipArchive;
  private readonly entries = new Map<string, ZipEntryInfo>();
  private readonly inflated = new Set<string>();
  private readonly deferred = new Map<string, () => EntryCheck>();
  private compressedTotal = 0;
  /** Actual bytes inflated so far, by the guard and then by the reader's deferred checks (shared). */
  private readonly totals = { uncompressed: 0 };
  /** Declared sizes of the parts left to the reader, which their checks will not let them exceed. */
  private deferredDeclared = 0;
  private readonly refuse: Refuser;

  constructor(
    private readonly file: UploadedFile,
    private readonly limits: UploadLimits,
    private readonly options: GuardOptions,
  ) {
    this.filename = file.filename?.trim() || null;
    this.refuse = refuserFor(this.filename);
  }

  async run(): Promise<GuardedWorkbook> {
    const bytes = await this.readBody();
    if (bytes.length === 0) this.refuse("file_empty", {});
    if (!bytes.subarray(0, 2).equals(ZIP_SIGNATURE)) this.refuseNonZip(bytes);

    try {
      this.archive = await ZipArchive.open(bytes);
    } catch (error) {
      this.refuse("zip_corrupt", {}, `zip open: ${(error as Error).message}`);
    }
    await this.checkEntryCount();
    await this.readCentralDirectory();
    await this.checkLayout(bytes);

    const structure = await this.checkStructure();
    if ((this.file.filename && MACRO_FILE_NAME.test(this.file.filename)) || (this.file.contentType && MACRO_DECLARED_TYPE.test(this.file.contentType))) {
      this.refuse("macro_enabled", { reason: "declared_name" }, `declared ${this.file.filename ?? ""} ${this.file.contentType ?? ""}`);
    }
    await this.inflateRemaining(structure);
    // Parts left to the reader count with their declared sizes, which their checks will not let them exceed.
    const uncompressedBound = this.totals.uncompressed + this.deferredDeclared;
    checkRatio(this.limits, this.refuse, uncompressedBound, this.compressedTotal, this.limits.maxTotalCompressionRatio, "inflated");

    const workbook: GuardedWorkbook = Object.freeze({
      filename: this.filename,
      bytes,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      sheets: Object.freeze(structure.sheets.map((s) => Object.freeze(s))),
      date1904: structure.date1904,
      limits: Object.freeze({ ...this.limits }),
      stats: Object.freeze({ entries: this.entries.size, compressedBytes: this.compressedTotal, uncompressedBytes: uncompressedBound }),
    });
    internals.set(workbook, {
      archive: this.archive,
      entries: this.entries,
      sharedStringsPart: structure.sharedStringsPart,
      stylesPart: structure.stylesPart,
      deferred: this.deferred,
      checked: new Set(),
    });
    return workbook;
  }

  // 1. Size ------------------------------------------------------------------

  private async readBody(): Promise<Buffer> {
    const max = this.limits.maxFileBytes;
    const declared = this.file.declaredSize;
    if (typeof declared === "number" && declared > max) this.refuse("file_too_large", { limit: max, size: declared });
    const body = this.file.body;
    if (body instanceof Uint8Array) {
      if (body.byteLength > max) this.refuse("file_too_large", { limit: max, size: body.byteLength });
      // A private copy, so that nobody can change the bytes between guard and reader — unless they were handed over.
      return this.file.owned ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : Buffer.from(body);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of chunksOf(body)) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      total += buffer.length;
      // Stop reading at once: leaving the loop cancels the stream.
      if (total > max) this.refuse("file_too_large", { limit: max });
      chunks.push(Buffer.from(buffer));
    }
    return Buffer.concat(chunks, total);
  }

  // 2. Sniffing ----------------------------------------------------------------

  private refuseNonZip(bytes: Buffer): never {
    if (bytes.subarray(0, 8).equals(CFB_SIGNATURE)) {
      // An OLE2 compound file: legacy Office, or an encrypted/IRM-protected OOXML package.
      if (bytes.includes(utf16("EncryptionInfo")) || bytes.includes(utf16("EncryptedPackage"))) {
        this.refuse("encrypted_workbook", {}, "CFB container with EncryptionInfo/EncryptedPackage streams");
      }
      const format: LegacyFormat = bytes.includes(utf16("Workbook")) || bytes.includes(utf16("Book"))
        ? "xls"
        : bytes.includes(utf16("WordDocument"))
          ? "doc"
          : bytes.includes(utf16("PowerPoint Document"))
            ? "ppt"
            : "office";
      this.refuse("legacy_format", { format }, "CFB (OLE2) container");
    }
    const detected = detectFormat(bytes);
    this.refuse("not_a_workbook", { detected }, `sniffed as ${detected}`);
  }

  // 3. Central directory ---------------------------------------------------------

  private async checkEntryCount() {
    const { maxEntries, maxSheets } = this.limits;
    const count = this.archive.entryCount;
    if (count <= maxEntries) return;
    // Thousands of sheets show as thousands of entries: say "sheets" when that is the cause.
    const scanLimit = Math.min(count, maxEntries * 10);
    let sheetLike = 0;
    try {
      for await (const entry of this.archive.entries(scanLimit)) if (SHEET_LIKE_NAME.test(entry.name)) sheetLike += 1;
    } catch {
      // A broken directory: the count alone is reason enough.
    }
    if (sheetLike > maxSheets) this.refuse("too_many_sheets", { count: sheetLike, atLeast: scanLimit < count, limit: maxSheets });
    this.refuse("zip_too_many_entries", { count, limit: maxEntries });
  }

  private async readCentralDirectory() {
    const { maxTotalUncompressedBytes, maxEntryCompressionRatio } = this.limits;
    let declaredTotal = 0;
    try {
      for await (const entry of this.archive.entries()) {
        const name = entry.name;
        const unsafe = unsafeNameReason(name);
        if (unsafe) this.refuse("zip_unsafe_entry_name", { part: name }, unsafe);
        const key = partKey(name);
        if (this.entries.has(key)) this.refuse("zip_duplicate_entry", { part: name });
        if (entry.flags & (ZIP_FLAG_ENCRYPTED | ZIP_FLAG_STRONG_ENCRYPTION)) this.refuse("zip_encrypted_entry", { part: name });
        if (entry.zip64) this.refuse("zip_unsupported", { feature: "Zip64", part: name });
        if (entry.method !== ZIP_METHOD_STORED && entry.method !== ZIP_METHOD_DEFLATED) {
          this.refuse("zip_unsupported", { feature: `méthode de compression n° ${entry.method}`, part: name });
        }
        if (entry.method === ZIP_METHOD_STORED && entry.compressedSize !== entry.uncompressedSize) {
          this.refuse("zip_corrupt", { part: name }, "stored entry with different compressed and uncompressed sizes");
        }
        if (name.endsWith("/") && entry.uncompressedSize !== 0) this.refuse("zip_corrupt", { part: name }, "directory entry with content");
        if (MACRO_NAME.test(name)) this.refuse("macro_enabled", { reason: "vba_project", part: name });
        if (MACRO_SHEET_DIR.test(name)) this.refuse("macro_enabled", { reason: "macro_sheet", part: name });
        if (ACTIVEX_DIR.test(name)) this.refuse("macro_enabled", { reason: "activex", part: name });

        declaredTotal += entry.uncompressedSize;
        if (declaredTotal > maxTotalUncompressedBytes) {
          this.refuse("zip_too_large_uncompressed", { limit: maxTotalUncompressedBytes, part: name }, `declared total ${declaredTotal}`);
        }
        this.checkRatio(entry.uncompressedSize, entry.compressedSize, maxEntryCompressionRatio, "declared", name);
        this.compressedTotal += entry.compressedSize;
        this.entries.set(key, entry);
      }
    } catch (error) {
      if (error instanceof UploadRefusedError) throw error;
      const message = (error as Error).message;
      if (/encrypt/i.test(message)) this.refuse("zip_encrypted_entry", {}, message);
      this.refuse("zip_corrupt", {}, `central directory: ${message}`);
    }
    this.checkRatio(declaredTotal, this.compressedTotal, this.limits.maxTotalCompressionRatio, "declared");
  }

  private checkRatio(uncompressed: number, compressed: number, limit: number, source: "declared" | "inflated", part?: string) {
    checkRatio(this.limits, this.refuse, uncompressed, compressed, limit, source, part);
  }

  // 4. Layout ----------------------------------------------------------------

  private async checkLayout(bytes: Buffer) {
    const eocdStart = bytes.length - EOCD_SIZE - this.archive.commentLength;
    const cdEnd = this.archive.centralDirectoryEnd;
    if (cdEnd !== eocdStart) {
      if (cdEnd + 4 <= bytes.length && bytes.readUInt32LE(cdEnd) === ZIP64_EOCD_SIGNATURE) this.refuse("zip_unsupported", { feature: "Zip64" });
      this.corrupt("bytes between the central directory and its end record");
    }

    const sorted = [...this.entries.values()].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    let cursor = 0;
    let previous: ZipEntryInfo | null = null;
    const checkGap = (next: number, part: string) => {
      const gap = next - cursor;
      if (gap === 0) return;
      if (gap < 0) this.corrupt("overlapping entries", part);
      const before = previous;
      if (!before) return this.corrupt("bytes before the first entry", part);
      if (!(before.flags & ZIP_FLAG_DATA_DESCRIPTOR) || !DESCRIPTOR_LENGTHS.has(gap)) this.corrupt("unexpected bytes between entries", part);
      // A data descriptor: optional signature, then CRC-32 and sizes, which must agree.
      const signed = gap === 16 || gap === 24;
      if (signed && bytes.readUInt32LE(cursor) !== DATA_DESCRIPTOR_SIGNATURE) this.corrupt("bad data descriptor", before.name);
      if (bytes.readUInt32LE(cursor + (signed ? 4 : 0)) !== before.crc32) this.corrupt("data descriptor CRC differs", before.name);
    };
    for (const entry of sorted) {
      checkGap(entry.localHeaderOffset, entry.name);
      const local = await this.archive.localHeader(entry).catch((error: Error) => this.corrupt(`local header: ${error.message}`, entry.name));
      if (!local.fileName.equals(entry.rawName)) this.corrupt("local and central names differ", entry.name);
      if (local.compressionMethod !== entry.method) this.corrupt("local and central methods differ", entry.name);
      if (local.generalPurposeBitFlag & (ZIP_FLAG_ENCRYPTED | ZIP_FLAG_STRONG_ENCRYPTION)) this.refuse("zip_encrypted_entry", { part: entry.name });
      const deferred = local.generalPurposeBitFlag & ZIP_FLAG_DATA_DESCRIPTOR;
      const agrees = (localValue: number, central: number) => localValue === central || (deferred && localValue === 0);
      if (!agrees(local.compressedSize, entry.compressedSize) || !agrees(local.uncompressedSize, entry.uncompressedSize) || !agrees(local.crc32, entry.crc32)) {
        this.corrupt("local and central sizes differ", entry.name);
      }
      cursor = local.fileDataStart + entry.compressedSize;
      previous = deferred ? { ...entry, flags: entry.flags | ZIP_FLAG_DATA_DESCRIPTOR } : entry;
    }
    checkGap(this.archive.centralDirectoryOffset, "(répertoire central)");
  }

  private corrupt(detail: string, part?: string): never {
    this.refuse("zip_corrupt", part ? { part } : {}, `layout: ${detail}`);
  }

  // 5. OOXML structure --------------------------------------------------------------

  private has(name: string) {
    return this.entries.has(partKey(name));
  }

  private async checkStructure(): Promise<Structure> {
    if (!this.has("[Content_Types].xml")) {
      const detected: DetectedFormat = this.has("mimetype") && this.has("content.xml") ? "opendocument" : "zip";
      this.refuse("not_a_workbook", { detected }, "no [Content_Types].xml");
    }
    if (!this.has("xl/workbook.xml")) {
      const detected: DetectedFormat = this.has("word/document.xml")
        ? "word"
        : this.has("ppt/presentation.xml")
          ? "powerpoint"
          : this.has("xl/workbook.bin")
            ? "xlsb"
            : "unknown";
      this.refuse("not_a_workbook", { detected }, "no xl/workbook.xml");
    }

    return this.structural(async () => {
      const contentTypes = parseContentTypes(await this.readPart("[Content_Types].xml"));
      this.checkContentTypes(contentTypes);

      const packageRels = parseRelationships(await this.readPart("_rels/.rels"), "_rels/.rels", "");
      const office = packageRels.filter((r) => relationshipTypeIs(r.type, "officeDocument"));
      if (office.length !== 1 || office[0]!.target === null || partKey(office[0]!.target) !== "xl/workbook.xml") {
        throw new OoxmlStructureError("le document principal n'est pas xl/workbook.xml", "_rels/.rels");
      }

      const workbookXml = parseWorkbookXml(await this.readPart("xl/workbook.xml"), "xl/workbook.xml", this.limits.maxSheets);
      if (workbookXml.sheetCount > this.limits.maxSheets) {
        this.refuse("too_many_sheets", { count: workbookXml.sheetCount, limit: this.limits.maxSheets });
      }
      if (workbookXml.sheetCount === 0) throw new OoxmlStructureError("le classeur ne contient aucune feuille", "xl/workbook.xml");

      const relsPart = relationshipsPartOf("xl/workbook.xml");
      const rels = parseRelationships(await this.readPart(relsPart), relsPart, "xl/workbook.xml");
      const byId = new Map(rels.map((r) => [r.id, r]));
      const names = new Set<string>();
      const sheets: WorkbookSheet[] = workbookXml.sheets.map((entry, index) => {
        const rel = byId.get(entry.relationshipId);
        const kind = rel ? sheetKindOf(rel.type) : null;
        if (!rel || rel.target === null || !kind) throw new OoxmlStructureError(`la feuille « ${entry.name} » n'a pas de contenu`, relsPart);
        if (kind === "macrosheet") this.refuse("macro_enabled", { reason: "macro_sheet", part: rel.target });
        const part = this.entries.get(partKey(rel.target))?.name;
        if (!part) throw new OoxmlStructureError(`le contenu de la feuille « ${entry.name} » est absent`, rel.target);
        const folded = entry.name.toLowerCase();
        if (names.has(folded)) throw new OoxmlStructureError(`deux feuilles s'appellent « ${entry.name} »`, "xl/workbook.xml");
        names.add(folded);
        return { index, name: entry.name, sheetId: entry.sheetId, state: entry.state, kind, part };
      });
      const single = (type: string) => {
        const rel = rels.find((r) => relationshipTypeIs(r.type, type) && r.target !== null);
        return rel?.target ? (this.entries.get(partKey(rel.target))?.name ?? null) : null;
      };
      return {
        contentTypes,
        sheets,
        date1904: workbookXml.date1904,
        sharedStringsPart: single("sharedStrings"),
        stylesPart: single("styles"),
      };
    });
  }

  private async structural<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof OoxmlStructureError) this.refuse("workbook_invalid", { reason: error.reason, part: error.part }, error.message);
      throw error;
    }
  }

  private checkContentTypes(contentTypes: ContentTypes) {
    for (const type of contentTypes.all()) {
      const active = isActiveContentType(type);
      if (active) this.refuse("macro_enabled", { reason: active }, `content type ${type}`);
    }
    const main = contentTypes.typeOf("xl/workbook.xml");
    if (main === MAIN_PART_TYPES.workbook) return;
    if (main === MAIN_PART_TYPES.template) this.refuse("not_a_workbook", { detected: "excel_template" }, `main part ${main}`);
    this.refuse("not_a_workbook", { detected: "unknown" }, `main part content type ${main ?? "(none)"}`);
  }

  /** Inflates a structural part into a string, scanned and bounded by `maxCachedPartBytes`. */
  private async readPart(name: string): Promise<string> {
    const entry = this.entries.get(partKey(name));
    if (!entry) throw new OoxmlStructureError("élément manquant", name);
    const chunks: Buffer[] = [];
    await this.inflate(entry, { scanner: new XmlPartScanner({ maxRunBytes: null, maxColumnDefinition: null }), collect: chunks });
    // fatal: a structural part that is not UTF-8 is refused, not guessed.
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      this.refuse("xml_invalid", { part: entry.name, reason: "caractères qui ne sont pas de l'UTF-8" });
    }
  }

  // 6. Every entry, inflated ---------------------------------------------------------

  private async inflateRemaining(structure: Structure) {
    const { maxCellTextLength } = this.limits;
    const sheetByPart = new Map(structure.sheets.map((s) => [partKey(s.part), s]));
    const runLimit = maxCellTextLength * XML_BYTES_PER_CHAR + XML_RUN_MARGIN;
    const cachedParts = new Set([structure.sharedStringsPart, structure.stylesPart].filter((p): p is string => p !== null).map(partKey));
    const readLater = this.options.readLater;
    const deferSheet = (key: string) => {
      const sheet = sheetByPart.get(key);
      return sheet !== undefined && sheet.kind === "worksheet" && readLater !== undefined && readLater(sheet);
    };
    // The shared strings and styles go with the sheets read later: the reader reads them first, in full.
    const deferCached = readLater !== undefined && structure.sheets.some((sheet) => deferSheet(partKey(sheet.part)));
    for (const [key, entry] of this.entries) {
      if (this.inflated.has(key) || entry.name.endsWith("/")) continue;
      const sheet = sheetByPart.get(key);
      const isSharedStrings = structure.sharedStringsPart !== null && key === partKey(structure.sharedStringsPart);
      const options: XmlScanOptions = {
        // Text runs are bounded where the reader builds strings: cells and shared strings.
        maxRunBytes: sheet || isSharedStrings ? runLimit : null,
        maxColumnDefinition: sheet ? MAX_EXCEL_COLUMN : null,
      };
      const xmlByName = XML_NAME.test(entry.name) || /xml/i.test(structure.contentTypes.typeOf(entry.name) ?? "");
      const checks = () => ({
        scanner: xmlByName ? new XmlPartScanner(options) : ("sniff" as const),
        ...(cachedParts.has(key) ? { maxBytes: this.limits.maxCachedPartBytes } : {}),
        sheetName: sheet?.name,
      });
      if (xmlByName && (deferSheet(key) || (deferCached && cachedParts.has(key)))) {
        // Checked by the reader as it inflates the part (ADR 056); what can be checked without inflating, now.
        this.openCheck(entry, checks());
        this.deferred.set(key, () => this.openCheck(entry, checks()));
        this.deferredDeclared += entry.uncompressedSize;
        continue;
      }
      await this.inflate(entry, checks());
    }
  }

  private openCheck(entry: ZipEntryInfo, options: EntryCheckOptions): EntryCheck {
    return new EntryCheck(entry, options, this.limits, this.refuse, this.totals);
  }

  /** Inflates one entry as a stream through its step-6 checks (`EntryCheck`); `collect` keeps the chunks. */
  private async inflate(entry: ZipEntryInfo, options: EntryCheckOptions & { collect?: Buffer[] }): Promise<void> {
    const check = this.openCheck(entry, options.collect ? { ...options, maxBytes: this.limits.maxCachedPartBytes } : options);
    this.inflated.add(partKey(entry.name));
    const collect = options.collect;
    await inflateChecked(this.archive, check, collect ? (chunk) => collect.push(chunk) : undefined);
  }
}

export type Refuser = <C extends UploadRefusalCode>(code: C, params: UploadRefusalParams[C], logDetail?: string) => never;

function checkRatio(limits: UploadLimits, refuse: Refuser, uncompressed: number, compressed: number, limit: number, source: "declared" | "inflated", part?: string) {
  if (uncompressed < limits.compressionRatioGraceBytes) return;
  const ratio = uncompressed / Math.max(compressed, 1);
  if (ratio > limit) refuse("zip_compression_ratio", { ratio, limit, ...(part ? { part } : {}) }, `${source} ${uncompressed} bytes from ${compressed}`);
}

interface EntryCheckOptions {
  scanner: XmlPartScanner | "sniff";
  maxBytes?: number;
  sheetName?: string | undefined;
}

/**
 * Step 6 for one entry, fed its inflated bytes chunk by chunk (by the guard, or by the reader for a part left
 * to it): counts the ACTUAL bytes against the declared size (a lying size is caught at its first extra byte),
 * the workbook's total, the part's bound and its ratio; checks the CRC-32 at the end; feeds the XML scanner.
 * Each chunk is checked before the caller does anything else with it. Throws `UploadRefusedError`.
 */
export class EntryCheck {
  private count = 0;
  private crc = 0;
  private first = true;
  private scanner: XmlPartScanner | null;
  private readonly maxBytes: number;

  constructor(
    readonly entry: ZipEntryInfo,
    private readonly options: EntryCheckOptions,
    private readonly limits: UploadLimits,
    private readonly refuse: Refuser,
    private readonly totals: { uncompressed: number },
  ) {
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.scanner = options.scanner === "sniff" ? null : options.scanner;
    if (entry.uncompressedSize > this.maxBytes) refuse("zip_too_large_uncompressed", { limit: this.maxBytes, part: entry.name }, "declared size of a cached part");
  }

  chunk(chunk: Buffer): void {
    const { maxTotalUncompressedBytes, maxEntryCompressionRatio, compressionRatioGraceBytes } = this.limits;
    const entry = this.entry;
    const part = entry.name;
    this.count += chunk.length;
    this.totals.uncompressed += chunk.length;
    if (this.count > entry.uncompressedSize) {
      this.refuse("zip_size_mismatch", { part, declared: entry.uncompressedSize, actualIsLarger: true }, `stopped after inflating ${this.count} bytes, ${entry.uncompressedSize} declared`);
    }
    if (this.totals.uncompressed > maxTotalUncompressedBytes) this.refuse("zip_too_large_uncompressed", { limit: maxTotalUncompressedBytes, part });
    if (this.count > this.maxBytes) this.refuse("zip_too_large_uncompressed", { limit: this.maxBytes, part });
    if (this.count >= compressionRatioGraceBytes) checkRatio(this.limits, this.refuse, this.count, entry.compressedSize, maxEntryCompressionRatio, "inflated", part);
    this.crc = crc32(chunk, this.crc);
    if (this.first && this.options.scanner === "sniff" && looksLikeXml(chunk)) this.scanner = new XmlPartScanner({ maxRunBytes: null, maxColumnDefinition: null });
    this.first = false;
    if (this.scanner) this.report(this.scanner.feed(chunk));
  }

  /** The inflation failed: a refusal goes on as it is; anything else (a corrupt stream) is refused as such. */
  failed(error: unknown): never {
    if (error instanceof UploadRefusedError) throw error;
    this.refuse("zip_corrupt", { part: this.entry.name }, `inflate: ${(error as Error)?.message ?? String(error)}`);
  }

  /** Every byte was given: the scanner's end, the exact size, the CRC-32. */
  end(): void {
    const entry = this.entry;
    if (this.scanner) this.report(this.scanner.end());
    if (this.count !== entry.uncompressedSize) this.refuse("zip_size_mismatch", { part: entry.name, declared: entry.uncompressedSize, actualIsLarger: false });
    if (this.crc >>> 0 !== entry.crc32 >>> 0) this.refuse("zip_corrupt", { part: entry.name }, "CRC-32 mismatch");
  }

  private report(problem: XmlScanProblem | null) {
    if (!problem) return;
    const part = this.entry.name;
    const sheetName = this.options.sheetName;
    switch (problem.kind) {
      case "dtd":
        this.refuse("xml_dtd_forbidden", { part });
        break;
      case "encoding":
        this.refuse("xml_invalid", { part, reason: "encodage autre que UTF-8" }, problem.detail);
        break;
      case "run_too_long":
        this.refuse("cell_text_too_long", { ...(sheetName ? { sheet: sheetName } : {}), limit: this.limits.maxCellTextLength }, `${problem.length} bytes between two tags in ${part}`);
        break;
      case "column_definition":
        this.refuse("too_many_columns", { sheet: sheetName ?? part, column: problem.column, limit: this.limits.maxColumns }, `<col> up to ${problem.column}`);
        break;
      case "tag_too_long":
        this.refuse("xml_invalid", { part, reason: "balise démesurée" });
        break;
    }
  }
}

interface Structure {
  contentTypes: ContentTypes;
  sheets: WorkbookSheet[];
  date1904: boolean;
  sharedStringsPart: string | null;
  stylesPart: string | null;
}

/** The chunks of a stream; leaving the loop early cancels it (web streams included). */
async function* chunksOf(body: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array | string> {
  if (!("getReader" in body)) {
    yield* body;
    return;
  }
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Why a zip entry name is unsafe to accept, or null. Checked on the name as stored. */
export function unsafeNameReason(name: string): string | null {
  if (name.length === 0) return "empty name";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "control character";
  if (name.includes("\\")) return "backslash";
  if (name.startsWith("/")) return "absolute path";
  if (/^[a-zA-Z]:/.test(name)) return "drive letter";
  const segments = name.split("/");
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (segment === "..") return "parent directory segment";
    if (segment === ".") return "current directory segment";
    if (segment === "" && i !== last) return "empty segment";
  }
  return null;
}

function looksLikeXml(chunk: Buffer): boolean {
  let i = 0;
  if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
  if ((chunk[0] === 0xfe && chunk[1] === 0xff) || (chunk[0] === 0xff && chunk[1] === 0xfe)) return true;
  while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x09 || chunk[i] === 0x0a || chunk[i] === 0x0d)) i += 1;
  return chunk[i] === 0x3c;
}

const startsWithBytes = (bytes: Buffer, signature: readonly number[]) => signature.every((b, i) => bytes[i] === b);

/** What a file that is neither a zip nor an OLE2 container looks like. */
export function detectFormat(bytes: Buffer): DetectedFormat {
  const head = bytes.subarray(0, 8192);
  if (head.subarray(0, 1024).includes(ascii("%PDF-"))) return "pdf";
  if (
    startsWithBytes(head, [0x89, 0x50, 0x4e, 0x47]) ||
    startsWithBytes(head, [0xff, 0xd8, 0xff]) ||
    head.subarray(0, 4).equals(ascii("GIF8")) ||
    head.subarray(0, 2).equals(ascii("BM")) ||
    startsWithBytes(head, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWithBytes(head, [0x4d, 0x4d, 0x00, 0x2a]) ||
    (head.subarray(0, 4).equals(ascii("RIFF")) && head.subarray(8, 12).equals(ascii("WEBP")))
  ) {
    return "image";
  }
  if (
    startsWithBytes(head, [0x1f, 0x8b]) ||
    head.subarray(0, 4).equals(ascii("Rar!")) ||
    startsWithBytes(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) ||
    head.subarray(0, 3).equals(ascii("BZh")) ||
    startsWithBytes(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])
  ) {
    return "archive";
  }
  let text: string;
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    // Excel's "Unicode text" export is UTF-16 with a BOM.
    const body = head.subarray(2);
    text = head[0] === 0xff ? body.toString("utf16le") : Buffer.from(body).swap16().toString("utf16le");
  } else {
    if (head.includes(0)) return "unknown";
    text = head.toString("utf8");
  }
  // eslint-disable-next-line no-control-regex
  const controls = (text.match(/[\u0000-\u0008\u000e-\u001f]/g) ?? []).length;
  if (controls > text.length / 100) return "unknown";
  const trimmed = text.replace(/^\ufeff/, "").trimStart();
  if (/^<(!doctype\s+html|html)[\s>]/i.test(trimmed) || /<html[\s>]/i.test(trimmed.slice(0, 2048))) return "html";
  if (trimmed.startsWith("<")) return "xml";
  const firstLine = trimmed.split(/\r?\n/, 1)[0] ?? "";
  return /[;,\t|]/.test(firstLine) ? "csv" : "text";
}
