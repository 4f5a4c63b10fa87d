import { type Kysely, sql } from "kysely";

/**
 * Convention fidelity, round 2 (issue 12, ADR 018).
 *
 * - Art. 4: « transmission » is the institution's validation. The date a
 *   submission was first transmitted becomes the first validation date of its
 *   versions (it was the internal submission date); submissions none of whose
 *   versions was ever validated are not transmitted. Submissions without any
 *   version (inserted directly, e.g. by older demo data) are left as they are.
 * - Catalogue: `indicator.aggregation`, how several organisations' values make
 *   one figure (app/domain/aggregation.ts). Null: not declared yet — a sum
 *   for additive units, « non agrégeable » for shares and averages, until the
 *   catalogue import (`npm run observatory:import`) or the referent declares it.
 * - Art. 2: `publication_comment`, the comité de suivi's comments on a
 *   production being prepared (its thread, shown on the publication page).
 * - Art. 5: `export_notice`, one row per export of pooled data and per source
 *   organisation (not the exporter's own), gathered daily into one
 *   notification and mail per organisation (`notified_at` once told).
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    update submission s
       set first_transmitted_at = (select min(v.validated_at) from submission_version v where v.submission_id = s.id)
     where exists (select 1 from submission_version v where v.submission_id = s.id)`.execute(db);
  await sql`alter table indicator add column aggregation jsonb`.execute(db);
  await sql`
    alter table indicator add constraint indicator_aggregation_kind check (
      aggregation is null or aggregation->>'kind' in ('sum', 'weighted_mean', 'ratio_of_sums', 'not_aggregable')
    )`.execute(db);
  await sql`
    create table publication_comment (
      id uuid primary key default gen_random_uuid(),
      publication_id uuid not null references publication(id) on delete cascade,
      author_id uuid references app_user(id),
      author_label text not null,
      body text not null check (length(body) between 1 and 10000),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index publication_comment_publication_idx on publication_comment(publication_id, created_at)`.execute(db);
  await sql`
    create table export_notice (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisation(id),
      exporter_organisation_id uuid references organisation(id),
      exporter_label text not null,
      indicator_code text not null,
      indicator_label text not null,
      exported_at timestamptz not null default now(),
      notified_at timestamptz
    )`.execute(db);
  await sql`create index export_notice_pending_idx on export_notice(organisation_id, exported_at) where notified_at is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
