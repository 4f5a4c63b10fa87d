import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { makeUser } from "../factories";
import { setupCampaign } from "../factories/campaign-setup";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload, transitionVersion } from "~/server/collection/submissions.server";
import { campaignDeadlineReminders, reasonSentence } from "~/server/collection/notices.server";
import { makeOrganisation } from "../factories";
import { systemContext } from "~/server/audit/audit.server";
import { userActor, systemActor } from "~/server/command.server";
import type { Role } from "~/domain/permissions";

const t = useTestDb();
const ctx = systemContext("test");
const ctxActor = systemActor("test");
const actor = (u: { id: string; role: string; organisation_id: string }) => ({ ...userActor({ id: u.id, displayName: ctx.actorLabel, role: u.role as Role, organisationId: u.organisation_id }, ctx), id: u.id });

describe("notifications and mails of the collection", () => {
  it("submitting tells the organisation's validators (notification + mail), once", async () => {
    const setup = await setupCampaign(t.db, { year: 2032, indicators: [{}] });
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const validator = await makeUser(t.db, "partner_validator", setup.org.id);
    const otherOrg = await setupCampaign(t.db, { year: 2032, indicators: [] });
    const foreignValidator = await makeUser(t.db, "partner_validator", otherOrg.org.id);
    const plan = await buildCollectionPlan(t.db, 2032, setup.org.id);
    const bytes = await fillTemplate(await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: null }), { [plan.lines[0]!.key]: 4 });
    const upload = await receiveUpload(t.db, ctxActor, { year: 2032, organisationId: setup.org.id, uploadedBy: correspondent.id, via: "web", filename: "t.xlsx", bytes });
    if (upload.kind !== "stored") throw new Error("stored expected");
    await transitionVersion(t.db, actor(correspondent), { versionId: upload.versionId, action: "submit" });

    const notes = await t.db.selectFrom("notification").select(["user_id", "title", "link"]).where("kind", "=", "submission.submit").execute();
    expect(notes.map((n) => n.user_id)).toEqual([validator.id]);
    expect(notes[0]!.title).toContain("À valider");
    expect(notes[0]!.link).toBe(`/collection/2032/${setup.org.code}`);
    const mails = await t.db.selectFrom("outbox_mail").select(["to_addresses", "subject"]).where("kind", "=", "submission.submit").execute();
    expect(mails).toHaveLength(1);
    expect(JSON.stringify(mails[0]!.to_addresses)).toContain(validator.email);
    expect(JSON.stringify(mails)).not.toContain(foreignValidator.email);
  });

  it("Art. 4 : an organisation without a validator account is not a silent dead end — submitting tells the referent and the admin", async () => {
    const setup = await setupCampaign(t.db, { year: 2033, indicators: [{}] });
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const team = await makeOrganisation(t.db);
    const referent = await makeUser(t.db, "odpe_referent", team.id);
    const admin = await makeUser(t.db, "admin", team.id);
    const plan = await buildCollectionPlan(t.db, 2033, setup.org.id);
    const bytes = await fillTemplate(await buildTemplate(plan, { observatoryName: "ODPE", contactEmail: null }), { [plan.lines[0]!.key]: 4 });
    const upload = await receiveUpload(t.db, ctxActor, { year: 2033, organisationId: setup.org.id, uploadedBy: correspondent.id, via: "web", filename: "t.xlsx", bytes });
    if (upload.kind !== "stored") throw new Error("stored expected");
    await transitionVersion(t.db, actor(correspondent), { versionId: upload.versionId, action: "submit" });

    const notes = await t.db.selectFrom("notification").select(["user_id", "title", "body"]).where("kind", "=", "submission.submit").where("link", "=", `/collection/2033/${setup.org.code}`).execute();
    expect(notes.map((n) => n.user_id).sort()).toEqual([referent.id, admin.id].sort());
    for (const n of notes) {
      expect(n.title).toContain("Aucun validateur");
      expect(n.body).toContain(setup.org.name);
    }
  });

  it("a return reason ending with a full stop is not followed by a second one (« commentaire.. Déposez »)", () => {
    expect(`${reasonSentence("Il manque le commentaire.")} Déposez une version corrigée.`).toBe("Motif : Il manque le commentaire. Déposez une version corrigée.");
    expect(reasonSentence("Totaux faux")).toBe("Motif : Totaux faux.");
    expect(reasonSentence(null)).toBe("Motif : —.");
  });

  it("campaign reminders go out on reminder days to organisations that have not transmitted, once per day", async () => {
    const setup = await setupCampaign(t.db, { year: 2033, indicators: [{}], deadline: "2034-03-31" });
    const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const count = async () => (await t.db.selectFrom("outbox_mail").select("id").where("kind", "=", "reminder").where("organisation_id", "=", setup.org.id).execute()).length;
    expect((await campaignDeadlineReminders(t.db, "2034-03-20", "http://portail")).mails).toBe(0); // not a reminder day
    const first = await campaignDeadlineReminders(t.db, "2034-03-17", "http://portail"); // 14 days before
    expect(first.mails).toBeGreaterThanOrEqual(1);
    expect(await count()).toBe(1);
    await campaignDeadlineReminders(t.db, "2034-03-17", "http://portail"); // rerun the same day
    expect(await count()).toBe(1);
    await campaignDeadlineReminders(t.db, "2034-04-01", "http://portail"); // 1 day after
    expect(await count()).toBe(2);
    const mail = await t.db.selectFrom("outbox_mail").select(["to_addresses", "subject"]).where("kind", "=", "reminder").where("organisation_id", "=", setup.org.id).orderBy("created_at").executeTakeFirstOrThrow();
    expect(JSON.stringify(mail.to_addresses)).toContain(correspondent.email);
    expect(mail.subject).toMatch(/Rappel : indicateurs 2033 attendus dans 14 jours/);
  });
});
