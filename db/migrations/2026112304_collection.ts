import { type Kysely, sql } from "kysely";

/**
 * Yearly collection (issue 4, Art. 4): submissions per campaign × organisation,
 * every uploaded version kept with its bytes and problems, the values read from
 * each version, the organisation's official (accepted) values, the exchange
 * thread between partner and ODPE, and API tokens for partner systems.
 * Frozen once released: add a new migration instead of editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // One dossier per campaign × organisation; its status follows the workflow
  // of the version currently under review (see app/domain/submissions.ts).
  await sql`
    create table submission (
      id uuid primary key default gen_random_uuid(),
      campaign_id uuid not null references campaign(id),
      organisation_id uuid not null references organisation(id),
      status text not null default 'draft'
        check (status in ('draft','submitted','institution_validated','accepted','returned')),
      current_version_id uuid,
      version_count integer not null default 0,
      first_transmitted_at timestamptz,
      accepted_at timestamptz,
      last_activity_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      unique (campaign_id, organisation_id)
    )`.execute(db);
  await sql`create index submission_org_idx on submission(organisation_id)`.execute(db);

  // Every upload, never overwritten: original bytes (stored_file), who, when,
  // how, and every problem found. Numbered per submission, monotonic.
  await sql`
    create table submission_version (
      id uuid primary key default gen_random_uuid(),
      submission_id uuid not null references submission(id),
      number integer not null check (number > 0),
      file_id uuid not null references stored_file(id),
      uploaded_by uuid references app_user(id),
      uploaded_via text not null check (uploaded_via in ('web','api')),
      api_token_id uuid,
      uploaded_at timestamptz not null default now(),
      status text not null default 'draft'
        check (status in ('draft','submitted','institution_validated','accepted','returned','superseded')),
      error_count integer not null default 0 check (error_count >= 0),
      warning_count integer not null default 0 check (warning_count >= 0),
      problems jsonb not null default '[]',
      warnings_comment text,
      submitted_by uuid references app_user(id),
      submitted_at timestamptz,
      validated_by uuid references app_user(id),
      validated_at timestamptz,
      reviewed_by uuid references app_user(id),
      reviewed_at timestamptz,
      return_reason text,
      unique (submission_id, number)
    )`.execute(db);
  await sql`
    alter table submission add constraint submission_current_version_fk
      foreign key (current_version_id) references submission_version(id)`.execute(db);

  // The values read from one version (one per indicator × breakdown cell).
  // breakdown_key: '' for the total, else 'LIST=CODE|LIST=CODE' in breakdown order.
  await sql`
    create table submission_value (
      version_id uuid not null references submission_version(id),
      indicator_version_id uuid not null references indicator_version(id),
      breakdown_key text not null default '',
      value double precision,
      cell_ref text not null,
      primary key (version_id, indicator_version_id, breakdown_key)
    )`.execute(db);

  // The organisation's official values for a year, with the indicator version
  // they were collected under and the version they come from (lineage).
  await sql`
    create table accepted_value (
      organisation_id uuid not null references organisation(id),
      reference_year integer not null,
      indicator_id uuid not null references indicator(id),
      indicator_version_id uuid not null references indicator_version(id),
      breakdown_key text not null default '',
      value double precision,
      source_version_id uuid not null references submission_version(id),
      accepted_at timestamptz not null default now(),
      primary key (organisation_id, reference_year, indicator_id, breakdown_key)
    )`.execute(db);
  await sql`create index accepted_value_indicator_idx on accepted_value(indicator_id, reference_year)`.execute(db);
  await sql`create index accepted_value_year_idx on accepted_value(reference_year)`.execute(db);

  // The exchange thread between the partner and the ODPE about a submission.
  await sql`
    create table submission_comment (
      id uuid primary key default gen_random_uuid(),
      submission_id uuid not null references submission(id),
      version_id uuid references submission_version(id),
      author_id uuid references app_user(id),
      author_label text not null,
      kind text not null default 'comment' check (kind in ('comment','return','acceptance','system')),
      body text not null check (length(body) between 1 and 10000),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index submission_comment_idx on submission_comment(submission_id, created_at)`.execute(db);

  // Partner-system tokens: shown once, stored as sha256, revocable.
  await sql`
    create table api_token (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisation(id),
      name text not null check (length(name) between 1 and 120),
      token_hash text not null unique,
      token_prefix text not null,
      created_by uuid references app_user(id),
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      revoked_by uuid references app_user(id)
    )`.execute(db);
  await sql`create index api_token_org_idx on api_token(organisation_id)`.execute(db);
  await sql`
    alter table submission_version add constraint submission_version_token_fk
      foreign key (api_token_id) references api_token(id)`.execute(db);

  // Per-token request counting for the API rate limit (shared by all instances).
  await sql`
    create table api_rate_bucket (
      token_id uuid not null references api_token(id) on delete cascade,
      window_start timestamptz not null,
      count integer not null default 0,
      primary key (token_id, window_start)
    )`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
