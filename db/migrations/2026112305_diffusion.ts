import { type Kysely, sql } from "kysely";

/**
 * Pooled data, shared workspace and diffusion governance (issue 5, convention
 * Art. 4 and 5): workspace documents with their versions and French full-text
 * search; publications with frozen tables and charts (query + snapshot),
 * attachments, one approval request per source organisation tied to a content
 * hash, the workflow history, and the mutual-information notices sent.
 * Frozen once released: add a new migration instead of editing this one.
 */

// Accent folding shared with app/domain/workspace.ts (FOLD_FROM / FOLD_TO):
// the embedded database has no `unaccent` extension.
const FOLD_FROM = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ";
const FOLD_TO = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuy";

export async function up(db: Kysely<any>): Promise<void> {
  // ── Workspace (Art. 4) ──────────────────────────────────────────────────
  await sql`
    create table workspace_document (
      id uuid primary key default gen_random_uuid(),
      title text not null check (length(title) between 3 and 200),
      summary text not null default '' check (length(summary) <= 4000),
      kind text not null check (kind in ('study','analysis','initiative','report','other')),
      domain_codes text[] not null default '{}',
      owner_organisation_id uuid not null references organisation(id),
      created_by uuid references app_user(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      current_version_id uuid,
      version_count integer not null default 0 check (version_count >= 0),
      search_vector tsvector generated always as (
        to_tsvector('french'::regconfig, lower(translate(title || ' ' || summary, ${sql.lit(FOLD_FROM)}, ${sql.lit(FOLD_TO)})))
      ) stored
    )`.execute(db);
  await sql`create index workspace_document_search_idx on workspace_document using gin (search_vector)`.execute(db);
  await sql`create index workspace_document_owner_idx on workspace_document(owner_organisation_id)`.execute(db);

  // Every uploaded file, never overwritten; numbered per document.
  await sql`
    create table workspace_document_version (
      id uuid primary key default gen_random_uuid(),
      document_id uuid not null references workspace_document(id),
      number integer not null check (number > 0),
      file_id uuid not null references stored_file(id),
      note text check (note is null or length(note) <= 500),
      uploaded_by uuid references app_user(id),
      uploaded_at timestamptz not null default now(),
      unique (document_id, number)
    )`.execute(db);
  await sql`
    alter table workspace_document add constraint workspace_document_current_version_fk
      foreign key (current_version_id) references workspace_document_version(id)`.execute(db);

  // Art. 5 mutual information: organisations whose data a study declares it uses.
  await sql`
    create table workspace_document_source (
      document_id uuid not null references workspace_document(id) on delete cascade,
      organisation_id uuid not null references organisation(id),
      primary key (document_id, organisation_id)
    )`.execute(db);

  // ── Publications (Art. 5) ───────────────────────────────────────────────
  await sql`
    create table publication (
      id uuid primary key default gen_random_uuid(),
      title text not null check (length(title) between 3 and 200),
      audience text not null check (audience in ('extranet','onpe','press','institution')),
      body_markdown text not null default '' check (length(body_markdown) <= 50000),
      status text not null default 'draft'
        check (status in ('draft','awaiting_sources','awaiting_referent','published','rejected','unpublished')),
      author_id uuid not null references app_user(id),
      organisation_id uuid not null references organisation(id),
      content_hash text not null check (content_hash ~ '^[0-9a-f]{64}$'),
      content_changed_at timestamptz not null default now(),
      submitted_at timestamptz,
      published_at timestamptz,
      published_by uuid references app_user(id),
      rejected_at timestamptz,
      rejected_by uuid references app_user(id),
      rejection_reason text,
      unpublished_at timestamptz,
      unpublished_by uuid references app_user(id),
      unpublish_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (status <> 'published' or published_at is not null),
      check (status <> 'rejected' or length(coalesce(rejection_reason, '')) >= 5)
    )`.execute(db);
  await sql`create index publication_status_idx on publication(status, published_at desc)`.execute(db);

  // Tables and charts built in the explorer and frozen: the query and a snapshot of the values (with lineage).
  await sql`
    create table publication_item (
      id uuid primary key default gen_random_uuid(),
      publication_id uuid not null references publication(id) on delete cascade,
      position integer not null check (position >= 0),
      kind text not null check (kind in ('chart','table')),
      title text not null check (length(title) between 3 and 200),
      query jsonb not null,
      snapshot jsonb not null,
      created_by uuid references app_user(id),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index publication_item_pub_idx on publication_item(publication_id, position)`.execute(db);

  // Attached workspace documents, frozen at one version.
  await sql`
    create table publication_attachment (
      publication_id uuid not null references publication(id) on delete cascade,
      document_id uuid not null references workspace_document(id),
      document_version_id uuid not null references workspace_document_version(id),
      position integer not null check (position >= 0),
      attached_by uuid references app_user(id),
      attached_at timestamptz not null default now(),
      primary key (publication_id, document_id)
    )`.execute(db);

  // One approval request per source organisation and round, for one exact content (hash).
  await sql`
    create table publication_approval (
      id uuid primary key default gen_random_uuid(),
      publication_id uuid not null references publication(id) on delete cascade,
      organisation_id uuid not null references organisation(id),
      content_hash text not null check (content_hash ~ '^[0-9a-f]{64}$'),
      status text not null default 'pending' check (status in ('pending','approved','refused','invalidated','cancelled')),
      requested_at timestamptz not null default now(),
      requested_by uuid references app_user(id),
      decided_at timestamptz,
      decided_by uuid references app_user(id),
      decided_by_label text,
      reason text check (reason is null or length(reason) <= 2000),
      closed_at timestamptz,
      close_reason text,
      check (status not in ('approved','refused') or decided_at is not null),
      check (status <> 'refused' or length(coalesce(reason, '')) >= 5)
    )`.execute(db);
  await sql`
    create unique index publication_approval_one_pending_idx
      on publication_approval(publication_id, organisation_id) where status = 'pending'`.execute(db);
  await sql`create index publication_approval_org_idx on publication_approval(organisation_id, status)`.execute(db);

  // The workflow's history, never rewritten; a publication's published content is kept with its event.
  await sql`
    create table publication_event (
      id bigint generated always as identity primary key,
      publication_id uuid not null references publication(id) on delete cascade,
      occurred_at timestamptz not null default now(),
      actor_user_id uuid references app_user(id),
      actor_label text not null,
      transition text not null,
      from_status text,
      to_status text not null,
      content_hash text not null,
      note text,
      content jsonb
    )`.execute(db);
  await sql`create index publication_event_pub_idx on publication_event(publication_id, id)`.execute(db);

  // Art. 5 mutual information already sent (each organisation is told once per publication or document).
  await sql`
    create table mutual_information_notice (
      subject_type text not null check (subject_type in ('publication','workspace_document')),
      subject_id uuid not null,
      organisation_id uuid not null references organisation(id),
      notified_at timestamptz not null default now(),
      primary key (subject_type, subject_id, organisation_id)
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
