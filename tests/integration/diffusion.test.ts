import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeUser } from "../factories";
import { acceptValues, ensureCodelist, makeAgreement, makeIndicator, withdrawOrganisation, type TestIndicator } from "../factories/collection";
import { systemContext } from "~/server/audit/audit.server";
import { userActor, type UserActor } from "~/server/command.server";

/** A person acting in these tests. */
type Actor = UserActor & { id: string };
import { DomainError } from "~/server/errors.server";
import { addFrozenItem, attachDocument, createPublication, decideApproval, submitPublication, unpublishPublication, updatePublicationText, validatePublication } from "~/server/publications/publication-commands.server";
import { getExtranetPublication, getPublicationPage, listExtranetPublications } from "~/server/publications/publication-queries.server";
import { createWorkspaceDocument } from "~/server/workspace/workspace.server";
import { getPublicationRow, loadContent } from "~/server/publications/content.server";
import { computeLineage } from "~/server/publications/lineage.server";
import type { ExplorerQuery } from "~/domain/explorer";
import type { Role } from "~/domain/permissions";
import { SECRET_LABEL } from "~/domain/secrecy";

const t = useTestDb();
const audit = systemContext("test");

interface World {
  team: { id: string };
  caf: { id: string; name: string };
  dep: { id: string; name: string };
  tj: { id: string; name: string };
  asso: { id: string; name: string };
  studies: { id: string; name: string };
  referent: Actor;
  author: Actor;
  cafValidator: Actor;
  depValidator: Actor;
  cafCorrespondent: Actor;
  enf: TestIndicator;
  opp: TestIndicator;
  pop: TestIndicator;
}
let w: World;

async function actor(role: Role, organisationId: string, name: string): Promise<Actor> {
  const u = await makeUser(t.db, role, organisationId, { displayName: name });
  return { ...userActor({ id: u.id, role, organisationId, displayName: name }, audit), id: u.id };
}

const series = (indicator: string, organisations: string[] = []): ExplorerQuery => ({
  indicator,
  from: null,
  to: null,
  organisations,
  view: "series",
  year: null,
  rate: null,
});

beforeAll(async () => {
  const db = t.db;
  const team = await makeOrganisation(db, { code: "ODPE", isTeam: true, kind: "observatory" });
  const caf = await makeOrganisation(db, { code: "CAF", name: "CAF de la Loire" });
  const dep = await makeOrganisation(db, { code: "DEP", name: "Département de la Loire" });
  const tj = await makeOrganisation(db, { code: "TJ", name: "Tribunal judiciaire" });
  const asso = await makeOrganisation(db, { code: "ASSO", name: "Association de protection" });
  const studies = await makeOrganisation(db, { code: "UNIV", name: "Université Jean-Monnet" });
  await ensureCodelist(db, "SEXE", [
    ["F", "Fille"],
    ["M", "Garçon"],
  ]);
  const enf = await makeIndicator(db, { code: "ENF_SUIVIS", label: "Enfants suivis", breakdowns: ["SEXE"], providers: [caf.id, dep.id] });
  const opp = await makeIndicator(db, { code: "OPP_T", label: "Ordonnances de placement provisoire", providers: [tj.id] });
  const pop = await makeIndicator(db, { code: "POP_T", label: "Population des 0-17 ans", unit: "habitants", threshold: 0, domain: "CONTEXTE", providers: [dep.id] });
  await acceptValues(db, { organisationId: caf.id, year: 2023, indicator: enf, values: { "": 120, "SEXE=F": 60, "SEXE=M": 60 } });
  await acceptValues(db, { organisationId: caf.id, year: 2024, indicator: enf, values: { "": 130, "SEXE=F": 3, "SEXE=M": 127 } });
  await acceptValues(db, { organisationId: dep.id, year: 2023, indicator: enf, values: { "": 200, "SEXE=F": 90, "SEXE=M": 110 } });
  await acceptValues(db, { organisationId: dep.id, year: 2024, indicator: enf, values: { "": 210, "SEXE=F": 100, "SEXE=M": 110 } });
  await acceptValues(db, { organisationId: tj.id, year: 2024, indicator: opp, values: { "": 42 } });
  await acceptValues(db, { organisationId: dep.id, year: 2024, indicator: pop, values: { "": 184000 } });
  await acceptValues(db, { organisationId: dep.id, year: 2023, indicator: pop, values: { "": 183500 } });
  await makeAgreement(db, caf.id, [{ indicator: enf, usageRights: "with_approval" }]);
  await makeAgreement(db, dep.id, [
    { indicator: enf, usageRights: "with_approval" },
    { indicator: pop, usageRights: "open" },
  ]);
  await makeAgreement(db, tj.id, [{ indicator: opp, usageRights: "internal" }]);
  w = {
    team,
    caf,
    dep,
    tj,
    asso,
    studies,
    enf,
    opp,
    pop,
    referent: await actor("odpe_referent", team.id, "Camille Référente"),
    author: await actor("partner_correspondent", asso.id, "Alex Auteur"),
    cafValidator: await actor("partner_validator", caf.id, "Valérie CAF"),
    depValidator: await actor("partner_validator", dep.id, "Victor Département"),
    cafCorrespondent: await actor("partner_correspondent", caf.id, "Chloé CAF"),
  };
  await actor("partner_validator", tj.id, "Tristan Tribunal");
});

async function publicationWith(queries: ExplorerQuery[], title = "Étude sur les enfants suivis") {
  const id = await createPublication(t.db, w.author, { title, audience: "extranet", body: "Premiers résultats de l'observatoire." });
  for (const [i, query] of queries.entries()) await addFrozenItem(t.db, w.author, id, { query, title: `Tableau ${i + 1}`, kind: "chart" });
  return id;
}

async function pendingApproval(publicationId: string, organisationId: string) {
  return t.db
    .selectFrom("publication_approval")
    .select(["id", "content_hash"])
    .where("publication_id", "=", publicationId)
    .where("organisation_id", "=", organisationId)
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
}

async function approve(publicationId: string, validator: Actor) {
  const a = await pendingApproval(publicationId, validator.organisationId);
  return decideApproval(t.db, validator, a.id, { decision: "approve", contentHash: a.content_hash });
}

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

const statusOf = async (id: string) => (await getPublicationRow(t.db, id)).status;

describe("Art. 5 — lineage is computed, never typed", () => {
  it("Art. 5: lineage on mixed sources = organisations of the frozen values (through their submissions) + owners of attached documents", async () => {
    const docId = await createWorkspaceDocument(
      t.db,
      userActor({ id: w.referent.id, displayName: "Camille Référente", role: "odpe_referent", organisationId: w.team.id }, audit),
      { title: "Étude universitaire sur les placements", summary: "Analyse qualitative.", kind: "study", ownerOrganisationId: w.studies.id, domains: [], sources: [] },
      { field: "file", filename: "etude.pdf", bytes: new TextEncoder().encode("%PDF-1.7\n% test\n") },
      true,
    );
    const id = await publicationWith([series("ENF_SUIVIS")]);
    await attachDocument(t.db, w.author, id, docId);
    const page = await getPublicationPage(t.db, id);
    expect(page.lineage.map((s) => s.code).sort()).toEqual(["CAF", "DEP", "UNIV"]);
    const caf = page.lineage.find((s) => s.code === "CAF")!;
    expect(caf.uses).toEqual([{ indicatorCode: "ENF_SUIVIS", indicatorLabel: "Enfants suivis", years: [2023, 2024], usageRights: "with_approval" }]);
    expect(page.lineage.find((s) => s.code === "UNIV")!.documents.map((d) => d.title)).toEqual(["Étude universitaire sur les placements"]);
    expect(page.lineage.every((s) => s.requirement === "approval")).toBe(true);
    expect(page.external.sources).toBe(
      "Sources : CAF de la Loire (données 2023 et 2024) ; Département de la Loire (données 2023 et 2024) ; Université Jean-Monnet (document « Étude universitaire sur les placements »)",
    );
  });

  it("Art. 5: lineage follows the submission the value was accepted from, not a label the snapshot carries", async () => {
    const id = await publicationWith([series("ENF_SUIVIS", [w.caf.id])]);
    // Tampering with the snapshot's organisation list does not change the lineage.
    const item = await t.db.selectFrom("publication_item").select(["id", "snapshot"]).where("publication_id", "=", id).executeTakeFirstOrThrow();
    const snapshot = (typeof item.snapshot === "string" ? JSON.parse(item.snapshot) : item.snapshot) as { values: { organisationId: string }[] };
    for (const v of snapshot.values) v.organisationId = w.asso.id;
    await t.db.updateTable("publication_item").set({ snapshot: JSON.stringify(snapshot) }).where("id", "=", item.id).execute();
    const lineage = await computeLineage(t.db, await loadContent(t.db, await getPublicationRow(t.db, id)));
    expect(lineage.map((s) => s.code)).toEqual(["CAF"]);
  });
});

describe("Art. 5 — prior approval of every source", () => {
  it("Art. 5: publishing is impossible while one source's approval is missing", async () => {
    const id = await publicationWith([series("ENF_SUIVIS")]);
    const submitted = await submitPublication(t.db, w.author, id);
    expect(submitted.asked.sort()).toEqual(["CAF de la Loire", "Département de la Loire"]);
    expect(submitted.status).toBe("awaiting_sources");
    await approve(id, w.cafValidator);
    expect(await statusOf(id)).toBe("awaiting_sources");
    const error = await domainError(validatePublication(t.db, w.referent, id));
    expect(error.code).toBe("conflict");
    // Even if the status were forced, the referent's validation checks the approvals of this exact content.
    await t.db.updateTable("publication").set({ status: "awaiting_referent" }).where("id", "=", id).execute();
    const forced = await domainError(validatePublication(t.db, w.referent, id));
    expect(forced.message).toMatch(/l'accord préalable de Département de la Loire manque/);
    expect(await statusOf(id)).toBe("awaiting_referent");
    expect((await listExtranetPublications(t.db)).map((p) => p.id)).not.toContain(id);
  });

  it("Art. 5: one refusal is enough: back to draft, the reason reaches the author, publishing stays impossible", async () => {
    const id = await publicationWith([series("ENF_SUIVIS")]);
    await submitPublication(t.db, w.author, id);
    await approve(id, w.cafValidator);
    const dep = await pendingApproval(id, w.dep.id);
    const short = await domainError(decideApproval(t.db, w.depValidator, dep.id, { decision: "refuse", contentHash: dep.content_hash, reason: "" }));
    expect(short.code).toBe("validation");
    await decideApproval(t.db, w.depValidator, dep.id, { decision: "refuse", contentHash: dep.content_hash, reason: "Chiffres 2024 provisoires, à ne pas diffuser." });
    expect(await statusOf(id)).toBe("draft");
    const page = await getPublicationPage(t.db, id);
    expect(page.approvals.find((a) => a.organisation_id === w.dep.id)?.reason).toBe("Chiffres 2024 provisoires, à ne pas diffuser.");
    const note = await t.db.selectFrom("notification").select(["body", "link"]).where("user_id", "=", w.author.id).where("kind", "=", "publication.refused").executeTakeFirstOrThrow();
    expect(note.body).toContain("Chiffres 2024 provisoires");
    expect(note.link).toBe(`/publications/${id}`);

    // Resubmitted unchanged: the CAF's approval of this same content is reused, the Département is asked again.
    const again = await submitPublication(t.db, w.author, id);
    expect(again.asked).toEqual(["Département de la Loire"]);
    await t.db.updateTable("publication").set({ status: "awaiting_referent" }).where("id", "=", id).execute();
    expect((await domainError(validatePublication(t.db, w.referent, id))).message).toMatch(/Département de la Loire/);
  });

  it("Art. 5: any change to the content after an approval invalidates every approval and says so", async () => {
    const id = await publicationWith([series("ENF_SUIVIS")]);
    await submitPublication(t.db, w.author, id);
    await approve(id, w.cafValidator);
    const dep = await pendingApproval(id, w.dep.id);
    const result = await updatePublicationText(t.db, w.author, id, { title: "Étude sur les enfants suivis", audience: "extranet", body: "Texte corrigé après l'accord." });
    expect(result.invalidated).toEqual(["CAF de la Loire", "Département de la Loire"]);
    expect(await statusOf(id)).toBe("draft");
    const approvals = await t.db.selectFrom("publication_approval").select(["status", "close_reason"]).where("publication_id", "=", id).execute();
    expect(approvals.map((a) => a.status).sort()).toEqual(["invalidated", "invalidated"]);
    expect(approvals[0]!.close_reason).toMatch(/Le contenu a été modifié/);
    const page = await getPublicationPage(t.db, id);
    expect(page.invalidatedSinceSubmit.sort()).toEqual(["CAF de la Loire", "Département de la Loire"]);
    expect(page.events.some((e) => e.transition === "approvals_invalidated")).toBe(true);
    // The old request cannot be decided any more, whatever hash is sent.
    const late = await domainError(decideApproval(t.db, w.depValidator, dep.id, { decision: "approve", contentHash: dep.content_hash }));
    expect(late.code).toBe("conflict");
    expect(late.message).toMatch(/n'attend plus de décision : son état est « Invalidé \(contenu modifié\) » \(règle « statut de départ »\)/);
    // The CAF validator is told its approval no longer holds.
    const told = await t.db.selectFrom("notification").select("kind").where("user_id", "=", w.cafValidator.id).where("kind", "=", "publication.approval_invalidated").execute();
    expect(told.length).toBeGreaterThan(0);
    // Resubmitting asks both again, for the new content.
    expect((await submitPublication(t.db, w.author, id)).asked.sort()).toEqual(["CAF de la Loire", "Département de la Loire"]);
  });

  it("Art. 5: a validator decides on exactly the content shown (content hash)", async () => {
    const id = await publicationWith([series("ENF_SUIVIS", [w.caf.id])]);
    await submitPublication(t.db, w.author, id);
    const a = await pendingApproval(id, w.caf.id);
    const wrong = await domainError(decideApproval(t.db, w.cafValidator, a.id, { decision: "approve", contentHash: "0".repeat(64) }));
    expect(wrong.message).toMatch(/Le contenu a changé/);
    const otherOrg = await domainError(decideApproval(t.db, w.depValidator, a.id, { decision: "approve", contentHash: a.content_hash }));
    expect(otherOrg.code).toBe("forbidden");
  });

  it("Art. 5: with every approval, the referent validates and the publication reaches the extranet with its sources", async () => {
    const id = await publicationWith([series("ENF_SUIVIS")], "Les enfants suivis en 2023 et 2024");
    await submitPublication(t.db, w.author, id);
    await approve(id, w.cafValidator);
    expect(await statusOf(id)).toBe("awaiting_sources");
    await approve(id, w.depValidator);
    expect(await statusOf(id)).toBe("awaiting_referent");
    const referentTold = await t.db.selectFrom("notification").select("kind").where("user_id", "=", w.referent.id).where("kind", "=", "publication.awaiting_referent").execute();
    expect(referentTold.length).toBeGreaterThan(0);
    await validatePublication(t.db, w.referent, id);
    expect(await statusOf(id)).toBe("published");
    const listed = (await listExtranetPublications(t.db)).find((p) => p.id === id)!;
    expect(listed.sources).toBe("Sources : CAF de la Loire (données 2023 et 2024) ; Département de la Loire (données 2023 et 2024)");
    expect(listed.contributors.map((c) => c.name)).toEqual(["CAF de la Loire", "Département de la Loire"]);
    // Unpublishing keeps the history and the published content.
    // Unpublishing says why (rule « motif obligatoire »), and only what is online is unpublished (« statut de départ »).
    const noReason = await domainError(unpublishPublication(t.db, w.referent, id, "  "));
    expect(noReason.code).toBe("validation");
    expect(noReason.message).toMatch(/\(règle « motif obligatoire »\)/);
    await unpublishPublication(t.db, w.referent, id, "Remplacée par l'édition annuelle.");
    const twice = await domainError(unpublishPublication(t.db, w.referent, id, "Encore."));
    expect(twice.code).toBe("conflict");
    expect(twice.message).toMatch(/\(règle « statut de départ »\)/);
    expect(await statusOf(id)).toBe("unpublished");
    expect((await listExtranetPublications(t.db)).map((p) => p.id)).not.toContain(id);
    await expect(getExtranetPublication(t.db, id)).rejects.toThrow(DomainError);
    const events = await t.db.selectFrom("publication_event").select(["transition", "content"]).where("publication_id", "=", id).orderBy("id").execute();
    expect(events.map((e) => e.transition)).toEqual(["created", "submit", "sources_approved", "validate", "unpublish"]);
    expect(events.find((e) => e.transition === "validate")!.content).toBeTruthy();
  });

  it("Art. 5 and agreements: an `internal` indicator blocks external diffusion outright, with an explanation", async () => {
    const id = await publicationWith([series("OPP_T")], "Les ordonnances de placement");
    const error = await domainError(submitPublication(t.db, w.author, id));
    expect(error.message).toMatch(/Diffusion externe impossible : « Ordonnances de placement provisoire » \(OPP_T\) de Tribunal judiciaire est réservé à un usage interne/);
    expect(await statusOf(id)).toBe("draft");
    const page = await getPublicationPage(t.db, id);
    expect(page.lineage[0]!.requirement).toBe("blocked");
    expect(page.clearanceMessage).toMatch(/usage interne/);
    const approvals = await t.db.selectFrom("publication_approval").select("id").where("publication_id", "=", id).execute();
    expect(approvals).toEqual([]);
  });

  it("Art. 5 and agreements: an `open` indicator needs no approval (straight to the referent)", async () => {
    const id = await publicationWith([series("POP_T")], "La population des mineurs");
    const submitted = await submitPublication(t.db, w.author, id);
    expect(submitted.asked).toEqual([]);
    expect(submitted.status).toBe("awaiting_referent");
    const page = await getPublicationPage(t.db, id);
    expect(page.lineage.map((s) => [s.code, s.requirement])).toEqual([["DEP", "open"]]);
    await validatePublication(t.db, w.referent, id);
    expect(await statusOf(id)).toBe("published");
  });

  it("Art. 5 and 7: a withdrawn partner's data still need its approval outside, and its validator still gives it", async () => {
    const leaving = await makeOrganisation(t.db, { code: "LVA", name: "Lieu de vie parti" });
    const places = await makeIndicator(t.db, { code: "PLACES_T", label: "Places en lieu de vie", providers: [leaving.id] });
    await acceptValues(t.db, { organisationId: leaving.id, year: 2023, indicator: places, values: { "": 12 } });
    const validator = await actor("partner_validator", leaving.id, "Vincent Lieu de vie");
    await withdrawOrganisation(t.db, leaving.id);
    const id = await publicationWith([series("PLACES_T")], "Les places en lieu de vie");
    const submitted = await submitPublication(t.db, w.author, id);
    expect(submitted.asked).toEqual(["Lieu de vie parti"]);
    const page = await getPublicationPage(t.db, id);
    expect(page.lineage[0]).toMatchObject({ code: "LVA", withdrawn: true, requirement: "approval" });
    // The validator of the withdrawn organisation is told, and decides.
    const told = await t.db.selectFrom("notification").select("kind").where("user_id", "=", validator.id).where("kind", "=", "publication.approval_requested").execute();
    expect(told).toHaveLength(1);
    await approve(id, { ...validator, organisationWithdrawn: true });
    expect(await statusOf(id)).toBe("awaiting_referent");
  });
});

describe("Art. 5 — mutual information", () => {
  it("Art. 5: the correspondents of each other source organisation are told once, with a link to the draft", async () => {
    const id = await publicationWith([series("ENF_SUIVIS", [w.caf.id])], "Brouillon utilisant les données de la CAF");
    const notes = await t.db.selectFrom("notification").select(["title", "link"]).where("user_id", "=", w.cafCorrespondent.id).where("link", "=", `/publications/${id}`).execute();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.title).toMatch(/Vos données sont utilisées/);
    const mails = await t.db.selectFrom("outbox_mail").select(["text_body", "to_addresses"]).where("kind", "=", "mutual_information").execute();
    expect(mails.some((m) => m.text_body.includes(`/publications/${id}`))).toBe(true);
    // A second table from the same source tells nobody again; validators are not told of drafts.
    await addFrozenItem(t.db, w.author, id, { query: { ...series("ENF_SUIVIS", [w.caf.id]), view: "breakdown" }, title: "Ventilation", kind: "table" });
    expect(await t.db.selectFrom("notification").select("id").where("user_id", "=", w.cafCorrespondent.id).where("link", "=", `/publications/${id}`).execute()).toHaveLength(1);
    expect(await t.db.selectFrom("notification").select("id").where("user_id", "=", w.cafValidator.id).where("link", "=", `/publications/${id}`).execute()).toHaveLength(0);
  });

  it("Art. 5: a study shared in the workspace tells the organisations whose data it declares", async () => {
    const docId = await createWorkspaceDocument(
      t.db,
      userActor(w.author, audit),
      { title: "Étude des suivis CAF", summary: "", kind: "study", ownerOrganisationId: w.asso.id, domains: [], sources: [w.caf.id] },
      { field: "file", filename: "etude.pdf", bytes: new TextEncoder().encode("%PDF-1.4\n") },
      true,
    );
    const notes = await t.db.selectFrom("notification").select("link").where("user_id", "=", w.cafCorrespondent.id).where("link", "=", `/workspace/${docId}`).execute();
    expect(notes).toHaveLength(1);
  });
});

describe("Art. 3 and 5 — statistical secrecy at the gate", () => {
  it("Art. 5: the extranet shows masked cells as « s » with secondary suppression; the internal page keeps true values", async () => {
    const query: ExplorerQuery = { ...series("ENF_SUIVIS"), view: "breakdown", year: 2024 };
    const id = await publicationWith([query], "Ventilation par sexe 2024");
    await submitPublication(t.db, w.author, id);
    await approve(id, w.cafValidator);
    await approve(id, w.depValidator);
    await validatePublication(t.db, w.referent, id);
    const published = await getExtranetPublication(t.db, id);
    const table = published.rendered.items[0]!.table;
    const cell = (row: string, col: string) => table.rows.find((r) => r.id === row)!.cells.find((c) => c.id === `${row}@${col}`)!;
    // CAF girls 2024 = 3 (< 5): primary; CAF boys 127 would give it back from the CAF total 130: secondary.
    expect(cell("SEXE=F", w.caf.id)).toMatchObject({ value: SECRET_LABEL, masked: true });
    expect(cell("SEXE=M", w.caf.id).value).toBe(SECRET_LABEL);
    // The girls' row total (103) would give it back too: a second cell is masked in that row.
    const girls = table.rows.find((r) => r.id === "SEXE=F")!;
    expect(girls.cells.filter((c) => c.value === SECRET_LABEL).length).toBeGreaterThanOrEqual(2);
    // No true small count reaches the public rendering.
    expect(JSON.stringify(published)).not.toMatch(/"value":3[,}]/);
    expect(table.notes.join(" ")).toMatch(/s : secret statistique/);
    const internal = (await getPublicationPage(t.db, id)).internal.items[0]!.table;
    expect(internal.rows.find((r) => r.id === "SEXE=F")!.cells.find((c) => c.id === `SEXE=F@${w.caf.id}`)!.value).toBe(3);
  });

  it("Art. 5: a draft never reaches the extranet", async () => {
    const id = await publicationWith([series("POP_T")], "Brouillon non publié");
    await expect(getExtranetPublication(t.db, id)).rejects.toThrow(/n'existe pas/);
  });
});
