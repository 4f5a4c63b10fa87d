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
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
