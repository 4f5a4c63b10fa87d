import { type Kysely, sql } from "kysely";

/**
 * ADR 040: the read models held with the published artefacts (the
 * extranet's publications with their sources' names and logos) change with
 * every statement on `publication` (a publication validated, withdrawn,
 * changed) and on `organisation` (a source renamed, its logo changed):
 * each sends `NOTIFY odpe_artefacts` with the table's name, delivered at
 * commit (not at all on rollback) to every instance's artefact cache
 * (ADR 033), whatever the code path that ran it. Statement-level triggers.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function odpe_notify_artefacts() returns trigger language plpgsql as $$
    begin
      perform pg_notify('odpe_artefacts', tg_table_name);
      return null;
    end
    $$`.execute(db);
  for (const table of ["publication", "organisation"]) {
    const events = table === "publication" ? "insert or update or delete or truncate" : "update or delete or truncate";
    await sql`
      create trigger ${sql.raw(`${table}_notify_artefacts`)}
      after ${sql.raw(events)} on ${sql.table(table)}
      for each statement execute function odpe_notify_artefacts()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["publication", "organisation"]) {
    await sql`drop trigger if exists ${sql.raw(`${table}_notify_artefacts`)} on ${sql.table(table)}`.execute(db);
  }
  await sql`drop function if exists odpe_notify_artefacts()`.execute(db);
}
