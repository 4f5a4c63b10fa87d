import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  Kysely,
  Migrator,
  PostgresDialect,
  type KyselyPlugin,
  type MigrationProvider,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  sql,
  type Transaction,
  type UnknownRow,
} from "kysely";
import pg from "pg";
import { PGlite, types as pgliteTypes } from "@electric-sql/pglite";
import { PGliteDialect } from "kysely-pglite-dialect";
import type { Database } from "#db/schema";
import { migrations } from "#db/migrations/index";
import { logger } from "./logger.server";
import { sessionChangeWatcher } from "./auth/session-changes.server";
import { installPgCopyHook, pgliteWithCopyHook } from "./bulk-copy.server";

export type Db = Kysely<Database>;
/** A transaction of the one database. */
export type Trx = Transaction<Database>;
/** What queries run on: the database or a transaction (a use case's steps take either). */
export type Executor = Db | Trx;
export type Driver = "pg" | "pglite";

export interface DbHandle {
  db: Db;
  driver: Driver;
  /** Closes the pool or the embedded database and releases the data-folder lock. */
  close(): Promise<void>;
  /**
   * Embedded database only: the PGlite instance under `db`, for the job queue's
   * multi-statement scripts (app/server/jobs/queue.server.ts). Touch it only
   * while holding Kysely's single connection, or statements interleave.
   */
  pglite?: PGlite;
}

export interface CreateDbOptions {
  /** Real PostgreSQL through `pg` when set. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (tests isolate each file in its own schema). */
  schema?: string;
  /** Embedded PGlite folder; `undefined` with no URL means in-memory. */
  dataDir?: string;
  poolMax?: number;
  /** Where a new embedded cluster's templates are looked for (default: the project's .cache/, ADR 032, ADR 041). */
  templateDir?: string;
  /**
   * A new embedded folder is copied from this prepared template (ADR 052: the
   * demo observatory, seeded at build time): loaded into `pgdata.preparing/`,
   * handed to `adopt`, closed, then renamed to `pgdata/`, so that a folder is
   * either not there or adopted. Should the copy or `adopt` fail, the staging
   * folder is removed and `pgdata/` filled as without this option.
   */
  prepared?: PreparedTemplate;
  /** In-memory embedded database only: start from this cluster dump (the making of a prepared template). */
  memoryFrom?: string;
}

export interface PreparedTemplate {
  file: string;
  /** The file's sha256, as its maker recorded it: another file under the same name is not loaded. */
  sha256: string;
  adopt(db: Db): Promise<void>;
}

/**
 * Where a prepared template is copied and adopted before it becomes
 * `pgdata/` (ADR 052). Never a folder in use: one left by an interrupted
 * copy is removed when the folder is made again.
 */
export const PREPARING_DIR = "pgdata.preparing";

/** Raised when another process already holds the embedded database folder. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `La base embarquée ${dataDir} est déjà ouverte par un autre processus (pid ${pid}) : arrêtez le portail ou utilisez DATABASE_URL. ` +
        `/ The embedded database ${dataDir} is already open in another process (pid ${pid}): stop the portal first or use DATABASE_URL.`,
    );
    this.name = "DataDirLockedError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** One process at a time may open a PGlite folder: a pid lock file says who. */
function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = path.join(dataDir, "portal.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      return () => {
        try {
          if (fs.readFileSync(lockPath, "utf8") === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(fs.readFileSync(lockPath, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(dataDir, pid);
      }
      fs.unlinkSync(lockPath); // stale lock left by a crashed process
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

/**
 * The one way to open the database. `databaseUrl` → PostgreSQL (pool);
 * otherwise embedded PostgreSQL (PGlite), persisted under `dataDir` or in memory.
 * The same migrations and queries run on both.
 */
export async function createDb(options: CreateDbOptions): Promise<DbHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: 5_000,
      // TCP keepalive: a database host that vanishes without closing the
      // connection (network cut, VM lost) is eventually noticed by the OS
      // instead of leaving the connection open forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      types: pgTypes,
      idleTimeoutMillis: 30_000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // A dropped connection must never crash the process (PostgreSQL restarted,
    // failover, network cut). The pool listens for errors of its idle clients
    // only; a client checked out by Kysely (inside a query or a transaction)
    // emits its own 'error' when the server goes away, after failing the
    // pending query, and with no listener that is an uncaught exception. The
    // broken client is discarded and the next query opens a new connection.
    // Each client logs its error once, through its own listener (the pool's
    // would repeat it for idle clients).
    // Each client also carries the hook that runs bulk COPY requests (bulk-copy.server.ts, ADR 031).
    pool.on("connect", (client) => {
      client.on("error", logConnectionError);
      installPgCopyHook(client);
    });
    pool.on("error", () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new DriverTag("pg"), sessionChangeWatcher] });
    return {
      db,
      driver: "pg",
      close: () => db.destroy(),
    };
  }

  let release = () => {};
  let pglite: PGlite;
  if (options.dataDir) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    release = acquireDataDirLock(options.dataDir);
    try {
      const pgdata = path.join(options.dataDir, "pgdata");
      const isNew = !fs.existsSync(path.join(pgdata, "PG_VERSION"));
      if (isNew && options.prepared) await copyPreparedTemplate(options.dataDir, pgdata, options.prepared);
      const template = fs.existsSync(path.join(pgdata, "PG_VERSION")) ? undefined : await newClusterTemplate(pgdata, options.templateDir);
      pglite = await PGlite.create(pgdata, template ? { ...pgliteOptions, loadDataDir: template } : pgliteOptions);
    } catch (error) {
      release();
      throw error;
    }
  } else {
    pglite = await PGlite.create(options.memoryFrom ? { ...pgliteOptions, loadDataDir: new Blob([fs.readFileSync(options.memoryFrom)]) } : pgliteOptions);
  }
  const db = kyselyOnPglite(pglite);
  return {
    db,
    driver: "pglite",
    pglite,
    close: async () => {
      await db.destroy();
      release();
    },
  };
}

/**
 * A new folder from a prepared template (ADR 052): the file checked against
 * its recorded digest, loaded into `pgdata.preparing/` (what an interrupted
 * copy left there is removed first: it never became `pgdata/`), adopted,
 * closed, and renamed to `pgdata/`. On any failure the staging folder goes
 * and the caller fills `pgdata/` as without a template.
 */
async function copyPreparedTemplate(dataDir: string, pgdata: string, prepared: PreparedTemplate): Promise<void> {
  const staging = path.join(dataDir, PREPARING_DIR);
  fs.rmSync(staging, { recursive: true, force: true });
  let copy: PGlite | undefined;
  try {
    const bytes = fs.readFileSync(prepared.file);
    if (createHash("sha256").update(bytes).digest("hex") !== prepared.sha256) throw new Error(`${prepared.file} is not the file its build recorded`);
    copy = await PGlite.create(staging, { ...pgliteOptions, loadDataDir: new Blob([bytes]) });
    await prepared.adopt(kyselyOnPglite(copy));
    await copy.close();
    copy = undefined;
    // A `pgdata/` without PG_VERSION holds no cluster (an initdb cut short): the adopted copy takes its place.
    fs.rmSync(pgdata, { recursive: true, force: true });
    fs.renameSync(staging, pgdata);
  } catch (error) {
    logger.error({ err: error, file: prepared.file }, "embedded database: the prepared template could not be adopted; the folder is prepared without it");
    await copy?.close().catch(() => {});
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Kysely over one PGlite; its queries go through the COPY hook (bulk-copy.server.ts, ADR 031). */
function kyselyOnPglite(pglite: PGlite): Db {
  return new Kysely<Database>({ dialect: new PGliteDialect(pgliteWithCopyHook(pglite)), plugins: [new DriverTag("pglite"), sessionChangeWatcher] });
}

/**
 * Which driver a database (or one of its transactions) runs on, for the few
 * queries whose fastest form differs between them (accepted-values.server.ts).
 * createDb tags each Kysely instance with a plugin that changes nothing;
 * transactions inherit it.
 */
class DriverTag implements KyselyPlugin {
  constructor(readonly driver: Driver) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** The driver of `db` (createDb's tag); a database opened some other way counts as PostgreSQL. */
export function driverOf(db: Executor): Driver {
  const tag = db.getExecutor().plugins.find((p): p is DriverTag => p instanceof DriverTag);
  return tag?.driver ?? "pg";
}

/** The installed PGlite's version (templates are keyed by it). */
function pgliteVersion(): { entry: string; version: string } {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@electric-sql/pglite");
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version: string };
  return { entry, version };
}

/** The installed PGlite's version, in template names. */
export function pgliteVersionOf(): string {
  return pgliteVersion().version;
}

/** The project's .cache/, two levels above build/server/index.js in production and app/server/db.server.ts from sources. */
function defaultTemplateDirs(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, "..", "..", ".cache", "embedded-template"), path.resolve(".cache", "embedded-template")];
}

/**
 * The key of the schema template (ADR 041): the PGlite version, the
 * migrations' names and the source of their `up` functions as this code
 * carries them. Any change (a new migration, an edited one, another PGlite,
 * another bundling of the same code) gives another file name, so a stale
 * template is never loaded: the start falls back to the empty cluster and
 * runs the migrations.
 */
export function schemaTemplateName(): string {
  const { version } = pgliteVersion();
  const hash = createHash("sha256");
  hash.update(`pglite ${version}\n`);
  for (const [name, migration] of Object.entries(migrations)) hash.update(`${name}\n${String(migration.up)}\n`);
  return `pglite-${version}-schema-${hash.digest("hex").slice(0, 16)}.tar.gz`;
}

/**
 * Writes the schema template into `dir` unless it is there (ADR 041): the
 * empty cluster (from `emptyTemplate` when given, else PGlite's initdb) with
 * every migration applied, in memory, dumped as a gzipped tarball. Migrations
 * write no audit event, no signed row and no demo data: only the schema, the
 * governance bodies' reference rows, Kysely's bookkeeping and the audit
 * chain's unsigned empty seal (ADR 024). Returns the file.
 */
export async function writeSchemaTemplate(dir: string, emptyTemplate?: string): Promise<string> {
  const file = path.join(dir, schemaTemplateName());
  if (fs.existsSync(file)) return file;
  const pglite = await PGlite.create(emptyTemplate && fs.existsSync(emptyTemplate) ? { ...pgliteOptions, loadDataDir: new Blob([fs.readFileSync(emptyTemplate)]) } : pgliteOptions);
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrateToLatest(db);
    const blob = await pglite.dumpDataDir("gzip");
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(partial, file);
  } finally {
    await db.destroy();
  }
  return file;
}

/**
 * A new embedded cluster without initdb in this process (ADR 032). PGlite's
 * initdb takes ~10 s and leaves ~450 MiB of WASM heap that is never given
 * back. With the templates written by `npm run build` or `npm start` in .cache/
 * (scripts/embedded-template.mjs) the folder is filled from one (≈ 2 s): the
 * schema template (every migration applied, ADR 041) when its key matches
 * this code's migrations, else the empty cluster (initdb dumped once per PGlite
 * version), whose migrations then run as usual. Without either (a source tree
 * never built, tests), initdb runs in a worker thread whose heap goes away
 * with it, and the folder is then opened as an existing one.
 */
async function newClusterTemplate(pgdata: string, templateDir?: string): Promise<Blob | undefined> {
  const { entry, version } = pgliteVersion();
  const dirs = templateDir ? [templateDir] : defaultTemplateDirs();
  for (const name of [schemaTemplateName(), `pglite-${version}.tar.gz`]) {
    const found = dirs.map((dir) => path.join(dir, name)).find((file) => fs.existsSync(file));
    if (found) return new Blob([fs.readFileSync(found)]);
  }
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(
      `const { PGlite } = require(require("node:worker_threads").workerData.entry);
       PGlite.create(require("node:worker_threads").workerData.pgdata).then((p) => p.close());`,
      { eval: true, workerData: { entry, pgdata } },
    );
    worker.once("error", reject);
    worker.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`initdb of the embedded database failed (worker exit ${code})`))));
  });
  return undefined;
}

/**
 * `date` columns come back as the ISO text PostgreSQL sends ("2025-03-31") on
 * both drivers: a calendar date has no time zone, and pg's default turns it
 * into a local-midnight Date that shifts across time zones.
 */
const DATE_OID = 1082;
const keepText = (value: string) => value;
/**
 * bytea through Node's hex codec: PGlite's default converts byte by byte
 * (`Array.from(bytes).map(…padStart…)`), 2.8 s for a 5 MB workbook against
 * ~35 ms here. Values come back as Buffers (a Uint8Array), as with `pg`.
 */
const BYTEA_OID = pgliteTypes.BYTEA;
export const serializeBytea = (value: unknown): string => {
  if (!(value instanceof Uint8Array)) throw new Error("Invalid input for bytea type");
  return "\\x" + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
};
export const parseBytea = (text: string): Buffer => Buffer.from(text.startsWith("\\x") ? text.slice(2) : text, "hex");

/**
 * PGlite's settings (ADR 021): PostgreSQL's default 128 MB of shared buffers
 * and 4 MB of WAL buffers live in the WASM heap and are touched at start,
 * ~150 MiB of RSS for a portal whose working set is a few MB; 16 MB is plenty
 * for one process (the operating system caches the data folder's files).
 */
const pgliteStartParams = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB", "-c", "wal_buffers=1MB", "-c", "wal_init_zero=off"];

const pgliteOptions = {
  startParams: pgliteStartParams,
  parsers: { [pgliteTypes.DATE]: keepText, [BYTEA_OID]: parseBytea },
  serializers: { [BYTEA_OID]: serializeBytea },
};

const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === DATE_OID ? keepText : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration (forward-only). Returns the names applied. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // Kysely looks for its migration tables in every schema unless told which:
  // pin them to the connection's schema (tests give each file its own), or a
  // sibling schema's tables make it skip creating ours.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  // A database already up to date (every start but the first) is told by one
  // query; Kysely's Migrator introspects the catalogue and takes its lock
  // first, ~1 s on the embedded database (ADR 032).
  if (await allApplied(db)) return [];
  const migrator = new Migrator({ db, provider, migrationTableSchema: rows[0]?.schema ?? "public" });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    // Kysely finds its own tables by introspecting every schema of the
    // database; a schema another process drops meanwhile (a sibling tenant,
    // pg-boss, a test file) makes that catalogue read fail. Nothing was
    // applied then: read again.
    if (attempt >= 5 || !isConcurrentCatalogChange(error)) {
      throw error instanceof Error ? error : new Error(String(error));
    }
  }
}

async function allApplied(db: Db): Promise<boolean> {
  const exists = await sql<{ t: string | null }>`select to_regclass(quote_ident(current_schema()) || '.kysely_migration')::text as t`.execute(db);
  const table = exists.rows[0]?.t;
  if (!table) return false;
  const done = await sql<{ name: string }>`select name from ${sql.raw(table)}`.execute(db);
  const names = new Set(done.rows.map((r) => r.name));
  return Object.keys(migrations).every((name) => names.has(name));
}

/** undefined_schema / undefined_table raised while reading the catalogue. */
export function isConcurrentCatalogChange(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "3F000" || code === "42P01";
}

function logConnectionError(error: Error) {
  logger.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, "database connection lost");
}

/** Node's network failures: the server cannot be reached or the connection broke. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ECONNABORTED"]);
/**
 * SQLSTATEs of a server going away: class 08 (connection exception), shutdown/crash/starting up (57P01–57P03),
 * too many connections; and of a database the portal may no longer use (ADR 017): dropped or renamed
 * (3D000), its role revoked or refused (42501 insufficient privilege, 28000/28P01 authorization) — an operator's
 * fault to fix, answered like an outage (503) rather than a 500.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|3D000|42501|28000|28P01)$/;
/** What `pg` and its pool say when the connection is gone or cannot be made in time. */
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Connection refused/i;

/**
 * True when `error` means the database cannot be reached right now (down,
 * restarting, connection lost) rather than a fault of the query: the HTTP
 * layer answers 503 for these, and the request can be retried later.
 * Looks through `cause` and AggregateError's `errors`.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/** Cheap liveness probe used by /healthz. */
export async function pingDb(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Rows a DELETE or UPDATE touched (Kysely reports them as bigint). */
export const affectedRows = (result: { numDeletedRows?: bigint; numUpdatedRows?: bigint }): number =>
  Number(result.numDeletedRows ?? result.numUpdatedRows ?? 0n);
