import pg from "pg";
import { logger } from "./logger.server";

/**
 * Serialises process start on one PostgreSQL (ADR 021):
 * migrations, pg-boss's schema and queue creation, and the demo seeding run
 * under a session advisory lock, so two instances started at the same moment
 * on an empty database take turns instead of one dying (pg-boss's « deadlock
 * detected » while creating its queues, a unique violation while seeding).
 * The second instance waits, then finds everything done and only checks.
 *
 * The lock is held on a connection of its own (not one of the pool the
 * start itself uses, so a pool of one cannot deadlock), released by unlock
 * or, if the process dies, by PostgreSQL when the connection drops.
 * Embedded database: nothing to do, its folder lock admits one process.
 */
export const STARTUP_LOCK_KEY = 4242014;

export async function withStartupLock<T>(databaseUrl: string | undefined, run: () => Promise<T>): Promise<T> {
  if (!databaseUrl) return run();
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  client.on("error", (error) => logger.warn({ err: { message: error.message } }, "startup lock connection lost"));
  await client.connect();
  try {
    const free = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1) as ok", [STARTUP_LOCK_KEY]);
    if (!free.rows[0]?.ok) {
      logger.info("another instance is starting on this database: waiting for it");
      await client.query("select pg_advisory_lock($1)", [STARTUP_LOCK_KEY]);
    }
    return await run();
  } finally {
    await client.query("select pg_advisory_unlock($1)", [STARTUP_LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
