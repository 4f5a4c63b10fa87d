import { isMainThread, threadId, type MessagePort } from "node:worker_threads";
import { zipFilesSync, type ZipFilesInput } from "../storage/zip-files";
import type { DashboardEdition, EditionMeta } from "~/domain/dashboard";
import type { Problem } from "~/domain/problems";
import { DATA_SHEET, META_SHEET, templateSheetBounds } from "~/domain/template-layout";
import type { UploadLimits, UploadRefusal } from "~/domain/upload-errors";
import { LineValidator } from "~/domain/validation";
import { interpretWorkbook, type InterpretExpectation } from "~/domain/workbook-interpretation";
import { uploadRowsEncoder, type CopyPayload } from "../collection/value-rows";
import { packedPlanLines, type PackedLines } from "../collection/packed-lines";
import { reportHeap } from "./heap-report";
import { checkDeferredParts, guardUpload, isUploadRefusedError, type WorkbookSheet } from "../collection/upload-guard.server";
import { prepareReading, readSheetRows } from "../collection/workbook-reader.server";
import { loadPdfKit, renderEditionPdf, type PdfLogo } from "../dashboard/pdf.server";
import { renderEditionXlsx } from "../dashboard/xlsx.server";
import { toXlsx, type ExportDoc } from "../explorer/export-workbook.server";
import { loadExcelJS } from "../excel.server";
import { protect, type ProtectInput, type ProtectResult } from "../secrecy/protect.server";

/**
 * The heavy tasks, each run in a worker thread of the pool (pool.server.ts,
 * ADR 016): parsing an upload, drawing a dashboard PDF, writing an XLSX.
 * Inputs and outputs are plain data (structured clone): no database, no
 * request, no class instances. Workers load this module through
 * heavy-work.worker.mjs (tsx, source tree: tests and `npm run dev`) or as the
 * bundle build/server/heavy-tasks.mjs (vite.config.ts, production).
 */

export interface ParseUploadInput {
  /** The uploaded bytes (already size-capped by the HTTP layer). */
  bytes: Uint8Array;
  filename: string;
  contentType: string | null;
  limits?: Partial<UploadLimits>;
  /**
   * Everything the organisation is expected to send (organisation, year,
   * plan hash and lines), the lines packed without their keys
   * (buildPackedCollectionPlan): viewed by place (packedPlanLines), it is
   * passed whole to interpretWorkbook, so a field added there or to PlanLine
   * needs no change here. Given here, or posted later on `expectedPort`
   * (transferred with the task) while the file is being guarded: the main
   * thread builds the plan meanwhile. Closing the port without posting it
   * ends the task (the plan could not be built).
   */
  expected?: PackedExpectation;
  expectedPort?: MessagePort;
  /** Relative year-over-year change of a total above which a comment is required (validateLines). */
  variationThreshold: number;
  /** The id the new version will have: the stored rows carry it (ADR 031). */
  versionId: string;
  /**
   * When given (PostgreSQL, ADR 031): `{ guarded: true }` once the guard has
   * let the file through (the main thread stores the file then, ADR 057),
   * then the values' COPY chunks as they are encoded — `{ chunk, rows }` messages, then `{ end: rows }`
   * once the file is read — so that the main thread stores them during the
   * parse; the `validated` answer's values payload then holds no chunk, only
   * the count. The port is closed when the task ends, whatever its outcome.
   */
  rowsPort?: MessagePort;
}

/** A message on ParseUploadInput's `rowsPort`. */
export type RowsMessage = { guarded: true } | { chunk: string; rows: number } | { end: number };

export type ParseUploadOutput =
  /** Not a safe OOXML workbook, or one beyond the template's bounds (ADR 016). */
  | { kind: "refused"; refusal: UploadRefusal }
  /** Not this organisation's template for this year: the structural problems (never empty). */
  | { kind: "rejected"; structural: Problem[] }
  /**
   * Validated (ADR 031): every problem found, and the rows to store as COPY
   * text (submission_value, submission_line_comment) for the version `versionId`.
   */
  | { kind: "validated"; problems: Problem[]; values: CopyPayload; comments: CopyPayload };

/**
 * Guard, bounded read of the template's two sheets, interpretation against
 * the expected plan, validation of every line (Art. 4), and the rows to
 * store: the main thread only writes them (ADR 016, ADR 031).
 */
export async function parseUpload(input: ParseUploadInput): Promise<ParseUploadOutput> {
  // No forced collection of the thread's heap during or after the read: each one left the thread slower for
  // the tasks after it (ADR 056, amending ADR 053); V8 collects on its own.
  try {
    return await guardReadValidate(input);
  } finally {
    input.expectedPort?.close();
    input.rowsPort?.close();
    reportHeap();
  }
}

/** A task's work, then this thread's heap reported to the pool, which retires a thread grown large (ADR 057). */
async function reporting<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    reportHeap();
  }
}

async function guardReadValidate({ bytes, filename, contentType, limits, variationThreshold, versionId, rowsPort, ...plan }: ParseUploadInput): Promise<ParseUploadOutput> {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Only the template's data and metadata sheets are read, each within the template's layout (ADR 016); the
  // guard leaves their byte-level checks to this read, which makes them chunk by chunk (ADR 056).
  const readSheet = (sheet: WorkbookSheet) => sheet.name === DATA_SHEET || sheet.name === META_SHEET;
  // The bytes are this thread's own (a structured clone, or transferred): the guard need not copy them.
  const guarded = await guardUpload({ body, filename, contentType, declaredSize: body.byteLength, owned: true }, limits, { readLater: readSheet });
  if (!guarded.ok) return { kind: "refused", refusal: guarded.refusal };
  // The main thread stores the file once the guard has let it through: a file refused here never reaches the
  // database (one refused by the checks left to the read below is rolled back).
  rowsPort?.postMessage({ guarded: true } satisfies RowsMessage);
  // The shared strings and styles are read while the main thread may still be building the plan, whose
  // line count sets the sheets' layout (ADR 056); a refusal there surfaces when the rows are read.
  const prepared = prepareReading(guarded.workbook);
  prepared.catch(() => undefined);
  const packed = plan.expected ?? (await receiveExpectation(plan.expectedPort));
  // The plan's lines as buildPackedCollectionPlan packed them, kept as columns: each line is built when read (ADR 058).
  const expected: InterpretExpectation = { ...packed, lines: packedPlanLines(packed.lines) };
  try {
    const rows = readSheetRows(guarded.workbook, {
      sheets: readSheet,
      layout: (sheet) => templateSheetBounds(sheet.name, expected.lines.length),
      prepared,
    });
    // Each line read is validated and encoded at once, then dropped: what stays per line is a number, a
    // state and a row (LineValidator), its COPY text (ADR 031) and the plan's columns (ADR 058). The lines are checked before the
    // metadata sheet says whether the file is this plan's template; if it is not, that work is dropped.
    const validator = new LineValidator(expected.lines, { sheet: DATA_SHEET, variationThreshold });
    const post = (message: RowsMessage) => rowsPort!.postMessage(message);
    const encoder = uploadRowsEncoder(versionId, rowsPort ? (chunk, count) => post({ chunk, rows: count }) : undefined);
    const { structural } = await interpretWorkbook(rows, expected, (line, index) => {
      encoder.add(validator.line(index, line), line);
    });
    // Whatever the read left unchecked (a part not read to its last byte) is checked now, before any outcome.
    await checkDeferredParts(guarded.workbook);
    const encoded = encoder.done();
    // The streamed rows end here, whatever the outcome: a rejected file's rows are rolled back by the main thread.
    if (rowsPort) post({ end: encoded.values.rows });
    if (structural.length) return { kind: "rejected", structural };
    return { kind: "validated", problems: validator.finish(), ...encoded };
  } catch (error) {
    if (isUploadRefusedError(error)) return { kind: "refused", refusal: error.refusal };
    throw error;
  }
}

/** What the organisation is expected to send, its plan's lines packed (packed-lines.ts). */
export type PackedExpectation = Omit<InterpretExpectation, "lines"> & { lines: PackedLines };

/** The expectation posted on `port` by the main thread once its plan is built. */
function receiveExpectation(port: MessagePort | undefined): Promise<PackedExpectation> {
  if (!port) return Promise.reject(new Error("parseUpload: neither expected nor expectedPort given"));
  return new Promise((resolve, reject) => {
    port.once("message", (message: PackedExpectation) => resolve(message));
    port.once("close", () => reject(new Error("parseUpload: the plan was not sent (the main thread could not build it)")));
  });
}

/** A dashboard edition as PDF (pdf.server.ts). */
export async function renderPdf({ edition, meta, logos }: { edition: DashboardEdition; meta: EditionMeta | null; logos: PdfLogo[] }): Promise<Uint8Array> {
  // Logos arrive as Uint8Array (structured clone drops the Buffer prototype); pdfkit wants Buffers.
  const buffers = logos.map((l) => ({ fileId: l.fileId, bytes: Buffer.from(l.bytes.buffer, l.bytes.byteOffset, l.bytes.byteLength) }));
  return reporting(async () => new Uint8Array(await renderEditionPdf(edition, meta, buffers)));
}

/** A dashboard edition as XLSX (xlsx.server.ts). */
export async function renderXlsx({ edition, meta }: { edition: DashboardEdition; meta: EditionMeta | null }): Promise<Uint8Array> {
  return reporting(async () => new Uint8Array(await renderEditionXlsx(edition, meta)));
}

/** An export of pooled data as XLSX (explorer, Art. 5). */
export async function renderExplorerXlsx(doc: ExportDoc): Promise<Uint8Array> {
  return reporting(() => toXlsx(doc));
}

const fills = {
  error: { type: "pattern", pattern: "solid", fgColor: { argb: "FFFF8787" } },
  warning: { type: "pattern", pattern: "solid", fgColor: { argb: "FFFFD666" } },
  /** A cell declared « non disponible » (ADR 026): information, not a problem. */
  info: { type: "pattern", pattern: "solid", fgColor: { argb: "FFD0EBFF" } },
} as const;

export interface AnnotateInput {
  original: Uint8Array;
  problems: readonly (Omit<Pick<Problem, "sheet" | "cell" | "severity" | "message" | "hint">, "severity"> & { severity: Problem["severity"] | "info" })[];
}

/**
 * The partner's own workbook with each faulty cell highlighted (red: error,
 * orange: warning) and a note saying what is wrong and what to do; a cell
 * declared « non disponible » gets a blue information note (ADR 026).
 */
export async function annotate(input: AnnotateInput): Promise<Uint8Array> {
  return reporting(() => annotateWorkbook(input));
}

async function annotateWorkbook({ original, problems }: AnnotateInput): Promise<Uint8Array> {
  const ExcelJS = await loadExcelJS();
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(original.buffer, original.byteOffset, original.byteLength) as unknown as ArrayBuffer);
  const byCell = new Map<string, AnnotateInput["problems"][number][]>();
  for (const problem of problems) {
    if (!problem.cell) continue;
    const key = `${problem.sheet}!${problem.cell}`;
    byCell.set(key, [...(byCell.get(key) ?? []), problem]);
  }
  for (const [key, list] of byCell) {
    const [sheetName, address] = key.split("!") as [string, string];
    const sheet = wb.getWorksheet(sheetName);
    if (!sheet) continue;
    const cell = sheet.getCell(address);
    const severity = list.some((p) => p.severity === "error") ? "error" : list.some((p) => p.severity === "warning") ? "warning" : "info";
    // A fresh style object: cells loaded with the same style share one, and a fill set on it would colour them all.
    cell.style = { ...cell.style, fill: { ...fills[severity], fgColor: { ...fills[severity].fgColor } } };
    cell.note = {
      texts: [
        { font: { bold: true }, text: `${severity === "error" ? "Erreur" : severity === "warning" ? "Avertissement" : "Information"} — portail ODPE\n` },
        { text: list.map((p) => `${p.message}\n→ ${p.hint}`).join("\n\n") },
      ],
    };
  }
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/**
 * Loads the renderers' libraries (pdfkit, exceljs) in this thread without drawing anything: the pool's warm-up
 * before an edition is published (warmHeavyPool, ADR 041), since the tasks module no longer loads them (ADR 047).
 */
export async function loadRenderers(): Promise<void> {
  await Promise.all([loadPdfKit(), loadExcelJS()]);
}

/** A no-op task: the pool's health, and the tests' check that work runs in another thread. */
export async function threadInfo(): Promise<{ threadId: number; isMainThread: boolean }> {
  return { threadId, isMainThread };
}

/**
 * Test hooks: a task that runs past any time limit, and one that exhausts the
 * worker's heap (`HEAVY_WORK_MAX_MEMORY_MB`), to check that the pool answers
 * 503 and replaces the worker (tests/integration/heavy-work.test.ts).
 */
export async function spin({ ms }: { ms: number }): Promise<number> {
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) n++;
  return n;
}

export async function exhaustMemory(): Promise<number> {
  const hoard: number[][] = [];
  for (;;) hoard.push(Array.from({ length: 1_000_000 }, (_, i) => i));
}

/**
 * Statistical-secrecy protection of a release (protect.server.ts): the HiGHS
 * solves of a dashboard edition or a publication, off the event loop (ADR 049:
 * up to 154 ms of one synchronous stretch on the main thread during a publish
 * under load). Plain data in and out; ProtectInputError arrives as an Error.
 */
export function protectRelease(input: ProtectInput): Promise<ProtectResult> {
  return reporting(() => protect(input));
}

export type { ZipFilesInput };

/**
 * A ZIP archive of `files` (the ONPE package, package.server.ts): deflating
 * the PDF and XLSX took 101 ms in one synchronous stretch on the main thread
 * during bench:load's publish (ADR 049).
 */
export async function zipFiles(input: ZipFilesInput): Promise<Uint8Array> {
  return reporting(async () => zipFilesSync(input));
}
