import { type Kysely, sql } from "kysely";

/**
 * Rates and reference populations (issue 12, items 3, 5, 6).
 *
 * - `population_vintage`: one import of Insee population estimates (« Insee,
 *   estimations de population »), with its vintage (« estimations provisoires
 *   au 1er janvier 2025 », « définitives »). Vintages are never deleted: a
 *   newer one replaces an older one for rates, the old stays as history.
 * - `population_estimate`: the counts of a vintage by territory (département,
 *   region, France), reference year (population at 1 January), sex and single
 *   year of age (the last age is "that age or more").
 * - `rate_definition`: the rates of the catalogue (conventions/rates.json):
 *   numerator indicator and its universe, the population universe (they must
 *   be equal), multiplier, unit, a rule per breakdown and the source convention.
 *
 * docs/decisions/019-rates-populations.md. Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table population_vintage (
      id uuid primary key default gen_random_uuid(),
      vintage_year integer not null check (vintage_year between 1990 and 2200),
      status text not null check (status in ('provisional', 'final')),
      label text not null,
      source text not null,
      filename text not null,
      imported_at timestamptz not null default now(),
      imported_by uuid references app_user(id),
      unique (vintage_year, status)
    )`.execute(db);
  await sql`
    create table population_estimate (
      vintage_id uuid not null references population_vintage(id),
      geo_level text not null check (geo_level in ('departement', 'region', 'france')),
      geo_code text not null check (length(geo_code) between 1 and 10),
      reference_year integer not null check (reference_year between 1900 and 2200),
      sex text not null check (sex in ('F', 'M')),
      age smallint not null check (age between 0 and 120),
      population integer not null check (population >= 0),
      primary key (vintage_id, geo_level, geo_code, reference_year, sex, age)
    )`.execute(db);
  await sql`create index population_estimate_lookup_idx on population_estimate(geo_level, geo_code, reference_year)`.execute(db);
  await sql`
    create table rate_definition (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[A-Z0-9_]{2,40}$'),
      domain_code text not null references indicator_domain(code),
      position integer not null default 0,
      label text not null check (length(label) between 2 and 300),
      definition text,
      numerator_code text not null,
      numerator_universe jsonb not null,
      population_universe jsonb not null,
      multiplier double precision not null check (multiplier > 0),
      unit text not null check (length(unit) between 1 and 80),
      decimals smallint not null default 1 check (decimals between 0 and 4),
      breakdown_rules jsonb not null default '{}'::jsonb,
      source_convention text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table reference_rate (
      id uuid primary key default gen_random_uuid(),
      rate_code text not null check (rate_code ~ '^[A-Z0-9_]{2,40}$'),
      geo_level text not null check (geo_level in ('region', 'france')),
      geo_code text not null check (length(geo_code) between 1 and 10),
      geo_label text not null,
      reference_year integer not null check (reference_year between 1900 and 2200),
      value double precision not null,
      source text not null check (length(source) between 2 and 500),
      filename text not null,
      imported_at timestamptz not null default now(),
      imported_by uuid references app_user(id)
    )`.execute(db);
  await sql`create index reference_rate_lookup_idx on reference_rate(rate_code, reference_year)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
