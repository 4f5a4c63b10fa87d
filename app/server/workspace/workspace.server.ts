import { sql, type Transaction } from "kysely";
import type { Database, DocumentKind } from "#db/schema";
import type { Db, Executor } from "../db.server";
import type { AuditInput } from "../audit/audit.server";
import { DomainError, notFound } from "../errors.server";
import { actorMay, run, type Actor, type Command } from "../command.server";
import { getFile, putFile } from "../storage/files.server";
import type { Upload } from "../http/uploads.server";
import { checkWorkspaceFile } from "./sniff.server";
import { scanWorkspaceFile } from "./personal-data-scan.server";
import { tellHolders, tellOrganisations, tellUsers } from "../publications/notices.server";
import { can, type Subject } from "~/domain/permissions";
import type { PersonalDataFinding, PersonalDataScan } from "~/domain/personal-data-scan";
import { FOLD_FROM, FOLD_TO, type WorkspaceDocumentInput } from "~/domain/workspace";

/**
 * The collaborative workspace (convention Art. 4): documents shared by the
 * members, visible to all of them, every version kept. Studies declare the
 * organisations whose data they use; those are told (Art. 5, mutual information).
 *
 * Only anonymised data are shared (Art. 4; ADR 025): every upload needs the
 * uploader's confirmation, and a version whose file looks like it holds
 * personal data (or could not be fully analysed) is held for the referent's
 * review. A held version is never the document's current version: only its
 * uploader and the referent see it until it is released.
 */

async function assertOrganisations(trx: Executor, ids: string[], field: string) {
  if (ids.length === 0) return;
  const found = await trx.selectFrom("organisation").select("id").where("id", "in", ids).execute();
  if (found.length !== ids.length) throw new DomainError("validation", "Organisme inconnu : rechargez la page.", { [field]: ["Organisme inconnu."] });
}

async function assertDomains(trx: Executor, codes: string[]) {
  if (codes.length === 0) return;
  const found = await trx.selectFrom("indicator_domain").select("code").where("code", "in", codes).execute();
  if (found.length !== codes.length) throw new DomainError("validation", "Domaine inconnu : rechargez la page.", { domains: ["Domaine inconnu."] });
}

/** Art. 5: tells the correspondents of the organisations whose data a study uses (once per organisation). */
async function informSources(trx: Transaction<Database>, documentId: string, title: string, ownerId: string, sourceIds: string[]) {
  const others = sourceIds.filter((id) => id !== ownerId);
  if (others.length === 0) return [];
  const already = await trx
    .selectFrom("mutual_information_notice")
    .select("organisation_id")
    .where("subject_type", "=", "workspace_document")
    .where("subject_id", "=", documentId)
    .execute();
  const fresh = others.filter((id) => !already.some((a) => a.organisation_id === id));
  if (fresh.length === 0) return [];
  await trx
    .insertInto("mutual_information_notice")
    .values(fresh.map((organisation_id) => ({ subject_type: "workspace_document" as const, subject_id: documentId, organisation_id })))
    .execute();
  const owner = await trx.selectFrom("organisation").select("name").where("id", "=", ownerId).executeTakeFirstOrThrow();
  for (const orgId of fresh) {
    await tellOrganisations(trx, [orgId], "read:mutual_information", {
      kind: "mutual_information",
      title: `Vos données sont utilisées : « ${title} »`,
      body: `${owner.name} a partagé dans l'espace de travail un document qui utilise des données de votre organisme (convention, art. 5 : information mutuelle).`,
      link: `/workspace/${documentId}`,
      dedupeKey: `mutual-information:workspace:${documentId}:${orgId}`,
    });
  }
  return fresh;
}

/** The French message of an upload sent without the anonymisation confirmation (Art. 4). */
export const ANONYMISATION_REQUIRED =
  "Cochez la case « Je confirme que ce document ne contient que des données anonymisées » (convention, art. 4) : sans cette confirmation, le document n'est pas déposé. Retirez toute donnée personnelle si nécessaire, puis choisissez de nouveau le fichier.";

/**
 * Art. 4: an upload without the confirmation is refused (422), and the refusal
 * audited: the command commits the audit event and returns this marker, the
 * caller then throws `unconfirmedUpload()` (a throw inside the command would
 * roll the event back).
 */
const REFUSED = Symbol("upload refused");

function refusalAudit(upload: Upload, target: { documentId: string | null; organisationId: string | null; title: string }): AuditInput {
  return {
    action: "workspace.upload_refused",
    entityType: "workspace_document",
    entityId: target.documentId,
    summary: `Dépôt refusé dans l'espace de travail (« ${target.title} ») : l'anonymisation des données n'a pas été confirmée (convention, art. 4).`,
    details: { reason: "anonymisation_not_confirmed", sizeBytes: upload.bytes.byteLength },
    organisationId: target.organisationId,
  };
}

const unconfirmedUpload = () =>
  new DomainError("validation", ANONYMISATION_REQUIRED, { anonymisedConfirmed: ["Confirmez que le document ne contient que des données anonymisées."] });

/** The personal-data scan of an upload; null for types that are not read (PDF, images, legacy Office). */
function scanUpload(contentType: string, upload: Upload): PersonalDataScan | null {
  return scanWorkspaceFile(contentType, upload.bytes);
}

const held = (scan: PersonalDataScan | null): scan is PersonalDataScan => scan !== null && scan.status === "held";

/** Stores version `number` of a document; a held one (`heldFindings`: personal data possibly found) keeps the findings as its hold's reasons. */
async function insertVersion(
  trx: Executor,
  version: { documentId: string; number: number; fileId: string; note: string | null; uploadedBy: Actor["id"]; heldFindings: PersonalDataFinding[] | null },
) {
  return trx
    .insertInto("workspace_document_version")
    .values({
      document_id: version.documentId,
      number: version.number,
      file_id: version.fileId,
      note: version.note,
      uploaded_by: version.uploadedBy,
      held_at: version.heldFindings ? new Date() : null,
      hold_reasons: version.heldFindings ? JSON.stringify(version.heldFindings) : null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
}

/** Writes the hold's audit event and tells the referents (Art. 4; they release or delete it at /workspace/held). */
async function recordHold(
  trx: Transaction<Database>,
  command: Command,
  doc: { id: string; title: string; ownerId: string },
  version: { id: string; number: number },
  scan: PersonalDataScan,
) {
  await command.audit({
    action: "workspace.version_held",
    entityType: "workspace_document",
    entityId: doc.id,
    summary: `Version ${version.number} du document « ${doc.title} » retenue pour vérification : données personnelles possibles (convention, art. 4).`,
    details: { versionId: version.id, number: version.number, complete: scan.complete, findings: scan.findings.map((f) => ({ kind: f.kind, location: f.location, count: f.count })) },
    organisationId: doc.ownerId,
  });
  await tellHolders(trx, "review:workspace", {
    kind: "workspace_hold",
    title: `Version retenue pour vérification : « ${doc.title} »`,
    body: `La version ${version.number} du document « ${doc.title} » a été retenue : ${scan.findings[0]?.explanation ?? "données personnelles possibles."} Vérifiez-la, puis libérez-la ou supprimez-la (convention, art. 4 : données anonymisées uniquement).`,
    link: "/workspace/held",
    dedupeKey: `workspace-hold:${version.id}`,
  });
}

/**
 * Shares a document in the workspace (its first version). The owner must be
 * an organisation the actor may act for; the uploader must confirm the data
 * are anonymised (Art. 4). When the scan holds the version, the document
 * stays invisible to the other members until the referent releases it.
 */
export async function createWorkspaceDocument(
  db: Db,
  actor: Actor,
  input: WorkspaceDocumentInput,
  upload: Upload,
  anonymisedConfirmed: boolean,
): Promise<string> {
  const created = await run(db, actor, "create:workspace", async (trx, command) => {
    if (!actorMay(actor, "update:workspace", input.ownerOrganisationId)) {
      throw new DomainError("forbidden", "Vous ne pouvez partager un document qu'au nom de votre organisme.", {
        ownerOrganisationId: ["Choisissez votre organisme."],
      });
    }
    if (!anonymisedConfirmed) {
      await command.audit(refusalAudit(upload, { documentId: null, organisationId: input.ownerOrganisationId, title: input.title }));
      return REFUSED;
    }
    const { contentType, label } = checkWorkspaceFile(upload);
    const scan = scanUpload(contentType, upload);
    await assertOrganisations(trx, [input.ownerOrganisationId], "ownerOrganisationId");
    await assertOrganisations(trx, input.sources, "sources");
    await assertDomains(trx, input.domains);
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    const doc = await trx
      .insertInto("workspace_document")
      .values({
        title: input.title,
        summary: input.summary,
        kind: input.kind as DocumentKind,
        domain_codes: input.domains,
        owner_organisation_id: input.ownerOrganisationId,
        created_by: actor.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const hold = held(scan);
    const version = await insertVersion(trx, { documentId: doc.id, number: 1, fileId: file.id, note: null, uploadedBy: actor.id, heldFindings: hold ? scan.findings : null });
    await trx
      .updateTable("workspace_document")
      .set({ current_version_id: hold ? null : version.id, version_count: 1 })
      .where("id", "=", doc.id)
      .execute();
    if (input.sources.length) {
      await trx
        .insertInto("workspace_document_source")
        .values(input.sources.map((organisation_id) => ({ document_id: doc.id, organisation_id })))
        .execute();
    }
    // Art. 5: the sources are told once the document is visible (now, or when its hold is released).
    const informed = hold ? [] : await informSources(trx, doc.id, input.title, input.ownerOrganisationId, input.sources);
    await command.audit({
      action: "workspace.document_shared",
      entityType: "workspace_document",
      entityId: doc.id,
      summary: `Document « ${input.title} » partagé dans l'espace de travail (${label}, version 1${hold ? ", retenue pour vérification" : ""}).`,
      details: { contentType, sizeBytes: file.sizeBytes, sha256: file.sha256, sources: input.sources, informed, anonymisedConfirmed: true, scanned: scan !== null, held: hold },
      organisationId: input.ownerOrganisationId,
    });
    if (hold) await recordHold(trx, command, { id: doc.id, title: input.title, ownerId: input.ownerOrganisationId }, { id: version.id, number: 1 }, scan);
    return doc.id;
  });
  if (created === REFUSED) throw unconfirmedUpload();
  return created;
}

/**
 * Adds a version (the previous ones stay). Only for the owner organisation's
 * members (or the referent), with the anonymisation confirmed (Art. 4). A held
 * version does not become the current one until the referent releases it.
 */
export async function addWorkspaceVersion(
  db: Db,
  actor: Actor,
  documentId: string,
  upload: Upload,
  note: string | null,
  anonymisedConfirmed: boolean,
): Promise<{ number: number; held: boolean; findings: PersonalDataFinding[] }> {
  const added = await run(db, actor, "update:workspace", async (trx, command) => {
    if (!anonymisedConfirmed) {
      const doc = await trx.selectFrom("workspace_document").select(["title", "owner_organisation_id"]).where("id", "=", documentId).executeTakeFirst();
      if (!doc) throw notFound("Ce document");
      command.require("update:workspace", doc.owner_organisation_id);
      await command.audit(refusalAudit(upload, { documentId, organisationId: doc.owner_organisation_id, title: doc.title }));
      return REFUSED;
    }
    const { contentType, label } = checkWorkspaceFile(upload);
    const scan = scanUpload(contentType, upload);
    const doc = await trx
      .selectFrom("workspace_document")
      .select(["id", "title", "owner_organisation_id", "version_count"])
      .where("id", "=", documentId)
      .forUpdate()
      .executeTakeFirst();
    if (!doc) throw notFound("Ce document");
    command.require("update:workspace", doc.owner_organisation_id);
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    const number = doc.version_count + 1;
    const hold = held(scan);
    const version = await insertVersion(trx, { documentId: doc.id, number, fileId: file.id, note, uploadedBy: actor.id, heldFindings: hold ? scan.findings : null });
    await trx
      .updateTable("workspace_document")
      .set(hold ? { version_count: number } : { current_version_id: version.id, version_count: number, updated_at: sql`now()` })
      .where("id", "=", doc.id)
      .execute();
    await command.audit({
      action: "workspace.version_added",
      entityType: "workspace_document",
      entityId: doc.id,
      summary: `Version ${number} du document « ${doc.title} » déposée (${label}${hold ? ", retenue pour vérification" : ""}).`,
      details: { number, contentType, sizeBytes: file.sizeBytes, sha256: file.sha256, note, anonymisedConfirmed: true, scanned: scan !== null, held: hold },
      organisationId: doc.owner_organisation_id,
    });
    if (hold) await recordHold(trx, command, { id: doc.id, title: doc.title, ownerId: doc.owner_organisation_id }, { id: version.id, number }, scan);
    return { number, held: hold, findings: hold ? scan.findings : [] };
  });
  if (added === REFUSED) throw unconfirmedUpload();
  return added;
}

const fold = (text: string) => sql<string>`lower(translate(${text}, ${FOLD_FROM}, ${FOLD_TO}))`;

export interface WorkspaceFilter {
  q?: string;
  domain?: string;
  owner?: string;
  kind?: string;
}

/**
 * Workspace documents, newest first, or by relevance when searching: French
 * full-text search (PostgreSQL `french` configuration, accents folded) over
 * titles and summaries. Only documents with a current version: a document
 * whose only version is held for review (Art. 4) is not listed.
 */
export async function listWorkspaceDocuments(db: Executor, filter: WorkspaceFilter = {}, limit = 100) {
  const q = filter.q?.trim() ?? "";
  let query = db
    .selectFrom("workspace_document as d")
    .innerJoin("organisation as o", "o.id", "d.owner_organisation_id")
    .innerJoin("workspace_document_version as v", "v.id", "d.current_version_id")
    .innerJoin("stored_file as f", "f.id", "v.file_id")
    .select([
      "d.id",
      "d.title",
      "d.summary",
      "d.kind",
      "d.domain_codes",
      "d.updated_at",
      "v.number as current_number",
      "o.id as owner_id",
      "o.name as owner_name",
      "f.content_type",
      "f.size_bytes",
    ]);
  if (q) {
    const tsquery = sql`websearch_to_tsquery('french'::regconfig, ${fold(q)})`;
    query = query
      .where(sql<boolean>`d.search_vector @@ ${tsquery}`)
      .select(sql<number>`ts_rank(d.search_vector, ${tsquery})`.as("rank"))
      .orderBy(sql`ts_rank(d.search_vector, ${tsquery})`, "desc");
  }
  if (filter.domain) query = query.where(sql<boolean>`${filter.domain} = any(d.domain_codes)`);
  if (filter.owner) query = query.where("d.owner_organisation_id", "=", filter.owner);
  if (filter.kind) query = query.where("d.kind", "=", filter.kind as DocumentKind);
  return query.orderBy("d.updated_at", "desc").orderBy("d.id").limit(limit).execute();
}

/** Who looks at a document: its held versions are shown only to their uploader and to the referent (Art. 4). */
/** Who is reading (held versions are shown to their uploader and the referent only). */
export type WorkspaceViewer = Subject & { id: string };

const mayReview = (viewer: WorkspaceViewer | undefined) => can(viewer, "review:workspace");

/** Whether `viewer` may see a version in its hold state (held and not released). */
function seesHeld(viewer: WorkspaceViewer | undefined, uploadedBy: string | null) {
  return viewer !== undefined && (mayReview(viewer) || (uploadedBy !== null && uploadedBy === viewer.id));
}

const isHeld = (v: { held_at: Date | null; hold_released_at: Date | null }) => v.held_at !== null && v.hold_released_at === null;

/**
 * One document with its versions and declared data sources. Versions held for
 * review are listed only for their uploader and the referent (with the
 * findings); a document without a visible version does not exist for others.
 */
export async function getWorkspaceDocument(db: Executor, id: string, viewer?: WorkspaceViewer) {
  const doc = await db
    .selectFrom("workspace_document as d")
    .innerJoin("organisation as o", "o.id", "d.owner_organisation_id")
    .leftJoin("app_user as u", "u.id", "d.created_by")
    .select([
      "d.id",
      "d.title",
      "d.summary",
      "d.kind",
      "d.domain_codes",
      "d.created_at",
      "d.updated_at",
      "d.current_version_id",
      "d.version_count",
      "o.id as owner_id",
      "o.name as owner_name",
      "u.display_name as created_by_name",
    ])
    .where("d.id", "=", id)
    .executeTakeFirst();
  if (!doc) throw notFound("Ce document");
  const [allVersions, sources, domains] = await Promise.all([
    db
      .selectFrom("workspace_document_version as v")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .leftJoin("app_user as u", "u.id", "v.uploaded_by")
      .select([
        "v.id",
        "v.number",
        "v.note",
        "v.uploaded_at",
        "v.uploaded_by",
        "v.held_at",
        "v.hold_reasons",
        "v.hold_released_at",
        "f.filename",
        "f.content_type",
        "f.size_bytes",
        "f.sha256",
        "u.display_name as uploaded_by_name",
      ])
      .where("v.document_id", "=", id)
      .orderBy("v.number", "desc")
      .execute(),
    db
      .selectFrom("workspace_document_source as s")
      .innerJoin("organisation as o", "o.id", "s.organisation_id")
      .select(["o.id", "o.name"])
      .where("s.document_id", "=", id)
      .orderBy("o.name")
      .execute(),
    db.selectFrom("indicator_domain").select(["code", "label"]).orderBy("position").execute(),
  ]);
  const versions = allVersions
    .filter((v) => !isHeld(v) || seesHeld(viewer, v.uploaded_by))
    .map(({ held_at, hold_reasons, hold_released_at, uploaded_by: _uploadedBy, ...v }) => ({
      ...v,
      held: isHeld({ held_at, hold_released_at }),
      holdFindings: isHeld({ held_at, hold_released_at }) ? ((hold_reasons ?? []) as PersonalDataFinding[]) : [],
    }));
  if (doc.current_version_id === null && versions.length === 0) throw notFound("Ce document");
  return { ...doc, versions, sources, domainLabels: doc.domain_codes.map((c) => domains.find((d) => d.code === c)?.label ?? c) };
}

/**
 * The stored file of one version of a document: the current one when
 * `number` is null. A held version is served only to its uploader and the
 * referent (Art. 4).
 */
export async function getWorkspaceFile(db: Executor, documentId: string, number: number | null, viewer?: WorkspaceViewer) {
  let q = db
    .selectFrom("workspace_document_version as v")
    .innerJoin("workspace_document as d", "d.id", "v.document_id")
    .select(["v.file_id", "v.uploaded_by", "v.held_at", "v.hold_released_at"])
    .where("v.document_id", "=", documentId);
  q = number === null ? q.whereRef("v.id", "=", "d.current_version_id") : q.where("v.number", "=", number);
  const version = await q.executeTakeFirst();
  if (!version || (isHeld(version) && !seesHeld(viewer, version.uploaded_by))) throw notFound("Ce document");
  const file = await getFile(db, version.file_id);
  if (!file) throw notFound("Ce fichier");
  return file;
}

/** The versions held for review (Art. 4), oldest first, with their findings: the referent's list at /workspace/held. */
export async function listHeldVersions(db: Executor) {
  const rows = await db
    .selectFrom("workspace_document_version as v")
    .innerJoin("workspace_document as d", "d.id", "v.document_id")
    .innerJoin("organisation as o", "o.id", "d.owner_organisation_id")
    .innerJoin("stored_file as f", "f.id", "v.file_id")
    .leftJoin("app_user as u", "u.id", "v.uploaded_by")
    .select([
      "v.id",
      "v.number",
      "v.held_at",
      "v.hold_reasons",
      "v.uploaded_at",
      "d.id as document_id",
      "d.title",
      "o.name as owner_name",
      "f.filename",
      "f.content_type",
      "f.size_bytes",
      "u.display_name as uploaded_by_name",
    ])
    .where("v.held_at", "is not", null)
    .where("v.hold_released_at", "is", null)
    .orderBy("v.held_at")
    .orderBy("v.id")
    .execute();
  return rows.map(({ hold_reasons, ...r }) => ({ ...r, findings: (hold_reasons ?? []) as PersonalDataFinding[] }));
}

function holdReason(reason: string): string {
  const text = reason.trim();
  if (!text) throw new DomainError("validation", "Indiquez le motif de votre décision : il est conservé dans le journal d'audit.", { reason: ["Indiquez le motif."] });
  if (text.length > 1000) throw new DomainError("validation", "Le motif dépasse 1 000 caractères : raccourcissez-le.", { reason: ["1 000 caractères au plus."] });
  return text;
}

/** The held version, its document locked; refuses what is not (or no longer) held. */
async function lockHeld(trx: Transaction<Database>, versionId: string) {
  const version = await trx
    .selectFrom("workspace_document_version")
    .select(["id", "document_id", "number", "file_id", "uploaded_by", "held_at", "hold_released_at"])
    .where("id", "=", versionId)
    .executeTakeFirst();
  if (!version) throw notFound("Cette version");
  const doc = await trx
    .selectFrom("workspace_document as d")
    .leftJoin("workspace_document_version as c", "c.id", "d.current_version_id")
    .select(["d.id", "d.title", "d.owner_organisation_id", "d.current_version_id", "c.number as current_number"])
    .where("d.id", "=", version.document_id)
    .forUpdate("d")
    .executeTakeFirstOrThrow();
  if (!isHeld(version)) throw new DomainError("conflict", "Cette version n'est plus retenue : elle a déjà été libérée ou supprimée. Rechargez la page.");
  return { version, doc };
}

/**
 * Art. 4: the referent releases a held version (reason required): it becomes
 * the current version if it is the newest visible one, and the uploader is told.
 */
export async function releaseHeldVersion(db: Db, actor: Actor, versionId: string, reason: string): Promise<void> {
  await run(db, actor, "review:workspace", async (trx, command) => {
    const why = holdReason(reason);
    const { version, doc } = await lockHeld(trx, versionId);
    await trx
      .updateTable("workspace_document_version")
      .set({ hold_released_at: sql`now()`, hold_released_by: actor.id, hold_release_reason: why })
      .where("id", "=", version.id)
      .execute();
    const becomesCurrent = doc.current_number === null || doc.current_number < version.number;
    if (becomesCurrent) {
      await trx.updateTable("workspace_document").set({ current_version_id: version.id, updated_at: sql`now()` }).where("id", "=", doc.id).execute();
    }
    // Art. 5: a document visible for the first time: its declared sources are told now.
    let informed: string[] = [];
    if (doc.current_version_id === null) {
      const sources = await trx.selectFrom("workspace_document_source").select("organisation_id").where("document_id", "=", doc.id).execute();
      informed = await informSources(trx, doc.id, doc.title, doc.owner_organisation_id, sources.map((s) => s.organisation_id));
    }
    await command.audit({
      action: "workspace.hold_released",
      entityType: "workspace_document",
      entityId: doc.id,
      summary: `Version ${version.number} du document « ${doc.title} » libérée après vérification : ${why}`,
      details: { versionId: version.id, number: version.number, reason: why, becameCurrent: becomesCurrent, informed },
      organisationId: doc.owner_organisation_id,
    });
    if (version.uploaded_by) {
      await tellUsers(trx, [version.uploaded_by], {
        kind: "workspace_hold_released",
        title: `Version libérée : « ${doc.title} »`,
        body: `Le référent de l'observatoire a vérifié la version ${version.number} du document « ${doc.title} » et l'a libérée : elle est visible par tous les membres. Motif : ${why}`,
        link: `/workspace/${doc.id}`,
        dedupeKey: `workspace-hold-released:${version.id}`,
      });
    }
  });
}

/**
 * Art. 4: the referent deletes a held version (reason required): the version
 * and its file are removed (the document too when it had no other version);
 * the audit event and the uploader's notice remain.
 */
export async function deleteHeldVersion(db: Db, actor: Actor, versionId: string, reason: string): Promise<void> {
  await run(db, actor, "review:workspace", async (trx, command) => {
    const why = holdReason(reason);
    const { version, doc } = await lockHeld(trx, versionId);
    await trx.deleteFrom("workspace_document_version").where("id", "=", version.id).execute();
    await trx.deleteFrom("stored_file").where("id", "=", version.file_id).execute();
    const remaining = await trx.selectFrom("workspace_document_version").select("id").where("document_id", "=", doc.id).limit(1).execute();
    const documentDeleted = remaining.length === 0;
    if (documentDeleted) {
      await trx.deleteFrom("workspace_document_source").where("document_id", "=", doc.id).execute();
      await trx.deleteFrom("mutual_information_notice").where("subject_type", "=", "workspace_document").where("subject_id", "=", doc.id).execute();
      await trx.deleteFrom("workspace_document").where("id", "=", doc.id).execute();
    }
    await command.audit({
      action: "workspace.hold_deleted",
      entityType: "workspace_document",
      entityId: doc.id,
      summary: `Version ${version.number} du document « ${doc.title} » supprimée après vérification${documentDeleted ? " (le document, sans autre version, aussi)" : ""} : ${why}`,
      details: { versionId: version.id, number: version.number, reason: why, documentDeleted },
      organisationId: doc.owner_organisation_id,
    });
    if (version.uploaded_by) {
      await tellUsers(trx, [version.uploaded_by], {
        kind: "workspace_hold_deleted",
        title: `Version supprimée : « ${doc.title} »`,
        body: `Le référent de l'observatoire a supprimé la version ${version.number} du document « ${doc.title} », retenue pour vérification (convention, art. 4 : données anonymisées uniquement). Motif : ${why}`,
        link: documentDeleted ? "/workspace" : `/workspace/${doc.id}`,
        dedupeKey: `workspace-hold-deleted:${version.id}`,
      });
    }
  });
}

export async function workspaceDocumentOwner(db: Executor, id: string): Promise<string | null> {
  const row = await db.selectFrom("workspace_document").select("owner_organisation_id").where("id", "=", id).executeTakeFirst();
  return row?.owner_organisation_id ?? null;
}
