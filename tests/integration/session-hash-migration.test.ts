import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { sql, Migrator } from "kysely";
import pg from "pg";
import { migrations } from "#db/migrations/index";
import { createDb, migrateToLatest, type DbHandle } from "~/server/db.server";
import { makeOrganisation, makeUser } from "../factories";

const handles: DbHandle[] = [];
afterAll(async () => {
  for (const h of handles) await h.close();
});

/** A database migrated up to (not including) 2026120415_session_hash: sessions keyed by their clear id. */
async function beforeSessionHash(): Promise<DbHandle> {
  const url = process.env.DATABASE_URL;
  let handle: DbHandle;
  if (!url) {
    handle = await createDb({});
  } else {
    const schema = `t_${inject("testRunId")}_${randomBytes(3).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    handle = await createDb({ databaseUrl: url, schema, poolMax: 3 });
  }
  handles.push(handle);
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db);
  const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < "2026120415_session_hash"));
  const { error } = await new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => before },
    migrationTableSchema: rows[0]!.schema,
    allowUnorderedMigrations: true,
  }).migrateToLatest();
  if (error) throw error;
  return handle;
}

describe("ADR 028: migration 2026120415_session_hash", () => {
  it("ends the sessions stored in clear and requires a secret hash from then on", async () => {
    const { db } = await beforeSessionHash();
    const org = await makeOrganisation(db);
    const user = await makeUser(db, "reader", org.id);
    await sql`insert into user_session (id, user_id, expires_at) values ('session-en-clair', ${user.id}, now() + interval '1 hour')`.execute(db);

    expect(await migrateToLatest(db)).toContain("2026120415_session_hash");

    expect(await db.selectFrom("user_session").select("id").execute()).toEqual([]);
    await expect(
      sql`insert into user_session (id, user_id, expires_at) values ('sans-empreinte', ${user.id}, now() + interval '1 hour')`.execute(db),
    ).rejects.toThrow(/secret_hash/);
  }, 120_000);
});
