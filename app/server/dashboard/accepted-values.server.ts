import { sql } from "kysely";
import { driverOf, type Driver, type Executor } from "../db.server";
import type { NotAvailableCode } from "~/domain/not-available";
import type { AssemblyInput } from "~/domain/edition-assembly";

/**
 * The accepted values of years `from`…`to` with their lineage organisation
 * (accepted value → submission version → submission → organisation), as the
 * assembly reads them (ADR 033). ~45,000 values for a five-year trend, and
 * how they cross the driver decides the time of an edition's load, not the
 * database's work: three forms of the same query, each returning exactly the
 * same values (tests/integration/accepted-values.test.ts), the form chosen
 * per driver from quiet measurements (`npm run bench:dashboard -- --load-only`,
 * docs/benchmarks.md):
 *
 * - `nested`: one row per (indicator, year), the values in a two-level
 *   json_object_agg (organisation → breakdown → value). Few rows to carry and
 *   short JSON: the fastest on the embedded database, whose per-row cost
 *   (WASM ↔ JavaScript) is high.
 * - `rows`: one row per value. PostgreSQL's wire protocol carries rows
 *   cheaply and `pg` parses them fast: no JSON to build or parse.
 * - `packed`: one JSON array of tuples (json_agg) parsed by one JSON.parse.
 *
 * ADR 030: a cell declared not available carries its code and reason (value null, never 0).
 */
export type AcceptedValuesForm = "nested" | "rows" | "packed";

/** The form used on each driver (figures: docs/benchmarks.md, « Edition loading »). */
export const ACCEPTED_VALUES_FORM: Record<Driver, AcceptedValuesForm> = { pglite: "nested", pg: "rows" };

type Value = AssemblyInput["values"][number];

const value = (indicatorId: string, year: number, organisationId: string, breakdownKey: string, v: number | null, code: NotAvailableCode | null, reason: string | null): Value =>
  code
    ? { indicatorId, year, breakdownKey, value: null, notAvailableCode: code, notAvailableReason: reason, lineageOrganisationId: organisationId }
    : { indicatorId, year, breakdownKey, value: v, lineageOrganisationId: organisationId };

const parsed = <T>(json: unknown): T => (typeof json === "string" ? (JSON.parse(json) as T) : (json as T));

export async function acceptedValueRows(db: Executor, from: number, to: number, form: AcceptedValuesForm = ACCEPTED_VALUES_FORM[driverOf(db)]): Promise<Value[]> {
  if (form === "nested") return nested(db, from, to);
  if (form === "rows") return rows(db, from, to);
  return packed(db, from, to);
}

async function nested(db: Executor, from: number, to: number): Promise<Value[]> {
  // A declared cell's entry is [code, reason]; any other entry is the value (a number, or null).
  const { rows: groups } = await sql<{ indicator_id: string; reference_year: number; cells: unknown }>`
    select g.indicator_id, g.reference_year, json_object_agg(g.organisation_id, g.cells) as cells
    from (
      select av.indicator_id, av.reference_year, s.organisation_id,
        json_object_agg(av.breakdown_key, case when av.not_available_code is null then to_json(av.value) else json_build_array(av.not_available_code, av.not_available_reason) end) as cells
      from accepted_value av
      join submission_version sv on sv.id = av.source_version_id
      join submission s on s.id = sv.submission_id
      where av.reference_year between ${from} and ${to}
      group by av.indicator_id, av.reference_year, s.organisation_id
    ) g
    group by g.indicator_id, g.reference_year`.execute(db);
  const values: Value[] = [];
  for (const group of groups) {
    const year = Number(group.reference_year);
    const byOrganisation = parsed<Record<string, Record<string, number | null | [NotAvailableCode, string | null]>>>(group.cells);
    for (const organisationId in byOrganisation) {
      const cells = byOrganisation[organisationId]!;
      for (const breakdownKey in cells) {
        const cell = cells[breakdownKey]!;
        values.push(Array.isArray(cell) ? value(group.indicator_id, year, organisationId, breakdownKey, null, cell[0], cell[1]) : value(group.indicator_id, year, organisationId, breakdownKey, cell, null, null));
      }
    }
  }
  return values;
}

async function rows(db: Executor, from: number, to: number): Promise<Value[]> {
  const found = await db
    .selectFrom("accepted_value as av")
    .innerJoin("submission_version as sv", "sv.id", "av.source_version_id")
    .innerJoin("submission as s", "s.id", "sv.submission_id")
    .select(["av.indicator_id", "av.reference_year", "s.organisation_id", "av.breakdown_key", "av.value", "av.not_available_code", "av.not_available_reason"])
    .where("av.reference_year", ">=", from)
    .where("av.reference_year", "<=", to)
    .execute();
  const values: Value[] = new Array(found.length);
  for (let i = 0; i < found.length; i++) {
    const r = found[i]!;
    values[i] = value(r.indicator_id, r.reference_year, r.organisation_id, r.breakdown_key, r.value, r.not_available_code, r.not_available_reason);
  }
  return values;
}

async function packed(db: Executor, from: number, to: number): Promise<Value[]> {
  const { rows: found } = await sql<{ packed: unknown }>`
    select coalesce(json_agg(json_build_array(av.indicator_id, av.reference_year, s.organisation_id, av.breakdown_key, av.value, av.not_available_code, av.not_available_reason)), '[]') as packed
    from accepted_value av
    join submission_version sv on sv.id = av.source_version_id
    join submission s on s.id = sv.submission_id
    where av.reference_year between ${from} and ${to}`.execute(db);
  const tuples = parsed<[string, number, string, string, number | null, NotAvailableCode | null, string | null][] | null>(found[0]?.packed) ?? [];
  const values: Value[] = new Array(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const [indicatorId, year, organisationId, breakdownKey, v, code, reason] = tuples[i]!;
    values[i] = value(indicatorId, year, organisationId, breakdownKey, v, code, reason);
  }
  return values;
}
