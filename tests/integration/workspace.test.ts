import { beforeAll, describe, expect, it } from "vitest";
import { zipSync, strToU8 } from "fflate";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { runRoute } from "../factories/referential";
import * as fileRoute from "~/routes/workspace.$id.file";
import { ensureDomain } from "../factories/collection";
import { systemContext } from "~/server/audit/audit.server";
import { DomainError } from "~/server/errors.server";
import { addWorkspaceVersion, createWorkspaceDocument, getWorkspaceDocument, getWorkspaceFile, listWorkspaceDocuments, type Actor } from "~/server/workspace/workspace.server";
import { checkWorkspaceFile } from "~/server/workspace/sniff.server";
import { WORKSPACE_MAX_BYTES } from "~/domain/workspace";

const t = useTestDb();
const audit = systemContext("test");
let author: Actor & { displayName: string };
let other: Actor;
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
  author = { id: u.id, role: "partner_correspondent", organisationId: org.id, displayName: "Auteur" };
  other = { id: u2.id, role: "partner_correspondent", organisationId: org2.id };
  await ensureDomain(t.db, "ACCUEIL", "Capacités d'accueil");
});

async function share(title: string, summary: string, upload = pdf()) {
  return createWorkspaceDocument(t.db, audit, author, { title, summary, kind: "study", ownerOrganisationId: orgId, domains: ["ACCUEIL"], sources: [] }, upload);
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
    expect(await addWorkspaceVersion(t.db, audit, author, id, pdf("version 2"), "Chiffres corrigés")).toBe(2);
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

  it("a document is always downloaded, named with the extension of its sniffed type (a PDF named a.html is a.pdf) — issue 11, item 9", async () => {
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
    await expect(addWorkspaceVersion(t.db, audit, other, id, pdf(), null)).rejects.toMatchObject({ code: "forbidden" });
    await expect(
      createWorkspaceDocument(t.db, audit, other, { title: "Usurpation", summary: "", kind: "other", ownerOrganisationId: orgId, domains: [], sources: [] }, pdf()),
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
