import { type Kysely, sql } from "kysely";

/**
 * Code-list labels edited by the referent in the portal, versioned like the
 * catalogue (docs/decisions/027-codelist-labels.md).
 *
 * - `codelist_item.version`: 1 for the label loaded from `conventions/`
 *   (or the demo), incremented by each change made in the portal. The
 *   observatory import never overwrites a label whose version is above 1.
 * - `codelist_item_version`: one row per change (version ≥ 2) with the
 *   previous and the new label, the reason and who made it — append-only.
 *
 * A label change never changes a code's meaning: a changed meaning is a new
 * code (an amendment, Art. 7). Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table codelist_item add column version integer not null default 1 check (version >= 1)`.execute(db);
  await sql`
    create table codelist_item_version (
      codelist_code text not null,
      code text not null,
      version integer not null check (version >= 2),
      label text not null check (length(label) between 1 and 120),
      previous_label text not null,
      change_note text not null check (length(change_note) between 1 and 1000),
      created_at timestamptz not null default now(),
      created_by uuid references app_user(id),
      primary key (codelist_code, code, version),
      foreign key (codelist_code, code) references codelist_item (codelist_code, code) on delete cascade
    )`.execute(db);
  await sql`
    create function codelist_item_version_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'codelist_item_version is append-only';
    end $$`.execute(db);
  await sql`
    create trigger codelist_item_version_append_only before update on codelist_item_version
    for each row execute function codelist_item_version_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table codelist_item_version`.execute(db);
  await sql`drop function codelist_item_version_append_only()`.execute(db);
  await sql`alter table codelist_item drop column version`.execute(db);
}
