import { beforeAll, describe, expect, it } from "vitest";
import { zipSync, strToU8 } from "fflate";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { runRoute } from "../factories/referential";
import * as fileRoute from "~/routes/workspace.$id.file";
import * as indexRoute from "~/routes/workspace._index";
import * as heldRoute from "~/routes/workspace.held";
import ExcelJS from "exceljs";
import { ensureDomain } from "../factories/collection";
import { systemContext } from "~/server/audit/audit.server";
import { DomainError } from "~/server/errors.server";
import {
  addWorkspaceVersion,
  createWorkspaceDocument,
  deleteHeldVersion,
  getWorkspaceDocument,
  getWorkspaceFile,
  listHeldVersions,
  listWorkspaceDocuments,
  releaseHeldVersion,
} from "~/server/workspace/workspace.server";
import { userActor, type UserActor } from "~/server/command.server";
import { checkWorkspaceFile } from "~/server/workspace/sniff.server";
import type { Upload } from "~/server/http/uploads.server";
import { WORKSPACE_MAX_BYTES } from "~/domain/workspace";

const t = useTestDb();
const audit = systemContext("test");
let author: UserActor & { id: string };
let other: UserActor & { id: string };
let referent: UserActor & { id: string };
let orgId: string;
let otherOrgId: string;

const pdf = (text = "") => ({ field: "file", filename: "etude.pdf", bytes: new TextEncoder().encode(`%PDF-1.7\n${text}\n%%EOF`) });
const ooxml = (main: string, extra: Record<string, string> = {}) =>
  zipSync({ "[Content_Types].xml": strToU8("<Types/>"), [main]: strToU8("<x/>"), ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, strToU8(v)])) });

beforeAll(async () => {
  const org = await makeOrganisation(t.db, { name: "Association Sauvegarde" });
  const org2 = await makeOrganisation(t.db, { name: "CAF de la Loire" });
  orgId = org.id;
  otherOrgId = org2.id;
  const u = await makeUser(t.db, "partner_correspondent", org.id);
  const u2 = await makeUser(t.db, "partner_correspondent", org2.id);
  author = { ...userActor({ id: u.id, role: "partner_correspondent", organisationId: org.id, displayName: "Auteur" }, audit), id: u.id };
  other = { ...userActor({ id: u2.id, role: "partner_correspondent", organisationId: org2.id, displayName: "Autre" }, audit), id: u2.id };
  const team = await makeOrganisation(t.db, { name: "Équipe ODPE" });
  const r = await makeUser(t.db, "odpe_referent", team.id);
  referent = { ...userActor({ id: r.id, role: "odpe_referent", organisationId: team.id, displayName: "Référent" }, audit), id: r.id };
  await ensureDomain(t.db, "ACCUEIL", "Capacités d'accueil");
});

async function share(title: string, summary: string, upload: Upload = pdf()) {
  return createWorkspaceDocument(t.db, author, { title, summary, kind: "study", ownerOrganisationId: orgId, domains: ["ACCUEIL"], sources: [] }, upload, true);
}

describe("Art. 4 — the shared workspace", () => {
  it("file types are told by the bytes: PDF, Office Open XML, OpenDocument, images; others refused", () => {
    expect(checkWorkspaceFile(pdf()).contentType).toBe("application/pdf");
    expect(checkWorkspaceFile({ field: "f", filename: "x.bin", bytes: ooxml("word/document.xml") }).contentType).toBe(
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    );
    expect(checkWorkspaceFile({ field: "f", filename: "x", bytes: ooxml("xl/workbook.xml") }).label).toBe("Excel");
    const odt = zipSync({ mimetype: [strToU8("application/vnd.oasis.opendocument.text"), { level: 0 }], "content.xml": strToU8("<x/>") });
    expect(checkWorkspaceFile({ field: "f", filename: "x.odt", bytes: odt }).contentType).toBe("application/vnd.oasis.opendocument.text");
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    expect(checkWorkspaceFile({ field: "f", filename: "graphique.pdf", bytes: png }).contentType).toBe("image/png");
    // A script renamed .pdf, an executable, a zip that is not an Office file, a macro-enabled workbook: refused.
    for (const bytes of [new TextEncoder().encode("<script>alert(1)</script>"), new Uint8Array([0x4d, 0x5a, 0x90, 0]), zipSync({ "a.txt": strToU8("x") })]) {
      expect(() => checkWorkspaceFile({ field: "file", filename: "rapport.pdf", bytes })).toThrow(/n'est pas accepté/);
    }
    expect(() => checkWorkspaceFile({ field: "file", filename: "x.xlsm", bytes: ooxml("xl/workbook.xml", { "xl/vbaProject.bin": "x" }) })).toThrow(/macros/);
  });

  it("the size is capped and an empty file refused, with a French message on the field", () => {
    const big = new Uint8Array(WORKSPACE_MAX_BYTES + 1);
    big.set(new TextEncoder().encode("%PDF-"));
    try {
      checkWorkspaceFile({ field: "file", filename: "gros.pdf", bytes: big });
      throw new Error("not refused");
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).fieldErrors.file?.[0]).toMatch(/taille autorisée \(20,0 Mo au plus/);
    }
    expect(() => checkWorkspaceFile({ field: "file", filename: "vide.pdf", bytes: new Uint8Array() })).toThrow(/vide/);
  });

  it("versions are kept: a new version never overwrites the previous one", async () => {
    const id = await share("Rapport d'activité des MECS", "Bilan annuel");
    expect(await addWorkspaceVersion(t.db, author, id, pdf("version 2"), "Chiffres corrigés", true)).toMatchObject({ number: 2, held: false });
    const doc = await getWorkspaceDocument(t.db, id);
    expect(doc.versions.map((v) => [v.number, v.note])).toEqual([
      [2, "Chiffres corrigés"],
      [1, null],
    ]);
    expect((await getWorkspaceFile(t.db, id, 1)).content.toString()).not.toContain("version 2");
    expect((await getWorkspaceFile(t.db, id, null)).content.toString()).toContain("version 2");
    const audited = await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", id).execute();
    expect(audited.map((a) => a.action).sort()).toEqual(["workspace.document_shared", "workspace.version_added"]);
  });

  it("a document is always downloaded, named with the extension of its sniffed type (a PDF named a.html is a.pdf) — ADR 017", async () => {
    const id = await share("Note technique XJ", "Fichier renommé", { ...pdf("déguisé"), filename: "a.html" });
    const cookie = await sessionCookie(author.id);
    const result = await runRoute(fileRoute.loader, makeRequest(`/workspace/${id}/file`, { cookie }), { id });
    expect(result.status).toBe(200);
    const headers = result.response!.headers;
    expect(headers.get("Content-Type")).toBe("application/pdf");
    expect(headers.get("Content-Disposition")).toMatch(/^attachment; filename="a\.pdf"; filename\*=UTF-8''a\.pdf$/);
    expect(headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("only the owner organisation's members add versions or share in its name", async () => {
    const id = await share("Note interne", "");
    await expect(addWorkspaceVersion(t.db, other, id, pdf(), null, true)).rejects.toMatchObject({ code: "forbidden" });
    await expect(
      createWorkspaceDocument(t.db, other, { title: "Usurpation", summary: "", kind: "other", ownerOrganisationId: orgId, domains: [], sources: [] }, pdf(), true),
    ).rejects.toMatchObject({ code: "forbidden" });
    const visible = await listWorkspaceDocuments(t.db);
    expect(visible.some((d) => d.id === id)).toBe(true);
    expect(otherOrgId).toBeTruthy();
  });

  it("full-text search in French: stems, ignores accents and stop words, over titles and summaries", async () => {
    const a = await share("Étude sur les placements en établissement", "Analyse des enfants confiés à l'aide sociale à l'enfance.");
    const b = await share("Bilan des actions de prévention", "Visites à domicile de la PMI et entretiens prénataux.");
    const ids = async (q: string) => (await listWorkspaceDocuments(t.db, { q })).map((d) => d.id);
    expect(await ids("placement")).toEqual([a]); // plural in the title
    expect(await ids("etude")).toEqual([a]); // without the accent
    expect(await ids("ÉTABLISSEMENTS")).toEqual([a]);
    expect(await ids("visite domicile")).toEqual([b]); // summary, singular
    expect(await ids("prevention -placement")).toEqual([b]);
    expect(await ids("de la et du")).toEqual([]); // stop words only
    expect(await ids("licorne")).toEqual([]);
    expect((await listWorkspaceDocuments(t.db, { domain: "ACCUEIL" })).length).toBeGreaterThanOrEqual(2);
  });
});

async function xlsx(rows: unknown[][], sheet = "Suivi"): Promise<Upload> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheet);
  for (const row of rows) ws.addRow(row);
  return { field: "file", filename: "tableau.xlsx", bytes: new Uint8Array(await wb.xlsx.writeBuffer()) };
}

const actionsOf = async (id: string) =>
  (await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", id).orderBy("id").execute()).map((a) => a.action);

describe("Art. 4 — only anonymised data are shared in the workspace", () => {
  it("Art. 4: an upload without the anonymisation confirmation is refused (422, French message) and the refusal audited", async () => {
    const before = await t.db.selectFrom("audit_event").select("id").where("action", "=", "workspace.upload_refused").execute();
    await expect(
      createWorkspaceDocument(t.db, author, { title: "Sans confirmation", summary: "", kind: "study", ownerOrganisationId: orgId, domains: [], sources: [] }, pdf(), false),
    ).rejects.toMatchObject({ code: "validation", status: 422, fieldErrors: { anonymisedConfirmed: [expect.stringMatching(/anonymisées/)] } });
    const id = await share("Document confirmé", "");
    await expect(addWorkspaceVersion(t.db, author, id, pdf("v2"), null, false)).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/art\. 4/) });
    expect((await getWorkspaceDocument(t.db, id)).versions).toHaveLength(1);
    expect(await actionsOf(id)).toEqual(["workspace.document_shared", "workspace.upload_refused"]);
    const after = await t.db.selectFrom("audit_event").select("id").where("action", "=", "workspace.upload_refused").execute();
    expect(after.length - before.length).toBe(2);
    expect(await listWorkspaceDocuments(t.db, { q: "Sans confirmation" })).toEqual([]);

    // Through the page: the box unticked → 422 with the message on the field.
    const form = new FormData();
    for (const [k, v] of Object.entries({ title: "Par le formulaire", summary: "", kind: "study", ownerOrganisationId: orgId })) form.set(k, v);
    form.set("file", new File([pdf().bytes as BlobPart], "etude.pdf", { type: "application/pdf" }));
    const request = () => new Request("http://localhost/workspace", { method: "POST", headers: { Origin: "http://localhost", Cookie: cookie }, body: form });
    const cookie = await sessionCookie(author.id);
    const refused = await runRoute(indexRoute.action, request());
    expect(refused.status).toBe(422);
    expect((refused.data as { fieldErrors: Record<string, string[]> }).fieldErrors.anonymisedConfirmed?.[0]).toMatch(/anonymisées/);
    form.set("anonymisedConfirmed", "on");
    const accepted = await runRoute(indexRoute.action, request());
    expect(accepted.status).toBe(302);
  });

  it("Art. 4: a workbook with « Nom » and « Date de naissance » columns is held: invisible to other members, visible to its uploader and the referent, who is told", async () => {
    const upload = await xlsx([
      ["Nom", "Date de naissance", "Mesure"],
      ["Dupont", new Date("2012-03-04"), "AEMO"],
    ]);
    const id = await share("Suivi nominatif des mesures", "Tableau de suivi", upload);
    // Other members: not listed, not found, no file.
    expect((await listWorkspaceDocuments(t.db)).some((d) => d.id === id)).toBe(false);
    await expect(getWorkspaceDocument(t.db, id, other)).rejects.toMatchObject({ code: "not_found" });
    await expect(getWorkspaceFile(t.db, id, 1, other)).rejects.toMatchObject({ code: "not_found" });
    await expect(getWorkspaceFile(t.db, id, null, author)).rejects.toMatchObject({ code: "not_found" }); // no current version yet
    // The uploader sees it, with the French explanation; so does the referent.
    const mine = await getWorkspaceDocument(t.db, id, author);
    expect(mine.versions[0]).toMatchObject({ number: 1, held: true });
    expect(mine.versions[0]!.holdFindings.map((f) => f.explanation)).toContain(
      "Feuille « Suivi », colonne A (A1) : l'intitulé « Nom » désigne une donnée personnelle (nom).",
    );
    expect(JSON.stringify(mine.versions[0]!.holdFindings)).not.toContain("Dupont");
    expect((await getWorkspaceFile(t.db, id, 1, author)).sizeBytes).toBe(upload.bytes.byteLength);
    expect((await getWorkspaceFile(t.db, id, 1, referent)).sizeBytes).toBe(upload.bytes.byteLength);
    expect((await getWorkspaceDocument(t.db, id, referent)).versions).toHaveLength(1);
    const held = (await listHeldVersions(t.db)).find((v) => v.document_id === id)!;
    expect(held.findings.map((f) => f.kind)).toEqual(["header", "header", "birth_date"]);
    expect(await actionsOf(id)).toEqual(["workspace.document_shared", "workspace.version_held"]);
    const told = await t.db.selectFrom("notification").select(["title", "link"]).where("user_id", "=", referent.id).where("link", "=", "/workspace/held").execute();
    expect(told.map((n) => n.title)).toContain("Version retenue pour vérification : « Suivi nominatif des mesures »");

    // Released (with a reason): visible to all, current version; the uploader is told.
    await expect(releaseHeldVersion(t.db, author, held.id, "Je le veux")).rejects.toMatchObject({ code: "forbidden" });
    await expect(releaseHeldVersion(t.db, referent, held.id, "  ")).rejects.toMatchObject({ code: "validation", fieldErrors: { reason: [expect.any(String)] } });
    await releaseHeldVersion(t.db, referent, held.id, "Noms fictifs d'un jeu d'essai, vérifié avec l'auteur.");
    expect((await listWorkspaceDocuments(t.db)).some((d) => d.id === id)).toBe(true);
    expect((await getWorkspaceDocument(t.db, id, other)).versions.map((v) => [v.number, v.held])).toEqual([[1, false]]);
    expect((await getWorkspaceFile(t.db, id, null, other)).sizeBytes).toBe(upload.bytes.byteLength);
    await expect(releaseHeldVersion(t.db, referent, held.id, "encore")).rejects.toMatchObject({ code: "conflict" });
    expect(await actionsOf(id)).toEqual(["workspace.document_shared", "workspace.version_held", "workspace.hold_released"]);
    const uploaderTold = await t.db.selectFrom("notification").select("title").where("user_id", "=", author.id).where("link", "=", `/workspace/${id}`).execute();
    expect(uploaderTold.map((n) => n.title)).toContain("Version libérée : « Suivi nominatif des mesures »");
  });

  it("Art. 4: a held new version leaves the previous one current for others; deleted, it is gone (file too) and the deletion audited", async () => {
    const id = await share("Tableau des places", "", await xlsx([["Code", "Places"], ["ACC-01", 120]]));
    const added = await addWorkspaceVersion(t.db, author, id, await xlsx([["Prénom", "Courriel"], ["Léa", "lea.martin@exemple.fr"]]), "Ajout des contacts", true);
    expect(added).toMatchObject({ number: 2, held: true });
    expect(added.findings.map((f) => f.explanation).join("\n")).not.toContain("martin");
    expect((await getWorkspaceDocument(t.db, id, other)).versions.map((v) => v.number)).toEqual([1]);
    expect((await getWorkspaceDocument(t.db, id, author)).versions.map((v) => [v.number, v.held])).toEqual([
      [2, true],
      [1, false],
    ]);
    const current = await getWorkspaceFile(t.db, id, null, other);
    expect(current.filename).toBe("tableau.xlsx");
    await expect(getWorkspaceFile(t.db, id, 2, other)).rejects.toMatchObject({ code: "not_found" });
    const held = (await listHeldVersions(t.db)).find((v) => v.document_id === id)!;
    const fileId = (await t.db.selectFrom("workspace_document_version").select("file_id").where("id", "=", held.id).executeTakeFirstOrThrow()).file_id;

    // The referent deletes it through the page (reason required).
    const cookie = await sessionCookie(referent.id);
    const post = (form: Record<string, string>) => runRoute(heldRoute.action, makeRequest("/workspace/held", { cookie, form }));
    expect((await post({ versionId: held.id, intent: "delete", reason: "" })).status).toBe(422);
    expect((await post({ versionId: held.id, intent: "delete", reason: "Contient des prénoms et courriels de jeunes suivis." })).status).toBe(200);
    expect((await getWorkspaceDocument(t.db, id, author)).versions.map((v) => v.number)).toEqual([1]);
    expect(await t.db.selectFrom("stored_file").select("id").where("id", "=", fileId).executeTakeFirst()).toBeUndefined();
    expect((await listHeldVersions(t.db)).some((v) => v.id === held.id)).toBe(false);
    const events = await t.db.selectFrom("audit_event").select(["action", "details"]).where("entity_id", "=", id).orderBy("id").execute();
    expect(events.map((e) => e.action)).toEqual(["workspace.document_shared", "workspace.version_added", "workspace.version_held", "workspace.hold_deleted"]);
    expect(events[3]!.details).toMatchObject({ number: 2, reason: "Contient des prénoms et courriels de jeunes suivis.", documentDeleted: false });
  });

  it("Art. 4: a held first version deleted takes its document with it", async () => {
    const id = await share("Liste des jeunes", "", await xlsx([["NIR"], ["1 85 05 78 006 084 91"]]));
    const held = (await listHeldVersions(t.db)).find((v) => v.document_id === id)!;
    expect(held.findings.map((f) => f.kind).sort()).toEqual(["header", "nir"]);
    await deleteHeldVersion(t.db, referent, held.id, "Numéros de sécurité sociale.");
    await expect(getWorkspaceDocument(t.db, id, referent)).rejects.toMatchObject({ code: "not_found" });
    expect(await actionsOf(id)).toEqual(["workspace.document_shared", "workspace.version_held", "workspace.hold_deleted"]);
  });

  it("Art. 4: a clean workbook (indicators, years, codes) goes straight through", async () => {
    const id = await share("Capacités d'accueil 2023", "", await xlsx([
      ["Code", "Nom de l'indicateur", "2022", "2023"],
      ["ACC-01", "Places en MECS", 1234, 1301],
      ["CTX-01", "Population 0-20 ans (INSEE 42218)", 181234, 180977],
    ]));
    expect((await listWorkspaceDocuments(t.db)).some((d) => d.id === id)).toBe(true);
    expect((await getWorkspaceDocument(t.db, id, other)).versions.map((v) => v.held)).toEqual([false]);
    expect(await actionsOf(id)).toEqual(["workspace.document_shared"]);
  });
});
