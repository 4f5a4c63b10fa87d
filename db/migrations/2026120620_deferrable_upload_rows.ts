import { type Kysely, sql } from "kysely";

/**
 * ADR 031 (2026-12-06): on PostgreSQL an upload's rows are copied into
 * `submission_value` and `submission_line_comment` while the worker still
 * parses the file, before the version they belong to is inserted (its number
 * is drawn under the submission's lock, taken only once the parse is done).
 * Their foreign key to `submission_version` becomes DEFERRABLE (still
 * INITIALLY IMMEDIATE: every other statement checks it at once, as before);
 * the upload's transaction defers it, so it is checked at commit.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ["submission_value", "submission_line_comment"]) {
    await sql`alter table ${sql.table(table)} alter constraint ${sql.raw(`${table}_version_id_fkey`)} deferrable initially immediate`.execute(db);
  }
}
