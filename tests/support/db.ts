import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, inject } from "vitest";
import pg from "pg";
import { createDb, migrateToLatest, type DbHandle, type Db } from "~/server/db.server";
import { setRuntimeDb } from "~/server/runtime.server";

/**
 * An isolated, migrated database for one test file:
 * - DATABASE_URL set → a fresh schema in that PostgreSQL database, dropped when the run ends;
 * - unset → a fresh in-memory PGlite.
 */
export async function createTestDb(): Promise<DbHandle & { schema?: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const handle = await createDb({});
    await migrateToLatest(handle.db);
    return handle;
  }
  const schema = `t_${inject("testRunId")}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const handle = await createDb({ databaseUrl: url, schema, poolMax: 5 });
  await migrateToLatest(handle.db);
  // The schema stays until the run ends (tests/support/global-setup.ts drops
  // them all): a DROP SCHEMA here would race other files' catalogue reads.
  return { ...handle, schema };
}

export const driverName = () => (process.env.DATABASE_URL ? "pg" : "pglite");

/**
 * Registers beforeAll/afterAll hooks giving the file its own database, also
 * installed as the runtime database so loaders and actions use it.
 */
export function useTestDb(): { readonly db: Db; readonly handle: DbHandle } {
  let handle: DbHandle | undefined;
  beforeAll(async () => {
    handle = await createTestDb();
    setRuntimeDb(handle);
  });
  afterAll(async () => {
    setRuntimeDb(undefined);
    await handle?.close();
  });
  return {
    get db() {
      if (!handle) throw new Error("test database not ready (use inside tests)");
      return handle.db;
    },
    get handle() {
      if (!handle) throw new Error("test database not ready (use inside tests)");
      return handle;
    },
  };
}
