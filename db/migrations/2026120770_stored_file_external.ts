import { type Kysely, sql } from "kysely";

/**
 * ADR 056: stored files (workbooks, PDFs, zips, images) are already
 * compressed; PostgreSQL's default storage for bytea (EXTENDED) tried to
 * compress each one again before moving it out of line, for nothing. EXTERNAL
 * keeps the out-of-line storage without that attempt: a 5 MB workbook is
 * written in ~120 ms instead of ~200 ms. Rows already stored stay as they are.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table stored_file alter column content set storage external`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table stored_file alter column content set storage extended`.execute(db);
}
