import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { actorFor } from "../factories/user-actor";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { ctx, makeMember, runRoute, samplePdf, seedReferentialBase } from "../factories/referential";
import {
  answerDataRequest,
  closeDataRequest,
  createDataRequest,
  dataRequestReminders,
  declineDataRequest,
  getDataRequest,
  pendingRequestsFor,
} from "~/server/governance/data-requests.server";
import { DomainError } from "~/server/errors.server";
import type { Role } from "~/domain/permissions";
import { isRequestReminderDay, parseFigures } from "~/domain/data-requests";
import * as requestPage from "~/routes/requests.$id";

const t = useTestDb();
const actorOf = (u: { id: string; role: Role; organisation_id: string; display_name: string }) => actorFor(u, ctx);

async function setting() {
  await seedReferentialBase(t.db);
  const team = await makeOrganisation(t.db, { isTeam: true });
  const caf = await makeMember(t.db, "2019-01-28", { name: "CAF" });
  const tj = await makeMember(t.db, "2019-01-28", { name: "Tribunal" });
  return {
    caf,
    tj,
    referent: actorOf(await makeUser(t.db, "odpe_referent", team.id)),
    committee: actorOf(await makeUser(t.db, "committee_member", team.id)),
    cafCorrespondent: actorOf(await makeUser(t.db, "partner_correspondent", caf.id)),
    cafValidator: actorOf(await makeUser(t.db, "partner_validator", caf.id)),
    tjCorrespondent: actorOf(await makeUser(t.db, "partner_correspondent", tj.id)),
  };
}

const ask = (s: Awaited<ReturnType<typeof setting>>, format: "file" | "figures" = "figures", dueOn = "2099-06-30") =>
  createDataRequest(t.db, s.committee, { title: "MNA au 30 juin", question: "Combien de MNA suivis au 30 juin ?", answerFormat: format, dueOn, organisationIds: [s.caf.id, s.tj.id] }, "2099-06-01");

describe("Art. 3: partners answer the observatory's specific data requests", () => {
  it("Art. 3: a member asks two partners; their correspondents are told; each answers once, figures stored as numbers", async () => {
    const s = await setting();
    const id = await ask(s);
    const told = await t.db.selectFrom("notification").select("user_id").where("dedupe_key", "=", `data-request-opened:${id}`).execute();
    expect(told.map((n) => n.user_id).sort()).toEqual([s.cafCorrespondent.id, s.tjCorrespondent.id].sort());
    expect((await pendingRequestsFor(t.db, s.caf.id)).map((r) => r.id)).toEqual([id]);

    await answerDataRequest(t.db, s.cafCorrespondent, id, { comment: "Source : logiciel métier", figures: "Garçons ; 41\nFilles ; 3,5", file: null });
    const detail = await getDataRequest(t.db, id);
    const caf = detail.recipients.find((r) => r.organisation_id === s.caf.id)!;
    expect(caf.status).toBe("answered");
    expect(caf.answer_figures).toEqual([
      { label: "Garçons", value: 41 },
      { label: "Filles", value: 3.5 },
    ]);
    expect(await pendingRequestsFor(t.db, s.caf.id)).toEqual([]);

    // Nothing a user sent is silently overwritten: a second answer is refused.
    await expect(answerDataRequest(t.db, s.cafCorrespondent, id, { comment: null, figures: "Garçons ; 0", file: null })).rejects.toThrow(/déjà répondu/);
    expect((await getDataRequest(t.db, id)).recipients.find((r) => r.organisation_id === s.caf.id)!.answer_figures).toEqual(caf.answer_figures);
    const audit = await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", id).orderBy("occurred_at").execute();
    expect(audit.map((a) => a.action)).toEqual(["data_request.created", "data_request.answered"]);
  });

  it("Art. 3: only the correspondent of an organisation asked answers; badly typed figures are refused with the line named", async () => {
    const s = await setting();
    const id = await ask(s);
    for (const actor of [s.cafValidator, s.committee, s.referent]) {
      const refusal = await answerDataRequest(t.db, actor, id, { comment: null, figures: "A ; 1", file: null }).catch((e: unknown) => e);
      expect((refusal as DomainError).status, actor.role).toBe(403);
    }
    const other = await makeMember(t.db, "2019-01-28", { name: "Hôpital" });
    const outsider = actorOf(await makeUser(t.db, "partner_correspondent", other.id));
    await expect(answerDataRequest(t.db, outsider, id, { comment: null, figures: "A ; 1", file: null })).rejects.toThrow(/n'est pas adressée/);
    const bad = await answerDataRequest(t.db, s.cafCorrespondent, id, { comment: null, figures: "Garçons ; 41\nFilles quarante", file: null }).catch((e: unknown) => e);
    expect((bad as DomainError).fieldErrors.figures?.[0]).toMatch(/Ligne 2/);
    expect((await getDataRequest(t.db, id)).recipients.every((r) => r.status === "pending")).toBe(true);
  });

  it("Art. 3: a file answer must be a document the workspace accepts (bytes sniffed); a partner may decline with a reason", async () => {
    const s = await setting();
    const id = await ask(s, "file");
    await expect(
      answerDataRequest(t.db, s.cafCorrespondent, id, { comment: null, figures: "", file: { field: "file", filename: "x.pdf", bytes: new TextEncoder().encode("<html>") } }),
    ).rejects.toBeInstanceOf(DomainError);
    await answerDataRequest(t.db, s.cafCorrespondent, id, { comment: null, figures: "", file: { field: "file", filename: "reponse.pdf", bytes: samplePdf() } });
    await declineDataRequest(t.db, s.tjCorrespondent, id, "Donnée non enregistrée par le greffe.");
    const detail = await getDataRequest(t.db, id);
    expect(Object.fromEntries(detail.recipients.map((r) => [r.organisation_id, [r.status, r.filename]]))).toEqual({
      [s.caf.id]: ["answered", "reponse.pdf"],
      [s.tj.id]: ["declined", null],
    });
  });

  it("Art. 3: reminders go to organisations that have not answered, 3 days before, on the due date, then weekly; a closed request reminds no one", async () => {
    expect(["2099-06-27", "2099-06-30", "2099-07-07", "2099-07-14"].map((d) => isRequestReminderDay("2099-06-30", d))).toEqual([true, true, true, true]);
    expect(["2099-06-26", "2099-06-28", "2099-07-01", "2099-07-08"].map((d) => isRequestReminderDay("2099-06-30", d))).toEqual([false, false, false, false]);
    const s = await setting();
    const id = await ask(s);
    await answerDataRequest(t.db, s.cafCorrespondent, id, { comment: null, figures: "Total ; 12", file: null });
    await dataRequestReminders(t.db, "2099-06-27");
    await dataRequestReminders(t.db, "2099-06-27");
    const reminded = await t.db.selectFrom("notification").select("user_id").where("dedupe_key", "like", `data-request-reminder:${id}:%`).execute();
    expect(reminded.map((r) => r.user_id)).toEqual([s.tjCorrespondent.id]);
    await closeDataRequest(t.db, s.committee, id);
    await dataRequestReminders(t.db, "2099-06-30");
    expect(await t.db.selectFrom("notification").select("user_id").where("dedupe_key", "like", `data-request-reminder:${id}:%`).execute()).toHaveLength(1);
    await expect(declineDataRequest(t.db, s.tjCorrespondent, id, "Trop tard")).rejects.toThrow(/n'attend plus/);
  });

  it("Art. 3–4: the answers are pooled: every member reads them on the request page, with the internal-use mention", async () => {
    const s = await setting();
    const id = await ask(s);
    await answerDataRequest(t.db, s.cafCorrespondent, id, { comment: null, figures: "Total ; 12", file: null });
    const cookie = await sessionCookie(s.tjCorrespondent.id);
    const page = await runRoute(requestPage.loader, makeRequest(`/requests/${id}`, { cookie }), { id });
    expect(page.status).toBe(200);
    const data = page.data as { request: { recipients: { organisation_id: string; answer_figures: unknown }[] }; mayAnswer: boolean };
    expect(data.request.recipients.find((r) => r.organisation_id === s.caf.id)!.answer_figures).toEqual([{ label: "Total", value: 12 }]);
    expect(data.mayAnswer).toBe(true);
  });

  it("Art. 3: figures are read as French numbers, one line each", () => {
    expect(parseFigures("Enfants suivis ; 1 204\nTaux ; 12,5")).toEqual({ figures: [{ label: "Enfants suivis", value: 1204 }, { label: "Taux", value: 12.5 }] });
    expect(parseFigures("")).toHaveProperty("error");
    expect(parseFigures("sans valeur")).toHaveProperty("error");
  });
});
