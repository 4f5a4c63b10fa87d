import { type Kysely, sql } from "kysely";

/**
 * ADR 035: every statement that can end a session or change what a session
 * check returns — a session updated or deleted (logout, revocation, expiry,
 * sliding expiry), a user or an organisation updated or deleted (status, role,
 * name, withdrawal date) — or the observatory's identity shown by every page
 * sends `NOTIFY odpe_sessions`. PostgreSQL delivers
 * it at commit (not at all on rollback) to every instance, which empties its
 * in-process cache of validated sessions. Statement-level triggers: one
 * notification per statement, whatever the code path that ran it.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function odpe_notify_sessions() returns trigger language plpgsql as $$
    begin
      perform pg_notify('odpe_sessions', tg_table_name);
      return null;
    end
    $$`.execute(db);
  for (const table of ["user_session", "app_user", "organisation", "observatory"]) {
    // The observatory's first import inserts its row (a page may have shown the neutral name before).
    const events = table === "observatory" ? "insert or update or delete or truncate" : "update or delete or truncate";
    await sql`
      create trigger ${sql.raw(`${table}_notify_sessions`)}
      after ${sql.raw(events)} on ${sql.table(table)}
      for each statement execute function odpe_notify_sessions()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["user_session", "app_user", "organisation", "observatory"]) {
    await sql`drop trigger if exists ${sql.raw(`${table}_notify_sessions`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function if exists odpe_notify_sessions()`.execute(db);
}
