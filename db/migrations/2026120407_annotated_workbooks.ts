import { type Kysely, sql } from "kysely";

/**
 * Annotated workbooks built once per version (issue 11, ADR 016): the
 * partner's workbook with its faulty cells highlighted is stored the first
 * time it is asked for and served from storage afterwards, instead of
 * re-parsing the upload on every download.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table submission_version add column annotated_file_id uuid references stored_file(id) on delete set null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
