import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, inject } from "vitest";
import pg from "pg";
import { Migrator, sql } from "kysely";
import { migrations } from "#db/migrations/index";
import { createDb, migrateToLatest, type DbHandle, type Db } from "~/server/db.server";
import { setRuntimeDb } from "~/server/runtime.server";
import { stopProcessSessionCache } from "~/server/auth/session-cache.server";

/**
 * An isolated, migrated database for one test file:
 * - DATABASE_URL set → a fresh schema in that PostgreSQL database, dropped when the run ends;
 * - unset → a fresh in-memory PGlite.
 */
export async function createTestDb(): Promise<DbHandle & { schema?: string }> {
  const handle = await createEmptyTestDb(5);
  await migrateToLatest(handle.db);
  return handle;
}

/** A fresh, unmigrated database: in-memory PGlite, or a new schema when DATABASE_URL is set. */
async function createEmptyTestDb(poolMax: number): Promise<DbHandle & { schema?: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) return createDb({});
  const schema = `t_${inject("testRunId")}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  // The schema stays until the run ends (tests/support/global-setup.ts drops
  // them all): a DROP SCHEMA here would race other files' catalogue reads.
  return { ...(await createDb({ databaseUrl: url, schema, poolMax })), schema };
}

/**
 * A fresh database migrated up to (not including) `migration`: the state a
 * migration test starts from. The caller closes it.
 */
export async function createTestDbBefore(migration: string): Promise<DbHandle> {
  const handle = await createEmptyTestDb(3);
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db);
  const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < migration));
  const { error } = await new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => before },
    migrationTableSchema: rows[0]!.schema,
    allowUnorderedMigrations: true,
  }).migrateToLatest();
  if (error) throw error;
  return handle;
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
    // The session checks of this file's loaders started the process's session cache (ADR 035): its listener goes first.
    await stopProcessSessionCache();
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
