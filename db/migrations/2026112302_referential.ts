import { type Kysely, sql } from "kysely";

/**
 * The convention referential (issue 3): organisation lifecycle and contacts
 * (Art. 7), the framework convention and its amendments, the versioned
 * indicator catalogue (Art. 3, 4), bilateral agreements (Art. 4) and the
 * yearly campaigns with their expected submissions.
 * Frozen once released: add a new migration instead of editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // ── Framework convention and amendments (Art. 7) ────────────────────────
  await sql`
    create table convention (
      id smallint primary key default 1 check (id = 1),
      title text not null,
      signature_date date not null,
      note text,
      document_file_id uuid references stored_file(id),
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table amendment (
      id uuid primary key default gen_random_uuid(),
      number integer not null unique check (number > 0),
      signed_on date not null,
      kind text not null check (kind in ('new_partner','new_data','other')),
      title text not null,
      description text,
      document_file_id uuid references stored_file(id),
      created_at timestamptz not null default now(),
      created_by uuid
    )`.execute(db);

  // ── Organisation lifecycle (Art. 7) and contacts ────────────────────────
  await sql`alter table organisation add column member_since date`.execute(db);
  await sql`alter table organisation add column joined_amendment_id uuid references amendment(id)`.execute(db);
  await sql`alter table organisation add column withdrawal_notice_date date`.execute(db);
  await sql`alter table organisation add column withdrawal_effective_date date`.execute(db);
  await sql`alter table organisation add column withdrawal_note text`.execute(db);
  await sql`
    alter table organisation add constraint organisation_joined_needs_date
      check (joined_amendment_id is null or member_since is not null)`.execute(db);
  await sql`
    alter table organisation add constraint organisation_withdrawal_needs_membership
      check (withdrawal_notice_date is null or member_since is not null)`.execute(db);
  // Art. 7: withdrawal takes effect three calendar months after the registered letter.
  await sql`
    alter table organisation add constraint organisation_withdrawal_three_months
      check (
        (withdrawal_notice_date is null and withdrawal_effective_date is null)
        or withdrawal_effective_date = (withdrawal_notice_date + interval '3 months')::date
      )`.execute(db);

  await sql`
    create table organisation_contact (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisation(id) on delete cascade,
      name text not null,
      job_title text,
      email text check (email is null or email = lower(email)),
      phone text,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index organisation_contact_org_idx on organisation_contact(organisation_id)`.execute(db);

  // ── Indicator catalogue (Art. 3, 4) ─────────────────────────────────────
  await sql`
    create table indicator_domain (
      code text primary key check (code ~ '^[A-Z_]+$'),
      label text not null,
      position integer not null unique
    )`.execute(db);

  await sql`
    create table codelist (
      code text primary key check (code ~ '^[A-Z0-9_]+$'),
      label text not null
    )`.execute(db);
  await sql`
    create table codelist_item (
      codelist_code text not null references codelist(code) on delete cascade,
      code text not null check (length(code) between 1 and 32),
      label text not null,
      position integer not null,
      primary key (codelist_code, code)
    )`.execute(db);

  await sql`
    create table indicator (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[A-Z0-9_]{2,40}$'),
      domain_code text not null references indicator_domain(code),
      secrecy_threshold integer not null default 5 check (secrecy_threshold between 0 and 1000),
      introduced_by_amendment_id uuid references amendment(id),
      evidence text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  // A version is the definition in force from a year on. Versions are
  // immutable: values collected under a version keep pointing at it.
  await sql`
    create table indicator_version (
      id uuid primary key default gen_random_uuid(),
      indicator_id uuid not null references indicator(id),
      version integer not null check (version > 0),
      valid_from_year integer check (valid_from_year between 1900 and 2200),
      label text not null,
      definition text,
      unit text not null,
      value_type text not null check (value_type in ('integer','decimal')),
      measure text not null check (measure in ('stock','flow')),
      non_negative boolean not null default true,
      min_value double precision,
      max_value double precision,
      breakdown_sum_equals_total boolean not null default true,
      change_note text,
      created_at timestamptz not null default now(),
      created_by uuid,
      unique (indicator_id, version),
      unique (indicator_id, valid_from_year),
      check (version = 1 or valid_from_year is not null),
      check (min_value is null or max_value is null or min_value <= max_value)
    )`.execute(db);
  await sql`
    create table indicator_version_breakdown (
      indicator_version_id uuid not null references indicator_version(id),
      position integer not null,
      codelist_code text not null references codelist(code),
      primary key (indicator_version_id, position),
      unique (indicator_version_id, codelist_code)
    )`.execute(db);
  await sql`
    create function indicator_version_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'indicator versions are immutable: create a new version instead';
    end $$`.execute(db);
  await sql`
    create trigger indicator_version_no_update before update or delete on indicator_version
    for each row execute function indicator_version_immutable()`.execute(db);
  await sql`
    create trigger indicator_version_breakdown_no_update before update or delete on indicator_version_breakdown
    for each row execute function indicator_version_immutable()`.execute(db);

  await sql`
    create table indicator_provider (
      indicator_id uuid not null references indicator(id) on delete cascade,
      organisation_id uuid not null references organisation(id),
      primary key (indicator_id, organisation_id)
    )`.execute(db);
  await sql`create index indicator_provider_org_idx on indicator_provider(organisation_id)`.execute(db);

  // ── Bilateral agreements (Art. 4) ───────────────────────────────────────
  await sql`
    create table agreement (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisation(id),
      reference text,
      signed_on date,
      starts_on date not null,
      ends_on date,
      format text not null default 'excel' check (format in ('excel','api')),
      statistical_level text not null default 'departement' check (statistical_level in ('departement','territory')),
      due_month_day text check (due_month_day ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'),
      same_person_may_validate boolean not null default false,
      document_file_id uuid references stored_file(id),
      note text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (ends_on is null or ends_on >= starts_on)
    )`.execute(db);
  await sql`create index agreement_org_idx on agreement(organisation_id, starts_on)`.execute(db);
  await sql`
    create table agreement_indicator (
      agreement_id uuid not null references agreement(id) on delete cascade,
      indicator_id uuid not null references indicator(id),
      usage_rights text not null default 'with_approval' check (usage_rights in ('internal','with_approval','open')),
      primary key (agreement_id, indicator_id)
    )`.execute(db);

  // ── Yearly campaigns and expected submissions ───────────────────────────
  await sql`
    create table campaign (
      id uuid primary key default gen_random_uuid(),
      reference_year integer not null unique check (reference_year between 2000 and 2200),
      opens_on date not null,
      deadline date not null,
      reminder_days_before integer[] not null default '{14,3}',
      reminder_days_after integer[] not null default '{1}',
      status text not null default 'draft' check (status in ('draft','open','closed')),
      note text,
      opened_at timestamptz,
      closed_at timestamptz,
      created_at timestamptz not null default now(),
      created_by uuid,
      updated_at timestamptz not null default now(),
      check (deadline > opens_on)
    )`.execute(db);
  await sql`
    create table expected_submission (
      id uuid primary key default gen_random_uuid(),
      campaign_id uuid not null references campaign(id),
      organisation_id uuid not null references organisation(id),
      agreement_id uuid references agreement(id),
      status text not null default 'expected' constraint expected_submission_status_check check (status in ('expected')),
      deadline date not null,
      reopened_at timestamptz,
      reopened_by uuid,
      reopen_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (campaign_id, organisation_id)
    )`.execute(db);
  await sql`create index expected_submission_org_idx on expected_submission(organisation_id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
