import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, migrateToLatest } from "~/server/db.server";

/**
 * ADR 032: an empty DATA_DIR gets its cluster from the template (or from
 * initdb in a worker thread), never from initdb in the portal's process; the
 * folder must then be a normal, persistent embedded database.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("embedded database in a new DATA_DIR (ADR 032)", () => {
  it("creates the cluster, migrates it, and keeps what was written across a reopen", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-embedded-start-"));
    dirs.push(dataDir);
    const first = await createDb({ dataDir });
    expect(fs.existsSync(path.join(dataDir, "pgdata", "PG_VERSION"))).toBe(true);
    const applied = await migrateToLatest(first.db);
    expect(applied.length).toBeGreaterThan(0);
    await sql`create table start_probe (n int)`.execute(first.db);
    await sql`insert into start_probe values (42)`.execute(first.db);
    await first.close();

    const again = await createDb({ dataDir });
    try {
      expect(await migrateToLatest(again.db)).toEqual([]);
      const { rows } = await sql<{ n: number }>`select n from start_probe`.execute(again.db);
      expect(rows).toEqual([{ n: 42 }]);
    } finally {
      await again.close();
    }
  }, 180_000);
});
