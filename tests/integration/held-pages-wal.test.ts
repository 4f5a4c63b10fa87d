import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { driverOf } from "~/server/db.server";
import { walInsertPosition } from "~/server/http/held-pages.server";
import { makeOrganisation } from "../factories";
import { useTestDb } from "../support/db";

/** ADR 055: the WAL insert position that keys the held pages, on both drivers. */
const t = useTestDb();

describe("the database's WAL insert position (ADR 055)", () => {
  it("moves forward with every committed change, read from outside the transaction", async () => {
    const before = await walInsertPosition(t.db);
    await makeOrganisation(t.db);
    const after = await walInsertPosition(t.db);
    expect(after > before).toBe(true);
    // Inside a transaction: a change not yet committed has moved it already (its records are inserted); the commit moves it again.
    let inside = 0n;
    await t.db.transaction().execute(async (trx) => {
      await sql`update organisation set name = name where id = (select id from organisation limit 1)`.execute(trx);
      inside = await walInsertPosition(trx as never);
    });
    expect(inside > after).toBe(true);
    expect((await walInsertPosition(t.db)) > inside).toBe(true);
  });

  it("reads alone do not move it once the pages they read are tidied (embedded database: nothing else writes to it)", async () => {
    if (driverOf(t.db) !== "pglite") {
      // PostgreSQL: the test files running beside this one write to the same server; only the embedded database is quiet.
      expect(driverOf(t.db)).toBe("pg");
      return;
    }
    const read = async () => {
      await t.db.selectFrom("organisation").selectAll().execute();
      await sql`select count(*) from app_user`.execute(t.db);
    };
    // The first read after a change may prune the rows it left behind, which PostgreSQL logs too: one more miss, then stable.
    await read();
    const before = await walInsertPosition(t.db);
    await read();
    await read();
    expect(await walInsertPosition(t.db)).toBe(before);
  });
});
