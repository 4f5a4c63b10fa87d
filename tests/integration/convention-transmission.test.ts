import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { makeUser } from "../factories";
import { setupCampaign } from "../factories/campaign-setup";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload, transitionVersion } from "~/server/collection/submissions.server";
import { campaignDeadlineReminders } from "~/server/collection/notices.server";
import { completenessBoard, getDossier, versionForDownload } from "~/server/collection/queries.server";
import { systemContext } from "~/server/audit/audit.server";
import { userActor, systemActor } from "~/server/command.server";
import type { Role } from "~/domain/permissions";

const t = useTestDb();
const ctx = systemContext("test");
const ctxActor = systemActor("test");
const actor = (u: { id: string; role: string; organisation_id: string }) => ({ ...userActor({ id: u.id, displayName: ctx.actorLabel, role: u.role as Role, organisationId: u.organisation_id }, ctx), id: u.id });

/** An organisation with its correspondent and validator, the ODPE's referent, and one uploaded version (a draft). */
async function dossier(year: number, deadline: string) {
  const setup = await setupCampaign(t.db, { year, indicators: [{}], deadline });
  const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
  const validator = await makeUser(t.db, "partner_validator", setup.org.id);
  const team = await t.db
    .insertInto("organisation")
    .values({ code: `ODPE${year}`, name: "ODPE", kind: "observatory", is_observatory_team: true })
    .returning("id")
    .executeTakeFirstOrThrow();
  const referent = await makeUser(t.db, "odpe_referent", team.id);
  const plan = await buildCollectionPlan(t.db, year, setup.org.id);
  const bytes = await fillTemplate(await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: null }), { [plan.lines[0]!.key]: 4 });
  const upload = await receiveUpload(t.db, ctxActor, { year, organisationId: setup.org.id, uploadedBy: correspondent.id, via: "web", filename: "t.xlsx", bytes });
  if (upload.kind !== "stored") throw new Error("stored expected");
  const submission = () => t.db.selectFrom("submission").select(["first_transmitted_at", "status"]).where("organisation_id", "=", setup.org.id).executeTakeFirstOrThrow();
  return { setup, correspondent, validator, referent, versionId: upload.versionId, submission };
}

describe("Art. 4 : la transmission à l'ODPE est la validation par l'institution", () => {
  it("Art. 4 : la soumission pour validation interne n'est pas une transmission ; la validation de l'institution l'est", async () => {
    const d = await dossier(2040, "2041-03-31");
    await transitionVersion(t.db, actor(d.correspondent), { versionId: d.versionId, action: "submit" });
    expect((await d.submission()).first_transmitted_at).toBeNull();
    const board = (await completenessBoard(t.db, 2040)).find((r) => r.code === d.setup.org.code)!;
    expect(board.first_transmitted_at).toBeNull();
    expect(board.onTime).toBeNull();

    await transitionVersion(t.db, actor(d.validator), { versionId: d.versionId, action: "validate" });
    const transmitted = (await d.submission()).first_transmitted_at;
    expect(transmitted).not.toBeNull();
    const validated = await t.db.selectFrom("submission_version").select("validated_at").where("id", "=", d.versionId).executeTakeFirstOrThrow();
    expect(new Date(transmitted!).getTime()).toBe(new Date(validated.validated_at!).getTime());
    // Art. 4: timeliness is judged on the transmission (validation) date.
    const after = (await completenessBoard(t.db, 2040)).find((r) => r.code === d.setup.org.code)!;
    expect(after.onTime).toBe(true);
  });

  it("Art. 4 : les rappels continuent tant que l'institution n'a pas validé, et reprennent après un retour de l'ODPE", async () => {
    const d = await dossier(2042, "2043-03-31");
    const reminders = async () =>
      (await t.db.selectFrom("outbox_mail").select("id").where("kind", "=", "reminder").where("dedupe_key", "like", `%:${d.correspondent.id}`).execute()).length;
    await transitionVersion(t.db, actor(d.correspondent), { versionId: d.versionId, action: "submit" });
    await campaignDeadlineReminders(t.db, "2043-03-17", "http://portail"); // 14 days before: submitted, not validated
    expect(await reminders()).toBe(1);

    await transitionVersion(t.db, actor(d.validator), { versionId: d.versionId, action: "validate" });
    await campaignDeadlineReminders(t.db, "2043-03-28", "http://portail"); // 3 days before: transmitted
    expect(await reminders()).toBe(1);

    await transitionVersion(t.db, actor(d.referent), { versionId: d.versionId, action: "return", comment: "Total incohérent avec l'an dernier." });
    await campaignDeadlineReminders(t.db, "2043-04-01", "http://portail"); // 1 day after: returned, nothing transmitted
    expect(await reminders()).toBe(2);
  });

  it("Art. 4 : l'ODPE n'ouvre ni un brouillon ni une version soumise en validation interne ; le partenaire voit tout ce qui est à lui", async () => {
    const d = await dossier(2044, "2045-03-31");
    const referent = actor(d.referent);
    const visibleToReferent = async () => (await getDossier(t.db, actor(d.referent), 2044, d.setup.org.code)).versions.map((v) => v.id);

    expect(await versionForDownload(t.db, referent, d.versionId)).toBeNull();
    expect(await versionForDownload(t.db, actor(d.correspondent), d.versionId)).not.toBeNull();
    expect(await visibleToReferent()).toEqual([]);

    await transitionVersion(t.db, actor(d.correspondent), { versionId: d.versionId, action: "submit" });
    expect(await versionForDownload(t.db, referent, d.versionId)).toBeNull();
    expect(await versionForDownload(t.db, actor(d.validator), d.versionId)).not.toBeNull();
    expect(await visibleToReferent()).toEqual([]);

    // The validator sends it back to the correspondent: still internal, and so is the reason.
    await transitionVersion(t.db, actor(d.validator), { versionId: d.versionId, action: "send_back", comment: "Motif interne à l'institution" });
    expect(await versionForDownload(t.db, referent, d.versionId)).toBeNull();
    const forReferent = await getDossier(t.db, actor(d.referent), 2044, d.setup.org.code);
    expect(JSON.stringify(forReferent.comments)).not.toContain("Motif interne");
    const forPartner = await getDossier(t.db, { ...actor(d.correspondent), id: d.correspondent.id }, 2044, d.setup.org.code);
    expect(forPartner.versions.map((v) => v.id)).toEqual([d.versionId]);
    expect(JSON.stringify(forPartner.comments)).toContain("Motif interne");

    const plan = await buildCollectionPlan(t.db, 2044, d.setup.org.id);
    const bytes = await fillTemplate(await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: null }), { [plan.lines[0]!.key]: 5 });
    const second = await receiveUpload(t.db, ctxActor, { year: 2044, organisationId: d.setup.org.id, uploadedBy: d.correspondent.id, via: "web", filename: "t.xlsx", bytes });
    if (second.kind !== "stored") throw new Error("stored expected");
    await transitionVersion(t.db, actor(d.correspondent), { versionId: second.versionId, action: "submit" });
    await transitionVersion(t.db, actor(d.validator), { versionId: second.versionId, action: "validate" });
    expect(await versionForDownload(t.db, referent, second.versionId)).not.toBeNull();
    expect(await visibleToReferent()).toEqual([second.versionId]);
    expect(await versionForDownload(t.db, referent, d.versionId)).toBeNull();
  });
});
