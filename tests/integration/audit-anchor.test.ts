import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { sql, type Kysely } from "kysely";
import type { Database } from "#db/schema";
import { useTestDb, createTestDb, createTestDbBefore } from "../support/db";
import { useTestJobs } from "../support/jobs";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { runRoute } from "../factories/referential";
import * as auditRoute from "~/routes/audit";
import { createDb, migrateToLatest, type Db, type DbHandle } from "~/server/db.server";
import {
  GENESIS_HASH,
  computeAuditHash,
  computeAuditHmac,
  describeVerification,
  readStoredEvents,
  recordAudit,
  systemContext,
  verifyAuditChain,
} from "~/server/audit/audit.server";
import {
  ANCHOR_FILE_NAME,
  AUDIT_ANCHOR_JOB,
  anchorDocumentSchema,
  createAuditAnchor,
  readAnchorFile,
  writeBackupAnchor,
} from "~/server/audit/anchor.server";
import { AUDIT_KEY_FILE, DEV_AUDIT_HMAC_KEY, auditKeyId, keyringFrom, keyringFromEnv, setAuditKeyringForTests } from "~/server/audit/keys.server";
import { parseEnv } from "~/server/env.server";

/**
 * ADR 024: the audit chain is keyed (HMAC with a key
 * outside the database) and anchored (signed head and count, kept outside
 * the database). Each of the four tamperings — update a row, delete one in
 * the middle, delete the tail, recompute every hash — is reported, with the
 * first bad event where there is one. A tamperer is a superuser: they
 * disable the append-only triggers.
 */
// Most tests migrate a database of their own (a tampering cannot be undone) and the command test spawns
// two processes: slow on a loaded machine with the embedded database.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 240_000 });

const t = useTestDb();
const jobs = useTestJobs(t);

const KEY_A = "cle-a-du-journal-d-audit-0123456789abcdef";
const KEY_B = "cle-b-du-journal-d-audit-fedcba9876543210";
const handles: DbHandle[] = [];

afterEach(() => setAuditKeyringForTests(undefined));
afterAll(async () => {
  for (const h of handles) await h.close();
});

/** A database of its own for a tampering (each leaves its chain broken). */
async function freshDb(): Promise<Db> {
  const handle = await createTestDb();
  handles.push(handle);
  return handle.db;
}

async function addEvents(db: Kysely<Database>, n: number, label = "e"): Promise<string[]> {
  for (let i = 0; i < n; i++) {
    await db.transaction().execute((trx) =>
      recordAudit(trx, { ...systemContext(), ip: "10.0.0.1", requestId: `req-${label}-${i}` }, {
        action: "test.event",
        entityType: "test",
        entityId: `${label}${i}`,
        summary: `Événement de test ${label} n° ${i}`,
        details: { i, nested: { b: 2, a: 1 } },
      }),
    );
  }
  return ids(db);
}

async function ids(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom("audit_event").select(sql<string>`id::text`.as("id")).orderBy("audit_event.id").execute();
  return rows.map((r) => r.id);
}

/** What a superuser can do: switch the append-only triggers off, change rows, switch them on. */
async function tamper(db: Kysely<Database>, change: (trx: Kysely<Database>) => Promise<unknown>) {
  await db.transaction().execute(async (trx) => {
    await sql`alter table audit_event disable trigger audit_event_no_update`.execute(trx);
    await sql`alter table audit_anchor disable trigger audit_anchor_no_update`.execute(trx);
    await change(trx);
    await sql`alter table audit_event enable trigger audit_event_no_update`.execute(trx);
    await sql`alter table audit_anchor enable trigger audit_anchor_no_update`.execute(trx);
  });
}

/** Recomputes every hash in id order with `hash(prevHash, row)`, as a tamperer covering an edit would. */
async function recomputeAll(db: Kysely<Database>, hash: (prev: string, fields: Parameters<typeof computeAuditHash>[1]) => string, keyId: string | null) {
  await tamper(db, async (trx) => {
    const rows = await readStoredEvents(trx, "0", 1_000_000);
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const h = hash(prev, r.fields);
      await sql`update audit_event set prev_hash = ${prev}, hash = ${h}, key_id = ${keyId} where id = ${r.id}::bigint`.execute(trx);
      prev = h;
    }
  });
}

describe("ADR 024: a keyed chain (HMAC with a key outside the database)", () => {
  it("each new event's hash is the HMAC of its fields with AUDIT_HMAC_KEY, named by key_id; its plain sha256 is not", async () => {
    const db = await freshDb();
    setAuditKeyringForTests(keyringFrom(KEY_A));
    await addEvents(db, 3, "k");
    const rows = await db.selectFrom("audit_event").select(["hash", "prev_hash", "key_id"]).orderBy("id").execute();
    expect(rows.map((r) => r.key_id)).toEqual([auditKeyId(KEY_A), auditKeyId(KEY_A), auditKeyId(KEY_A)]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);
    expect(rows[2]!.hash).toMatch(/^[0-9a-f]{64}$/);
    const verified = await verifyAuditChain(db);
    expect(verified).toMatchObject({ ok: true, checked: 3, legacy: 0 });
    // The same chain checked with another key is refused at its first event.
    const other = await verifyAuditChain(db, { keyring: keyringFrom(KEY_B) });
    expect(other.ok).toBe(false);
    expect(other.brokenAt?.id).toBe((await ids(db))[0]);
  });

  it("the append-only trigger also protects the anchors", async () => {
    await createAuditAnchor(t.db, "manual");
    await expect(sql`update audit_anchor set event_count = 0`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_anchor`.execute(t.db)).rejects.toThrow(/append-only/);
  });

  it("key rotation: events and anchors of the previous key verify while it is in AUDIT_HMAC_PREVIOUS_KEYS, and only then", async () => {
    const db = await freshDb();
    setAuditKeyringForTests(keyringFrom(KEY_A));
    const before = await addEvents(db, 3, "a");
    await createAuditAnchor(db, "manual");
    setAuditKeyringForTests(keyringFrom(KEY_B, [KEY_A]));
    await addEvents(db, 2, "b");
    await createAuditAnchor(db, "manual");
    const keyIds = (await db.selectFrom("audit_event").select("key_id").orderBy("id").execute()).map((r) => r.key_id);
    expect(keyIds).toEqual([...Array(3).fill(auditKeyId(KEY_A)), ...Array(2).fill(auditKeyId(KEY_B))]);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 5, anchorProblems: [] });
    // The previous key dropped too early: its events cannot be checked any more.
    const without = await verifyAuditChain(db, { keyring: keyringFrom(KEY_B) });
    expect(without.ok).toBe(false);
    expect(without.brokenAt).toMatchObject({ id: before[0], reason: expect.stringMatching(/unknown key/) });
    expect(without.anchorProblems.map((p) => p.reason)).toEqual([expect.stringMatching(/unknown key/)]);
  });
});

describe("ADR 024: the four tamperings are reported", () => {
  it("1. an updated event: rewritten, first bad event is that one", async () => {
    const db = await freshDb();
    const all = await addEvents(db, 12);
    // Ids past 9: the walk follows the bigint order, not the text order ("10" < "2").
    await tamper(db, (trx) => sql`update audit_event set summary = 'falsifié' where id = ${all[10]}::bigint`.execute(trx));
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toMatchObject({ id: all[10], reason: expect.stringMatching(/HMAC/) });
    expect(result.checked).toBe(10);
    expect(describeVerification(result)[0]).toMatch(new RegExp(`^Réécriture : premier événement altéré n° ${all[10]} .+ / Rewritten: first bad event id ${all[10]}`));
  });

  it("2. an event deleted in the middle: the next event's link is the first bad one", async () => {
    const db = await freshDb();
    const all = await addEvents(db, 6);
    await tamper(db, (trx) => sql`delete from audit_event where id = ${all[2]}::bigint`.execute(trx));
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toMatchObject({ id: all[3], reason: expect.stringMatching(/prev_hash .+ deleted/) });
    expect(result.checked).toBe(2);
  });

  it("3. the tail deleted after an anchor: truncated, anchor says N events up to id X, found M — from the database anchor, and from a kept file when the anchors are deleted too", async () => {
    const db = await freshDb();
    const all = await addEvents(db, 6);
    const anchor = await createAuditAnchor(db, "daily");
    expect(anchor).toMatchObject({ eventCount: 6, headEventId: all[5] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-anchor-"));
    const file = path.join(dir, ANCHOR_FILE_NAME);
    fs.writeFileSync(file, JSON.stringify(anchor));
    expect(await verifyAuditChain(db, { externalAnchors: [readAnchorFile(file)] })).toMatchObject({ ok: true, checked: 6, anchorsChecked: 3 });

    await tamper(db, (trx) => sql`delete from audit_event where id >= ${all[4]}::bigint`.execute(trx));
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    // The chain itself is intact: only the anchor sees the cut.
    expect(result.brokenAt).toBeUndefined();
    expect(result.checked).toBe(4);
    expect(result.truncated).toMatchObject({ anchor: { eventCount: 6, headEventId: all[5] }, found: 4, lastId: all[3] });
    expect(describeVerification(result)[0]).toMatch(
      new RegExp(`^Troncature : .+ compte 6 événement\\(s\\) jusqu'au n° ${all[5]}, le journal en contient 4 .+ / Truncated: the anchor says 6 events up to id ${all[5]}, found 4`),
    );

    // The tamperer deletes the anchors as well and writes on: the database alone no longer tells…
    await tamper(db, (trx) => sql`delete from audit_anchor where kind = 'anchor'`.execute(trx));
    await addEvents(db, 3, "après");
    expect((await verifyAuditChain(db)).ok).toBe(true);
    // …the anchor kept outside it does: its head event is gone.
    const withFile = await verifyAuditChain(db, { externalAnchors: [readAnchorFile(file)] });
    expect(withFile.ok).toBe(false);
    expect(withFile.truncated).toMatchObject({ anchor: { source: "file", eventCount: 6, headEventId: all[5] }, found: 7 });
    expect(withFile.truncated?.reason).toMatch(new RegExp(`event ${all[5]}, the anchor's head, is missing`));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("4a. every hash recomputed with plain sha256 (key_id erased): the first event after the seal is the first bad one", async () => {
    const db = await freshDb();
    const all = await addEvents(db, 5);
    await tamper(db, (trx) => sql`update audit_event set summary = 'falsifié' where id = ${all[3]}::bigint`.execute(trx));
    await recomputeAll(db, computeAuditHash, null);
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toMatchObject({ id: all[0], reason: expect.stringMatching(/unkeyed \(sha256\) hash after the seal/) });
  });

  it("4b. every hash recomputed with a wrong key (key_id kept as the real key's): the first event is the first bad one", async () => {
    const db = await freshDb();
    const all = await addEvents(db, 5);
    const wrong = keyringFrom(KEY_B).current;
    await recomputeAll(db, (prev, fields) => computeAuditHmac(wrong, prev, fields), auditKeyId(process.env.AUDIT_HMAC_KEY!));
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toMatchObject({ id: all[0], reason: expect.stringMatching(/HMAC/) });
    // Under the wrong key's own id: an unknown key.
    await recomputeAll(db, (prev, fields) => computeAuditHmac(wrong, prev, fields), wrong.id);
    expect((await verifyAuditChain(db)).brokenAt).toMatchObject({ id: all[0], reason: expect.stringMatching(/unknown key/) });
  });

  it("4c. every hash recomputed with the real key (an insider who has it): the signed anchors disagree; a forged anchor fails its signature", async () => {
    const db = await freshDb();
    const all = await addEvents(db, 5);
    await createAuditAnchor(db, "daily");
    await tamper(db, (trx) => sql`update audit_event set summary = 'falsifié' where id = ${all[1]}::bigint`.execute(trx));
    const key = keyringFrom(process.env.AUDIT_HMAC_KEY!).current;
    await recomputeAll(db, (prev, fields) => computeAuditHmac(key, prev, fields), key.id);
    const result = await verifyAuditChain(db);
    expect(result.ok).toBe(false);
    expect(result.brokenAt).toBeUndefined();
    expect(result.anchorProblems).toEqual([
      { anchor: expect.objectContaining({ headEventId: all[4], eventCount: 5 }), reason: expect.stringMatching(/rewritten with the key/) },
    ]);
    // Moving the anchor onto the new hash without the key breaks its signature.
    const head = await db.selectFrom("audit_event").select("hash").where("id", "=", all[4]!).executeTakeFirstOrThrow();
    await tamper(db, (trx) => sql`update audit_anchor set head_hash = ${head.hash} where kind = 'anchor'`.execute(trx));
    const forged = await verifyAuditChain(db);
    expect(forged.ok).toBe(false);
    expect(forged.anchorProblems.map((p) => p.reason)).toEqual([expect.stringMatching(/signature does not match/)]);
  });
});

/** A database migrated up to (not including) 2026120411_audit_hmac, holding sha256 events as ADR 005 wrote them. */
async function legacyDb(events: number): Promise<Db> {
  const handle = await createTestDbBefore("2026120411_audit_hmac");
  handles.push(handle);
  let prev = GENESIS_HASH;
  for (let i = 0; i < events; i++) {
    const fields = {
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      actorUserId: null,
      actorLabel: "système",
      organisationId: null,
      action: "test.legacy",
      entityType: "test",
      entityId: String(i),
      summary: `Événement d'avant la clé n° ${i}`,
      ip: null,
      requestId: null,
      details: JSON.stringify({ i }),
    };
    const hash = computeAuditHash(prev, fields);
    await sql`
      insert into audit_event (occurred_at, actor_user_id, actor_label, organisation_id, action, entity_type, entity_id, summary, ip, request_id, details, prev_hash, hash)
      values (${fields.occurredAt}, null, ${fields.actorLabel}, null, ${fields.action}, ${fields.entityType}, ${fields.entityId}, ${fields.summary}, null, null, ${fields.details}::jsonb, ${prev}, ${hash})`.execute(handle.db);
    prev = hash;
  }
  await migrateToLatest(handle.db);
  return handle.db;
}

describe("ADR 024: events written before the key are sealed", () => {
  it("the migration seals the sha256 events; the first HMAC event chains on the last of them; a sha256 event after the seal is refused", async () => {
    const db = await legacyDb(4);
    const seal = await db.selectFrom("audit_anchor").select([sql<string>`event_count::text`.as("n"), "kind", "head_hash"]).executeTakeFirstOrThrow();
    expect(seal).toMatchObject({ kind: "seal", n: "4" });
    const legacy = await ids(db);
    const all = await addEvents(db, 2, "après");
    const rows = await db.selectFrom("audit_event").select(["prev_hash", "hash", "key_id"]).orderBy("id").execute();
    expect(rows.map((r) => r.key_id === null)).toEqual([true, true, true, true, false, false]);
    expect(rows[4]!.prev_hash).toBe(rows[3]!.hash);
    expect(rows[3]!.hash).toBe(seal.head_hash);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 6, legacy: 4 });

    // A sealed event edited and its sha256 recomputed: the next (keyed) event no longer chains.
    await tamper(db, async (trx) => {
      await sql`update audit_event set summary = 'falsifié' where id = ${legacy[3]}::bigint`.execute(trx);
    });
    expect((await verifyAuditChain(db)).brokenAt?.id).toBe(legacy[3]);
    await recomputeAll(db, computeAuditHash, null);
    const rewritten = await verifyAuditChain(db);
    expect(rewritten.ok).toBe(false);
    expect(rewritten.brokenAt).toMatchObject({ id: all[4], reason: expect.stringMatching(/after the seal/) });
  });
});

describe("ADR 024: the anchors leave the database", () => {
  it("the daily audit.anchor job writes a signed anchor and mails it to the holders of read:audit (referents, administrators), nobody else", async () => {
    const team = await makeOrganisation(t.db, { isTeam: true, kind: "observatory" });
    const partner = await makeOrganisation(t.db);
    const referent = await makeUser(t.db, "odpe_referent", team.id);
    const admin = await makeUser(t.db, "admin", team.id);
    await makeUser(t.db, "odpe_referent", team.id, { status: "disabled" });
    const correspondent = await makeUser(t.db, "partner_correspondent", partner.id);
    await addEvents(t.db, 2, "job");
    const before = await t.db.selectFrom("audit_anchor").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();

    await jobs.queue.send(AUDIT_ANCHOR_JOB, {});
    expect(await jobs.queue.runOnce(AUDIT_ANCHOR_JOB)).toEqual({ ran: 1, failed: 0 });

    const after = await t.db.selectFrom("audit_anchor").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n + 1);
    const mails = await t.db.selectFrom("outbox_mail").select(["to_addresses", "subject", "text_body", "kind"]).where("kind", "=", "audit.anchor").execute();
    expect(mails.flatMap((m) => m.to_addresses).sort()).toEqual([referent.email, admin.email].sort());
    expect(mails.flatMap((m) => m.to_addresses)).not.toContain(correspondent.email);
    const total = (await ids(t.db)).length;
    expect(mails[0]!.subject).toContain(`${total} événement(s)`);
    // The mail carries the anchor itself: kept outside, it verifies the chain.
    const json = mails[0]!.text_body.slice(mails[0]!.text_body.indexOf("{"), mails[0]!.text_body.lastIndexOf("}") + 1);
    const anchor = anchorDocumentSchema.parse(JSON.parse(json));
    expect(anchor).toMatchObject({ reason: "daily", eventCount: total });
    expect(await verifyAuditChain(t.db, { externalAnchors: [anchor] })).toMatchObject({ ok: true, anchorProblems: [] });
  });

  it("a backup writes an anchor into the database and <backup>.audit-anchor.json beside the backup", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-backup-anchor-"));
    const backup = path.join(dir, "sous-dossier", "odpe.dump");
    const { file, anchor } = await writeBackupAnchor(t.db, backup);
    expect(file).toBe(`${backup}.audit-anchor.json`);
    expect(readAnchorFile(file)).toEqual(anchor);
    expect(anchor.reason).toBe("backup");
    const stored = await t.db.selectFrom("audit_anchor").select(sql<string>`id::text`.as("id")).where("reason", "=", "backup").executeTakeFirstOrThrow();
    expect(stored.id).toBe(anchor.anchorId);
    expect((await verifyAuditChain(t.db, { externalAnchors: [readAnchorFile(file)] })).ok).toBe(true);
    fs.writeFileSync(file, JSON.stringify({ ...anchor, eventCount: "six" }));
    expect(() => readAnchorFile(file)).toThrow(/Ancre invalide : .+ champ « eventCount »/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("ADR 024: where the key comes from", () => {
  it("demo with the embedded database: a random key generated once into DATA_DIR/audit-hmac.key (mode 0600); PostgreSQL demo: the public dev key; the environment's key otherwise", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-key-"));
    const demo = parseEnv({ APP_MODE: "demo", DATA_DIR: dir });
    const first = keyringFromEnv(demo);
    expect(first.source).toBe("data-dir");
    const file = path.join(dir, AUDIT_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(keyringFromEnv(demo).current.id).toBe(first.current.id);
    expect(first.current.id).not.toBe(auditKeyId(DEV_AUDIT_HMAC_KEY));
    expect(keyringFromEnv(parseEnv({ APP_MODE: "demo", DATABASE_URL: "postgres://x@localhost/db" })).current.id).toBe(auditKeyId(DEV_AUDIT_HMAC_KEY));
    const configured = keyringFromEnv(parseEnv({ APP_MODE: "demo", DATA_DIR: dir, AUDIT_HMAC_KEY: KEY_A, AUDIT_HMAC_PREVIOUS_KEYS: KEY_B }));
    expect(configured.source).toBe("environment");
    expect(configured.current.id).toBe(auditKeyId(KEY_A));
    expect([...configured.byId.keys()].sort()).toEqual([auditKeyId(KEY_A), auditKeyId(KEY_B)].sort());
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("npm run audit:verify (the command an operator runs, here on an embedded database folder)", () => {
  it("exit 0 with one French / English line when intact; exit 2 naming the truncation when the tail is gone, from the anchor file given with --anchor", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-verify-cli-"));
    const dataDir = path.join(dir, "data");
    const key = "cle-de-la-commande-de-verification-0123456789";
    setAuditKeyringForTests(keyringFrom(key));
    const handle = await createDb({ dataDir });
    await migrateToLatest(handle.db);
    const all = await addEvents(handle.db, 4, "cli");
    const anchorFile = path.join(dir, ANCHOR_FILE_NAME);
    fs.writeFileSync(anchorFile, JSON.stringify(await createAuditAnchor(handle.db, "daily")));
    const root = path.resolve(__dirname, "../..");
    const run = () =>
      spawnSync(path.join(root, "node_modules/.bin/tsx"), ["scripts/audit-verify.ts", "--anchor", anchorFile], {
        cwd: root,
        env: { PATH: process.env.PATH, APP_MODE: "demo", DATA_DIR: dataDir, AUDIT_HMAC_KEY: key, LOG_LEVEL: "silent" } as unknown as NodeJS.ProcessEnv,
        encoding: "utf8",
      });
    await handle.close();
    const intact = run();
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout.trim()).toMatch(/^Journal d'audit intègre : 4 événement\(s\) vérifié\(s\) .+ \/ Audit chain intact: 4 event\(s\), 3 anchor\(s\) agree\.$/);

    const again = await createDb({ dataDir });
    await tamper(again.db, (trx) => sql`delete from audit_event where id = ${all[3]}::bigint`.execute(trx));
    await tamper(again.db, (trx) => sql`delete from audit_anchor where kind = 'anchor'`.execute(trx));
    await again.close();
    const cut = run();
    expect(cut.status).toBe(2);
    expect(cut.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^Troncature : l'ancre du fichier fourni .+ compte 4 événement\\(s\\) jusqu'au n° ${all[3]}, le journal en contient 3 .+ / Truncated: the anchor says 4 events up to id ${all[3]}, found 3`)),
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("ADR 024: the /audit screen's « Vérifier l'intégrité »", () => {
  it("says in French how many events and anchors agree, then names the truncation once the tail is deleted", async () => {
    const team = await makeOrganisation(t.db, { isTeam: true, kind: "observatory" });
    const cookie = await sessionCookie((await makeUser(t.db, "admin", team.id)).id);
    await addEvents(t.db, 2, "écran");
    const anchor = await createAuditAnchor(t.db, "manual");
    const verify = async () => ((await runRoute(auditRoute.loader, makeRequest("/audit?verify=1", { cookie }))).data as { verification: { ok: boolean; lines: string[] } }).verification;
    const intact = await verify();
    expect(intact.ok).toBe(true);
    expect(intact.lines).toEqual([expect.stringMatching(/^Journal d'audit intègre : \d+ événement\(s\) vérifié\(s\) .+ ancre\(s\) concordante\(s\), la plus récente du .+\.$/)]);
    await tamper(t.db, (trx) => sql`delete from audit_event where id = ${anchor.headEventId}::bigint`.execute(trx));
    const cut = await verify();
    expect(cut.ok).toBe(false);
    expect(cut.lines).toEqual([
      expect.stringMatching(new RegExp(`^Troncature : l'ancre n° ${anchor.anchorId} du .+ compte ${anchor.eventCount} événement\\(s\\) jusqu'au n° ${anchor.headEventId}, le journal en contient ${anchor.eventCount - 1} `)),
    ]);
    expect(cut.lines.join(" ")).not.toContain(" / ");
  });
});
