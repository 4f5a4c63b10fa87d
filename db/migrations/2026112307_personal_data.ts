import { type Kysely, sql } from "kysely";

/**
 * Personal data (issue 7, GDPR): erasure of accounts and retention purges.
 *
 * - `app_user.erased_at` / `erasure_number`: an erased account keeps its row
 *   (comments, versions and audit events still point at it) but its name and
 *   e-mail are replaced by "Utilisateur supprimé n° N"; N comes from a
 *   sequence, so it says nothing about the person. An erased account is
 *   always disabled and has no password.
 * - `outbox_mail.redacted_at`: when the addresses and body of a mail were
 *   blanked (erasure of its recipient, or the retention purge).
 * - Indexes for the daily purge and for the export of a user's audit events.
 *
 * docs/decisions/012-personal-data.md. Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create sequence app_user_erasure_number_seq`.execute(db);
  await sql`
    alter table app_user
      add column erased_at timestamptz,
      add column erasure_number integer unique,
      add constraint app_user_erased_consistent check (
        (erased_at is null and erasure_number is null)
        or (erased_at is not null and erasure_number is not null and status = 'disabled' and password_hash is null)
      )`.execute(db);
  await sql`alter table outbox_mail add column redacted_at timestamptz`.execute(db);

  await sql`create index audit_event_actor_idx on audit_event(actor_user_id) where actor_user_id is not null`.execute(db);
  await sql`create index login_attempt_attempted_idx on login_attempt(attempted_at)`.execute(db);
  await sql`create index user_session_expires_idx on user_session(expires_at)`.execute(db);
  await sql`create index outbox_mail_sent_idx on outbox_mail(sent_at) where redacted_at is null`.execute(db);
  await sql`create index notification_read_idx on notification(read_at) where read_at is not null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
