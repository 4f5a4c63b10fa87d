import pg from "pg";

/**
 * Test files on PostgreSQL each get their own schemas (`t_<12 hex>` and the
 * pg-boss `t_<12 hex>_jobs…` beside it). Dropping a schema while another file
 * reads the catalogue can fail that read, so files leave their schemas in
 * place and this teardown drops them all once every file has finished; the
 * setup also clears what an interrupted run left behind.
 */
const TEST_SCHEMA = /^t_[0-9a-f]{12}(_|$)/;

async function dropTestSchemas(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("select nspname from pg_namespace where nspname like 't\\_%'");
    for (const { nspname } of rows) {
      if (TEST_SCHEMA.test(nspname)) await client.query(`drop schema if exists "${nspname}" cascade`);
    }
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (!url) return async () => {};
  await dropTestSchemas(url);
  return () => dropTestSchemas(url);
}
