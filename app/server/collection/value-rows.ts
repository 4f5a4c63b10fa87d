import type { NotAvailableCode } from "#db/schema";
import type { ReadLine, ValidatedValue } from "~/domain/validation";

/**
 * The rows an upload stores besides its version (ADR 031): one
 * `submission_value` per validated line and one `submission_line_comment` per
 * non-empty comment (workbook column G). Built in the heavy-work worker from
 * validateLines's result and handed to the main thread as COPY text (PostgreSQL's
 * text format), so the main thread holds one string per few hundred rows
 * instead of objects per line, and only stores them.
 */

/** Columns of `submission_value`, in the order of the COPY text. */
export const SUBMISSION_VALUE_COLUMNS = [
  "version_id",
  "indicator_version_id",
  "breakdown_key",
  "value",
  "cell_ref",
  "not_available_code",
  "not_available_reason",
] as const;

/** Columns of `submission_line_comment`, in the order of the COPY text. */
export const LINE_COMMENT_COLUMNS = ["version_id", "indicator_version_id", "breakdown_key", "body"] as const;

export interface SubmissionValueRow {
  version_id: string;
  indicator_version_id: string;
  breakdown_key: string;
  value: number | null;
  cell_ref: string;
  not_available_code: NotAvailableCode | null;
  not_available_reason: string | null;
}

export interface LineCommentRow {
  version_id: string;
  indicator_version_id: string;
  breakdown_key: string;
  body: string;
}

/** Comments are kept up to this many characters. */
export const LINE_COMMENT_MAX = 1_000;

/**
 * The stored row of one validated value: the only place that maps a
 * ValidatedValue to `submission_value`'s columns, for COPY and for INSERT.
 * A cell declared ND/NC is stored as missing (value null) with its code and
 * reason, never as 0 (ADR 026).
 */
export function valueRow(versionId: string, v: ValidatedValue): SubmissionValueRow {
  return {
    version_id: versionId,
    indicator_version_id: v.line.indicatorVersionId,
    breakdown_key: v.line.breakdownKey,
    value: v.value,
    cell_ref: v.cellRef,
    not_available_code: v.notAvailableCode ?? null,
    not_available_reason: v.notAvailableCode ? (v.notAvailableReason ?? null) : null,
  };
}

/** The stored comment of a line, or null when the correspondent wrote none (only non-empty ones, capped). */
export function commentRow(versionId: string, v: ValidatedValue, read: ReadLine | undefined): LineCommentRow | null {
  const body = read?.comment?.trim();
  if (!body) return null;
  return { version_id: versionId, indicator_version_id: v.line.indicatorVersionId, breakdown_key: v.line.breakdownKey, body: body.slice(0, LINE_COMMENT_MAX) };
}

/**
 * One field in PostgreSQL's COPY text format: `\N` for null; backslash,
 * tab, newline and carriage return escaped (the delimiter, the row end and
 * the escape character themselves); numbers in JavaScript's shortest
 * round-trip form, which float8 reads back exactly.
 */
export function copyField(value: string | number | null): string {
  if (value === null) return "\\N";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`COPY: not a finite number: ${value}`);
    return String(value);
  }
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One row as a COPY text line (ending with a newline), its fields in `columns`' order. */
export function copyLine<C extends string>(row: Record<C, string | number | null>, columns: readonly C[]): string {
  let line = "";
  for (let i = 0; i < columns.length; i++) line += (i ? "\t" : "") + copyField(row[columns[i]!]);
  return line + "\n";
}

/** Rows for one table as COPY text, in chunks of a few hundred rows (each chunk ends on a row end). */
export interface CopyPayload {
  table: "submission_value" | "submission_line_comment";
  columns: readonly string[];
  /** COPY text, whole rows per chunk. */
  chunks: string[];
  /** Rows in each chunk (same length as chunks). */
  chunkRows: number[];
  rows: number;
}

/** Rows per chunk: ~60 KB of text for submission_value, a few ms for the embedded database to store. */
export const COPY_CHUNK_ROWS = 250;

/** A chunk of COPY text handed on as soon as it is full, instead of being kept (ADR 031, streamed upload rows). */
type ChunkSink = (chunk: string, rows: number) => void;

/**
 * Collects rows into a CopyPayload; with `sink`, each full chunk goes to it
 * instead (the payload then keeps only the row count).
 */
export function copyPayloadBuilder<C extends string>(table: CopyPayload["table"], columns: readonly C[], sink?: ChunkSink) {
  const payload: CopyPayload = { table, columns, chunks: [], chunkRows: [], rows: 0 };
  let current = "";
  let currentRows = 0;
  const flush = () => {
    if (!currentRows) return;
    if (sink) sink(current, currentRows);
    else {
      payload.chunks.push(current);
      payload.chunkRows.push(currentRows);
    }
    current = "";
    currentRows = 0;
  };
  return {
    add(row: Record<C, string | number | null>) {
      current += copyLine(row, columns);
      currentRows += 1;
      payload.rows += 1;
      if (currentRows >= COPY_CHUNK_ROWS) flush();
    },
    done(): CopyPayload {
      flush();
      return payload;
    },
  };
}

/**
 * Encodes an upload's rows as they are validated (values, and the non-empty
 * comments); `done` gives the COPY payloads. With `valueSink`, the values'
 * chunks go to it as they fill (their payload keeps only the count).
 */
export function uploadRowsEncoder(versionId: string, valueSink?: ChunkSink) {
  const valueRows = copyPayloadBuilder("submission_value", SUBMISSION_VALUE_COLUMNS, valueSink);
  const commentRows = copyPayloadBuilder("submission_line_comment", LINE_COMMENT_COLUMNS);
  return {
    add(v: ValidatedValue, read: ReadLine | undefined) {
      valueRows.add(valueRow(versionId, v));
      const comment = commentRow(versionId, v, read);
      if (comment) commentRows.add(comment);
    },
    done: () => ({ values: valueRows.done(), comments: commentRows.done() }),
  };
}

/** The rows to store for a validated upload, as COPY payloads (values, then comments), in template order. */
export function encodeUploadRows(versionId: string, values: ReadonlyMap<string, ValidatedValue>, read: ReadonlyMap<string, ReadLine>) {
  const encoder = uploadRowsEncoder(versionId);
  for (const [key, v] of values) encoder.add(v, read.get(key));
  return encoder.done();
}
