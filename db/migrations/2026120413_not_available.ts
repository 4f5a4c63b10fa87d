import { type Kysely, sql } from "kysely";

/**
 * « Non disponible » (docs/decisions/026-not-available.md). Where the
 * organisation's agreement allows it for an indicator
 * (`agreement_indicator.not_available_allowed`), a cell of the yearly
 * workbook may be declared not available instead of a number:
 *
 * - `ND` — « non disponible »: the organisation does not have the figure
 *   (a reason is required);
 * - `NC` — « non concerné »: the indicator does not apply to it (reason
 *   optional).
 *
 * Such a value is stored with `value` null and its code and reason — never
 * as 0 — in `submission_value` and, once accepted, in `accepted_value`.
 * Downstream (completeness, explorer, dashboard, ONPE package) a total with
 * an ND part is shown as partial, never as complete. Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table agreement_indicator add column not_available_allowed boolean not null default false`.execute(db);
  for (const table of ["submission_value", "accepted_value"]) {
    await sql`
      alter table ${sql.table(table)}
        add column not_available_code text check (not_available_code in ('ND','NC')),
        add column not_available_reason text check (length(not_available_reason) between 1 and 500),
        add constraint ${sql.id(`${table}_not_available_is_missing`)} check (not_available_code is null or value is null),
        add constraint ${sql.id(`${table}_nd_has_reason`)} check (not_available_code is distinct from 'ND' or not_available_reason is not null),
        add constraint ${sql.id(`${table}_reason_needs_code`)} check (not_available_reason is null or not_available_code is not null)`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["submission_value", "accepted_value"]) {
    await sql`
      alter table ${sql.table(table)}
        drop constraint ${sql.id(`${table}_reason_needs_code`)},
        drop constraint ${sql.id(`${table}_nd_has_reason`)},
        drop constraint ${sql.id(`${table}_not_available_is_missing`)},
        drop column not_available_reason,
        drop column not_available_code`.execute(db);
  }
  await sql`alter table agreement_indicator drop column not_available_allowed`.execute(db);
}
