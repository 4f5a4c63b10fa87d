import { type Kysely, sql } from "kysely";

/**
 * The disclosure ledger (issue 10, convention Art. 5, CASF D226-3-4): every
 * release outside the observatory (a dashboard edition published, a
 * publication put online, the ONPE package transmitted, any correction)
 * and each cell it made public: the statistic (indicator, year,
 * organisation or aggregate of organisations, breakdown cell), the value
 * shown or secret (null), and a fingerprint of the organisation-level
 * values it was computed from (change detection, ADR 015).
 *
 * - `disclosure_release`: one row per release.
 * - `disclosure_cell`: one row per statistic a release showed (or masked).
 * - `disclosure_withdrawal`: a release taken off the public site (a
 *   superseded edition whose pair with its correction fails the audit).
 *
 * Append-only: the database refuses UPDATE and DELETE on the three tables,
 * like the audit trail (ADR 005). docs/decisions/015-disclosure-ledger.md.
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table disclosure_release (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('dashboard_edition', 'publication', 'onpe_package')),
      subject_id uuid not null,
      label text not null,
      released_at timestamptz not null default now(),
      -- The user account (no name stored: erasure, ADR 012, keeps this table untouched).
      released_by uuid,
      cell_count integer not null,
      secret_count integer not null
    )`.execute(db);
  await sql`create index disclosure_release_subject_idx on disclosure_release(kind, subject_id)`.execute(db);
  await sql`
    create table disclosure_cell (
      id bigint generated always as identity primary key,
      release_id uuid not null references disclosure_release(id),
      stat_key text not null,
      indicator_code text not null,
      reference_year integer not null,
      organisation_id uuid,
      organisation_ids jsonb,
      breakdown_key text not null,
      value double precision,
      secret boolean not null,
      source_hash text,
      released_at timestamptz not null,
      unique (release_id, stat_key),
      check (not (secret and value is not null))
    )`.execute(db);
  await sql`create index disclosure_cell_statistic_idx on disclosure_cell(indicator_code, reference_year)`.execute(db);
  await sql`
    create table disclosure_withdrawal (
      id uuid primary key default gen_random_uuid(),
      release_id uuid not null unique references disclosure_release(id),
      withdrawn_at timestamptz not null default now(),
      withdrawn_by uuid,
      reason text not null
    )`.execute(db);
  await sql`
    create function disclosure_append_only() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only (disclosure ledger)', tg_table_name;
    end $$`.execute(db);
  for (const table of ["disclosure_release", "disclosure_cell", "disclosure_withdrawal"]) {
    await sql`
      create trigger ${sql.raw(`${table}_no_update`)} before update or delete on ${sql.table(table)}
      for each row execute function disclosure_append_only()`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
