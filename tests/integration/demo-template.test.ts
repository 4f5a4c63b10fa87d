import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, writeSchemaTemplate, PREPARING_DIR, type Db, type DbHandle } from "~/server/db.server";
import { getEnv } from "~/server/env.server";
import { verifyAuditChain } from "~/server/audit/audit.server";
import { ANCHOR_FILE_NAME, anchorDocumentSchema, anchorRecordOf, anchorSignatureProblem, type AuditAnchorDocument } from "~/server/audit/anchor.server";
import { keyringFrom, setAuditKeyringForTests, type AuditKeyring } from "~/server/audit/keys.server";
import { MANIFEST_NAME, type OnpeManifest } from "~/server/dashboard/package.server";
import { DEMO_OPEN_YEAR } from "~/server/observatory/demo-referential.server";
import { DEMO_TEMPLATE_MARKER, adoptDemoTemplate, demoSeedingEnvironment, demoTemplateForNewFolder, preparedDemoTemplate, seedDemo } from "~/server/observatory/demo-template.server";
import { addDays, todayIso } from "~/domain/dates";

/**
 * ADR 052: a new demo folder is copied from the prepared demo template (seeded
 * at build time) and re-signs the copied audit chain with its own key before
 * anyone uses it (ADR 024: no folder shares a secret with another); the day's
 * part of the demo is seeded at its start.
 */
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
const handles: DbHandle[] = [];
const root = path.resolve(__dirname, "../..");
const keyA = keyringFrom(randomBytes(32).toString("hex"), [], "data-dir");
const keyB = keyringFrom(randomBytes(32).toString("hex"), [], "data-dir");
// A production build's layout: build/server/ (the bundle and the marker) and .cache/embedded-template/ (the templates).
const project = tempDir("odpe-demo-template-");
const buildDir = path.join(project, "build", "server");
const templateDir = path.join(project, ".cache", "embedded-template");
const seedingDataDir = tempDir("odpe-demo-template-seeding-");
const env = () => ({ ...getEnv(), APP_MODE: "demo" as const, OBSERVATORY_DIR: root, DATA_DIR: seedingDataDir, DATABASE_URL: undefined });
let templateFile = "";
let templateSha256 = "";

/** A new folder copied from the template, its start run with `keyring` as the folder's key. */
async function copyFolder(keyring: AuditKeyring, dataDir = tempDir("odpe-demo-folder-"), adopt: (db: Db) => Promise<void> = adoptDemoTemplate): Promise<Db> {
  setAuditKeyringForTests(keyring);
  try {
    const handle = await createDb({ dataDir, templateDir, prepared: { file: templateFile, sha256: templateSha256, adopt } });
    handles.push(handle);
    expect(fs.existsSync(path.join(dataDir, PREPARING_DIR))).toBe(false);
    return handle.db;
  } finally {
    setAuditKeyringForTests(undefined);
  }
}

/** An address of a server (localhost, 127.0.0.1, any http(s) URL). */
const ADDRESS = String.raw`localhost|127\.0\.0\.1|https?://`;

const count = async (db: Db, table: string) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db)).rows[0]!.n;

async function onpePackages(db: Db) {
  const rows = await db
    .selectFrom("dashboard_edition_file as f")
    .innerJoin("dashboard_edition as e", "e.id", "f.edition_id")
    .innerJoin("stored_file as s", "s.id", "f.file_id")
    .select(["e.id as edition_id", "s.content", "s.sha256"])
    .where("f.kind", "=", "onpe_package")
    .execute();
  return rows.map((r) => {
    const bytes = Buffer.from(r.content);
    const entries = unzipSync(bytes);
    return {
      editionId: r.edition_id,
      bytes,
      storedSha256: r.sha256,
      entries,
      manifest: JSON.parse(strFromU8(entries[MANIFEST_NAME]!)) as OnpeManifest,
      anchor: anchorDocumentSchema.parse(JSON.parse(strFromU8(entries[ANCHOR_FILE_NAME]!))) as AuditAnchorDocument,
    };
  });
}

beforeAll(async () => {
  fs.mkdirSync(buildDir, { recursive: true });
  fs.writeFileSync(path.join(buildDir, "index.js"), "// the server bundle\n");
  fs.writeFileSync(path.join(buildDir, "heavy-tasks.mjs"), "// the heavy-work bundle\n");
  await writeSchemaTemplate(templateDir);
  // The first new demo folder of a build without a template seeds it (the same function as `npm run build`).
  const first = await demoTemplateForNewFolder({ ...env(), DATA_DIR: tempDir("odpe-demo-first-") }, buildDir);
  templateFile = first!.file;
  templateSha256 = first!.sha256;
}, 600_000);

afterAll(async () => {
  for (const handle of handles) await handle.close().catch(() => {});
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("prepared demo template (ADR 052)", () => {
  it("holds the demo's history and editions but nothing dated from the day, and its seeding writes nothing into DATA_DIR", async () => {
    expect(path.basename(templateFile)).toMatch(/^pglite-[\d.]+-demo-[0-9a-f]{16}\.tar\.gz$/);
    expect(fs.readdirSync(seedingDataDir)).toEqual([]);
    const handle = await createDb({ memoryFrom: templateFile });
    handles.push(handle);
    expect(await count(handle.db, "dashboard_edition")).toBeGreaterThanOrEqual(2);
    expect(await count(handle.db, "submission_value")).toBeGreaterThan(1000);
    expect(await handle.db.selectFrom("campaign").select("id").where("reference_year", "=", DEMO_OPEN_YEAR).executeTakeFirst()).toBeUndefined();
    expect(await count(handle.db, "publication")).toBeGreaterThan(0);
    expect(await count(handle.db, "data_request")).toBe(0);
    expect(await count(handle.db, "indicator_proposal")).toBe(0);
  });

  it("names no address of the server anywhere, so a folder served on any port may use it (the port is not in its key)", async () => {
    const handle = await createDb({ memoryFrom: templateFile });
    handles.push(handle);
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(handle.db);
    expect(tables.rows.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const { table_name } of tables.rows) {
      const { rows } = await sql<{ x: string }>`select left(t::text, 300) as x from ${sql.table(table_name)} t where t::text ~ ${ADDRESS}`.execute(handle.db);
      for (const row of rows) found.push(`${table_name}: ${row.x}`);
    }
    expect(found).toEqual([]);
  });

  it("ADR 024: a copied folder's whole audit chain is signed with its own key, and verifies with no other", async () => {
    const db = await copyFolder(keyA);
    const mine = await verifyAuditChain(db, { keyring: keyA });
    expect(mine.ok, JSON.stringify(mine)).toBe(true);
    expect(mine.checked).toBeGreaterThan(50);
    expect(mine.legacy).toBe(0);
    const keys = await db.selectFrom("audit_event").select("key_id").distinct().execute();
    expect(keys.map((k) => k.key_id)).toEqual([keyA.current.id]);
    const anchors = await db.selectFrom("audit_anchor").select(["key_id", "reason"]).where("kind", "=", "anchor").execute();
    expect(anchors.length).toBeGreaterThanOrEqual(2);
    expect(new Set(anchors.map((a) => a.key_id))).toEqual(new Set([keyA.current.id]));
    const other = await verifyAuditChain(db, { keyring: keyB });
    expect(other.ok).toBe(false);
    expect(other.brokenAt?.reason).toMatch(/unknown key/);
  });

  it("two folders copied from one template share no key and no hash, and neither has the template's", async () => {
    const a = await copyFolder(keyA);
    const b = await copyFolder(keyB);
    const template = await createDb({ memoryFrom: templateFile });
    handles.push(template);
    const first = (db: Db) => db.selectFrom("audit_event").select(["hash", "key_id"]).orderBy("id").limit(1).executeTakeFirstOrThrow();
    const [ea, eb, et] = [await first(a), await first(b), await first(template.db)];
    expect(ea.key_id).toBe(keyA.current.id);
    expect(eb.key_id).toBe(keyB.current.id);
    expect(new Set([ea.hash, eb.hash, et.hash]).size).toBe(3);
    expect([keyA.current.id, keyB.current.id]).not.toContain(et.key_id);
    expect((await verifyAuditChain(b, { keyring: keyB })).ok).toBe(true);
  });

  it("Art. 5 + ADR 024: each ONPE package carries an anchor of the folder's key, its manifest and the trail name its new bytes", async () => {
    const db = await copyFolder(keyA);
    const packages = await onpePackages(db);
    expect(packages.length).toBeGreaterThanOrEqual(2);
    for (const p of packages) {
      expect(p.anchor.keyId).toBe(keyA.current.id);
      expect(anchorSignatureProblem(anchorRecordOf(p.anchor), keyA)).toBeNull();
      expect(anchorSignatureProblem(anchorRecordOf(p.anchor), keyB)).not.toBeNull();
      expect(createHash("sha256").update(p.bytes).digest("hex")).toBe(p.storedSha256);
      const listed = p.manifest.files.find((f) => f.name === ANCHOR_FILE_NAME)!;
      expect(listed.sha256).toBe(createHash("sha256").update(p.entries[ANCHOR_FILE_NAME]!).digest("hex"));
      expect(listed.size).toBe(p.entries[ANCHOR_FILE_NAME]!.byteLength);
      const published = await db
        .selectFrom("audit_event")
        .select(sql<string>`details->>'packageSha256'`.as("sha"))
        .where("entity_type", "=", "dashboard_edition")
        .where("entity_id", "=", p.editionId)
        .where(sql<boolean>`details ? 'packageSha256'`)
        .executeTakeFirstOrThrow();
      expect(published.sha).toBe(p.storedSha256);
    }
    // Only the anchor and its line in the manifest changed: every other file of each package is the template's, byte for byte.
    const template = await createDb({ memoryFrom: templateFile });
    handles.push(template);
    for (const before of await onpePackages(template.db)) {
      const after = packages.find((p) => p.editionId === before.editionId)!;
      expect(Object.keys(after.entries)).toEqual(Object.keys(before.entries));
      for (const name of Object.keys(before.entries).filter((n) => n !== ANCHOR_FILE_NAME && n !== MANIFEST_NAME)) {
        expect(Buffer.from(after.entries[name]!).equals(Buffer.from(before.entries[name]!)), name).toBe(true);
      }
      const withoutAnchor = (m: OnpeManifest) => ({ ...m, files: m.files.filter((f) => f.name !== ANCHOR_FILE_NAME) });
      expect(withoutAnchor(after.manifest)).toEqual(withoutAnchor(before.manifest));
      expect(after.anchor).toEqual({ ...before.anchor, headHash: after.anchor.headHash, keyId: keyA.current.id, signature: after.anchor.signature });
      expect(after.anchor.signature).not.toBe(before.anchor.signature);
    }
    const withFiles = await verifyAuditChain(db, { keyring: keyA, externalAnchors: packages.map((p) => p.anchor) });
    expect(withFiles.ok, JSON.stringify(withFiles.anchorProblems)).toBe(true);
  });

  it("the day's part is seeded at the folder's start: the open campaign ends at least 45 days after today, the data request is due in 21 days", async () => {
    const db = await copyFolder(keyA);
    setAuditKeyringForTests(keyA);
    try {
      const logins = await seedDemo(db, env(), "start");
      expect(logins.length).toBeGreaterThan(3);
    } finally {
      setAuditKeyringForTests(undefined);
    }
    const campaign = await db.selectFrom("campaign").select(["deadline", "status"]).where("reference_year", "=", DEMO_OPEN_YEAR).executeTakeFirstOrThrow();
    expect(campaign.status).toBe("open");
    expect(String(campaign.deadline) >= addDays(todayIso(), 45)).toBe(true);
    const request = await db.selectFrom("data_request").select("due_on").executeTakeFirstOrThrow();
    expect(String(request.due_on)).toBe(addDays(todayIso(), 21));
    expect(await count(db, "publication")).toBeGreaterThan(0);
    expect((await verifyAuditChain(db, { keyring: keyA })).ok).toBe(true);
  });

  it("a copy interrupted before its adoption is made again at the next open, never used half-signed", async () => {
    const dataDir = tempDir("odpe-demo-interrupted-");
    // What a copy cut short leaves: the staging folder, half loaded; no pgdata/ yet.
    fs.mkdirSync(path.join(dataDir, PREPARING_DIR));
    fs.writeFileSync(path.join(dataDir, PREPARING_DIR, "PG_VERSION"), "17\n");
    const db = await copyFolder(keyA, dataDir);
    expect((await verifyAuditChain(db, { keyring: keyA })).ok).toBe(true);
  });

  it("an existing folder is never copied over: a staging folder or a template beside it changes nothing", async () => {
    const dataDir = tempDir("odpe-demo-existing-");
    const first = await copyFolder(keyA, dataDir);
    const events = await count(first, "audit_event");
    await handles.pop()!.close();
    fs.mkdirSync(path.join(dataDir, PREPARING_DIR));
    let adopted = false;
    setAuditKeyringForTests(keyA);
    const reopened = await createDb({ dataDir, templateDir, prepared: { file: templateFile, sha256: templateSha256, adopt: async () => void (adopted = true) } }).finally(() =>
      setAuditKeyringForTests(undefined),
    );
    handles.push(reopened);
    const again = reopened.db;
    expect(adopted).toBe(false);
    expect(await count(again, "audit_event")).toBe(events);
    expect((await verifyAuditChain(again, { keyring: keyA })).ok).toBe(true);
  });

  it("a folder's own trail put in the template's place is refused, not signed again as it stands", async () => {
    // The folder's key already signed this chain: re-signing it would bless whatever was changed in it.
    const db = await copyFolder(keyA);
    setAuditKeyringForTests(keyA);
    try {
      await expect(adoptDemoTemplate(db)).rejects.toThrow(/keyring/);
    } finally {
      setAuditKeyringForTests(undefined);
    }
  });

  it("a file under the template's name that is not the one its build recorded is not loaded", async () => {
    setAuditKeyringForTests(keyA);
    try {
      const dataDir = tempDir("odpe-demo-substituted-");
      const handle = await createDb({ dataDir, templateDir, prepared: { file: templateFile, sha256: "0".repeat(64), adopt: adoptDemoTemplate } });
      handles.push(handle);
      expect(await count(handle.db, "audit_event")).toBe(0);
    } finally {
      setAuditKeyringForTests(undefined);
    }
  });

  it("a template that cannot be adopted is dropped: the folder is prepared from the schema template instead", async () => {
    const dataDir = tempDir("odpe-demo-refused-");
    const db = await copyFolder(keyA, dataDir, async () => {
      throw new Error("refused");
    });
    expect(await count(db, "audit_event")).toBe(0);
    expect(await count(db, "organisation")).toBe(0);
  });

  it("a copied chain with a broken link is refused, not re-signed", async () => {
    const dataDir = tempDir("odpe-demo-broken-");
    const db = await copyFolder(keyA, dataDir, async (copy) => {
      await copy.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        await sql`update audit_event set prev_hash = repeat('a', 64) where id = (select id from audit_event order by id offset 10 limit 1)`.execute(trx);
      });
      await adoptDemoTemplate(copy);
    });
    // Refused: the folder was prepared without the template.
    expect(await count(db, "audit_event")).toBe(0);
  });

  it("is seeded once per build, and a later new folder finds it; an existing folder is not copied over", async () => {
    expect(path.dirname(templateFile)).toBe(templateDir);
    const marker = JSON.parse(fs.readFileSync(path.join(buildDir, DEMO_TEMPLATE_MARKER), "utf8")) as { file: string };
    expect(path.resolve(buildDir, marker.file)).toBe(templateFile);
    const writtenAt = fs.statSync(templateFile).mtimeMs;
    const later = tempDir("odpe-demo-later-");
    expect((await demoTemplateForNewFolder({ ...env(), DATA_DIR: later }, buildDir))?.file).toBe(templateFile);
    expect(fs.statSync(templateFile).mtimeMs).toBe(writtenAt);
    await copyFolder(keyA, later);
    expect(await demoTemplateForNewFolder({ ...env(), DATA_DIR: later }, buildDir)).toBeUndefined();
    // Not a production build (no bundle beside this code): no template, the folder is seeded directly.
    expect(await demoTemplateForNewFolder({ ...env(), DATA_DIR: tempDir("odpe-demo-source-") }, tempDir("odpe-demo-no-build-"))).toBeUndefined();
  });

  it("is used only by a production build of demo mode whose marker names this environment", () => {
    const here = tempDir("odpe-demo-marker-");
    const e = env();
    expect(preparedDemoTemplate(e, here)).toBeUndefined();
    // A build's layout: build/server/ two levels under the project, whose .cache/embedded-template/ holds the file.
    const server = path.join(here, "build", "server");
    const cache = path.join(here, ".cache", "embedded-template");
    fs.mkdirSync(server, { recursive: true });
    fs.mkdirSync(cache, { recursive: true });
    fs.copyFileSync(templateFile, path.join(cache, path.basename(templateFile)));
    const copied = path.join(cache, path.basename(templateFile));
    const writeMarker = (file: string) =>
      fs.writeFileSync(path.join(server, DEMO_TEMPLATE_MARKER), JSON.stringify({ file: path.relative(server, file), sha256: templateSha256, environment: demoSeedingEnvironment(e) }));
    writeMarker(copied);
    // A marker without the bundle beside it (a source tree) is not a build's.
    expect(preparedDemoTemplate(e, server)).toBeUndefined();
    fs.writeFileSync(path.join(server, "index.js"), "");
    fs.writeFileSync(path.join(server, "heavy-tasks.mjs"), "");
    expect(preparedDemoTemplate(e, server)?.file).toBe(copied);
    expect(preparedDemoTemplate(e, path.join(server, "assets"))?.file).toBe(copied);
    // A marker naming a file outside the project's template folder is not followed.
    writeMarker(templateFile);
    expect(preparedDemoTemplate(e, server)).toBeUndefined();
    // An unreadable marker: no template, no failed start.
    fs.writeFileSync(path.join(server, DEMO_TEMPLATE_MARKER), "{ not json");
    expect(preparedDemoTemplate(e, server)).toBeUndefined();
    writeMarker(copied);
    const here2 = server;
    expect(preparedDemoTemplate({ ...e, APP_MODE: "production" }, here2)).toBeUndefined();
    expect(preparedDemoTemplate({ ...e, DATABASE_URL: "postgres://x@127.0.0.1/y" }, here2)).toBeUndefined();
    expect(preparedDemoTemplate({ ...e, PUBLIC_URL: "https://odpe.example.fr" }, here2)).toBeUndefined();
    expect(preparedDemoTemplate({ ...e, OBSERVATORY_DIR: here }, here2)).toBeUndefined();
    expect(preparedDemoTemplate({ ...e, PORT: e.PORT + 1 }, here2)?.file).toBe(copied);
  });
});
