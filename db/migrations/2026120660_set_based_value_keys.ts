import { type Kysely, sql } from "kysely";

/**
 * ADR 046 (2026-12-06): an upload's rows keep their parents' guarantee with
 * one check per statement instead of one per row. `submission_value` and
 * `submission_line_comment` lose their row-level foreign keys (to
 * `submission_version` and `indicator_version`), whose 2 × 100k RI checks
 * took most of a 100k-line COPY's time; instead:
 *
 * - after each INSERT or UPDATE statement on either table, one query over
 *   the statement's new rows (a transition table) refuses (SQLSTATE 23503,
 *   as a foreign key) a row whose indicator version does not exist, and
 *   takes FOR KEY SHARE locks on their submission versions, as the foreign
 *   key did (a concurrent delete waits, then sees the rows);
 * - a row whose submission version does not exist (yet) leaves one marker
 *   row per version in `submission_rows_pending_version`, whose constraint
 *   trigger `submission_rows_version_check` checks that the version exists:
 *   at once (INITIALLY IMMEDIATE, as the foreign key checked), or at commit
 *   when the transaction defers it (the upload's, on PostgreSQL: its rows
 *   are copied while the file is parsed, before their version is inserted;
 *   ADR 031, formerly the deferrable foreign key of 2026120620);
 * - the parents' side: a submission version still referenced cannot be
 *   deleted, have its id changed, or be truncated (indicator versions are
 *   immutable already: 2026112302's trigger refuses any update or delete;
 *   a TRUNCATE is refused while rows exist).
 *
 * Frozen once released.
 */
const CHILDREN = ["submission_value", "submission_line_comment"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table submission_rows_pending_version (version_id uuid primary key)`.execute(db);
  await sql`
    create function submission_rows_version_check() returns trigger language plpgsql as $$
    begin
      if not exists (select 1 from submission_version where id = new.version_id) then
        raise exception 'insert or update on % violates its key to submission_version: version % does not exist', tg_argv[0], new.version_id
          using errcode = 'foreign_key_violation';
      end if;
      delete from submission_rows_pending_version where version_id = new.version_id;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger submission_rows_version_check after insert on submission_rows_pending_version
    deferrable initially immediate for each row execute function submission_rows_version_check('submission_value or submission_line_comment')`.execute(db);

  await sql`
    create function submission_rows_keys() returns trigger language plpgsql as $$
    declare
      missing uuid;
    begin
      select n.indicator_version_id into missing
        from (select distinct indicator_version_id from new_rows) n
        where not exists (select 1 from indicator_version p where p.id = n.indicator_version_id)
        limit 1;
      if found then
        raise exception 'insert or update on % violates its key to indicator_version: version % does not exist', tg_table_name, missing
          using errcode = 'foreign_key_violation';
      end if;
      -- The versions that exist are locked as a foreign key locks them; the others are checked by the constraint trigger.
      perform 1 from submission_version p where p.id in (select distinct version_id from new_rows) for key share;
      insert into submission_rows_pending_version (version_id)
        select distinct n.version_id from new_rows n
        where not exists (select 1 from submission_version p where p.id = n.version_id)
        on conflict do nothing;
      return null;
    end $$`.execute(db);

  for (const table of CHILDREN) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_version_id_fkey`)}`.execute(db);
    await sql`alter table ${sql.table(table)} drop constraint ${sql.id(`${table}_indicator_version_id_fkey`)}`.execute(db);
    for (const event of ["insert", "update"] as const) {
      await sql`
        create trigger ${sql.id(`${table}_keys_on_${event}`)} after ${sql.raw(event)} on ${sql.table(table)}
        referencing new table as new_rows for each statement execute function submission_rows_keys()`.execute(db);
    }
  }

  await sql`
    create function submission_version_referenced() returns trigger language plpgsql as $$
    begin
      if tg_op = 'TRUNCATE' then
        if exists (select 1 from submission_value) or exists (select 1 from submission_line_comment) then
          raise exception 'cannot truncate %: submission_value or submission_line_comment rows refer to it', tg_table_name
            using errcode = 'foreign_key_violation';
        end if;
        return null;
      end if;
      if tg_op = 'UPDATE' and new.id = old.id then
        return new;
      end if;
      if exists (select 1 from submission_value where version_id = old.id)
         or exists (select 1 from submission_line_comment where version_id = old.id) then
        raise exception '% on submission_version violates the key of submission_value or submission_line_comment: version % is still referenced', lower(tg_op), old.id
          using errcode = 'foreign_key_violation';
      end if;
      return case when tg_op = 'DELETE' then old else new end;
    end $$`.execute(db);
  await sql`
    create trigger submission_version_referenced before delete or update of id on submission_version
    for each row execute function submission_version_referenced()`.execute(db);
  await sql`
    create trigger submission_version_referenced_truncate before truncate on submission_version
    for each statement execute function submission_version_referenced()`.execute(db);
  await sql`
    create trigger indicator_version_referenced_truncate before truncate on indicator_version
    for each statement execute function submission_version_referenced()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
