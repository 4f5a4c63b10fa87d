import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { makeRequest, makeUser, sessionCookie } from "../factories";
import { acceptValue, setupCampaign } from "../factories/campaign-setup";
import { runRoute } from "../factories/referential";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload, transitionVersion } from "~/server/collection/submissions.server";
import { versionReview } from "~/server/collection/review.server";
import { systemContext } from "~/server/audit/audit.server";
import { userActor, systemActor } from "~/server/command.server";
import { COLUMNS, DATA_SHEET } from "~/domain/template-layout";
import type { Role } from "~/domain/permissions";
import * as dossierRoute from "~/routes/collection.$year.$org";
import * as boardRoute from "~/routes/completeness.$year";
import { makeOrganisation } from "../factories";

const t = useTestDb();
const ctx = systemContext("test");
const ctxActor = systemActor("test");
const actor = (user: { id: string; role: string; organisation_id: string }) => ({ ...userActor({ id: user.id, displayName: ctx.actorLabel, role: user.role as Role, organisationId: user.organisation_id }, ctx), id: user.id });

/** A campaign with last year's accepted total, and two uploaded versions: v2 changes the total and comments it. */
async function twoVersions() {
  const setup = await setupCampaign(t.db);
  const indicator = setup.indicators[0]!;
  await acceptValue(t.db, { organisationId: setup.org.id, year: setup.year - 1, indicatorId: indicator.id, indicatorVersionId: indicator.versionId, value: 100 });
  const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
  const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
  const [total, f, m] = plan.lines;
  const upload = async (values: Record<string, number>, comment?: string) => {
    const bytes = await fillTemplate(template, values, (wb) => {
      if (comment) wb.getWorksheet(DATA_SHEET)!.getCell(`${COLUMNS.comment}${rowOfKey(wb, total!.key)}`).value = comment;
    });
    const result = await receiveUpload(t.db, ctxActor, { year: setup.year, organisationId: setup.org.id, uploadedBy: correspondent.id, via: "web", filename: "t.xlsx", bytes });
    if (result.kind !== "stored") throw new Error("not stored");
    return result;
  };
  const v1 = await upload({ [total!.key]: 120, [f!.key]: 70, [m!.key]: 50 });
  const v2 = await upload({ [total!.key]: 140, [f!.key]: 90, [m!.key]: 50 }, "Deux nouveaux services ouverts en 2025.");
  return { setup, correspondent, v1, v2 };
}

function rowOfKey(wb: import("exceljs").Workbook, key: string): number {
  const ws = wb.getWorksheet(DATA_SHEET)!;
  for (let r = 1; r <= ws.rowCount; r++) if (ws.getCell(`${COLUMNS.key}${r}`).value === key) return r;
  throw new Error(`no row for ${key}`);
}

describe("review with the values on screen (Art. 4 : validation par l'institution puis acceptation par l'ODPE)", () => {
  it("Art. 4 : each line shows its value, last year's accepted value, the change, the warnings, the correspondent's comment and the difference with the previous version", async () => {
    const { v1, v2 } = await twoVersions();
    const review = (await versionReview(t.db, v2.versionId))!;
    expect(review).toMatchObject({ versionNumber: 2, comparedWith: 1, lineCount: 3, changedCount: 2 });
    expect(review.domains).toHaveLength(1);
    const [line] = review.domains[0]!.indicators[0]!.lines;
    expect(line).toMatchObject({ breakdownLabel: "Total", isTotal: true, value: 140, previousYear: 100, previousVersionValue: 120, comment: "Deux nouveaux services ouverts en 2025." });
    expect(line!.change).toBeCloseTo(0.4);
    // a 40 % rise of a total is a warning the reviewer sees beside the line
    expect(line!.warnings.length).toBe(1);
    const lines = review.domains[0]!.indicators[0]!.lines;
    expect(lines.map((l) => [l.breakdownLabel, l.value, l.previousVersionValue])).toEqual([
      ["Total", 140, 120],
      ["Libellé F", 90, 70],
      ["Libellé M", 50, undefined],
    ]);
    const first = (await versionReview(t.db, v1.versionId))!;
    expect(first).toMatchObject({ versionNumber: 1, comparedWith: null, changedCount: 0 });
    expect(first.domains[0]!.indicators[0]!.lines[0]!.comment).toBeNull();
  });

  it("Art. 4 : outside the organisation, a version is compared with the previous transmitted version, never with a draft", async () => {
    const { v2 } = await twoVersions();
    // v1 was never transmitted: the ODPE must not see its values through the comparison.
    const outside = (await versionReview(t.db, v2.versionId, { transmittedOnly: true }))!;
    expect(outside).toMatchObject({ versionNumber: 2, comparedWith: null, changedCount: 0 });
    expect(outside.domains[0]!.indicators[0]!.lines.map((l) => l.previousVersionValue)).toEqual([undefined, undefined, undefined]);
    // The partner's own users still see the difference with their draft.
    expect((await versionReview(t.db, v2.versionId))!).toMatchObject({ comparedWith: 1 });
  });

  it("Art. 4 : the validator's and the referent's dossier page carry the values; another organisation's validator gets 404", async () => {
    const { setup, correspondent, v2 } = await twoVersions();
    const validator = await makeUser(t.db, "partner_validator", setup.org.id);
    await transitionVersion(t.db, actor(correspondent), { versionId: v2.versionId, action: "submit", comment: "Hausse expliquée." });
    const params = { year: String(setup.year), org: setup.org.code };
    const path = `/collection/${setup.year}/${setup.org.code}`;
    const asValidator = await runRoute(dossierRoute.loader, makeRequest(path, { cookie: await sessionCookie(validator.id) }), params);
    expect(asValidator.status).toBe(200);
    const data = asValidator.data as { review: { versionNumber: number; lineCount: number }; dossier: { viewerIsOwner: boolean; validatorCount: number } };
    expect(data.review).toMatchObject({ versionNumber: 2, lineCount: 3 });
    expect(data.dossier).toMatchObject({ viewerIsOwner: true, validatorCount: 1 });

    const other = await setupCampaign(t.db);
    const stranger = await makeUser(t.db, "partner_validator", other.org.id);
    const asStranger = await runRoute(dossierRoute.loader, makeRequest(path, { cookie: await sessionCookie(stranger.id) }), params);
    expect([403, 404]).toContain(asStranger.status);
  });

  it("Art. 4 : after acceptance a new upload does not hide the accepted version (« accepté, v1 ; nouvelle version en brouillon v2 »), and organisations without a validator are listed on the board", async () => {
    const setup = await setupCampaign(t.db, { year: 2041 });
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const validator = await makeUser(t.db, "partner_validator", setup.org.id);
    const team = await makeOrganisation(t.db);
    const referent = await makeUser(t.db, "odpe_referent", team.id);
    const lonely = await setupCampaign(t.db, { year: 2041 });
    const plan = await buildCollectionPlan(t.db, 2041, setup.org.id);
    const template = await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: null });
    const [total, f, m] = plan.lines;
    const send = async () => {
      const bytes = await fillTemplate(template, { [total!.key]: 10, [f!.key]: 6, [m!.key]: 4 });
      const r = await receiveUpload(t.db, ctxActor, { year: 2041, organisationId: setup.org.id, uploadedBy: correspondent.id, via: "web", filename: "t.xlsx", bytes });
      if (r.kind !== "stored") throw new Error("not stored");
      return r;
    };
    const v1 = await send();
    await transitionVersion(t.db, actor(correspondent), { versionId: v1.versionId, action: "submit" });
    await transitionVersion(t.db, actor(validator), { versionId: v1.versionId, action: "validate" });
    await transitionVersion(t.db, actor(referent), { versionId: v1.versionId, action: "accept" });
    await send();

    const board = await runRoute(boardRoute.loader, makeRequest("/completeness/2041", { cookie: await sessionCookie(referent.id) }), { year: "2041" });
    const data = board.data as { rows: { code: string; acceptedNumber: number | null; currentNumber: number | null; status: string }[]; summary: { accepted: number }; withoutValidator: { code: string }[] };
    expect(data.rows.find((r) => r.code === setup.org.code)).toMatchObject({ acceptedNumber: 1, currentNumber: 2, status: "draft" });
    expect(data.summary.accepted).toBeGreaterThanOrEqual(1);
    expect(data.withoutValidator.map((o) => o.code)).toContain(lonely.org.code);
    expect(data.withoutValidator.map((o) => o.code)).not.toContain(setup.org.code);

    const dossier = await runRoute(dossierRoute.loader, makeRequest(`/collection/2041/${setup.org.code}`, { cookie: await sessionCookie(correspondent.id) }), { year: "2041", org: setup.org.code });
    expect((dossier.data as { dossier: { standing: unknown } }).dossier.standing).toEqual({ acceptedNumber: 1, inProgress: { number: 2, status: "draft" } });
  });
});
