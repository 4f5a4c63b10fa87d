import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { makeProvider, runRoute, seedReferentialBase } from "../factories/referential";
import * as agreementPage from "~/routes/agreements.$id";
import * as myAgreement from "~/routes/my-agreement";
import { acceptValue, setupCampaign, type IndicatorSpec } from "../factories/campaign-setup";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload, transitionVersion } from "~/server/collection/submissions.server";
import { systemContext } from "~/server/audit/audit.server";
import { userActor, systemActor } from "~/server/command.server";
import { versionReview } from "~/server/collection/review.server";
import { storedAnnotatedWorkbook } from "~/server/collection/annotated.server";
import ExcelJS from "exceljs";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW, META_SHEET } from "~/domain/template-layout";
import type { Role } from "~/domain/permissions";

/**
 * « Non disponible » in the collection (ADR 026): where the agreement allows
 * it, a cell of the yearly workbook may say ND/NC with a reason in column I;
 * it is stored as missing with its code and reason, never as 0.
 */
const t = useTestDb();
const ctx = systemContext("test");
const ctxActor = systemActor("test");
const SEXE = { code: "SEXE", items: ["F", "M"] };

async function partnerWorkbook(setup: Awaited<ReturnType<typeof setupCampaign>>, cells: Record<number, { value?: unknown; reason?: string }>) {
  const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
  // Typed as a partner would: a number, « ND » typed by hand, or the drop-down text « ND — non disponible ».
  const bytes = await fillTemplate(template, {}, (wb) => {
    const ws = wb.getWorksheet(DATA_SHEET)!;
    for (const [index, cell] of Object.entries(cells)) {
      const row = FIRST_DATA_ROW + Number(index);
      if (cell.value !== undefined) ws.getCell(`${COLUMNS.value}${row}`).value = cell.value as never;
      if (cell.reason !== undefined) ws.getCell(`${COLUMNS.reason}${row}`).value = cell.reason;
    }
  });
  return { plan, bytes };
}

const upload = (setup: { year: number; org: { id: string } }, bytes: Uint8Array, uploadedBy: string | null = null) =>
  receiveUpload(t.db, ctxActor, { year: setup.year, organisationId: setup.org.id, uploadedBy, via: "web", filename: "tableau.xlsx", bytes });

const storedValues = (versionId: string) =>
  t.db
    .selectFrom("submission_value")
    .select(["breakdown_key", "value", "not_available_code", "not_available_reason", "cell_ref"])
    .where("version_id", "=", versionId)
    .orderBy("cell_ref")
    .execute();

const setupWith = (indicators: IndicatorSpec[], year = 2025) => setupCampaign(t.db, { year, indicators });

describe("Art. 4 / ADR 026: « non disponible » in the yearly workbook", () => {
  it("Art. 4: a cell declared ND where the agreement allows it is stored as missing with its reason, never 0", async () => {
    const setup = await setupWith([{ breakdowns: [SEXE], notAvailableAllowed: true }, { notAvailableAllowed: true }], 2031);
    // Last year's accepted total: a declared ND must not raise a variation warning against it.
    await acceptValue(t.db, { organisationId: setup.org.id, year: 2030, indicatorId: setup.indicators[0]!.id, indicatorVersionId: setup.indicators[0]!.versionId, value: 100 });
    const { bytes } = await partnerWorkbook(setup, {
      0: { value: "ND", reason: "  Logiciel en cours de migration  " },
      1: { value: "ND — non disponible", reason: "Ventilation par sexe non saisie" },
      2: { value: 7 },
      3: { value: "NC — non concerné" },
    });
    const result = await upload(setup, bytes);
    expect(result).toMatchObject({ kind: "stored", errors: 0, warnings: 0 });
    if (result.kind !== "stored") return;
    expect(result.problems).toEqual([]); // no breakdown-sum error (ND total and cell), no variation warning
    expect(await storedValues(result.versionId)).toEqual([
      { breakdown_key: "", value: null, not_available_code: "ND", not_available_reason: "Logiciel en cours de migration", cell_ref: "Données!E6" },
      { breakdown_key: "SEXE=F", value: null, not_available_code: "ND", not_available_reason: "Ventilation par sexe non saisie", cell_ref: "Données!E7" },
      { breakdown_key: "SEXE=M", value: 7, not_available_code: null, not_available_reason: null, cell_ref: "Données!E8" },
      { breakdown_key: "", value: null, not_available_code: "NC", not_available_reason: null, cell_ref: "Données!E9" },
    ]);
  });

  it("Art. 4: reviewers read « ND — non disponible : <motif> » in place of a number, and the annotated workbook marks it as information, not an error", async () => {
    const setup = await setupWith([{ notAvailableAllowed: true }, { notAvailableAllowed: true }]);
    const { bytes } = await partnerWorkbook(setup, { 0: { value: "ND", reason: "Logiciel en migration" }, 1: { value: "abc" } });
    const result = await upload(setup, bytes);
    if (result.kind !== "stored") throw new Error("expected a stored version");
    const review = await versionReview(t.db, result.versionId);
    const lines = review!.domains.flatMap((d) => d.indicators.flatMap((i) => i.lines));
    expect(lines.map((l) => [l.cell, l.value, l.notAvailable, l.errors.length])).toEqual([
      ["E6", null, "ND — non disponible : Logiciel en migration", 0],
      ["E7", null, null, 1],
    ]);
    const version = await t.db
      .selectFrom("submission_version")
      .select(["id", "file_id", "problems", "number"])
      .where("id", "=", result.versionId)
      .executeTakeFirstOrThrow();
    const annotated = await storedAnnotatedWorkbook(t.db, { ...version, code: setup.org.code, reference_year: setup.year });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(annotated!.content as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(DATA_SHEET)!;
    const noteOf = (cell: string) => JSON.stringify(ws.getCell(cell).note ?? "");
    const fillOf = (cell: string) => (ws.getCell(cell).fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb;
    expect(noteOf("E6")).toContain("Information — portail ODPE");
    expect(noteOf("E6")).toContain("ND — non disponible : Logiciel en migration");
    expect(noteOf("E6")).not.toContain("Erreur");
    expect(noteOf("E7")).toContain("Erreur");
    expect(fillOf("E6")).not.toBe(fillOf("E7"));
  });

  it("Art. 4: a cell declared ND where the agreement does not allow it is refused naming the cell", async () => {
    const setup = await setupWith([{ breakdowns: [SEXE], notAvailableAllowed: false }]);
    const { bytes } = await partnerWorkbook(setup, { 0: { value: "ND", reason: "pas de chiffre" }, 1: { value: "nd" }, 2: { value: 3 } });
    const result = await upload(setup, bytes);
    expect(result).toMatchObject({ kind: "stored", errors: 2 });
    if (result.kind !== "stored") return;
    const refused = result.problems.filter((p) => p.code === "not_available_not_allowed");
    expect(refused.map((p) => [p.severity, p.cell])).toEqual([
      ["error", "E6"],
      ["error", "E7"],
    ]);
    expect(refused[0]!.message).toContain("E6");
    expect(refused[0]!.hint).toContain("Votre convention ne prévoit pas de « non disponible » pour cet indicateur : saisissez la valeur, ou demandez à l'ODPE");
    const stored = await storedValues(result.versionId);
    expect(stored.filter((v) => v.not_available_code !== null)).toEqual([]);
    expect(stored.filter((v) => v.value === 0)).toEqual([]);
  });

  it("Art. 4: a cell declared ND without a reason is refused naming the I cell; NC needs none", async () => {
    const setup = await setupWith([{ notAvailableAllowed: true }, { notAvailableAllowed: true }]);
    const { bytes } = await partnerWorkbook(setup, { 0: { value: "ND — non disponible", reason: "   " }, 1: { value: "NC" } });
    const result = await upload(setup, bytes);
    expect(result).toMatchObject({ kind: "stored", errors: 1, warnings: 0 });
    if (result.kind !== "stored") return;
    expect(result.problems.map((p) => [p.code, p.cell, p.message])).toEqual([["not_available_reason_missing", "I6", "Motif manquant pour ND en I6."]]);
    const stored = await storedValues(result.versionId);
    expect(stored.map((v) => [v.value, v.not_available_code])).toEqual([
      [null, null],
      [null, "NC"],
    ]);
  });

  it("Art. 4: a reason of more than 500 characters is an error on the I cell", async () => {
    const setup = await setupWith([{ notAvailableAllowed: true }]);
    const { bytes } = await partnerWorkbook(setup, { 0: { value: "ND", reason: "x".repeat(501) } });
    const result = await upload(setup, bytes);
    expect(result.problems.map((p) => [p.code, p.cell])).toEqual([["not_available_reason_too_long", "I6"]]);
  });

  it("Art. 4: a reason without ND or NC is a warning naming the I cell, and the number is kept", async () => {
    const setup = await setupWith([{ notAvailableAllowed: true }]);
    const { bytes } = await partnerWorkbook(setup, { 0: { value: 12, reason: "chiffre provisoire" } });
    const result = await upload(setup, bytes);
    expect(result).toMatchObject({ kind: "stored", errors: 0, warnings: 1 });
    if (result.kind !== "stored") return;
    expect(result.problems.map((p) => [p.severity, p.code, p.cell])).toEqual([["warning", "reason_without_not_available", "I6"]]);
    expect(result.problems[0]!.message).toContain("I6");
    expect(await storedValues(result.versionId)).toMatchObject([{ value: 12, not_available_code: null, not_available_reason: null }]);
  });

  it("Art. 4: an empty cell's hint tells to declare ND where allowed, and never to type 0 for a missing figure", async () => {
    const setup = await setupWith([{ notAvailableAllowed: true }, { notAvailableAllowed: false }]);
    const { bytes } = await partnerWorkbook(setup, {});
    const result = await upload(setup, bytes);
    const [allowed, notAllowed] = result.problems.filter((p) => p.code === "required");
    expect(allowed!.hint).toContain("« ND — non disponible »");
    expect(allowed!.hint).toContain("jamais 0");
    expect(notAllowed!.hint).toContain("ne prévoit pas de « non disponible »");
    expect(result.problems.map((p) => p.hint).join(" ")).not.toContain("indiquez-le en commentaire");
  });

  it("Art. 4: a version-1 template (last year's) is refused with a French message asking for the new template", async () => {
    const setup = await setupWith([{ notAvailableAllowed: true }]);
    const { bytes } = await partnerWorkbook(setup, { 0: { value: 4 } });
    const v1 = await fillTemplate(bytes, {}, (wb) => {
      wb.getWorksheet(META_SHEET)!.eachRow((row) => {
        if (row.getCell(1).value === "template_version") row.getCell(2).value = "1";
      });
    });
    const result = await upload(setup, v1);
    expect(result.kind).toBe("rejected");
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.code).toBe("wrong_template");
    expect(result.problems[0]!.message).toContain("ancienne version du modèle");
    expect(result.problems[0]!.message).toContain("l'an dernier");
    expect(result.problems[0]!.hint).toContain("Téléchargez le nouveau modèle");
    const audit = await t.db.selectFrom("audit_event").select("summary").where("action", "=", "submission.upload_rejected").where("organisation_id", "=", setup.org.id).execute();
    expect(audit).toHaveLength(1);
  });

  it("Art. 4: acceptance copies the ND code and reason to the accepted values (value null, never 0)", async () => {
    const setup = await setupCampaign(t.db, { year: 2032, indicators: [{ breakdowns: [SEXE], notAvailableAllowed: true }] });
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const validator = await makeUser(t.db, "partner_validator", setup.org.id);
    const team = await t.db.insertInto("organisation").values({ code: `ODPE${Date.now() % 10000}`, name: "ODPE", kind: "observatory", is_observatory_team: true }).returning("id").executeTakeFirstOrThrow();
    const referent = await makeUser(t.db, "odpe_referent", team.id);
    const actor = (u: { id: string; role: string; organisation_id: string }) => ({ ...userActor({ id: u.id, displayName: ctx.actorLabel, role: u.role as Role, organisationId: u.organisation_id }, ctx), id: u.id });
    const { bytes } = await partnerWorkbook(setup, { 0: { value: 20 }, 1: { value: 20 }, 2: { value: "ND", reason: "Non ventilé cette année" } });
    const result = await upload(setup, bytes, correspondent.id);
    expect(result).toMatchObject({ kind: "stored", errors: 0, warnings: 0 });
    if (result.kind !== "stored") return;
    await transitionVersion(t.db, actor(correspondent), { versionId: result.versionId, action: "submit" });
    await transitionVersion(t.db, actor(validator), { versionId: result.versionId, action: "validate" });
    await transitionVersion(t.db, actor(referent), { versionId: result.versionId, action: "accept" });
    const accepted = await t.db
      .selectFrom("accepted_value")
      .select(["breakdown_key", "value", "not_available_code", "not_available_reason"])
      .where("organisation_id", "=", setup.org.id)
      .where("reference_year", "=", 2032)
      .orderBy("breakdown_key")
      .execute();
    expect(accepted).toEqual([
      { breakdown_key: "", value: 20, not_available_code: null, not_available_reason: null },
      { breakdown_key: "SEXE=F", value: 20, not_available_code: null, not_available_reason: null },
      { breakdown_key: "SEXE=M", value: null, not_available_code: "ND", not_available_reason: "Non ventilé cette année" },
    ]);
  });

  it("the plan carries the agreement's switch per indicator", async () => {
    const setup = await setupWith([{ breakdowns: [SEXE], notAvailableAllowed: true }, { notAvailableAllowed: false }]);
    const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
    expect(plan.lines.map((l) => l.notAvailableAllowed)).toEqual([true, true, true, false]);
  });
});

describe("migration 2026120413: the database refuses a not-available value that is not missing", () => {
  it("refuses a value and a code together, ND without a reason, and a reason without a code", async () => {
    const setup = await setupWith([{ notAvailableAllowed: true }]);
    const { bytes } = await partnerWorkbook(setup, { 0: { value: 5 } });
    const result = await upload(setup, bytes);
    if (result.kind !== "stored") throw new Error("expected a stored version");
    const row = { version_id: result.versionId, indicator_version_id: setup.indicators[0]!.versionId, breakdown_key: "X", cell_ref: "Données!E99" };
    const insert = (values: Partial<{ value: number | null; not_available_code: "ND" | "NC" | null; not_available_reason: string | null }>) =>
      t.db
        .insertInto("submission_value")
        .values({ ...row, value: null, ...values })
        .execute()
        .then(
          () => "stored",
          (e: Error) => e.message,
        );
    expect(await insert({ value: 0, not_available_code: "ND", not_available_reason: "x" })).toMatch(/not_available_is_missing/);
    expect(await insert({ not_available_code: "ND" })).toMatch(/nd_has_reason/);
    expect(await insert({ value: 3, not_available_reason: "x" })).toMatch(/reason_needs_code|not_available_is_missing/);
    expect(await insert({ not_available_code: "NC" })).toBe("stored");
  });
});

describe("Art. 4 / ADR 026: the agreement says where « non disponible » is allowed", () => {
  it("the referent's checkbox « Autoriser « non disponible » (ND/NC) » is stored, audited, and shown read-only on « Ma convention »", async () => {
    await seedReferentialBase(t.db);
    const { org, indicator, agreementId } = await makeProvider(t.db);
    const team = await makeOrganisation(t.db, { isTeam: true });
    const referent = await sessionCookie((await makeUser(t.db, "odpe_referent", team.id)).id);
    const save = (form: Record<string, string>) =>
      runRoute(agreementPage.action, makeRequest(`/agreements/${agreementId}?intent=indicators`, { cookie: referent, form }), { id: agreementId });
    const allowed = () => t.db.selectFrom("agreement_indicator").select("not_available_allowed").where("agreement_id", "=", agreementId).where("indicator_id", "=", indicator.id).executeTakeFirstOrThrow();

    expect((await allowed()).not_available_allowed).toBe(false);
    const on = await save({ indicator: indicator.id, [`rights.${indicator.id}`]: "with_approval", [`notAvailable.${indicator.id}`]: "on" });
    expect(on.status).toBe(200);
    expect((await allowed()).not_available_allowed).toBe(true);
    const audited = () =>
      t.db.selectFrom("audit_event").select(["summary", "details"]).where("action", "=", "agreement.indicators_set").where("entity_id", "=", agreementId).execute();
    expect(await audited()).toContainEqual({
      summary: expect.stringContaining("1 avec « non disponible » autorisé"),
      details: expect.objectContaining({ notAvailableBefore: [], notAvailableAfter: [indicator.code] }),
    });

    const page = await runRoute(agreementPage.loader, makeRequest(`/agreements/${agreementId}`, { cookie: referent }), { id: agreementId });
    expect((page.data as { rows: { id: string; notAvailableAllowed: boolean }[] }).rows.find((r) => r.id === indicator.id)?.notAvailableAllowed).toBe(true);

    const partner = await sessionCookie((await makeUser(t.db, "partner_correspondent", org.id)).id);
    const mine = await runRoute(myAgreement.loader, makeRequest("/my-agreement", { cookie: partner }));
    expect((mine.data as { agreements: { indicators: { code: string; not_available_allowed: boolean }[] }[] }).agreements[0]!.indicators).toMatchObject([{ code: indicator.code, not_available_allowed: true }]);

    // Unticked: back to numbers only, audited too.
    await save({ indicator: indicator.id, [`rights.${indicator.id}`]: "with_approval" });
    expect((await allowed()).not_available_allowed).toBe(false);
    expect((await audited()).map((e) => e.details)).toContainEqual(expect.objectContaining({ notAvailableBefore: [indicator.code], notAvailableAfter: [] }));
  });
});
