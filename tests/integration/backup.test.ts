import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createDb, migrateToLatest, type DbHandle } from "~/server/db.server";
import { backupEmbedded, backupPostgres, fingerprint, restoreEmbedded, restorePostgres } from "~/server/ops/backup.server";
import { recordAudit, systemContext, verifyAuditChain } from "~/server/audit/audit.server";
import { putFile } from "~/server/storage/files.server";

/** Some of everything: organisations, audit chain, and stored files with binary content. */
async function fill(handle: DbHandle) {
  await migrateToLatest(handle.db);
  await handle.db.insertInto("organisation").values({ code: "BKP1", name: "Organisme sauvegardé", kind: "association" }).execute();
  await handle.db.transaction().execute(async (trx) => {
    await putFile(trx, { filename: "binaire.xlsx", contentType: "application/octet-stream", bytes: randomBytes(70_000), createdBy: null });
    await putFile(trx, { filename: "logo.png", contentType: "image/png", bytes: randomBytes(5_000), createdBy: null });
    for (let i = 0; i < 5; i++) await recordAudit(trx, systemContext(), { action: "test.backup", entityType: "test", summary: `événement ${i}` });
  });
}

describe("backup and restore: every table and stored file identical after a round trip", () => {
  it(`round trip with the ${process.env.DATABASE_URL ? "PostgreSQL (pg_dump/pg_restore)" : "embedded (PGlite data-folder dump)"} driver`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-backup-"));
    const file = path.join(dir, "backup.bin");
    const url = process.env.DATABASE_URL;
    if (!url) {
      const source = await createDb({ dataDir: path.join(dir, "source") });
      await fill(source);
      const before = await fingerprint(source.db);
      await backupEmbedded(source, file);
      await source.close();
      await restoreEmbedded(file, path.join(dir, "restored"));
      await expect(restoreEmbedded(file, path.join(dir, "restored"))).rejects.toThrow(/contient déjà une base/);
      const restored = await createDb({ dataDir: path.join(dir, "restored") });
      expect(await fingerprint(restored.db)).toEqual(before);
      expect((await verifyAuditChain(restored.db)).ok).toBe(true);
      await restored.close();
    } else {
      const names = [`odpe_bk_src_${randomBytes(4).toString("hex")}`, `odpe_bk_dst_${randomBytes(4).toString("hex")}`];
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      for (const name of names) await admin.query(`create database ${name}`);
      const urlOf = (name: string) => {
        const u = new URL(url);
        u.pathname = `/${name}`;
        return u.toString();
      };
      try {
        const source = await createDb({ databaseUrl: urlOf(names[0]!) });
        await fill(source);
        const before = await fingerprint(source.db);
        await backupPostgres(urlOf(names[0]!), file);
        await source.close();
        await restorePostgres(urlOf(names[1]!), file);
        const restored = await createDb({ databaseUrl: urlOf(names[1]!) });
        expect(await fingerprint(restored.db)).toEqual(before);
        expect((await verifyAuditChain(restored.db)).ok).toBe(true);
        await restored.close();
      } finally {
        for (const name of names) await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    }
    expect(fs.statSync(file).size).toBeGreaterThan(70_000);
  }, 120_000);
});
