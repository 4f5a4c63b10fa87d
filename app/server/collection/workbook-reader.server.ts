import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import type { Cell, CellValue, Row, ValueType } from "exceljs";
import { SaxesParser } from "saxes";
import { columnLetters, type UploadLimits, type UploadRefusal } from "~/domain/upload-errors";
import type { SheetBounds } from "~/domain/template-layout";
import type { SheetRow } from "~/domain/workbook-interpretation";
import { UploadRefusedError, guardedInternals, refuserFor, type EntryCheck, type GuardedInternals, type GuardedWorkbook, type Refuser, type WorkbookSheet } from "./upload-guard.server";
import { partKey } from "./ooxml-structure.server";
import type { ZipEntryInfo } from "./zip-archive.server";

/**
 * The bounded streaming reader of a guarded workbook: sheets, then rows, then
 * cells with their A1 references, formulas reported apart from plain values
 * (formula text + the result Excel cached). Row numbers, column numbers and
 * text lengths are checked as rows stream, so an absurd sheet is refused at
 * its first absurd cell. Memory stays bounded whatever the file: one row at a
 * time, plus the shared strings and styles (≤ `maxCachedPartBytes` each,
 * checked by the guard).
 *
 * Engine: exceljs's streaming row reader (`WorksheetReader`, the engine of
 * `stream.xlsx.WorkbookReader`) and its styles parser, fed by us rather than
 * through `WorkbookReader` itself, which in exceljs 4.4.0:
 *  - decodes each inflated chunk as UTF-8 on its own, so an accented
 *    character split across two chunks becomes "��" (see the test
 *    "keeps accented text intact across chunk boundaries");
 *  - re-reads the zip from its local headers with another library (unzipper),
 *    not the central directory the guard checked;
 *  - writes every worksheet to a temporary file when, as Excel does, the
 *    shared strings come after the sheets, and leaves them behind when
 *    reading stops early;
 *  - finds sheets by a hard-coded path pattern and loses names otherwise.
 * Here parts are read through the guard's archive (yauzl), decoded as a
 * stream (a character split across chunks stays whole; invalid UTF-8 is
 * refused), shared strings parsed with saxes (phonetic runs left out), and
 * sheets read in tab order, hidden ones included.
 */

// exceljs internals, pinned by the exact version in package.json and checked at load.
const requireCjs = createRequire(import.meta.url);

type ExcelWorksheetReader = AsyncIterable<Row>;
type WorksheetReaderClass = new (args: {
  workbook: { sharedStrings: string[]; styles: unknown; properties: { model: { date1904: boolean } } };
  id: number;
  iterator: AsyncIterable<string>;
  options: { worksheets: "emit"; hyperlinks: "ignore" };
}) => ExcelWorksheetReader;
interface StylesXformInstance {
  init(): void;
  parseStream(stream: AsyncIterable<string>): Promise<unknown>;
  getStyleModel(id: number): unknown;
}
type StylesXformClass = new () => StylesXformInstance;

const WorksheetReader = requireCjs("exceljs/lib/stream/xlsx/worksheet-reader.js") as WorksheetReaderClass;
const StylesXform = requireCjs("exceljs/lib/xlsx/xform/style/styles-xform.js") as StylesXformClass;
if (typeof WorksheetReader !== "function" || typeof StylesXform?.prototype?.parseStream !== "function") {
  throw new Error("exceljs internals moved: workbook-reader.server.ts needs WorksheetReader and StylesXform (exceljs 4.4.0).");
}

/** A cell's content as saved in the file. */
export type CellContent =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  /** A number whose format is a date format (Excel stores dates as numbers). */
  | { kind: "date"; value: Date }
  /** An error value such as `#DIV/0!`, `#N/A`, or `#NUM!` for a number that could not be read. */
  | { kind: "error"; value: string }
  | {
      kind: "formula";
      /** The formula text without "=", or null for a cell that shares the formula written on another cell (shared formula). */
      formula: string | null;
      /** The value Excel computed and saved with the file; the portal never recomputes. */
      result: FormulaResult;
    };

/** A formula's cached result. Booleans are saved as 0/1 and come back as numbers. */
export type FormulaResult =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "date"; value: Date }
  /** `value` is null when the file saved an error whose text could not be kept. */
  | { kind: "error"; value: string | null }
  /** No result saved (e.g. a file written by a program that does not compute formulas). */
  | { kind: "none" };

export interface WorkbookCell {
  /** A1 reference, e.g. "E14". */
  ref: string;
  row: number;
  column: number;
  content: CellContent;
}

export type WorkbookEvent =
  | { type: "sheet"; sheet: WorkbookSheet }
  /** A row with at least one non-empty cell, cells in column order. */
  | { type: "row"; sheet: WorkbookSheet; row: number; cells: WorkbookCell[] }
  | { type: "sheetEnd"; sheet: WorkbookSheet; rows: number; cells: number };

export type ReadLimits = Pick<UploadLimits, "maxRows" | "maxColumns" | "maxCellTextLength">;

export interface ReadOptions {
  /** Which sheets to read (default: every worksheet, hidden ones included). Chart and dialog sheets hold no cells and are skipped. */
  sheets?: (sheet: WorkbookSheet) => boolean;
  /** Tighter limits than the ones the workbook was guarded with. */
  limits?: Partial<ReadLimits>;
  /**
   * The template's layout: each sheet's accepted area, null for a sheet the
   * template does not have. Before anything is parsed, every worksheet's size
   * is checked against its area (`sheetByteBudget`); then each cell read must
   * lie inside it. Either way the refusal (`outside_template_layout`) names the
   * sheet and the range, and reading stops there.
   */
  layout?: (sheet: WorkbookSheet) => SheetBounds | null;
  /**
   * The workbook's shared strings and styles, read beforehand by
   * `prepareReading` (for example while the caller waits for the layout);
   * read here otherwise. Must come from the same workbook.
   */
  prepared?: Promise<PreparedReading>;
}

/** What every sheet's rows are read with: the shared strings and the styles, read once per workbook. */
export interface PreparedReading {
  readonly workbook: GuardedWorkbook;
  readonly sharedStrings: string[];
  readonly styles: StylesXformInstance;
}

/** Bytes of sheet XML allowed per cell of the accepted area (a cell is ~40 bytes; long inline texts fit too), plus a fixed allowance. */
const BYTES_PER_CELL = 2048;
const SHEET_BYTES_ALLOWANCE = 256 * 1024;

/** The largest sheet part (uncompressed XML) accepted for an area; a sheet outside the template gets the fixed allowance. */
export const sheetByteBudget = (bounds: SheetBounds | null) => SHEET_BYTES_ALLOWANCE + (bounds ? bounds.rows * bounds.columns * BYTES_PER_CELL : 0);

/** `A1:L70` style range of an area. */
export const boundsRange = (bounds: SheetBounds) => `A1:${columnLetters(bounds.columns)}${bounds.rows}`;

export interface WorkbookReadSummary {
  sheets: { name: string; rows: number; cells: number }[];
  rows: number;
  cells: number;
}

export type WorkbookReadResult = { ok: true; summary: WorkbookReadSummary } | { ok: false; refusal: UploadRefusal };

export interface WorkbookHandlers {
  onSheet?: (sheet: WorkbookSheet) => void | Promise<void>;
  onRow: (row: { sheet: WorkbookSheet; row: number; cells: WorkbookCell[] }) => void | Promise<void>;
  onSheetEnd?: (sheet: WorkbookSheet, counts: { rows: number; cells: number }) => void | Promise<void>;
}

/**
 * Streams a guarded workbook as events: `sheet`, its `row`s, `sheetEnd`, for
 * each worksheet in tab order. Throws `UploadRefusedError` (422, French
 * message, sheet and cell) at the first row or cell beyond a limit or
 * unreadable. Stopping early (break) releases everything.
 */
export async function* iterateWorkbook(workbook: GuardedWorkbook, options: ReadOptions = {}): AsyncGenerator<WorkbookEvent, void, undefined> {
  const inside = guardedInternals(workbook);
  const limits: ReadLimits = {
    maxRows: Math.min(options.limits?.maxRows ?? workbook.limits.maxRows, workbook.limits.maxRows),
    maxColumns: Math.min(options.limits?.maxColumns ?? workbook.limits.maxColumns, workbook.limits.maxColumns),
    maxCellTextLength: Math.min(options.limits?.maxCellTextLength ?? workbook.limits.maxCellTextLength, workbook.limits.maxCellTextLength),
  };
  const refuse = refuserOf(workbook);

  if (options.layout) {
    // Sizes first, from the zip's central directory: a padded sheet is refused before any of it is inflated or parsed.
    for (const sheet of workbook.sheets.filter((s) => s.kind === "worksheet")) {
      const bounds = options.layout(sheet);
      const size = entryOf(inside, sheet.part).uncompressedSize;
      if (size > sheetByteBudget(bounds)) {
        refuse("outside_template_layout", { sheet: sheet.name, range: bounds ? boundsRange(bounds) : null }, `${sheet.part}: ${size} bytes uncompressed`);
      }
    }
  }
  const sheets = workbook.sheets.filter((s) => s.kind === "worksheet" && (options.sheets?.(s) ?? true));
  if (sheets.length === 0) return;

  const prepared = await (options.prepared ?? prepareReading(workbook));
  if (prepared.workbook !== workbook) throw new TypeError("iterateWorkbook: the prepared reading is another workbook's");
  const context = { sharedStrings: prepared.sharedStrings, styles: prepared.styles, properties: { model: { date1904: workbook.date1904 } } };

  for (const sheet of sheets) {
    yield { type: "sheet", sheet };
    const reader = new WorksheetReader({
      workbook: context,
      id: sheet.sheetId,
      iterator: partText(inside, sheet.part, refuse),
      options: { worksheets: "emit", hyperlinks: "ignore" },
    });
    const converter = new RowConverter(sheet, limits, refuse, options.layout ? options.layout(sheet) : undefined);
    let rows = 0;
    let cells = 0;
    const iterator = reader[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await guardPart(sheet.part, sheet.name, refuse, () => iterator.next());
        if (next.done) break;
        const converted = converter.convert(next.value);
        if (converted.length === 0) continue;
        rows += 1;
        cells += converted.length;
        yield { type: "row", sheet, row: next.value.number, cells: converted };
      }
    } finally {
      // Stopping early: let the chain of generators down to the zip stream finish.
      await iterator.return?.();
    }
    yield { type: "sheetEnd", sheet, rows, cells };
  }
}

/**
 * Reads a guarded workbook's shared strings and styles, which every sheet's
 * rows need (bounded by the guard's `maxCachedPartBytes`). Throws
 * `UploadRefusedError` when either is unreadable.
 */
export async function prepareReading(workbook: GuardedWorkbook): Promise<PreparedReading> {
  const inside = guardedInternals(workbook);
  const refuse = refuserOf(workbook);
  const sharedStrings = inside.sharedStringsPart ? await readSharedStrings(inside, inside.sharedStringsPart, refuse) : [];
  const styles = new StylesXform();
  styles.init();
  if (inside.stylesPart) {
    const stylesPart = inside.stylesPart;
    await guardPart(stylesPart, undefined, refuse, () => styles.parseStream(partText(inside, stylesPart, refuse)));
  }
  return { workbook, sharedStrings, styles };
}

const refuserOf = (workbook: GuardedWorkbook): Refuse => refuserFor(workbook.filename);

/**
 * Reads a guarded workbook through callbacks (awaited, so a handler may be
 * async). A refusal — from the reader, or an `UploadRefusedError` thrown by a
 * handler — comes back as a value; other errors are thrown.
 */
export async function readWorkbook(workbook: GuardedWorkbook, handlers: WorkbookHandlers, options: ReadOptions = {}): Promise<WorkbookReadResult> {
  const summary: WorkbookReadSummary = { sheets: [], rows: 0, cells: 0 };
  try {
    for await (const event of iterateWorkbook(workbook, options)) {
      if (event.type === "sheet") {
        await handlers.onSheet?.(event.sheet);
      } else if (event.type === "row") {
        await handlers.onRow({ sheet: event.sheet, row: event.row, cells: event.cells });
      } else {
        summary.sheets.push({ name: event.sheet.name, rows: event.rows, cells: event.cells });
        summary.rows += event.rows;
        summary.cells += event.cells;
        await handlers.onSheetEnd?.(event.sheet, { rows: event.rows, cells: event.cells });
      }
    }
  } catch (error) {
    if (error instanceof UploadRefusedError) return { ok: false, refusal: error.refusal };
    throw error;
  }
  return { ok: true, summary };
}

/**
 * The rows in the shape the collection's interpretation reads (`SheetRow`:
 * cells by column letter; a formula as `{ value: null, formula, result }`,
 * `formula` "" for a shared one). Throws `UploadRefusedError` like `iterateWorkbook`.
 */
export async function* readSheetRows(workbook: GuardedWorkbook, options: ReadOptions = {}): AsyncGenerator<SheetRow, void, undefined> {
  for await (const event of iterateWorkbook(workbook, options)) {
    if (event.type !== "row") continue;
    const cells: SheetRow["cells"] = {};
    for (const cell of event.cells) {
      const letters = cell.ref.slice(0, cell.ref.length - String(cell.row).length);
      const c = cell.content;
      cells[letters] =
        c.kind === "formula"
          ? { value: null, formula: c.formula ?? "", result: c.result.kind === "none" ? undefined : c.result.kind === "error" ? (c.result.value ?? "#ERREUR") : c.result.value }
          : { value: c.value };
    }
    yield { sheet: event.sheet.name, row: event.row, cells };
  }
}

// ---------------------------------------------------------------------------

type Refuse = Refuser;

/** Runs a read step of one part, turning engine failures into refusals with the sheet or part named. */
async function guardPart<T>(part: string, sheet: string | undefined, refuse: Refuse, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof UploadRefusedError) throw error;
    const message = (error as Error)?.message ?? String(error);
    refuse("workbook_invalid", { reason: "contenu XML illisible", ...(sheet ? { sheet } : { part }) }, `${part}: ${message}`);
  }
}

/**
 * A part's text as a stream of strings: UTF-8 decoded across chunk boundaries, invalid UTF-8 refused. A part
 * the guard left to the reader (ADR 056) goes through the guard's checks chunk by chunk, each chunk checked
 * before it is decoded; the part counts as checked once its last byte has passed.
 */
async function* partText(inside: GuardedInternals, part: string, refuse: Refuse): AsyncGenerator<string, void, undefined> {
  const entry = entryOf(inside, part);
  const key = partKey(part);
  const check = inside.deferred.get(key)?.();
  const stream: Readable = await inside.archive.openStream(entry);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    for await (const chunk of inflated(stream, check)) {
      const text = decodeOrRefuse(decoder, chunk, part, refuse);
      if (text) yield text;
    }
    const rest = decodeOrRefuse(decoder, undefined, part, refuse);
    if (rest) yield rest;
    if (check) {
      check.end();
      inside.checked.add(key);
    }
  } finally {
    stream.destroy();
  }
}

/** The inflated chunks of a part, each through `check` first when there is one (a failing stream then refused as the guard refuses it). */
async function* inflated(stream: Readable, check: EntryCheck | undefined): AsyncGenerator<Buffer, void, undefined> {
  if (!check) {
    yield* stream as AsyncIterable<Buffer>;
    return;
  }
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch (error) {
      return check.failed(error);
    }
    if (next.done) return;
    check.chunk(next.value);
    yield next.value;
  }
}

function decodeOrRefuse(decoder: TextDecoder, chunk: Buffer | undefined, part: string, refuse: Refuse): string {
  try {
    return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
  } catch {
    return refuse("xml_invalid", { part, reason: "caractères qui ne sont pas de l'UTF-8" });
  }
}

function entryOf(inside: GuardedInternals, part: string): ZipEntryInfo {
  const entry = inside.entries.get(part.toLowerCase());
  if (!entry) throw new Error(`Guarded part ${part} vanished`);
  return entry;
}

const localName = (name: string) => name.slice(name.indexOf(":") + 1);

/** xl/sharedStrings.xml: one string per `<si>`, rich-text runs joined, phonetic guides (`<rPh>`) left out. */
async function readSharedStrings(inside: GuardedInternals, part: string, refuse: Refuse): Promise<string[]> {
  const strings: string[] = [];
  const parser = new SaxesParser({ position: false });
  let inItem = false;
  let inText = false;
  let phonetic = 0;
  let current = "";
  parser.on("error", (error) => {
    throw error;
  });
  parser.on("opentag", (tag) => {
    const name = localName(tag.name);
    if (name === "si") {
      inItem = true;
      current = "";
    } else if (name === "rPh") {
      phonetic += 1;
    } else if (name === "t" && inItem && phonetic === 0) {
      inText = !tag.isSelfClosing;
    }
  });
  parser.on("text", (text) => {
    if (inText) current += text;
  });
  parser.on("closetag", (tag) => {
    const name = localName(tag.name);
    if (name === "t") {
      inText = false;
    } else if (name === "rPh") {
      phonetic -= 1;
    } else if (name === "si") {
      strings.push(current);
      current = "";
      inItem = false;
    }
  });
  await guardPart(part, undefined, refuse, async () => {
    for await (const text of partText(inside, part, refuse)) parser.write(text);
    parser.close();
  });
  return strings;
}

/** exceljs's `ValueType.Formula`, as a constant: the module itself is not loaded with the server bundle (ADR 036). */
const FORMULA = 6 as ValueType.Formula;

/**
 * A cell's value. For formulas, the cell's model: exceljs's `cell.value`
 * drops a falsy cached result (0, "", false, an error read as NaN), and a
 * formula whose result is 0 must not look like one with no result.
 */
function valueOf(cell: Cell): CellValue {
  if (cell.type !== FORMULA) return cell.value;
  const model = cell.model as { formula?: string; sharedFormula?: string; result?: unknown };
  return { formula: model.formula ?? "", result: model.result } as CellValue;
}

/** `_x000D_`-style escapes of OOXML strings (ST_Xstring), decoded once, where the value is emitted. */
const decodeXString = (text: string) =>
  text.includes("_x") ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) : text;

class RowConverter {
  private lastRow = 0;
  private readonly letters: string[] = [];

  constructor(
    private readonly sheet: WorkbookSheet,
    private readonly limits: ReadLimits,
    private readonly refuse: Refuse,
    /** The template's area of this sheet (null: none, undefined: no layout given). */
    private readonly bounds?: SheetBounds | null,
  ) {}

  convert(row: Row): WorkbookCell[] {
    const number = row.number;
    const sheet = this.sheet.name;
    if (!Number.isInteger(number) || number < 1) this.refuse("workbook_invalid", { reason: "une ligne n'a pas de numéro valide", sheet });
    if (number > this.limits.maxRows) this.refuse("too_many_rows", { sheet, row: number, limit: this.limits.maxRows });
    if (number <= this.lastRow) this.refuse("workbook_invalid", { reason: `la ligne ${number} apparaît après la ligne ${this.lastRow}`, sheet });
    this.lastRow = number;

    const cells: WorkbookCell[] = [];
    row.eachCell((cell, column) => {
      const ref = `${this.columnName(column)}${number}`;
      if (column > this.limits.maxColumns) this.refuse("too_many_columns", { sheet, column, cell: ref, limit: this.limits.maxColumns });
      if (this.bounds !== undefined && (!this.bounds || number > this.bounds.rows || column > this.bounds.columns)) {
        this.refuse("outside_template_layout", { sheet, cell: ref, range: this.bounds ? boundsRange(this.bounds) : null });
      }
      const content = this.content(valueOf(cell), ref);
      if (content) cells.push({ ref, row: number, column, content });
    });
    return cells;
  }

  private columnName(column: number): string {
    return (this.letters[column] ??= columnLetters(column));
  }

  private text(value: string, ref: string): string {
    const decoded = decodeXString(value);
    if (decoded.length > this.limits.maxCellTextLength) {
      this.refuse("cell_text_too_long", { sheet: this.sheet.name, cell: ref, length: decoded.length, limit: this.limits.maxCellTextLength });
    }
    return decoded;
  }

  private content(value: CellValue, ref: string): CellContent | null {
    if (value === null || value === undefined) return null;
    if (typeof value === "number") return Number.isFinite(value) ? { kind: "number", value } : { kind: "error", value: "#NUM!" };
    if (typeof value === "string") return { kind: "string", value: this.text(value, ref) };
    if (typeof value === "boolean") return { kind: "boolean", value };
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? { kind: "error", value: "#NUM!" } : { kind: "date", value };
    if (typeof value === "object") {
      if ("formula" in value || "sharedFormula" in value) {
        const v = value as { formula?: string; result?: unknown };
        const formula = v.formula ? this.text(v.formula, ref) : null;
        return { kind: "formula", formula, result: this.result(v.result, ref) };
      }
      if ("richText" in value && Array.isArray(value.richText)) {
        return { kind: "string", value: this.text(value.richText.map((r) => r.text ?? "").join(""), ref) };
      }
      if ("error" in value && typeof value.error === "string") return { kind: "error", value: value.error };
    }
    return this.refuse("workbook_invalid", { reason: "une cellule a un contenu illisible", sheet: this.sheet.name, cell: ref }, JSON.stringify(value).slice(0, 200));
  }

  private result(value: unknown, ref: string): FormulaResult {
    if (value === undefined || value === null) return { kind: "none" };
    if (typeof value === "number") return Number.isFinite(value) ? { kind: "number", value } : { kind: "error", value: null };
    if (typeof value === "string") return { kind: "string", value: this.text(value, ref) };
    if (typeof value === "boolean") return { kind: "boolean", value };
    if (value instanceof Date) return { kind: "date", value };
    if (typeof value === "object" && value && "error" in value && typeof value.error === "string") return { kind: "error", value: value.error };
    return { kind: "error", value: null };
  }
}
