import { type Kysely, sql } from "kysely";

/**
 * ADR 035 / ADR 040, amended: the triggers' notifications name the schema
 * whose table changed (`schema=<schema>;<table>`). A channel is shared by
 * every schema of a database, so a portal in one schema (or a test's own
 * schema beside others in the same database) must not empty its caches for
 * another's changes; the listeners ignore a message of another schema
 * (app/server/artefacts/artefact-cache.server.ts, `notificationScope`).
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await replaceNotifyFunctions(db, "'schema=' || tg_table_schema || ';' || tg_table_name");
}

export async function down(db: Kysely<any>): Promise<void> {
  await replaceNotifyFunctions(db, "tg_table_name");
}

/** Both trigger functions (sessions, artefacts) sending `payload`, an SQL expression, on their channel. */
async function replaceNotifyFunctions(db: Kysely<any>, payload: string): Promise<void> {
  for (const [fn, channel] of [
    ["odpe_notify_sessions", "odpe_sessions"],
    ["odpe_notify_artefacts", "odpe_artefacts"],
  ] as const) {
    await sql`
      create or replace function ${sql.raw(fn)}() returns trigger language plpgsql as $$
      begin
        perform pg_notify(${sql.lit(channel)}, ${sql.raw(payload)});
        return null;
      end
      $$`.execute(db);
  }
}
