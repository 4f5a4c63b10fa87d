import pg from "pg";

/**
 * Runs `fn` with a client connected to `url` and closes it afterwards, even
 * when `fn` throws. Shared by the benchmarks that create and drop their
 * throw-away databases or read a seeded one (bench/load.ts, bench/pages.ts,
 * bench/import-server.ts).
 */
export async function withPgClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
