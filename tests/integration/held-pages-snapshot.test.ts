import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { driverOf } from "~/server/db.server";
import { databaseSnapshot } from "~/server/http/held-pages.server";
import { makeOrganisation } from "../factories";
import { useTestDb } from "../support/db";

/** ADR 055: the database snapshot that keys the held pages, on both drivers. */
const t = useTestDb();

describe("the database's snapshot (ADR 055)", () => {
  it("changes when a change becomes visible: a transaction still open is in progress in it, committed it is not", async () => {
    const before = await databaseSnapshot(t.db);
    await makeOrganisation(t.db);
    const after = await databaseSnapshot(t.db);
    expect(after).not.toBe(before);
    if (driverOf(t.db) !== "pg") return;
    // PostgreSQL: a second connection's transaction, written but not committed, is « in progress » in every snapshot
    // taken meanwhile (listed, or at or above xmax); once committed, it is not in the next one.
    const inProgress = (snapshot: string, xid: bigint) => {
      const [, xmax, xip] = snapshot.split(":") as [string, string, string];
      return xid >= BigInt(xmax) || xip.split(",").filter(Boolean).map(BigInt).includes(xid);
    };
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written!: (xid: bigint) => void;
    const wrote = new Promise<bigint>((resolve) => (written = resolve));
    const transaction = t.db.transaction().execute(async (trx) => {
      await sql`update organisation set name = name where id = (select id from organisation limit 1)`.execute(trx);
      const { rows } = await sql<{ xid: string }>`select pg_current_xact_id()::text as xid`.execute(trx);
      written(BigInt(rows[0]!.xid));
      await held;
    });
    const xid = await wrote;
    expect(inProgress(await databaseSnapshot(t.db), xid)).toBe(true);
    release();
    await transaction;
    expect(inProgress(await databaseSnapshot(t.db), xid)).toBe(false);
  });

  it("reads alone leave it as it was (embedded database: nothing else writes to it)", async () => {
    if (driverOf(t.db) !== "pglite") {
      // PostgreSQL: the test files running beside this one write to the same server; only the embedded database is quiet.
      expect(driverOf(t.db)).toBe("pg");
      return;
    }
    await makeOrganisation(t.db);
    const before = await databaseSnapshot(t.db);
    await t.db.selectFrom("organisation").selectAll().execute();
    await sql`select count(*) from app_user`.execute(t.db);
    expect(await databaseSnapshot(t.db)).toBe(before);
  });
});
