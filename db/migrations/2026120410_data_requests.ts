import { type Kysely, sql } from "kysely";

/**
 * Ad-hoc data requests (convention Art. 3: partners answer the observatory's
 * specific requests). The referent or a member asks one or more partners a
 * question with a due date and the expected form of the answer (a file or
 * figures typed in the portal); each partner organisation answers once per
 * request (`data_request_recipient`), or declines with a reason. Answers are
 * pooled like the yearly data (internal use; external diffusion needs the
 * source's approval, Art. 5). docs/decisions/022-governance-and-proposals.md.
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table data_request (
      id uuid primary key default gen_random_uuid(),
      title text not null check (length(title) between 1 and 200),
      question text not null check (length(question) between 1 and 5000),
      answer_format text not null check (answer_format in ('file', 'figures')),
      due_on date not null,
      status text not null default 'open' check (status in ('open', 'closed')),
      requested_by uuid not null references app_user(id),
      requester_organisation_id uuid not null references organisation(id),
      created_at timestamptz not null default now(),
      closed_at timestamptz,
      check ((status = 'closed') = (closed_at is not null))
    )`.execute(db);
  await sql`
    create table data_request_recipient (
      request_id uuid not null references data_request(id),
      organisation_id uuid not null references organisation(id),
      status text not null default 'pending' check (status in ('pending', 'answered', 'declined')),
      answer_comment text check (answer_comment is null or length(answer_comment) <= 5000),
      answer_figures jsonb,
      answer_file_id uuid references stored_file(id),
      answered_by uuid references app_user(id),
      answered_at timestamptz,
      primary key (request_id, organisation_id),
      check ((status = 'pending') = (answered_at is null)),
      check (status <> 'declined' or length(coalesce(answer_comment, '')) > 0)
    )`.execute(db);
  await sql`create index data_request_recipient_pending_idx on data_request_recipient(organisation_id) where status = 'pending'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
