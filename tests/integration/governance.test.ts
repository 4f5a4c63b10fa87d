import { describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { useTestDb } from "../support/db";
import { actorFor } from "../factories/user-actor";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { ctx, makeIndicator, makeMember, runRoute, samplePdf, seedReferentialBase } from "../factories/referential";
import { addDecision, createMeeting, decisionsCiting, getMeeting, listGovernance, addMember, setMinutes } from "~/server/governance/governance.server";
import { adoptProposal, createProposal, getProposal, proposalsForIndicator, recordOpinion, rejectProposal } from "~/server/governance/proposals.server";
import { recordAmendment } from "~/server/convention/convention.server";
import { DomainError } from "~/server/errors.server";
import type { Role } from "~/domain/permissions";
import { proposalFormSchema } from "~/domain/governance";
import * as indicatorPage from "~/routes/indicators.$code";
import * as proposalPage from "~/routes/proposals.$id";
import * as governancePage from "~/routes/governance._index";

const t = useTestDb();
let counter = 0;
/** Indicator codes are unique in the file's database: one per test. */
const code = (base: string) => `${base}_${++counter}`;

const actorOf = (u: { id: string; role: Role; organisation_id: string; display_name: string }) => actorFor(u, ctx);

async function setting() {
  await seedReferentialBase(t.db);
  const team = await makeOrganisation(t.db, { isTeam: true });
  const caf = await makeMember(t.db, "2019-01-28", { name: "Caisse d'allocations familiales" });
  const tj = await makeMember(t.db, "2019-01-28", { name: "Tribunal judiciaire" });
  const referent = actorOf(await makeUser(t.db, "odpe_referent", team.id));
  const committee = actorOf(await makeUser(t.db, "committee_member", team.id));
  const cafValidator = actorOf(await makeUser(t.db, "partner_validator", caf.id));
  const cafCorrespondent = actorOf(await makeUser(t.db, "partner_correspondent", caf.id));
  const tjValidator = actorOf(await makeUser(t.db, "partner_validator", tj.id));
  const reader = actorOf(await makeUser(t.db, "reader", team.id));
  return { team, caf, tj, referent, committee, cafValidator, cafCorrespondent, tjValidator, reader };
}

const proposalInput = (organisationIds: string[]) =>
  proposalFormSchema.parse({
    kind: "new",
    title: "Mineurs non accompagnés confiés",
    definition: "Nombre de MNA confiés à l'ASE au 31/12, par sexe.",
    rationale: "Suivre l'évolution des MNA.",
    organisationIds: organisationIds.join(","),
  });

async function amendmentWith(indicatorId: string) {
  return recordAmendment(
    t.db,
    system(ctx),
    { signedOn: "2026-06-01", kind: "new_data", title: "Nouvelles données MNA", description: null, organisationIds: [], indicatorIds: [indicatorId] },
    { field: "document", filename: "avenant.pdf", bytes: samplePdf() },
  );
}

describe("Art. 2–3: an indicator enters the list only with the agreement of every signatory concerned", () => {
  it("Art. 2–3: adoption is refused while a signatory concerned has not agreed, and while one objects", async () => {
    const s = await setting();
    const id = await createProposal(t.db, s.committee, proposalInput([s.caf.id, s.tj.id]));
    const indicator = await makeIndicator(t.db, { code: code("MNA_CONFIES") });
    const amendment = await t.db.selectFrom("amendment").select("id").where("number", "=", (await amendmentWith(indicator.id)).number).executeTakeFirstOrThrow();
    const adopt = () => adoptProposal(t.db, s.referent, id, { amendmentId: amendment.id, indicatorId: indicator.id });

    await expect(adopt()).rejects.toThrow(/l'accord de .*Caisse d'allocations familiales.*Tribunal judiciaire|l'accord de .*Tribunal judiciaire.*Caisse/);
    await recordOpinion(t.db, s.cafValidator, id, { position: "agree", comment: null });
    await recordOpinion(t.db, s.tjValidator, id, { position: "object", comment: "Donnée non produite par le greffe." });
    await expect(adopt()).rejects.toThrow(/objection de Tribunal judiciaire/);
    expect((await getProposal(t.db, id)).status).toBe("open");

    // The objecting institution may change its opinion while the proposal is open.
    await recordOpinion(t.db, s.tjValidator, id, { position: "agree", comment: "Après échange avec l'ODPE." });
    await adopt();
    const adopted = await getProposal(t.db, id);
    expect(adopted.status).toBe("adopted");
    expect(adopted.adopted_indicator_code).toBe(indicator.code);
    expect(adopted.opinions.map((o) => o.position)).toEqual(["agree", "agree"]);
  });

  it("Art. 2–3: only a validator of a signatory concerned gives its institution's opinion", async () => {
    const s = await setting();
    const other = await makeMember(t.db, "2019-01-28", { name: "Hôpital non concerné" });
    const otherValidator = actorOf(await makeUser(t.db, "partner_validator", other.id));
    const id = await createProposal(t.db, s.committee, proposalInput([s.caf.id]));
    for (const actor of [s.cafCorrespondent, s.committee, s.referent, s.reader]) {
      const refusal = await recordOpinion(t.db, actor, id, { position: "agree", comment: null }).catch((e: unknown) => e);
      expect((refusal as DomainError).status, actor.role).toBe(403);
    }
    await expect(recordOpinion(t.db, otherValidator, id, { position: "agree", comment: null })).rejects.toThrow(/n'est pas concerné/);
    expect((await getProposal(t.db, id)).opinions[0]!.position).toBeNull();
  });

  it("Art. 2–3: the signatories concerned are told (validators of each) and the opinion and proposal are audited", async () => {
    const s = await setting();
    const id = await createProposal(t.db, s.committee, proposalInput([s.caf.id, s.tj.id]));
    const notified = await t.db.selectFrom("notification").select("user_id").where("dedupe_key", "=", `indicator-proposal-opened:${id}`).execute();
    expect(notified.map((n) => n.user_id).sort()).toEqual([s.cafValidator.id, s.tjValidator.id].sort());
    const audit = await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", id).execute();
    expect(audit.map((a) => a.action)).toEqual(["indicator_proposal.created"]);
  });

  it("Art. 7: the adopted proposal, its opinions and the amendment are linked and shown on the indicator page", async () => {
    const s = await setting();
    const id = await createProposal(t.db, s.committee, proposalInput([s.caf.id]));
    await recordOpinion(t.db, s.cafValidator, id, { position: "agree", comment: null });
    const indicator = await makeIndicator(t.db, { code: code("MNA_CONFIES") });
    const { number } = await amendmentWith(indicator.id);
    const amendment = await t.db.selectFrom("amendment").select("id").where("number", "=", number).executeTakeFirstOrThrow();
    await adoptProposal(t.db, s.referent, id, { amendmentId: amendment.id, indicatorId: indicator.id });
    expect((await proposalsForIndicator(t.db, indicator.id)).map((p) => [p.id, p.amendment_number])).toEqual([[id, number]]);

    const cookie = await sessionCookie(s.cafCorrespondent.id);
    const page = await runRoute(indicatorPage.loader, makeRequest(`/indicators/${indicator.code}`, { cookie }), { code: indicator.code });
    expect(page.status).toBe(200);
    const data = page.data as { proposals: { id: string; amendment_number: number | null }[] };
    expect(data.proposals).toEqual([expect.objectContaining({ id, amendment_number: number })]);
  });

  it("Art. 7: a change proposal is adopted only onto the indicator it targets; a closed proposal takes no more opinions", async () => {
    const s = await setting();
    const target = await makeIndicator(t.db, { code: code("IP_RECUES") });
    const unrelated = await makeIndicator(t.db, { code: code("AUTRE_IND") });
    const id = await createProposal(t.db, s.committee, { ...proposalInput([s.caf.id]), kind: "change", indicatorId: target.id });
    await recordOpinion(t.db, s.cafValidator, id, { position: "agree", comment: null });
    const { number } = await amendmentWith(unrelated.id);
    const amendment = await t.db.selectFrom("amendment").select("id").where("number", "=", number).executeTakeFirstOrThrow();
    await expect(adoptProposal(t.db, s.referent, id, { amendmentId: amendment.id, indicatorId: unrelated.id })).rejects.toThrow(/l'indicateur qu'elle vise/);
    await rejectProposal(t.db, s.referent, id, "Reporté au prochain comité.");
    await expect(recordOpinion(t.db, s.cafValidator, id, { position: "object", comment: "Trop tard" })).rejects.toThrow(/close/);
    expect((await getProposal(t.db, id)).closing_reason).toBe("Reporté au prochain comité.");
  });

  it("Art. 2–3: an objection must give its reason (route answers 422 with the field named)", async () => {
    const s = await setting();
    const id = await createProposal(t.db, s.committee, proposalInput([s.caf.id]));
    const cookie = await sessionCookie(s.cafValidator.id);
    const result = await runRoute(proposalPage.action, makeRequest(`/proposals/${id}?intent=opinion`, { cookie, form: { position: "object" } }), { id });
    expect(result.status).toBe(422);
    expect((result.data as { fieldErrors: Record<string, string[]> }).fieldErrors.comment?.[0]).toMatch(/motivée/);
    expect((await getProposal(t.db, id)).opinions[0]!.position).toBeNull();
  });
});

describe("Art. 2: governance bodies, meetings and decisions citing other records", () => {
  it("Art. 2: the referent records members, a meeting with its minutes and a decision adopting an amendment; the decision is found from the amendment", async () => {
    const s = await setting();
    await addMember(t.db, s.referent, { bodyCode: "comite_de_suivi", organisationId: s.caf.id, personName: "Mme Martin", position: "Directrice", since: "2025-01-01", until: null });
    await addMember(t.db, s.referent, { bodyCode: "comite_de_suivi", organisationId: s.tj.id, personName: "M. Durand", position: null, since: "2020-01-01", until: "2021-12-31" });
    const meeting = await createMeeting(t.db, s.referent, { bodyCode: "comite_de_suivi", heldOn: "2026-05-20", title: "Comité de suivi de printemps", agenda: "1. Avenant" });
    await setMinutes(t.db, s.referent, meeting, { field: "minutes", filename: "cr.pdf", bytes: samplePdf() });
    const indicator = await makeIndicator(t.db, { code: code("MNA_CONFIES") });
    const { number } = await amendmentWith(indicator.id);
    const amendment = await t.db.selectFrom("amendment").select("id").where("number", "=", number).executeTakeFirstOrThrow();
    await addDecision(t.db, s.referent, meeting, { text: "Avenant approuvé.", subjectType: "amendment", subjectId: amendment.id });
    await addDecision(t.db, s.referent, meeting, { text: "Prochaine réunion en octobre.", subjectType: null, subjectId: null });

    const detail = await getMeeting(t.db, meeting);
    expect(detail.minutes_filename).toBe("cr.pdf");
    expect(detail.decisions.map((d) => [d.number, d.subject?.label ?? null])).toEqual([
      [1, `Avenant n° ${number} : Nouvelles données MNA`],
      [2, null],
    ]);
    expect((await decisionsCiting(t.db, "amendment", amendment.id)).map((d) => d.text)).toEqual(["Avenant approuvé."]);
    const bodies = await listGovernance(t.db, "2026-06-01");
    const comite = bodies.find((b) => b.code === "comite_de_suivi")!;
    expect(comite.members.map((m) => m.person_name)).toEqual(["Mme Martin"]);
    expect(comite.formerMembers.map((m) => m.person_name)).toEqual(["M. Durand"]);
  });

  it("Art. 2: a decision cannot cite a record that does not exist; only the referent records governance", async () => {
    const s = await setting();
    const meeting = await createMeeting(t.db, s.referent, { bodyCode: "conference_strategique", heldOn: "2026-05-20", title: "Conférence", agenda: "Tableau de bord" });
    await expect(
      addDecision(t.db, s.referent, meeting, { text: "Tableau de bord adopté.", subjectType: "dashboard_edition", subjectId: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toThrow(/n'existe pas/);
    for (const actor of [s.committee, s.cafCorrespondent, s.cafValidator, s.reader]) {
      const refusal = await createMeeting(t.db, actor, { bodyCode: "comite_de_suivi", heldOn: "2026-05-20", title: "X", agenda: "Y" }).catch((e: unknown) => e);
      expect((refusal as DomainError).status, actor.role).toBe(403);
    }
    expect((await getMeeting(t.db, meeting)).decisions).toEqual([]);
  });

  it("Art. 2: minutes must be a PDF; a refused file leaves nothing", async () => {
    const s = await setting();
    const meeting = await createMeeting(t.db, s.referent, { bodyCode: "comite_de_suivi", heldOn: "2026-05-20", title: "Comité", agenda: "Point" });
    await expect(setMinutes(t.db, s.referent, meeting, { field: "minutes", filename: "cr.html", bytes: new TextEncoder().encode("<html>") })).rejects.toBeInstanceOf(DomainError);
    expect((await getMeeting(t.db, meeting)).minutes_file_id).toBeNull();
  });

  it("Art. 2: élus (readers) see the governance page; the referent's forms are not offered to them", async () => {
    const s = await setting();
    const cookie = await sessionCookie(s.reader.id);
    const page = await runRoute(governancePage.loader, makeRequest("/governance", { cookie }));
    expect(page.status).toBe(200);
    expect((page.data as { manage: boolean; bodies: unknown[] }).manage).toBe(false);
    expect((page.data as { bodies: unknown[] }).bodies).toHaveLength(2);
  });
});
