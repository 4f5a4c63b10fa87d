import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeUser } from "../factories";
import { actorFor } from "../factories/user-actor";
import { ensureDomain } from "../factories/collection";
import { samplePdf } from "../factories/referential";
import { systemActor, userActor } from "~/server/command.server";
import { systemContext } from "~/server/audit/audit.server";
import { DomainError } from "~/server/errors.server";
import { createMeeting, addMember } from "~/server/governance/governance.server";
import { createProposal } from "~/server/governance/proposals.server";
import { answerDataRequest } from "~/server/governance/data-requests.server";
import { addWorkspaceVersion, createWorkspaceDocument, deleteHeldVersion, releaseHeldVersion } from "~/server/workspace/workspace.server";
import { exportAccount } from "~/server/personal-data/account-export.server";
import { eraseAccount } from "~/server/personal-data/erasure.server";
import { exportPooledData } from "~/server/explorer/export.server";
import { parseExplorerQuery } from "~/domain/explorer";

/**
 * Commands check their actor's authority themselves (ADR 034): whatever the
 * route let through, a command refuses an actor without the permission, and
 * the refusal writes nothing, not even an audit event.
 */
const t = useTestDb();

const count = async (table: "audit_event" | "governance_meeting" | "governance_member" | "workspace_document_version" | "indicator_proposal") =>
  Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

const unknownId = "00000000-0000-4000-8000-000000000000";

describe("commands refuse an actor without the permission (ADR 034)", () => {
  it("Art. 2: only the referent manages the governance bodies — a committee member's meeting or member is refused (403) and nothing is written or audited", async () => {
    const team = await makeOrganisation(t.db, { isTeam: true });
    const committee = actorFor(await makeUser(t.db, "committee_member", team.id));
    const before = { audit: await count("audit_event"), meetings: await count("governance_meeting"), members: await count("governance_member") };
    const meeting = await refusal(createMeeting(t.db, committee, { bodyCode: "comite_de_suivi", heldOn: "2026-05-20", title: "Comité", agenda: "Point" }));
    expect(meeting.code).toBe("forbidden");
    expect(meeting.status).toBe(403);
    const member = await refusal(
      addMember(t.db, committee, { bodyCode: "comite_de_suivi", organisationId: team.id, personName: "Mme Martin", position: null, since: "2025-01-01", until: null }),
    );
    expect(member.code).toBe("forbidden");
    expect({ audit: await count("audit_event"), meetings: await count("governance_meeting"), members: await count("governance_member") }).toEqual(before);
    // The same command with the referent's authority goes through, and is audited.
    const referent = actorFor(await makeUser(t.db, "odpe_referent", team.id));
    await createMeeting(t.db, referent, { bodyCode: "comite_de_suivi", heldOn: "2026-05-20", title: "Comité", agenda: "Point" });
    expect(await count("governance_meeting")).toBe(before.meetings + 1);
    expect(await count("audit_event")).toBe(before.audit + 1);
  });

  it("Art. 4: only the referent releases or deletes a held version — refused (403) to a member before anything is read", async () => {
    const org = await makeOrganisation(t.db);
    const correspondent = actorFor(await makeUser(t.db, "partner_correspondent", org.id));
    // An unknown version: the refusal comes before the lookup (it would otherwise be « introuvable »).
    expect((await refusal(releaseHeldVersion(t.db, correspondent, unknownId, "Vérifié."))).code).toBe("forbidden");
    expect((await refusal(deleteHeldVersion(t.db, correspondent, unknownId, "Vérifié."))).code).toBe("forbidden");
    const team = await makeOrganisation(t.db, { isTeam: true });
    const referent = actorFor(await makeUser(t.db, "odpe_referent", team.id));
    expect((await refusal(releaseHeldVersion(t.db, referent, unknownId, "Vérifié."))).code).toBe("not_found");
  });

  it("Art. 4: a member adds a version only to its own organisation's document (403); the refusal writes nothing", async () => {
    await ensureDomain(t.db, "ACCUEIL", "Capacités d'accueil");
    const owner = await makeOrganisation(t.db);
    const other = await makeOrganisation(t.db);
    const pdf = { field: "file", filename: "etude.pdf", bytes: samplePdf() };
    const documentId = await createWorkspaceDocument(
      t.db,
      systemActor("test"),
      { title: "Étude", summary: "", kind: "study", ownerOrganisationId: owner.id, domains: ["ACCUEIL"], sources: [] },
      pdf,
      true,
    );
    const outsider = actorFor(await makeUser(t.db, "partner_correspondent", other.id));
    const before = { audit: await count("audit_event"), versions: await count("workspace_document_version") };
    expect((await refusal(addWorkspaceVersion(t.db, outsider, documentId, pdf, null, true))).code).toBe("forbidden");
    // Without the anonymisation confirmation, the refusal of authority still comes first: no refused-upload event.
    expect((await refusal(addWorkspaceVersion(t.db, outsider, documentId, pdf, null, false))).code).toBe("forbidden");
    expect({ audit: await count("audit_event"), versions: await count("workspace_document_version") }).toEqual(before);
    const member = actorFor(await makeUser(t.db, "partner_correspondent", owner.id));
    expect(await addWorkspaceVersion(t.db, member, documentId, pdf, null, true)).toMatchObject({ number: 2, held: false });
  });

  it("GDPR art. 15 and 17: another person's account is exported or erased only by an administrator (403 to the referent); their own export stays open", async () => {
    const team = await makeOrganisation(t.db, { isTeam: true });
    const referentRow = await makeUser(t.db, "odpe_referent", team.id);
    const referent = actorFor(referentRow);
    const person = await makeUser(t.db, "partner_correspondent", (await makeOrganisation(t.db)).id);
    const before = await count("audit_event");
    expect((await refusal(exportAccount(t.db, referent, person.id))).code).toBe("forbidden");
    expect((await refusal(eraseAccount(t.db, referent, person.id, { confirmEmail: person.email }))).code).toBe("forbidden");
    expect(await count("audit_event")).toBe(before);
    const erasedAt = await t.db.selectFrom("app_user").select("erased_at").where("id", "=", person.id).executeTakeFirstOrThrow();
    expect(erasedAt.erased_at).toBeNull();
    expect((await exportAccount(t.db, referent, referentRow.id)).account.id).toBe(referentRow.id);
    const admin = actorFor(await makeUser(t.db, "admin", team.id));
    expect((await exportAccount(t.db, admin, person.id)).account.id).toBe(person.id);
  });

  it("Art. 5: pooled data are exported only with export:pooled_data — a reader is refused (403) and no export is audited", async () => {
    const reader = actorFor(await makeUser(t.db, "reader", (await makeOrganisation(t.db)).id));
    const before = await count("audit_event");
    const query = parseExplorerQuery(new URLSearchParams("indicator=ENF_SUIVIS"))!;
    expect((await refusal(exportPooledData(t.db, reader, query, "csv"))).code).toBe("forbidden");
    expect(await count("audit_event")).toBe(before);
  });

  it("Art. 7: a withdrawn organisation's correspondent can no longer answer a data request (403 naming the withdrawal)", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "partner_correspondent", org.id);
    const withdrawn = userActor({ id: user.id, displayName: user.display_name, role: "partner_correspondent", organisationId: org.id, organisationWithdrawn: true }, systemContext("test"));
    const error = await refusal(answerDataRequest(t.db, withdrawn, unknownId, { comment: null, figures: "A ; 1", file: null }));
    expect(error.code).toBe("forbidden");
    expect(error.message).toMatch(/retiré de la convention \(art\. 7\)/);
  });

  it("Art. 2–3: a proposal is made by a person in the name of an organisation — the system actor, which has none, is refused (403)", async () => {
    const before = await count("indicator_proposal");
    const error = await refusal(
      createProposal(t.db, systemActor("test"), { kind: "new", indicatorId: null, title: "T", definition: "D", rationale: "R", organisationIds: [] }),
    );
    expect(error.code).toBe("forbidden");
    expect(await count("indicator_proposal")).toBe(before);
  });
});
