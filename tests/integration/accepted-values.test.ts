import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { driverName, useTestDb } from "../support/db";
import { driverOf } from "~/server/db.server";
import { loadObservatoryFiles } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { seedDemoReferential } from "~/server/observatory/demo-referential.server";
import { seedDemoDashboard } from "~/server/dashboard/demo-data.server";
import { systemContext } from "~/server/audit/audit.server";
import { acceptedValueRows, type AcceptedValuesForm } from "~/server/dashboard/accepted-values.server";
import { system } from "../support/actors";

const t = useTestDb();
const root = path.resolve(__dirname, "../..");
const sys = systemContext("test");

beforeAll(async () => {
  await importObservatory(t.db, system(sys), loadObservatoryFiles(root), { isDemo: true });
  await seedDemoReferential(t.db, system(sys), "demo");
  await seedDemoDashboard(t.db, system(sys), "demo", { publishYears: 0 });
}, 300_000);

type Values = Awaited<ReturnType<typeof acceptedValueRows>>;
/** Each value as one comparable line, in a fixed order (the forms return them in different orders). */
const canonical = (values: Values) =>
  values
    .map((v) => JSON.stringify([v.indicatorId, v.year, v.lineageOrganisationId, v.breakdownKey, v.value, v.notAvailableCode ?? null, v.notAvailableReason ?? null]))
    .sort();

describe("accepted values of an edition's trend years, in the form fastest on each driver (ADR 033)", () => {
  it("the three forms return the same values, cells declared « non disponible » with their code and reason (ADR 030)", async () => {
    const byForm = {} as Record<AcceptedValuesForm, Values>;
    for (const form of ["nested", "rows", "packed"] as const) byForm[form] = await acceptedValueRows(t.db, 2020, 2024, form);
    // The reference: the stored rows themselves.
    const stored = await t.db
      .selectFrom("accepted_value as av")
      .innerJoin("submission_version as sv", "sv.id", "av.source_version_id")
      .innerJoin("submission as s", "s.id", "sv.submission_id")
      .select(["av.indicator_id", "av.reference_year", "s.organisation_id", "av.breakdown_key", "av.value", "av.not_available_code", "av.not_available_reason"])
      .where("av.reference_year", ">=", 2020)
      .where("av.reference_year", "<=", 2024)
      .execute();
    const expected = stored
      .map((r) => JSON.stringify([r.indicator_id, r.reference_year, r.organisation_id, r.breakdown_key, r.value, r.not_available_code, r.not_available_code ? r.not_available_reason : null]))
      .sort();
    expect(expected.length).toBeGreaterThan(1_000);
    expect(stored.filter((r) => r.not_available_code).length).toBeGreaterThan(0);
    for (const form of ["nested", "rows", "packed"] as const) expect(canonical(byForm[form]), form).toEqual(expected);
    // A declared cell is never a 0 (ADR 026/030).
    const declared = byForm.nested.filter((v) => v.notAvailableCode);
    expect(declared.length).toBe(stored.filter((r) => r.not_available_code).length);
    expect(declared.every((v) => v.value === null)).toBe(true);
  });

  it("an empty range returns no value in every form", async () => {
    for (const form of ["nested", "rows", "packed"] as const) expect(await acceptedValueRows(t.db, 1990, 1991, form)).toEqual([]);
  });

  it("knows the driver of a database and of its transactions (the form is chosen by it)", async () => {
    expect(driverOf(t.db)).toBe(driverName());
    await t.db.transaction().execute(async (trx) => expect(driverOf(trx)).toBe(driverName()));
  });
});
