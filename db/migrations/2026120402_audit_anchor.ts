import { type Kysely, sql } from "kysely";

/**
 * Issue 11 hardening (ADR 017). This round's one migration; its name was
 * reserved for the audit anchor (item 7), which is not in it yet — it holds:
 *
 * - `api_ip_failure_bucket`: per client address and one-minute window, the
 *   API requests that presented a missing-in-database (unknown or revoked)
 *   Bearer token, so that guessing tokens is rate-limited per IP and shared by
 *   every instance (item 9). Rows older than the window are useless; each
 *   address's first failure of a window clears its older windows.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table api_ip_failure_bucket (
      ip text not null,
      window_start timestamptz not null,
      count integer not null default 0,
      primary key (ip, window_start)
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
