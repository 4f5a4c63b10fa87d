import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { migrations } from "#db/migrations/index";
import { createDb, migrateToLatest, schemaTemplateName, writeSchemaTemplate } from "~/server/db.server";

/**
 * ADR 041: a new embedded DATA_DIR is filled from the schema template (the
 * empty cluster with every migration applied) when its key matches this
 * code's migrations, and the migrations then have nothing to do; the
 * template holds no audit event, nothing signed and no data but the
 * migrations' own; a template of other migrations is never loaded.
 */
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("schema template of the embedded database (ADR 041)", () => {
  const templateDir = tempDir("odpe-schema-template-");

  it("is keyed by the migrations: another migration set gives another file name", () => {
    const name = schemaTemplateName();
    expect(name).toMatch(/^pglite-[\d.]+-schema-[0-9a-f]{16}\.tar\.gz$/);
    expect(schemaTemplateName()).toBe(name);
    const probe = "9999999999_probe";
    migrations[probe] = { up: async () => {} };
    try {
      expect(schemaTemplateName()).not.toBe(name);
    } finally {
      delete migrations[probe];
    }
    expect(schemaTemplateName()).toBe(name);
  });

  it("fills a new DATA_DIR already migrated, with no audit event, nothing signed and no data", async () => {
    const file = await writeSchemaTemplate(templateDir);
    expect(path.basename(file)).toBe(schemaTemplateName());
    const writtenAt = fs.statSync(file).mtimeMs;
    // Written once: a second call finds it.
    expect(await writeSchemaTemplate(templateDir)).toBe(file);
    expect(fs.statSync(file).mtimeMs).toBe(writtenAt);

    const dataDir = tempDir("odpe-schema-template-data-");
    const handle = await createDb({ dataDir, templateDir });
    try {
      expect(await migrateToLatest(handle.db)).toEqual([]);
      const { rows: done } = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(handle.db);
      expect(done[0]!.n).toBe(Object.keys(migrations).length);
      const count = async (table: string) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(handle.db)).rows[0]!.n;
      expect(await count("audit_event")).toBe(0);
      for (const table of ["organisation", "app_user", "campaign", "stored_file", "dashboard_edition", "submission_value"]) expect(await count(table), table).toBe(0);
      // The one anchor row is the migration's unsigned seal of the empty chain (ADR 024).
      const { rows: anchors } = await sql<{ kind: string; event_count: string; key_id: string | null; signature: string | null }>`
        select kind, event_count::text, key_id, signature from audit_anchor`.execute(handle.db);
      expect(anchors).toEqual([{ kind: "seal", event_count: "0", key_id: null, signature: null }]);
    } finally {
      await handle.close();
    }
    // Nothing of the folder's own: no audit key is written by opening and migrating.
    expect(fs.readdirSync(dataDir).sort()).toEqual(["pgdata"]);
  }, 300_000);

  it("is not loaded when its key does not match: the empty cluster is migrated instead", async () => {
    const staleDir = tempDir("odpe-schema-template-stale-");
    fs.copyFileSync(path.join(templateDir, schemaTemplateName()), path.join(staleDir, schemaTemplateName().replace(/-schema-[0-9a-f]+/, "-schema-0000000000000000")));
    const dataDir = tempDir("odpe-schema-template-data-");
    const handle = await createDb({ dataDir, templateDir: staleDir });
    try {
      expect((await migrateToLatest(handle.db)).length).toBe(Object.keys(migrations).length);
    } finally {
      await handle.close();
    }
  }, 300_000);
});
