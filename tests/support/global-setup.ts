import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's prefix of PostgreSQL test schemas: `t_<run id>_…`. */
    testRunId: string;
  }
}

/**
 * Test files on PostgreSQL each get their own schemas (`t_<run id>_<hex>` and
 * the pg-boss `…_jobs` beside it). Dropping a schema while another file reads
 * the catalogue can fail that read, so files leave their schemas in place and
 * this teardown drops the run's schemas once every file has finished.
 *
 * The run id starts with the run's start time (seconds, base 36), so a run
 * also clears what interrupted runs older than a day left behind, without
 * touching a run going on beside it (another checkout on the same database).
 */
const RUN_SCHEMA = /^t_([0-9a-z]{7})([0-9a-f]{4})_/;
const STALE_AFTER_SECONDS = 24 * 3600;

async function dropSchemas(url: string, keep: (name: string) => boolean): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("select nspname from pg_namespace where nspname like 't\\_%'");
    for (const { nspname } of rows) {
      if (RUN_SCHEMA.test(nspname) && !keep(nspname)) await client.query(`drop schema if exists "${nspname}" cascade`);
    }
  } finally {
    await client.end();
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const now = Math.floor(Date.now() / 1000);
  const runId = `${now.toString(36).padStart(7, "0")}${randomBytes(2).toString("hex")}`;
  project.provide("testRunId", runId);
  const url = process.env.DATABASE_URL;
  if (!url) return async () => {};
  await dropSchemas(url, (name) => now - parseInt(RUN_SCHEMA.exec(name)![1]!, 36) < STALE_AFTER_SECONDS);
  return () => dropSchemas(url, (name) => !name.startsWith(`t_${runId}_`));
}
