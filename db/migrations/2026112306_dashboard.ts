import { type Kysely, sql } from "kysely";

/**
 * The annual dashboard (issue 6, convention Art. 3 and 5): derived indicators
 * (rates: numerator / denominator × multiplier) and key figures in the
 * catalogue; dashboard editions per reference year, frozen at publication
 * (values snapshot, texts, generated files); the record of each
 * transmission to ONPE with the checksum of the package sent.
 * Frozen once released: add a new migration instead of editing this one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // ── Catalogue: derived indicators and key figures ───────────────────────
  await sql`
    create table derived_indicator (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[A-Z0-9_]{2,40}$'),
      domain_code text not null references indicator_domain(code),
      label text not null check (length(label) between 2 and 300),
      definition text,
      numerator_indicator_id uuid not null references indicator(id),
      denominator_indicator_id uuid not null references indicator(id),
      multiplier double precision not null default 1000 check (multiplier > 0),
      unit text not null check (length(unit) between 1 and 80),
      decimals smallint not null default 1 check (decimals between 0 and 4),
      created_at timestamptz not null default now(),
      created_by uuid references app_user(id),
      check (numerator_indicator_id <> denominator_indicator_id)
    )`.execute(db);

  // The key figures opening every edition, in order: an indicator or a derived indicator code.
  await sql`
    create table dashboard_key_figure (
      position integer primary key check (position > 0),
      code text not null unique check (code ~ '^[A-Z0-9_]{2,40}$')
    )`.execute(db);

  // ── Editions ────────────────────────────────────────────────────────────
  await sql`
    create table dashboard_edition (
      id uuid primary key default gen_random_uuid(),
      reference_year integer not null check (reference_year between 2000 and 2200),
      number integer not null check (number > 0),
      status text not null default 'draft' check (status in ('draft','validated','published','transmitted')),
      foreword text not null default '' check (length(foreword) <= 20000),
      correction_note text check (correction_note is null or length(correction_note) <= 2000),
      previous_edition_id uuid references dashboard_edition(id),
      snapshot jsonb,
      public_snapshot jsonb,
      snapshot_sha256 text check (snapshot_sha256 is null or snapshot_sha256 ~ '^[0-9a-f]{64}$'),
      created_at timestamptz not null default now(),
      created_by uuid references app_user(id),
      updated_at timestamptz not null default now(),
      validated_at timestamptz,
      validated_by uuid references app_user(id),
      published_at timestamptz,
      published_by uuid references app_user(id),
      superseded_at timestamptz,
      superseded_by_edition_id uuid references dashboard_edition(id),
      unique (reference_year, number),
      check ((status in ('published','transmitted')) = (published_at is not null)),
      check (published_at is null or (snapshot is not null and public_snapshot is not null and snapshot_sha256 is not null)),
      check ((superseded_at is null) = (superseded_by_edition_id is null))
    )`.execute(db);
  // One edition in preparation per year at a time.
  await sql`
    create unique index dashboard_edition_one_open on dashboard_edition(reference_year)
      where status in ('draft','validated')`.execute(db);
  await sql`create index dashboard_edition_published_idx on dashboard_edition(reference_year, published_at)`.execute(db);

  await sql`
    create table dashboard_edition_comment (
      edition_id uuid not null references dashboard_edition(id),
      domain_code text not null references indicator_domain(code),
      body text not null check (length(body) between 1 and 10000),
      updated_at timestamptz not null default now(),
      updated_by uuid references app_user(id),
      primary key (edition_id, domain_code)
    )`.execute(db);

  // Files generated at publication: PDF and XLSX of both variants, the ONPE package.
  await sql`
    create table dashboard_edition_file (
      edition_id uuid not null references dashboard_edition(id),
      kind text not null check (kind in ('pdf_internal','pdf_public','xlsx_internal','xlsx_public','onpe_package')),
      file_id uuid not null references stored_file(id),
      primary key (edition_id, kind)
    )`.execute(db);

  // Art. 5: the dashboard is sent to ONPE; one recorded transmission per edition.
  await sql`
    create table onpe_transmission (
      id uuid primary key default gen_random_uuid(),
      edition_id uuid not null unique references dashboard_edition(id),
      transmitted_on date not null,
      recorded_by uuid references app_user(id),
      recorded_by_label text not null,
      recorded_at timestamptz not null default now(),
      package_file_id uuid not null references stored_file(id),
      package_sha256 text not null check (package_sha256 ~ '^[0-9a-f]{64}$'),
      note text check (note is null or length(note) <= 2000)
    )`.execute(db);

  // ── Freezing: a published edition never changes ────────────────────────
  await sql`
    create function dashboard_edition_frozen() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        raise exception 'dashboard editions are never deleted';
      end if;
      if old.published_at is not null and (
        new.snapshot is distinct from old.snapshot
        or new.public_snapshot is distinct from old.public_snapshot
        or new.snapshot_sha256 is distinct from old.snapshot_sha256
        or new.foreword is distinct from old.foreword
        or new.correction_note is distinct from old.correction_note
        or new.reference_year is distinct from old.reference_year
        or new.number is distinct from old.number
        or new.published_at is distinct from old.published_at
        or new.published_by is distinct from old.published_by
        or (new.status is distinct from old.status and not (old.status = 'published' and new.status = 'transmitted'))
      ) then
        raise exception 'published dashboard editions are frozen: prepare a new edition instead';
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger dashboard_edition_frozen before update or delete on dashboard_edition
    for each row execute function dashboard_edition_frozen()`.execute(db);

  await sql`
    create function dashboard_edition_part_frozen() returns trigger language plpgsql as $$
    declare
      target uuid;
    begin
      if tg_op = 'DELETE' then target := old.edition_id; else target := new.edition_id; end if;
      if tg_table_name = 'dashboard_edition_comment' then
        if exists (select 1 from dashboard_edition where id = target and published_at is not null) then
          raise exception 'published dashboard editions are frozen: prepare a new edition instead';
        end if;
      elsif tg_op <> 'INSERT' then
        raise exception '% rows are never changed', tg_table_name;
      end if;
      if tg_op = 'DELETE' then return old; end if;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger dashboard_edition_comment_frozen before insert or update or delete on dashboard_edition_comment
    for each row execute function dashboard_edition_part_frozen()`.execute(db);
  await sql`
    create trigger dashboard_edition_file_frozen before update or delete on dashboard_edition_file
    for each row execute function dashboard_edition_part_frozen()`.execute(db);
  await sql`
    create trigger onpe_transmission_frozen before update or delete on onpe_transmission
    for each row execute function dashboard_edition_part_frozen()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
