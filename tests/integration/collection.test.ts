import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { makeUser } from "../factories";
import { acceptValue, setupCampaign } from "../factories/campaign-setup";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload, transitionVersion, addComment } from "~/server/collection/submissions.server";
import { annotateWorkbook } from "~/server/collection/annotate.server";
import { systemContext } from "~/server/audit/audit.server";
import { userActor, systemActor } from "~/server/command.server";
import { DomainError } from "~/server/errors.server";
import { resetEnvForTests } from "~/server/env.server";
import { closeHeavyPool } from "~/server/heavy/pool.server";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW, META_SHEET } from "~/domain/template-layout";
import type { Role } from "~/domain/permissions";

const t = useTestDb();
const ctx = systemContext("test");
const ctxActor = systemActor("test");

async function templateFor(year: number, orgId: string) {
  const plan = await buildCollectionPlan(t.db, year, orgId);
  return { plan, bytes: await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" }) };
}

async function upload(year: number, orgId: string, bytes: Uint8Array, uploadedBy: string | null = null) {
  return receiveUpload(t.db, ctxActor, { year, organisationId: orgId, uploadedBy, via: "web", filename: "tableau.xlsx", bytes });
}

const actor = (user: { id: string; role: string; organisation_id: string }) => ({ ...userActor({ id: user.id, displayName: ctx.actorLabel, role: user.role as Role, organisationId: user.organisation_id }, ctx), id: user.id });

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe("template (Art. 4: yearly Excel tables)", () => {
  it("locks every non-input cell, unlocks every input cell, and hides a protected metadata sheet", async () => {
    const setup = await setupCampaign(t.db, { indicators: [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }] }, { valueType: "decimal" }] });
    const { plan, bytes } = await templateFor(setup.year, setup.org.id);
    expect(plan.lines.map((l) => l.breakdownLabel)).toEqual(["Total", "Libellé F", "Libellé M", "Total"]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    const data = wb.getWorksheet(DATA_SHEET)!;
    const meta = wb.getWorksheet(META_SHEET)!;
    expect(meta.state).toBe("veryHidden");
    for (const ws of wb.worksheets) expect((ws as unknown as { sheetProtection: { sheet: boolean } }).sheetProtection.sheet).toBe(true);
    const lastRow = FIRST_DATA_ROW + plan.lines.length - 1;
    for (let r = 1; r <= lastRow; r++) {
      for (const col of ["A", "B", "C", "D", "E", "F", "G", "H"]) {
        const cell = data.getCell(`${col}${r}`);
        const isInput = r >= FIRST_DATA_ROW && (col === COLUMNS.value || col === COLUMNS.comment);
        expect([`${col}${r}`, cell.protection?.locked === false]).toEqual([`${col}${r}`, isInput]);
      }
    }
    const validation = data.getCell(`E${FIRST_DATA_ROW}`).dataValidation;
    expect(validation).toMatchObject({ type: "whole", operator: "greaterThanOrEqual", formulae: [0] });
    expect(data.getCell(`E${FIRST_DATA_ROW + 3}`).dataValidation).toMatchObject({ type: "decimal" });
    expect(data.getColumn("H").hidden).toBe(true);
  });

  it("round trip: generate → fill → upload → submit → validate → accept gives the filled values as official values", async () => {
    const setup = await setupCampaign(t.db);
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const validator = await makeUser(t.db, "partner_validator", setup.org.id);
    const referentOrg = await t.db.insertInto("organisation").values({ code: `T${Date.now() % 100000}`, name: "ODPE", kind: "observatory", is_observatory_team: true }).returning("id").executeTakeFirstOrThrow();
    const referent = await makeUser(t.db, "odpe_referent", referentOrg.id);
    const { plan, bytes } = await templateFor(setup.year, setup.org.id);
    const [total, f, m] = plan.lines;
    const filled = await fillTemplate(bytes, { [total!.key]: 120, [f!.key]: 70, [m!.key]: 50 });
    const result = await upload(setup.year, setup.org.id, filled, correspondent.id);
    expect(result).toMatchObject({ kind: "stored", number: 1, errors: 0, warnings: 0 });
    if (result.kind !== "stored") return;

    await transitionVersion(t.db, actor(correspondent), { versionId: result.versionId, action: "submit" });
    await transitionVersion(t.db, actor(validator), { versionId: result.versionId, action: "validate" });
    await transitionVersion(t.db, actor(referent), { versionId: result.versionId, action: "accept" });

    const accepted = await t.db
      .selectFrom("accepted_value")
      .select(["breakdown_key", "value", "indicator_version_id", "source_version_id"])
      .where("organisation_id", "=", setup.org.id)
      .where("reference_year", "=", setup.year)
      .orderBy("breakdown_key")
      .execute();
    expect(accepted.map((a) => [a.breakdown_key, a.value])).toEqual([["", 120], ["SEXE=F", 70], ["SEXE=M", 50]]);
    expect(new Set(accepted.map((a) => a.indicator_version_id))).toEqual(new Set([setup.indicators[0]!.versionId]));
    expect(new Set(accepted.map((a) => a.source_version_id))).toEqual(new Set([result.versionId]));
    const submission = await t.db.selectFrom("submission").selectAll().where("organisation_id", "=", setup.org.id).executeTakeFirstOrThrow();
    expect(submission.status).toBe("accepted");
    expect(submission.first_transmitted_at).not.toBeNull();
  });
});

describe("validation: every problem at once, with sheet, cell, indicator and what to do", () => {
  it("reports type, required, integer, negative, min/max, breakdown sum and formulas in one pass", async () => {
    const setup = await setupCampaign(t.db, {
      indicators: [
        { breakdowns: [{ code: "SEXE", items: ["F", "M"] }] },
        { valueType: "decimal", min: 0, max: 100 },
        {},
        {},
        {},
      ],
    });
    const { plan, bytes } = await templateFor(setup.year, setup.org.id);
    const key = (i: number) => plan.lines[i]!.key;
    // lines: 0 total, 1 F, 2 M, 3 decimal 0..100, 4 plain, 5 plain, 6 plain
    const filled = await fillTemplate(bytes, { [key(0)]: 100, [key(1)]: 60, [key(2)]: 30, [key(3)]: 140, [key(4)]: "douze", [key(5)]: -3 }, (wb) => {
      const ws = wb.getWorksheet(DATA_SHEET)!;
      ws.getCell(`E${FIRST_DATA_ROW + 6}`).value = { formula: "2*3", result: 6 } as ExcelJS.CellFormulaValue;
    });
    const result = await upload(setup.year, setup.org.id, filled);
    expect(result.kind).toBe("stored");
    const byCode = (code: string) => result.problems.filter((p) => p.code === code);
    expect(byCode("breakdown_sum")[0]).toMatchObject({ sheet: DATA_SHEET, cell: `E${FIRST_DATA_ROW}`, indicator: plan.lines[0]!.indicatorCode, severity: "error" });
    expect(byCode("breakdown_sum")[0]!.message).toContain("90");
    expect(byCode("above_max")[0]).toMatchObject({ cell: `E${FIRST_DATA_ROW + 3}` });
    expect(byCode("not_a_number")[0]).toMatchObject({ cell: `E${FIRST_DATA_ROW + 4}` });
    expect(byCode("not_a_number")[0]!.message).toContain("douze");
    expect(byCode("negative")[0]).toMatchObject({ cell: `E${FIRST_DATA_ROW + 5}` });
    expect(byCode("formula_cached")[0]).toMatchObject({ severity: "warning", cell: `E${FIRST_DATA_ROW + 6}` });
    expect(byCode("formula_cached")[0]!.message).toMatch(/=2\*3.*6/);
    for (const p of result.problems) {
      expect(p.message.length).toBeGreaterThan(5);
      expect(p.hint.length).toBeGreaterThan(5);
    }
    if (result.kind === "stored") expect(result.errors).toBe(4);
  });

  it("a problem on a breakdown cell names that cell's breakdown, so identical messages stay distinguishable", async () => {
    const setup = await setupCampaign(t.db, { indicators: [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }] }] });
    const { plan, bytes } = await templateFor(setup.year, setup.org.id);
    // lines: 0 total, 1 F, 2 M — the total and M left empty
    const result = await upload(setup.year, setup.org.id, await fillTemplate(bytes, { [plan.lines[1]!.key]: 4 }));
    const required = result.problems.filter((p) => p.code === "required");
    expect(required.map((p) => [p.cell, p.breakdownLabel])).toEqual([
      [`E${FIRST_DATA_ROW}`, null],
      [`E${FIRST_DATA_ROW + 2}`, plan.lines[2]!.breakdownLabel],
    ]);
    expect(plan.lines[2]!.breakdownLabel.length).toBeGreaterThan(0);
  });

  it("a missing value and a non-integer count are errors; the annotated workbook highlights and comments each faulty cell", async () => {
    const setup = await setupCampaign(t.db, { indicators: [{}, {}] });
    const { plan, bytes } = await templateFor(setup.year, setup.org.id);
    const filled = await fillTemplate(bytes, { [plan.lines[0]!.key]: 12.5 });
    const result = await upload(setup.year, setup.org.id, filled);
    expect(result.problems.map((p) => [p.code, p.cell])).toEqual([
      ["not_integer", `E${FIRST_DATA_ROW}`],
      ["required", `E${FIRST_DATA_ROW + 1}`],
    ]);
    const annotated = await annotateWorkbook(filled, result.problems);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(annotated as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(DATA_SHEET)!;
    for (const p of result.problems) {
      const cell = ws.getCell(p.cell!);
      expect((cell.fill as ExcelJS.FillPattern).fgColor?.argb).toBe("FFFF8787");
      expect(JSON.stringify(cell.note)).toContain(p.message.slice(0, 20));
    }
  });

  it("a strong year-over-year variation is a warning that needs a comment to submit", async () => {
    const setup = await setupCampaign(t.db, { year: 2031, indicators: [{}] });
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    // last year's accepted value: 100
    await acceptValue(t.db, { organisationId: setup.org.id, year: 2030, indicatorId: setup.indicators[0]!.id, indicatorVersionId: setup.indicators[0]!.versionId, value: 100 });
    const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
    expect(plan.lines[0]!.previous).toBe(100);
    const template = await buildTemplate(await buildCollectionPlan(t.db, setup.year, setup.org.id), { observatoryName: "ODPE", contactEmail: null });
    const filled = await fillTemplate(template, { [plan.lines[0]!.key]: 180 });
    const result = await upload(setup.year, setup.org.id, filled, correspondent.id);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ code: "variation", severity: "warning" });
    if (result.kind !== "stored") return;
    const refused = await rejection(transitionVersion(t.db, actor(correspondent), { versionId: result.versionId, action: "submit" }));
    expect(refused.message).toMatch(/avertissements.*\(règle « commentaire si avertissements »\)/);
    expect(refused.fieldErrors.comment?.length).toBe(1);
    await transitionVersion(t.db, actor(correspondent), { versionId: result.versionId, action: "submit", comment: "Ouverture d'un nouveau service." });
  });
});

describe("wrong files: each gets its own message and leaves only an audit event", () => {
  it("refuses another organisation's template, another year's template and a modified structure, and keeps none of their values", async () => {
    const a = await setupCampaign(t.db, { year: 2026 });
    const b = await setupCampaign(t.db, { year: 2026 });
    const fileOfB = (await templateFor(2026, b.org.id)).bytes;
    const versionsBefore = await t.db.selectFrom("submission_version").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    // On PostgreSQL a file's values are copied while it is parsed (ADR 031): a rejected file's must be rolled back.
    const rowsNow = async () => ({
      values: (await t.db.selectFrom("submission_value").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n,
      comments: (await t.db.selectFrom("submission_line_comment").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n,
    });
    const rowsBefore = await rowsNow();

    const wrongOrg = await upload(2026, a.org.id, fileOfB);
    expect(wrongOrg).toMatchObject({ kind: "rejected", problems: [{ code: "wrong_organisation" }] });
    expect(wrongOrg.problems[0]!.message).toContain(b.org.code);

    const own = (await templateFor(2026, a.org.id)).bytes;
    const lastYear = await fillTemplate(own, {}, (wb) => {
      const meta = wb.getWorksheet(META_SHEET)!;
      meta.eachRow((row) => {
        if (row.getCell(1).value === "reference_year") row.getCell(2).value = "2024";
      });
    });
    expect(await upload(2026, a.org.id, lastYear)).toMatchObject({ kind: "rejected", problems: [{ code: "wrong_year" }] });

    const removedRow = await fillTemplate(own, {}, (wb) => wb.getWorksheet(DATA_SHEET)!.spliceRows(FIRST_DATA_ROW + 1, 1));
    const structure = await upload(2026, a.org.id, removedRow);
    expect(structure).toMatchObject({ kind: "rejected" });
    expect(structure.problems.map((p) => p.code)).toContain("missing_row");

    const notTemplate = new ExcelJS.Workbook();
    notTemplate.addWorksheet("Feuil1").getCell("A1").value = 3;
    const plain = Buffer.from(await notTemplate.xlsx.writeBuffer());
    expect(await upload(2026, a.org.id, plain)).toMatchObject({ kind: "rejected", problems: [{ code: "not_a_template" }] });

    const versionsAfter = await t.db.selectFrom("submission_version").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    expect(versionsAfter.n).toBe(versionsBefore.n);
    expect(await rowsNow()).toEqual(rowsBefore);
    const rejected = await t.db.selectFrom("audit_event").select("action").where("action", "=", "submission.upload_rejected").execute();
    expect(rejected.length).toBeGreaterThanOrEqual(4);
  });

  it("an upload abandoned past the time limit stores nothing (its streamed values rolled back) and leaves its audit event", async () => {
    const setup = await setupCampaign(t.db, { year: 2034, indicators: [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }] }] });
    const { bytes } = await templateFor(2034, setup.org.id);
    const count = async (table: "submission_value" | "submission_version") =>
      (await t.db.selectFrom(table).select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;
    const before = { values: await count("submission_value"), versions: await count("submission_version") };
    process.env.HEAVY_WORK_TIMEOUT_SECONDS = "0.01";
    resetEnvForTests();
    await closeHeavyPool();
    try {
      const error = await upload(2034, setup.org.id, bytes).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 503 });
    } finally {
      delete process.env.HEAVY_WORK_TIMEOUT_SECONDS;
      resetEnvForTests();
      await closeHeavyPool();
    }
    expect({ values: await count("submission_value"), versions: await count("submission_version") }).toEqual(before);
    const audit = await t.db.selectFrom("audit_event").select("details").where("action", "=", "submission.upload_refused").where("organisation_id", "=", setup.org.id).execute();
    expect(audit.map((a) => (a.details as { code?: string }).code)).toEqual(["heavy_work_timeout"]);
  });

  it("Art. 7 / campaign closed: no upload once the campaign is closed (not reopened)", async () => {
    const setup = await setupCampaign(t.db, { year: 2027, status: "closed" });
    const { bytes } = await templateFor(2027, setup.org.id).catch(async () => ({ bytes: Buffer.alloc(0) }));
    const error = await rejection(upload(2027, setup.org.id, bytes));
    expect(error.status).toBe(409);
  });
});

describe("versions: nothing lost", () => {
  it("numbers concurrent uploads monotonically and keeps every one", async () => {
    const setup = await setupCampaign(t.db, { year: 2028, indicators: [{}] });
    const { plan, bytes } = await templateFor(2028, setup.org.id);
    const files = await Promise.all([1, 2, 3, 4, 5].map((v) => fillTemplate(bytes, { [plan.lines[0]!.key]: v })));
    const results = await Promise.all(files.map((f) => upload(2028, setup.org.id, f)));
    const numbers = results.map((r) => (r.kind === "stored" ? r.number : 0)).sort();
    expect(numbers).toEqual([1, 2, 3, 4, 5]);
    const stored = await t.db
      .selectFrom("submission_version as v")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .select(["v.number", "f.sha256", "f.size_bytes"])
      .orderBy("v.number")
      .where("v.submission_id", "=", results[0]!.kind === "stored" ? results[0]!.submissionId : "")
      .execute();
    expect(stored).toHaveLength(5);
    expect(new Set(stored.map((s) => s.sha256)).size).toBe(5);
  });
});

describe("workflow (Art. 4: institution validation before transmission)", () => {
  async function draft(samePersonMayValidate = false) {
    const setup = await setupCampaign(t.db, { year: 2029, indicators: [{}], samePersonMayValidate });
    const { plan, bytes } = await templateFor(2029, setup.org.id);
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const validator = await makeUser(t.db, "partner_validator", setup.org.id);
    const result = await upload(2029, setup.org.id, await fillTemplate(bytes, { [plan.lines[0]!.key]: 10 }), correspondent.id);
    if (result.kind !== "stored") throw new Error("expected a stored version");
    return { setup, correspondent, validator, versionId: result.versionId };
  }

  it("only a correspondent of the organisation submits, only its validator validates, only the referent accepts", async () => {
    const { setup, correspondent, validator, versionId } = await draft();
    const other = await setupCampaign(t.db, { year: 2029, indicators: [] });
    const foreignValidator = await makeUser(t.db, "partner_validator", other.org.id);
    const reader = await makeUser(t.db, "reader", setup.org.id);
    expect((await rejection(transitionVersion(t.db, actor(validator), { versionId, action: "submit" }))).status).toBe(403);
    expect((await rejection(transitionVersion(t.db, actor(reader), { versionId, action: "submit" }))).status).toBe(404);
    await transitionVersion(t.db, actor(correspondent), { versionId, action: "submit" });
    expect((await rejection(transitionVersion(t.db, actor(foreignValidator), { versionId, action: "validate" }))).status).toBe(404);
    expect((await rejection(transitionVersion(t.db, actor(correspondent), { versionId, action: "validate" }))).status).toBe(403);
    expect((await rejection(transitionVersion(t.db, actor(validator), { versionId, action: "accept" }))).status).toBe(403);
    await transitionVersion(t.db, actor(validator), { versionId, action: "validate" });
    // a second validation of the same version is refused: every transition happens once, and the refusal names the rule
    const again = await rejection(transitionVersion(t.db, actor(validator), { versionId, action: "validate" }));
    expect(again.status).toBe(409);
    expect(again.message).toMatch(/^Action impossible : la version 1 est à l'état « .+ » \(règle « statut de départ »\)\. Rechargez la page\.$/);
  });

  it("the referent returns with a reason; the reason joins the exchange thread; the partner uploads a corrected version", async () => {
    const { setup, correspondent, validator, versionId } = await draft();
    const team = await t.db.insertInto("organisation").values({ code: `R${Date.now() % 100000}`, name: "ODPE", kind: "observatory", is_observatory_team: true }).returning("id").executeTakeFirstOrThrow();
    const referent = await makeUser(t.db, "odpe_referent", team.id);
    await transitionVersion(t.db, actor(correspondent), { versionId, action: "submit" });
    await transitionVersion(t.db, actor(validator), { versionId, action: "validate" });
    const noReason = await rejection(transitionVersion(t.db, actor(referent), { versionId, action: "return" }));
    expect(noReason.status).toBe(422);
    expect(noReason.message).toMatch(/Indiquez le motif du retour.*\(règle « motif obligatoire »\)/);
    expect(noReason.fieldErrors.comment).toEqual(["Motif obligatoire."]);
    await transitionVersion(t.db, actor(referent), { versionId, action: "return", comment: "Le total 2029 paraît incomplet (Roanne manquant ?)." });
    const submission = await t.db.selectFrom("submission").selectAll().where("organisation_id", "=", setup.org.id).executeTakeFirstOrThrow();
    expect(submission.status).toBe("returned");
    await addComment(t.db, actor(correspondent), submission.id, "Exact, nous corrigeons.");
    const thread = await t.db.selectFrom("submission_comment").select(["kind", "body"]).where("submission_id", "=", submission.id).orderBy("created_at").execute();
    expect(thread.map((c) => c.kind)).toEqual(["return", "comment"]);
    const outsider = await makeUser(t.db, "partner_correspondent", (await setupCampaign(t.db, { year: 2029, indicators: [] })).org.id);
    expect((await rejection(addComment(t.db, actor(outsider), submission.id, "curieux"))).status).toBe(404);
  });

  it("Art. 4: the submitter may validate only when the agreement allows it", async () => {
    const strict = await draft(false);
    const both = { ...strict.validator, id: strict.correspondent.id, role: "partner_validator" };
    await transitionVersion(t.db, actor(strict.correspondent), { versionId: strict.versionId, action: "submit" });
    const error = await rejection(transitionVersion(t.db, actor(both), { versionId: strict.versionId, action: "validate" }));
    expect(error.message).toMatch(/art\. 4.*\(règle « quatre yeux »\)/);
    expect(error.code).toBe("forbidden");
  });

  it("a version with errors cannot be submitted", async () => {
    const setup = await setupCampaign(t.db, { year: 2029, indicators: [{}] });
    const { bytes } = await templateFor(2029, setup.org.id);
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const result = await upload(2029, setup.org.id, bytes, correspondent.id); // empty → required errors
    if (result.kind !== "stored") throw new Error("stored expected");
    const error = await rejection(transitionVersion(t.db, actor(correspondent), { versionId: result.versionId, action: "submit" }));
    expect(error.message).toMatch(/contient \d+ erreur\(s\).*\(règle « aucune erreur »\)/);
    expect(error.code).toBe("validation");
  });
});
