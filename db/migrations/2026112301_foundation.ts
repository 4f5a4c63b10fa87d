import { type Kysely, sql } from "kysely";

/**
 * Foundation: observatory identity, organisations, users, sessions, login
 * throttling, password reset links, stored files and the audit trail.
 * Frozen once released: add a new migration instead of editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table observatory (
      id smallint primary key default 1 check (id = 1),
      code text not null,
      name text not null,
      label text not null,
      departement_code text not null,
      departement_name text not null,
      contact_email text,
      is_demo boolean not null default false,
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table stored_file (
      id uuid primary key default gen_random_uuid(),
      filename text not null,
      content_type text not null,
      size_bytes integer not null check (size_bytes >= 0),
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      content bytea not null,
      created_at timestamptz not null default now(),
      created_by uuid
    )`.execute(db);

  await sql`
    create table organisation (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
      name text not null,
      kind text not null,
      note text,
      is_observatory_team boolean not null default false,
      logo_file_id uuid references stored_file(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table app_user (
      id uuid primary key default gen_random_uuid(),
      email text not null unique check (email = lower(email)),
      display_name text not null,
      organisation_id uuid not null references organisation(id),
      role text not null check (role in ('admin','odpe_referent','committee_member','partner_correspondent','partner_validator','reader')),
      password_hash text,
      status text not null default 'active' check (status in ('active','disabled')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      last_login_at timestamptz
    )`.execute(db);
  await sql`create index app_user_organisation_idx on app_user(organisation_id)`.execute(db);

  await sql`
    create table user_session (
      id text primary key,
      user_id uuid not null references app_user(id) on delete cascade,
      expires_at timestamptz not null,
      created_at timestamptz not null default now(),
      ip text,
      user_agent text
    )`.execute(db);
  await sql`create index user_session_user_idx on user_session(user_id)`.execute(db);

  await sql`
    create table login_attempt (
      id bigint generated always as identity primary key,
      email text not null,
      ip text not null,
      succeeded boolean not null,
      attempted_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index login_attempt_email_idx on login_attempt(email, attempted_at)`.execute(db);
  await sql`create index login_attempt_ip_idx on login_attempt(ip, attempted_at)`.execute(db);

  await sql`
    create table password_reset (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references app_user(id) on delete cascade,
      token_hash text not null unique,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_by uuid references app_user(id),
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table audit_event (
      id bigint generated always as identity primary key,
      occurred_at timestamptz not null,
      actor_user_id uuid,
      actor_label text not null,
      organisation_id uuid,
      action text not null,
      entity_type text not null,
      entity_id text,
      summary text not null,
      ip text,
      request_id text,
      details jsonb,
      prev_hash text not null,
      hash text not null unique
    )`.execute(db);
  await sql`create index audit_event_occurred_idx on audit_event(occurred_at desc)`.execute(db);
  await sql`create index audit_event_entity_idx on audit_event(entity_type, entity_id)`.execute(db);
  // Append-only: updates and deletes are refused by the database itself.
  await sql`
    create function audit_event_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_event is append-only';
    end $$`.execute(db);
  await sql`
    create trigger audit_event_no_update before update or delete on audit_event
    for each row execute function audit_event_append_only()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
