import { type Kysely, sql } from "kysely";

/**
 * Review with the values on screen (issue 13): the correspondent's comment
 * on each line of the workbook (column G), kept per version so validators and
 * the referent read it beside the value. Only non-empty comments are stored.
 * Frozen once released: add a new migration instead of editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table submission_line_comment (
      version_id uuid not null references submission_version(id),
      indicator_version_id uuid not null references indicator_version(id),
      breakdown_key text not null default '',
      body text not null check (length(body) between 1 and 1000),
      primary key (version_id, indicator_version_id, breakdown_key)
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
