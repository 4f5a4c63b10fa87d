import { type Kysely, sql } from "kysely";

/**
 * Mail outbox and in-app notifications (issue 4, item 7).
 *
 * - `outbox_mail`: every mail the portal sends, written in the transaction of
 *   the change that causes it (a mail exists iff that change committed), then
 *   delivered by the `mail.send` job, which marks the row sent in the same
 *   transaction as the hand-off to the transport. `dedupe_key` makes a retried
 *   use case or job write the mail once.
 * - `notification`: what a user sees in the portal; one row per user and
 *   dedupe key, so a retried job never notifies twice.
 *
 * The job queue itself (pg-boss) keeps its tables in its own schema, created
 * and migrated by pg-boss at start (docs/decisions/007-job-queue.md).
 * Frozen once released: add a new migration instead of editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table outbox_mail (
      id uuid primary key default gen_random_uuid(),
      dedupe_key text not null unique check (length(dedupe_key) between 1 and 300),
      kind text not null default 'generic',
      to_addresses text[] not null check (cardinality(to_addresses) between 1 and 50),
      reply_to text,
      subject text not null check (length(subject) between 1 and 300),
      text_body text not null,
      html_body text,
      organisation_id uuid references organisation(id),
      status text not null default 'pending' check (status in ('pending','sent','failed')),
      attempts integer not null default 0 check (attempts >= 0),
      last_error text,
      last_attempt_at timestamptz,
      transport text check (transport in ('smtp','capture')),
      message_id text,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      check ((status = 'sent') = (sent_at is not null))
    )`.execute(db);
  await sql`create index outbox_mail_pending_idx on outbox_mail(created_at) where status = 'pending'`.execute(db);
  await sql`create index outbox_mail_created_idx on outbox_mail(created_at desc)`.execute(db);

  await sql`
    create table notification (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references app_user(id) on delete cascade,
      kind text not null,
      title text not null check (length(title) between 1 and 200),
      body text not null,
      -- An in-portal path only ("/…", never "//host" or "/\\host"): no open redirect.
      link text check (left(link, 1) = '/' and left(link, 2) <> '//' and strpos(link, '\\') = 0),
      dedupe_key text not null check (length(dedupe_key) between 1 and 300),
      created_at timestamptz not null default now(),
      read_at timestamptz,
      unique (user_id, dedupe_key)
    )`.execute(db);
  await sql`create index notification_user_idx on notification(user_id, created_at desc)`.execute(db);
  await sql`create index notification_unread_idx on notification(user_id) where read_at is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
