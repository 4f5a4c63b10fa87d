import { createHash } from "node:crypto";
import ExcelJS from "exceljs";
import { strToU8, zipSync } from "fflate";
import type { Db } from "~/server/db.server";
import { roles, type Role } from "~/domain/permissions";
import { parseExplorerQuery } from "~/domain/explorer";
import { systemContext } from "~/server/audit/audit.server";
import { system } from "./actors";
import { setAgreementDocument } from "~/server/agreements/agreements.server";
import { recordAmendment, setConventionDocument } from "~/server/convention/convention.server";
import { setOrganisationLogo } from "~/server/organisations/organisations.server";
import { createWorkspaceDocument } from "~/server/workspace/workspace.server";
import { addFrozenItem, attachDocument, decideApproval, submitPublication, validatePublication } from "~/server/publications/publication-commands.server";
import { systemActor, userActor, type UserActor } from "~/server/command.server";
import { createEdition, publishEdition, saveEditionTexts, transitionEdition } from "~/server/dashboard/editions.server";
import { createPasswordResetLink } from "~/server/users/users.server";
import { revokeApiToken } from "~/server/api/tokens.server";
import { createMeeting, setMinutes } from "~/server/governance/governance.server";
import { createProposal } from "~/server/governance/proposals.server";
import { answerDataRequest, createDataRequest } from "~/server/governance/data-requests.server";
import { makeUser, sessionCookie } from "../factories";
import { actorFor } from "../factories/user-actor";
import { acceptValues, makeAgreement, makeApiToken, makeIndicator, withdrawOrganisation } from "../factories/collection";
import { makeMember, samplePdf, samplePng, seedReferentialBase } from "../factories/referential";

/**
 * The data the access matrix (tests/support/access-matrix.ts) probes: two
 * partner organisations, A (whose users of every role make the requests) and
 * B (whose objects must stay out of A's reach), each with the objects a route
 * can name by id: agreement, submission versions, approvals, workspace
 * documents, publications, API tokens, logo; plus what every member shares
 * (campaigns, convention, indicator, a published dashboard edition).
 */
export interface AccessFixtures {
  /** The open campaign both organisations are expected in. */
  year: number;
  /** The closed campaign with accepted values, and its published dashboard edition. */
  closedYear: number;
  orgA: { id: string; code: string; name: string };
  orgB: { id: string; code: string; name: string };
  /** Art. 7: an organisation whose withdrawal has taken effect. */
  orgW: { id: string; code: string; name: string };
  indicatorCode: string;
  /** Accepted versions (closedYear), their stored workbooks. */
  versionA: string;
  versionB: string;
  /** Art. 4: organisation B's version of the open campaign, submitted for internal validation (not transmitted): not the ODPE's to open. */
  internalVersionB: string;
  /** The stored workbook of versionB: a file id no route may serve to A's users but through versions/:id. */
  workbookFileB: string;
  agreementA: string;
  agreementB: string;
  /** Workspace documents owned by A and by B. */
  documentA: string;
  documentB: string;
  /** Shared by B's correspondent, its only version held for review (Art. 4: personal data suspected). */
  heldDocumentB: string;
  /** Authored by A's correspondent, submitted: awaits the approvals of A and B (attachment: documentA). */
  publicationA: string;
  /** Authored by B's correspondent, approved by A and B, validated: online (attachment: documentB). */
  publicationB: string;
  /** The approval requests of publicationA: A's and B's. */
  approvalA: string;
  approvalB: string;
  /** A user of organisation B (for the account screens). */
  userB: string;
  tokenA: string;
  tokenB: string;
  tokenBId: string;
  revokedToken: string;
  logoFileA: string;
  edition: { id: string; year: number; number: number };
  /** A correction of that edition, being prepared (not published). */
  draftEdition: { id: string; number: number };
  amendmentNumber: number;
  resetToken: string;
  /** An API token of organisation W, made before its withdrawal. */
  withdrawnToken: string;
  /** Art. 2: a meeting of the comité de suivi, with its minutes. */
  meeting: string;
  /** Art. 2–3: an open indicator proposal concerning organisations A and B. */
  proposal: string;
  /** Art. 3: an open data request to A and B; B has answered with a file. */
  dataRequest: string;
  /** The users of organisation A, one per role, and organisation W's correspondent and validator, with their session cookies. */
  users: Record<Role | "withdrawn_correspondent" | "withdrawn_validator", { id: string; cookie: string }>;
}

const ctx = systemContext("test");
const ctxActor = systemActor("test");

type Actor = UserActor & { id: string };
const asActor = (user: { id: string; role: Role; organisation_id: string; display_name: string }): Actor => ({
  ...userActor({ id: user.id, role: user.role, organisationId: user.organisation_id, displayName: user.display_name }, ctx),
  id: user.id,
});

/** A real (tiny) workbook, so that the annotated download has something to annotate. */
async function tinyWorkbook(): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet("Données").getCell("A1").value = "Indicateur";
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

export async function buildAccessFixtures(db: Db): Promise<AccessFixtures> {
  const year = 2025;
  const closedYear = 2024;
  await seedReferentialBase(db);
  const orgA = await makeMember(db, "2019-01-28", { code: "ORGA", name: "Organisme A (partenaire)" });
  const orgB = await makeMember(db, "2019-01-28", { code: "ORGB", name: "Organisme B confidentiel" });
  const orgW = await makeMember(db, "2019-01-28", { code: "ORGW", name: "Organisme W (retiré)" });
  const indicator = await makeIndicator(db, { code: "ENF_MATRICE", label: "Enfants suivis", providers: [orgA.id, orgB.id] });

  // Art. 4: yearly collection; accepted values of the closed campaign, one accepted version each.
  const acceptedA = await acceptValues(db, { organisationId: orgA.id, year: closedYear, indicator, values: { "": 120 } });
  const acceptedB = await acceptValues(db, { organisationId: orgB.id, year: closedYear, indicator, values: { "": 80 } });
  const workbook = await tinyWorkbook();
  const stored = await db.selectFrom("submission_version").select("file_id").where("id", "=", acceptedA.versionId).executeTakeFirstOrThrow();
  const storedB = await db.selectFrom("submission_version").select("file_id").where("id", "=", acceptedB.versionId).executeTakeFirstOrThrow();
  await db
    .updateTable("stored_file")
    .set({ content: workbook, size_bytes: workbook.byteLength, sha256: createHash("sha256").update(workbook).digest("hex") })
    .where("id", "in", [stored.file_id, storedB.file_id])
    .execute();

  // Art. 4–5: bilateral agreements; external diffusion needs each source's approval.
  const agreementA = await makeAgreement(db, orgA.id, [{ indicator, usageRights: "with_approval" }]);
  const agreementB = await makeAgreement(db, orgB.id, [{ indicator, usageRights: "with_approval" }]);
  for (const id of [agreementA, agreementB]) await setAgreementDocument(db, system(ctx), id, { field: "document", filename: "convention-application.pdf", bytes: samplePdf() });

  const campaign = await db
    .insertInto("campaign")
    .values({ reference_year: year, opens_on: `${year + 1}-01-01`, deadline: `${year + 1}-12-31`, status: "open", opened_at: new Date() })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("expected_submission")
    .values([
      { campaign_id: campaign.id, organisation_id: orgA.id, agreement_id: agreementA, deadline: `${year + 1}-12-31` },
      { campaign_id: campaign.id, organisation_id: orgB.id, agreement_id: agreementB, deadline: `${year + 1}-12-31` },
    ])
    .execute();

  // Art. 4: B's version of the open campaign, submitted for internal validation only (not yet transmitted to the ODPE).
  const internalSubmission = await db
    .insertInto("submission")
    .values({ campaign_id: campaign.id, organisation_id: orgB.id, status: "submitted", version_count: 1 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const internalVersionB = await db
    .insertInto("submission_version")
    .values({ submission_id: internalSubmission.id, number: 1, file_id: storedB.file_id, uploaded_via: "web", status: "submitted", problems: "[]", submitted_at: new Date() })
    .returning("id")
    .executeTakeFirstOrThrow();

  // Both organisations were expected in the closed campaign too (their accepted versions belong to it).
  const closed = await db.selectFrom("campaign").select("id").where("reference_year", "=", closedYear).executeTakeFirstOrThrow();
  await db
    .insertInto("expected_submission")
    .values([
      { campaign_id: closed.id, organisation_id: orgA.id, agreement_id: agreementA, deadline: `${closedYear + 1}-03-31` },
      { campaign_id: closed.id, organisation_id: orgB.id, agreement_id: agreementB, deadline: `${closedYear + 1}-03-31` },
    ])
    .execute();

  await setConventionDocument(db, system(ctx), { field: "document", filename: "convention.pdf", bytes: samplePdf() });
  const amendment = await recordAmendment(
    db,
    system(ctx),
    { signedOn: "2020-03-01", kind: "other", title: "Avenant de test", description: null, organisationIds: [], indicatorIds: [] },
    { field: "document", filename: "avenant.pdf", bytes: samplePdf() },
  );
  for (const org of [orgA, orgB]) await setOrganisationLogo(db, system(ctx), org.id, { field: "logo", filename: "logo.png", bytes: samplePng() });

  const users = {} as AccessFixtures["users"];
  const rows = {} as Record<Role, Awaited<ReturnType<typeof makeUser>>>;
  for (const role of roles) {
    rows[role] = await makeUser(db, role, orgA.id, { displayName: `${role} de A` });
    users[role] = { id: rows[role].id, cookie: await sessionCookie(rows[role].id) };
  }
  for (const [actor, role] of [
    ["withdrawn_correspondent", "partner_correspondent"],
    ["withdrawn_validator", "partner_validator"],
  ] as const) {
    const user = await makeUser(db, role, orgW.id);
    users[actor] = { id: user.id, cookie: await sessionCookie(user.id) };
  }
  const correspondentB = await makeUser(db, "partner_correspondent", orgB.id);
  const validatorB = await makeUser(db, "partner_validator", orgB.id);
  const actorA = asActor(rows.partner_correspondent);
  const actorB = asActor(correspondentB);

  // Art. 4: the members' workspace.
  const share = (actor: Actor, ownerOrganisationId: string, title: string) =>
    createWorkspaceDocument(db, userActor(actor, ctx), { title, summary: "", kind: "study", ownerOrganisationId, domains: [], sources: [] }, { field: "file", filename: "etude.pdf", bytes: samplePdf() }, true);
  const documentA = await share(actorA, orgA.id, "Étude de l'organisme A");
  const documentB = await share(actorB, orgB.id, "Étude de l'organisme B");
  // Art. 4: a workbook with a « Nom » column, held for the referent's review (only B's uploader and the referent see it).
  const heldWorkbook = zipSync({
    "[Content_Types].xml": strToU8("<Types/>"),
    "xl/workbook.xml": strToU8("<workbook/>"),
    "xl/worksheets/sheet1.xml": strToU8('<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Nom</t></is></c></row></sheetData></worksheet>'),
  });
  const heldDocumentB = await createWorkspaceDocument(
    db,
    userActor(actorB, ctx),
    { title: "Liste nominative de l'organisme B", summary: "", kind: "study", ownerOrganisationId: orgB.id, domains: [], sources: [] },
    { field: "file", filename: "liste.xlsx", bytes: heldWorkbook },
    true,
  );

  // Art. 5: two publications through the approval circuit.
  const query = parseExplorerQuery(new URLSearchParams(`indicator=${indicator.code}`))!;
  const publish = async (author: Actor, document: string, title: string) => {
    const { publicationId } = await addFrozenItem(db, author, "new", { query, title, kind: "table" });
    await attachDocument(db, author, publicationId, document);
    await submitPublication(db, author, publicationId);
    return publicationId;
  };
  const publicationA = await publish(actorA, documentA, "Publication de A");
  const publicationB = await publish(actorB, documentB, "Publication de B");
  const approvalsOf = (publicationId: string) =>
    db.selectFrom("publication_approval").select(["id", "organisation_id", "content_hash"]).where("publication_id", "=", publicationId).where("status", "=", "pending").execute();
  for (const approval of await approvalsOf(publicationB)) {
    const validator = approval.organisation_id === orgA.id ? asActor(rows.partner_validator) : asActor(validatorB);
    await decideApproval(db, validator, approval.id, { decision: "approve", contentHash: approval.content_hash });
  }
  await validatePublication(db, asActor(rows.odpe_referent), publicationB);
  const pendingA = await approvalsOf(publicationA);
  const approvalA = pendingA.find((a) => a.organisation_id === orgA.id)!.id;
  const approvalB = pendingA.find((a) => a.organisation_id === orgB.id)!.id;

  // Art. 3, 5: the annual dashboard, published, citing its contributors with their logos.
  const referent = asActor(rows.odpe_referent);
  const editionId = await createEdition(db, ctxActor, { year: closedYear, correctionNote: null });
  await saveEditionTexts(db, ctxActor, editionId, { foreword: "Avant-propos de l'édition de test de la matrice d'accès.", comments: {} });
  await transitionEdition(db, referent, editionId, "validate");
  await publishEdition(db, referent, editionId);
  const edition = await db.selectFrom("dashboard_edition").select(["number"]).where("id", "=", editionId).executeTakeFirstOrThrow();
  const draftId = await createEdition(db, ctxActor, { year: closedYear, correctionNote: "Correction préparée pour la matrice d'accès." });
  const draft = await db.selectFrom("dashboard_edition").select(["number"]).where("id", "=", draftId).executeTakeFirstOrThrow();
  const logo = await db.selectFrom("organisation").select("logo_file_id").where("id", "=", orgA.id).executeTakeFirstOrThrow();

  const tokenA = await makeApiToken(db, orgA.id, { createdBy: rows.partner_correspondent.id });
  const tokenB = await makeApiToken(db, orgB.id, { createdBy: correspondentB.id });
  const revoked = await makeApiToken(db, orgA.id, { createdBy: rows.partner_correspondent.id });
  await revokeApiToken(db, system(ctx), { organisationId: orgA.id, tokenId: revoked.id, revokedBy: rows.partner_correspondent.id });
  const withdrawnToken = await makeApiToken(db, orgW.id);
  await withdrawOrganisation(db, orgW.id);

  // Art. 2–3: governance records and an indicator proposal awaiting the signatories' opinions.
  const referentActor = actorFor(rows.odpe_referent, ctx);
  const meeting = await createMeeting(db, referentActor, { bodyCode: "comite_de_suivi", heldOn: "2025-06-12", title: "Comité de test", agenda: "Point 1" });
  await setMinutes(db, referentActor, meeting, { field: "minutes", filename: "compte-rendu.pdf", bytes: samplePdf() });
  const proposal = await createProposal(db, actorFor(rows.committee_member, ctx), {
    kind: "new",
    indicatorId: null,
    title: "Proposition de test",
    definition: "Définition",
    rationale: "Motif",
    organisationIds: [orgA.id, orgB.id],
  });

  const dataRequest = await createDataRequest(db, referentActor, {
    title: "Demande de test",
    question: "Combien ?",
    answerFormat: "file",
    dueOn: "2099-12-31",
    organisationIds: [orgA.id, orgB.id],
  });
  await answerDataRequest(db, actorFor(correspondentB, ctx), dataRequest, {
    comment: null,
    figures: "",
    file: { field: "file", filename: "reponse.pdf", bytes: samplePdf() },
  });

  const userB = await makeUser(db, "reader", orgB.id);
  const resetToken = await createPasswordResetLink(db, system(ctx), userB.id);

  return {
    year,
    closedYear,
    orgA,
    orgB,
    orgW,
    indicatorCode: indicator.code,
    versionA: acceptedA.versionId,
    versionB: acceptedB.versionId,
    internalVersionB: internalVersionB.id,
    workbookFileB: storedB.file_id,
    agreementA,
    agreementB,
    documentA,
    heldDocumentB,
    documentB,
    publicationA,
    publicationB,
    approvalA,
    approvalB,
    userB: userB.id,
    tokenA: tokenA.token,
    tokenB: tokenB.token,
    tokenBId: tokenB.id,
    revokedToken: revoked.token,
    withdrawnToken: withdrawnToken.token,
    logoFileA: logo.logo_file_id!,
    edition: { id: editionId, year: closedYear, number: edition.number },
    draftEdition: { id: draftId, number: draft.number },
    amendmentNumber: amendment.number,
    resetToken,
    meeting,
    proposal,
    dataRequest,
    users,
  };
}
