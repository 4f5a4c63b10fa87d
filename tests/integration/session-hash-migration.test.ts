import { afterAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { migrateToLatest, type DbHandle } from "~/server/db.server";
import { makeOrganisation, makeUser } from "../factories";
import { createTestDbBefore } from "../support/db";

const handles: DbHandle[] = [];
afterAll(async () => {
  for (const h of handles) await h.close();
});

/** A database migrated up to (not including) 2026120415_session_hash: sessions keyed by their clear id. */
async function beforeSessionHash(): Promise<DbHandle> {
  const handle = await createTestDbBefore("2026120415_session_hash");
  handles.push(handle);
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
