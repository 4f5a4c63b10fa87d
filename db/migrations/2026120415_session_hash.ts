import { type Kysely, sql } from "kysely";

/**
 * Sessions stored hashed (ADR 028). The cookie now carries `<id>.<secret>` and
 * the row keeps `secret_hash` = sha256(secret), like API tokens and reset links.
 * The rows written before this migration hold no hash (their id was the whole
 * secret, stored in clear): they are deleted, which signs every user out once.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`delete from user_session`.execute(db);
  await sql`alter table user_session add column secret_hash text not null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("2026120415_session_hash cannot be reverted: restore a backup instead.");
}
