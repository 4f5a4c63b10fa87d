import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { useTestDb } from "../support/db";
import { GENESIS_HASH, recordAudit, systemContext, verifyAuditChain, verifyAuditChainCached } from "~/server/audit/audit.server";

const t = useTestDb();

async function addEvents(n: number) {
  for (let i = 0; i < n; i++) {
    await t.db.transaction().execute((trx) =>
      recordAudit(trx, { ...systemContext(), ip: "10.0.0.1", requestId: `req-${i}` }, {
        action: "test.event",
        entityType: "test",
        entityId: String(i),
        summary: `Événement de test n° ${i}`,
        details: { i, nested: { b: 2, a: 1 } },
      }),
    );
  }
}

describe("audit trail (append-only, hash-chained)", () => {
  it("chains each event to the previous one and verifies clean", async () => {
    await addEvents(5);
    const rows = await t.db.selectFrom("audit_event").select(["prev_hash", "hash"]).orderBy("id").execute();
    expect(rows).toHaveLength(5);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: 5, legacy: 0, anchorProblems: [] });
  });

  it("refuses updates and deletes at the database level", async () => {
    await expect(sql`update audit_event set summary = 'x'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_event`.execute(t.db)).rejects.toThrow(/append-only/);
  });

  it("reports the first broken link after tampering by hand", async () => {
    const third = await t.db.selectFrom("audit_event").select(sql<string>`id::text`.as("id")).orderBy("id").offset(2).limit(1).executeTakeFirstOrThrow();
    // A tamperer with superuser rights disables the trigger and edits an event.
    await t.db.transaction().execute(async (trx) => {
      await sql`alter table audit_event disable trigger audit_event_no_update`.execute(trx);
      await sql`update audit_event set summary = 'falsifié' where id = ${third.id}::bigint`.execute(trx);
      await sql`alter table audit_event enable trigger audit_event_no_update`.execute(trx);
    });
    const result = await verifyAuditChain(t.db);
    expect(result.ok).toBe(false);
    expect(result.brokenAt?.id).toBe(third.id);
    expect(result.checked).toBe(2);
  });

  it("writes the event in the caller's transaction: a rolled-back change leaves no event", async () => {
    const before = await t.db.selectFrom("audit_event").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    await expect(
      t.db.transaction().execute(async (trx) => {
        await recordAudit(trx, systemContext(), { action: "test.rollback", entityType: "test", summary: "annulé" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const after = await t.db.selectFrom("audit_event").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});

describe("/audit?verify=1 is cached by the chain's head (ADR 017)", () => {
  it("answers from the cache while the head is unchanged, and walks the chain again after a new event", async () => {
    await addEvents(2);
    const first = await verifyAuditChainCached(t.db);
    expect(first.cached).toBe(false);
    expect(await verifyAuditChainCached(t.db)).toEqual({ ...first, cached: true });
    await addEvents(1);
    const after = await verifyAuditChainCached(t.db);
    expect(after.cached).toBe(false);
    expect(await verifyAuditChainCached(t.db)).toEqual({ ...after, cached: true });
  });
});
