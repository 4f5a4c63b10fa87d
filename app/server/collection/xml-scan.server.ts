/**
 * A byte-level scanner for one XML part of a workbook, fed the part's
 * inflated chunks as they stream out of the zip (never the whole part at
 * once). It does not parse XML; it looks for the few things that must never
 * reach a parser:
 *
 * - any markup declaration `<!…` other than a comment `<!--` or a CDATA
 *   section `<![CDATA[`: `<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`, `<!ATTLIST`…
 *   (entity expansion, external entities / XXE). Excel never writes a DTD.
 * - an encoding other than UTF-8 (a UTF-16 part would hide `<!DOCTYPE` from a
 *   byte scan, and the reader decodes UTF-8 only);
 * - optionally, runs longer than `maxRunBytes` between two `<` (one text node
 *   or one tag), so no single string the reader builds can be huge;
 * - optionally, `<col min=… max=…>` column definitions beyond Excel's last
 *   column: exceljs materialises one object per column up to `max`.
 *
 * Chunk boundaries are handled by carrying the few unfinished bytes over.
 */

export type XmlScanProblem =
  | { kind: "dtd" }
  | { kind: "encoding"; detail: string }
  | { kind: "run_too_long"; length: number }
  | { kind: "column_definition"; column: number }
  | { kind: "tag_too_long" };

export interface XmlScanOptions {
  /** Longest allowed distance between two `<` (bytes); null: not checked. */
  maxRunBytes: number | null;
  /** Highest column a `<col min max>` definition may reach; null: not checked. */
  maxColumnDefinition: number | null;
}

const LT = 0x3c;
const GT = 0x3e;
const DECLARATION_OPEN = Buffer.from("<!");
const COL_OPEN = Buffer.from("<col");
const COMMENT = Buffer.from("<!--");
const CDATA = Buffer.from("<![CDATA[");
/** Bytes needed after a `<` to classify it. */
const LOOKAHEAD = CDATA.length;
/** A `<col …>` tag longer than this is not something Excel writes. */
const MAX_COL_TAG_BYTES = 4096;
/** Bytes of a chunk looked at together with the carried tail. */
const SEAM_BYTES = MAX_COL_TAG_BYTES + LOOKAHEAD;
/** Bytes of the prolog inspected for a BOM and the XML declaration. */
const PROLOG_BYTES = 256;
const EMPTY = Buffer.alloc(0);

const isSpaceOrEnd = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x2f || b === GT;

export class XmlPartScanner {
  /** Unfinished bytes carried to the next chunk (the last few bytes, or an open `<col` tag). */
  private tail: Buffer = EMPTY;
  /** Absolute offset of the last `<` whose run was checked (or of the start). */
  private lastLt = 0;
  private total = 0;
  private prolog: Buffer | null = EMPTY;

  constructor(private readonly options: XmlScanOptions) {}

  /** Scans the next chunk; returns the first problem found, if any. */
  feed(chunk: Buffer): XmlScanProblem | null {
    const base = this.total;
    this.total += chunk.length;
    if (this.prolog) {
      this.prolog = Buffer.concat([this.prolog, chunk.subarray(0, PROLOG_BYTES)]);
      if (this.prolog.length >= PROLOG_BYTES) {
        const problem = checkProlog(this.prolog);
        this.prolog = null;
        if (problem) return problem;
      }
    }
    const run = this.checkRuns(chunk, base);
    if (run) return run;

    const tail = this.tail;
    this.tail = EMPTY;
    if (tail.length === 0) return this.scanMarkup(chunk, chunk.length, false);
    if (chunk.length <= SEAM_BYTES) return this.scanMarkup(Buffer.concat([tail, chunk]), Number.POSITIVE_INFINITY, false);
    // A long chunk: decide what starts in the carried bytes on a small seam, then scan
    // the chunk itself, without copying it. A `<col` tag that started in the tail ends
    // within the seam or is too long anyway.
    const seam = Buffer.concat([tail, chunk.subarray(0, SEAM_BYTES)]);
    return this.scanMarkup(seam, tail.length, true) ?? this.scanMarkup(chunk, chunk.length, false);
  }

  /** Ends the part: checks what was carried over. */
  end(): XmlScanProblem | null {
    if (this.prolog) {
      const problem = checkProlog(this.prolog);
      this.prolog = null;
      if (problem) return problem;
    }
    const tail = this.tail;
    this.tail = EMPTY;
    return this.scanMarkup(tail, tail.length, true);
  }

  /**
   * Looks at the `<!` and `<col` starting before `before` in `data`. Unless
   * `final`, what cannot be decided yet (cut by the end of `data`) is carried.
   */
  private scanMarkup(data: Buffer, before: number, final: boolean): XmlScanProblem | null {
    // Markup declarations: `<!` not opening a comment or a CDATA section.
    for (let p = data.indexOf(DECLARATION_OPEN); p !== -1 && p < before; p = data.indexOf(DECLARATION_OPEN, p + 1)) {
      if (!final && data.length - p < LOOKAHEAD) break; // decided with the next chunk (carried below)
      if (!startsWith(data, p, COMMENT) && !startsWith(data, p, CDATA)) return { kind: "dtd" };
    }

    // Column definitions.
    let openTag = -1;
    if (this.options.maxColumnDefinition !== null) {
      for (let p = data.indexOf(COL_OPEN); p !== -1 && p < before; p = data.indexOf(COL_OPEN, p + 1)) {
        if (p + COL_OPEN.length >= data.length) {
          if (!final) openTag = p;
          break;
        }
        if (!isSpaceOrEnd(data[p + COL_OPEN.length])) continue;
        const gt = data.indexOf(GT, p);
        if (gt === -1) {
          if (data.length - p > MAX_COL_TAG_BYTES) return { kind: "tag_too_long" };
          if (!final) openTag = p;
          break;
        }
        if (gt - p > MAX_COL_TAG_BYTES) return { kind: "tag_too_long" };
        const problem = checkColumnDefinition(data.toString("latin1", p, gt), this.options.maxColumnDefinition);
        if (problem) return problem;
      }
    }

    if (!final) {
      // Carry the last bytes (a `<!…` or `<col` cut by the chunk boundary) or the open `<col` tag.
      const last = Math.max(0, data.length - (LOOKAHEAD - 1));
      const from = openTag !== -1 ? Math.min(openTag, last) : last;
      this.tail = Buffer.from(data.subarray(from)); // a copy: the chunk's memory belongs to the stream
    }
    return null;
  }

  /**
   * Checks that no two consecutive `<` are more than `maxRunBytes` apart, in
   * strides of `maxRunBytes` (native `lastIndexOf`), not byte by byte.
   */
  private checkRuns(data: Buffer, base: number): XmlScanProblem | null {
    const max = this.options.maxRunBytes;
    if (max === null) return null;
    let q = this.lastLt - base; // may be negative: the last `<` was in an earlier chunk
    for (;;) {
      const limit = q + max;
      if (limit >= data.length) break;
      const p = limit < 0 ? -1 : data.lastIndexOf(LT, limit);
      if (p === -1 || p <= q) return { kind: "run_too_long", length: max + 1 };
      q = p;
    }
    const last = data.lastIndexOf(LT);
    if (last !== -1 && last > q) q = last;
    this.lastLt = Math.max(this.lastLt, base + q);
    return null;
  }
}

function startsWith(data: Buffer, at: number, prefix: Buffer): boolean {
  if (data.length - at < prefix.length) {
    // At the very end of the part: a truncated prefix of an allowed form is not a DTD.
    return data.subarray(at).equals(prefix.subarray(0, data.length - at));
  }
  return data.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

function checkColumnDefinition(tag: string, max: number): XmlScanProblem | null {
  for (const m of tag.matchAll(/\b(min|max)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    // The same parse exceljs applies (parseInt), so what is checked is what it would use.
    const n = Number.parseInt(m[2] ?? m[3] ?? "", 10);
    if (Number.isFinite(n) && n > max) return { kind: "column_definition", column: n };
  }
  return null;
}

function checkProlog(head: Buffer): XmlScanProblem | null {
  if (head.length >= 2 && ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe))) {
    return { kind: "encoding", detail: "UTF-16 byte order mark" };
  }
  if (head.subarray(0, 4).includes(0)) return { kind: "encoding", detail: "NUL byte in prolog (UTF-16/32)" };
  const text = head.toString("latin1").replace(/^\u00ef\u00bb\u00bf/, "");
  const declaration = /^<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']*)["']/.exec(text);
  if (declaration && !/^utf-?8$/i.test(declaration[1] ?? "")) {
    return { kind: "encoding", detail: `declared encoding ${declaration[1]}` };
  }
  return null;
}
