import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CompiledQuery, type Transaction } from "kysely";
import type { Database } from "#db/schema";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { PGlite } from "@electric-sql/pglite";
import type { CopyPayload } from "./collection/value-rows";

/**
 * Bulk storage of rows inside a Kysely transaction (ADR 031), on the
 * transaction's own connection:
 *
 * - PostgreSQL: `COPY table (columns) FROM STDIN` (text format) through
 *   pg-copy-streams, the chunks written to the stream as they are (the
 *   socket's back-pressure paces them; the event loop is never held);
 * - embedded PGlite (which runs in this thread): `COPY … FROM '/dev/blob'`,
 *   PGlite's bulk path, in batches sized so that each takes about
 *   BATCH_TARGET_MS, with `setImmediate` between them so that other requests
 *   are served meanwhile.
 *
 * Kysely does not expose its connections, so the request travels as a
 * query: a marker statement whose only parameter is the CopyRequest. The
 * hooks installed by createDb on each `pg` client and on the PGlite instance
 * recognise it and run the COPY instead; without them, the marker is a call
 * to a function that does not exist and fails loudly.
 */
export const COPY_MARKER_SQL = "select odpe_bulk_copy_hook_missing($1)";

/** Target duration of one embedded batch: well under the 200 ms the event loop may be blocked (ADR 016). */
export const BATCH_TARGET_MS = 15;

/**
 * Rows that arrive while they are being stored (ADR 031: an upload's values,
 * posted by the worker as it parses): `rows()` is the number the sender says
 * it sent, read once the chunks have ended.
 */
export interface StreamedPayload {
  table: CopyPayload["table"];
  columns: readonly string[];
  chunks: AsyncIterable<string>;
  rows: () => number;
}

export class CopyRequest {
  constructor(readonly payload: CopyPayload | StreamedPayload) {}
  /** The COPY statement, table and column names from the payload (constants of value-rows.ts, never user input). */
  statement(source: "STDIN" | "'/dev/blob'"): string {
    const ident = (name: string) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`COPY: unexpected identifier ${name}`);
      return name;
    };
    return `COPY ${ident(this.payload.table)} (${this.payload.columns.map(ident).join(", ")}) FROM ${source}`;
  }
}

const isCopyQuery = (text: unknown, values: unknown): values is [CopyRequest] =>
  text === COPY_MARKER_SQL && Array.isArray(values) && values[0] instanceof CopyRequest;

/** Result in the shape Kysely's drivers read (`command`, `rowCount`, `rows`; PGlite: `affectedRows`). */
const copyResult = (rows: number) => ({ command: "COPY", rowCount: rows, affectedRows: rows, rows: [], fields: [] });

/** Stores the payload's rows with COPY in the transaction `trx`. Returns the number of rows stored. */
export async function copyRows(trx: Pick<Transaction<Database>, "executeQuery">, payload: CopyPayload): Promise<number> {
  if (payload.rows === 0) return 0;
  await trx.executeQuery(CompiledQuery.raw(COPY_MARKER_SQL, [new CopyRequest(payload)]));
  return payload.rows;
}

/**
 * Stores rows that are still arriving with one COPY in the transaction `trx`,
 * as they come (PostgreSQL: the stream's back-pressure paces them). Returns
 * the number of rows stored, checked against what the sender says it sent.
 */
export async function copyStream(trx: Pick<Transaction<Database>, "executeQuery">, payload: StreamedPayload): Promise<number> {
  // The hook checks PostgreSQL's count against payload.rows().
  await trx.executeQuery(CompiledQuery.raw(COPY_MARKER_SQL, [new CopyRequest(payload)]));
  return payload.rows();
}

const sentRows = (payload: CopyPayload | StreamedPayload) => (typeof payload.rows === "function" ? payload.rows() : payload.rows);

/** Installs the COPY hook on a `pg` client (createDb: each client of the pool, when it connects). */
export function installPgCopyHook(client: pg.PoolClient | pg.Client): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    if (isCopyQuery(args[0], args[1])) return copyToPg(client, args[1][0]);
    return query(...args);
  };
}

async function copyToPg(client: pg.PoolClient | pg.Client, request: CopyRequest) {
  const stream = client.query(copyFrom(request.statement("STDIN")));
  await pipeline(Readable.from(request.payload.chunks, { objectMode: false }), stream);
  if (stream.rowCount !== sentRows(request.payload)) {
    throw new Error(`COPY ${request.payload.table}: ${stream.rowCount} rows stored, ${sentRows(request.payload)} sent`);
  }
  return copyResult(stream.rowCount);
}

/**
 * The PGlite instance as Kysely's dialect sees it, with the COPY hook on
 * `query`. Other members are the instance's own, bound to it (PGlite keeps
 * private state per instance).
 */
export function pgliteWithCopyHook(pglite: PGlite): PGlite {
  const hookedQuery = async (text: string, values?: unknown[], options?: Parameters<PGlite["query"]>[2]) => {
    // PGlite answers within promise callbacks only: a transaction's statements would chain without
    // ever giving the event loop a turn. One turn before each statement bounds a block to one statement.
    await yieldToEventLoop();
    if (isCopyQuery(text, values)) return copyToPglite(pglite, values[0]);
    return pglite.query(text, values, options);
  };
  return new Proxy(pglite, {
    get(target, property) {
      if (property === "query") return hookedQuery;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Batches of whole chunks, each sized from the previous one's duration to take about BATCH_TARGET_MS. */
async function copyToPglite(pglite: PGlite, request: CopyRequest) {
  if (!("chunkRows" in request.payload)) throw new Error("COPY: streamed rows are for PostgreSQL only (the embedded database has one connection, ADR 031)");
  const { chunks, chunkRows } = request.payload;
  const statement = request.statement("'/dev/blob'");
  let perBatch = 1;
  let stored = 0;
  for (let i = 0; i < chunks.length; ) {
    const batch = chunks.slice(i, i + perBatch);
    const started = performance.now();
    const result = await pglite.query(statement, [], { blob: new Blob(batch) });
    const elapsed = performance.now() - started;
    let sent = 0;
    for (let j = i; j < i + batch.length; j++) sent += chunkRows[j]!;
    stored += result.affectedRows ?? sent;
    i += batch.length;
    // Grow or shrink the batch towards the target (at most doubling, at least one chunk).
    perBatch = Math.max(1, Math.min(perBatch * 2, Math.floor((perBatch * BATCH_TARGET_MS) / Math.max(elapsed, 0.1))));
    if (i < chunks.length) await yieldToEventLoop();
  }
  if (stored !== request.payload.rows) {
    throw new Error(`COPY ${request.payload.table}: ${stored} rows stored, ${request.payload.rows} sent`);
  }
  return copyResult(stored);
}
