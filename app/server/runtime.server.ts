import { createDb, migrateToLatest, type DbHandle, type Db, type PreparedTemplate } from "./db.server";
import { getEnv } from "./env.server";
import { logger } from "./logger.server";
import { startStep, timedStep } from "./start-timing.server";

/**
 * The process-wide database handle. Kept on globalThis so the dev server's
 * module reloads do not open a second pool (or a second PGlite on one folder).
 */
const globalKey = Symbol.for("odpe.runtime");
interface Runtime {
  handle?: DbHandle;
  opening?: Promise<DbHandle>;
}
const runtime: Runtime = ((globalThis as Record<symbol, unknown>)[globalKey] as Runtime | undefined) ?? {};
(globalThis as Record<symbol, unknown>)[globalKey] = runtime;

/**
 * Opens (once) and migrates the database configured by the environment; a
 * new embedded folder is copied from `prepared` when given (ADR 052).
 */
export async function openRuntimeDb(options: { prepared?: PreparedTemplate } = {}): Promise<DbHandle> {
  if (runtime.handle) return runtime.handle;
  runtime.opening ??= (async () => {
    const env = getEnv();
    const opened = startStep("open the database");
    const handle = await createDb({
      databaseUrl: env.DATABASE_URL,
      dataDir: env.DATABASE_URL ? undefined : env.DATA_DIR,
      poolMax: env.DATABASE_POOL_MAX,
      prepared: options.prepared,
    });
    opened();
    try {
      const applied = await timedStep("migrations", () => migrateToLatest(handle.db));
      if (applied.length) logger.info({ applied }, "migrations applied");
    } catch (error) {
      await handle.close();
      throw error;
    }
    runtime.handle = handle;
    return handle;
  })();
  try {
    return await runtime.opening;
  } finally {
    runtime.opening = undefined;
  }
}

/** The database of this process. Routes call this; it opens lazily on first use. */
export async function getDb(): Promise<Db> {
  return (await openRuntimeDb()).db;
}

/** Tests and CLIs install their own handle. */
export function setRuntimeDb(handle: DbHandle | undefined) {
  runtime.handle = handle;
}

export async function closeRuntimeDb() {
  const handle = runtime.handle;
  runtime.handle = undefined;
  await handle?.close();
}
