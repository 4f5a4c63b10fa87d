import { sql, type Transaction } from "kysely";
import type { Database, DocumentKind } from "#db/schema";
import type { Db } from "../db.server";
import { recordAudit, type AuditContext } from "../audit/audit.server";
import { DomainError, forbidden, notFound } from "../errors.server";
import { getFile, putFile } from "../storage/files.server";
import type { Upload } from "../http/uploads.server";
import { checkWorkspaceFile } from "./sniff.server";
import { tellOrganisations } from "../publications/notices.server";
import { can, type Subject } from "~/domain/permissions";
import { FOLD_FROM, FOLD_TO, type WorkspaceDocumentInput } from "~/domain/workspace";

type Executor = Db | Transaction<Database>;

/**
 * The collaborative workspace (convention Art. 4): documents shared by the
 * members, visible to all of them, every version kept. Studies declare the
 * organisations whose data they use; those are told (Art. 5, mutual information).
 */

export interface Actor extends Subject {
  id: string;
}

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

/** Shares a document in the workspace (its first version). The owner must be an organisation the actor may act for. */
export async function createWorkspaceDocument(db: Db, context: AuditContext, actor: Actor, input: WorkspaceDocumentInput, upload: Upload) {
  if (!can(actor, "update:workspace", input.ownerOrganisationId)) {
    throw new DomainError("forbidden", "Vous ne pouvez partager un document qu'au nom de votre organisme.", {
      ownerOrganisationId: ["Choisissez votre organisme."],
    });
  }
  const { contentType, label } = checkWorkspaceFile(upload);
  return db.transaction().execute(async (trx) => {
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
    const version = await trx
      .insertInto("workspace_document_version")
      .values({ document_id: doc.id, number: 1, file_id: file.id, note: null, uploaded_by: actor.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx.updateTable("workspace_document").set({ current_version_id: version.id, version_count: 1 }).where("id", "=", doc.id).execute();
    if (input.sources.length) {
      await trx
        .insertInto("workspace_document_source")
        .values(input.sources.map((organisation_id) => ({ document_id: doc.id, organisation_id })))
        .execute();
    }
    const informed = await informSources(trx, doc.id, input.title, input.ownerOrganisationId, input.sources);
    await recordAudit(trx, context, {
      action: "workspace.document_shared",
      entityType: "workspace_document",
      entityId: doc.id,
      summary: `Document « ${input.title} » partagé dans l'espace de travail (${label}, version 1).`,
      details: { contentType, sizeBytes: file.sizeBytes, sha256: file.sha256, sources: input.sources, informed },
      organisationId: input.ownerOrganisationId,
    });
    return doc.id;
  });
}

/** Adds a version (the previous ones stay). Only for the owner organisation's members (or the referent). */
export async function addWorkspaceVersion(db: Db, context: AuditContext, actor: Actor, documentId: string, upload: Upload, note: string | null) {
  const { contentType, label } = checkWorkspaceFile(upload);
  return db.transaction().execute(async (trx) => {
    const doc = await trx
      .selectFrom("workspace_document")
      .select(["id", "title", "owner_organisation_id", "version_count"])
      .where("id", "=", documentId)
      .forUpdate()
      .executeTakeFirst();
    if (!doc) throw notFound("Ce document");
    if (!can(actor, "update:workspace", doc.owner_organisation_id)) throw forbidden();
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    const number = doc.version_count + 1;
    const version = await trx
      .insertInto("workspace_document_version")
      .values({ document_id: doc.id, number, file_id: file.id, note, uploaded_by: actor.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .updateTable("workspace_document")
      .set({ current_version_id: version.id, version_count: number, updated_at: sql`now()` })
      .where("id", "=", doc.id)
      .execute();
    await recordAudit(trx, context, {
      action: "workspace.version_added",
      entityType: "workspace_document",
      entityId: doc.id,
      summary: `Version ${number} du document « ${doc.title} » déposée (${label}).`,
      details: { number, contentType, sizeBytes: file.sizeBytes, sha256: file.sha256, note },
      organisationId: doc.owner_organisation_id,
    });
    return number;
  });
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
 * titles and summaries.
 */
export async function listWorkspaceDocuments(db: Executor, filter: WorkspaceFilter = {}, limit = 100) {
  const q = filter.q?.trim() ?? "";
  let query = db
    .selectFrom("workspace_document as d")
    .innerJoin("organisation as o", "o.id", "d.owner_organisation_id")
    .leftJoin("workspace_document_version as v", "v.id", "d.current_version_id")
    .leftJoin("stored_file as f", "f.id", "v.file_id")
    .select([
      "d.id",
      "d.title",
      "d.summary",
      "d.kind",
      "d.domain_codes",
      "d.updated_at",
      "d.version_count",
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

/** One document with its versions and declared data sources. */
export async function getWorkspaceDocument(db: Executor, id: string) {
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
  const [versions, sources, domains] = await Promise.all([
    db
      .selectFrom("workspace_document_version as v")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .leftJoin("app_user as u", "u.id", "v.uploaded_by")
      .select(["v.id", "v.number", "v.note", "v.uploaded_at", "f.filename", "f.content_type", "f.size_bytes", "f.sha256", "u.display_name as uploaded_by_name"])
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
  return { ...doc, versions, sources, domainLabels: doc.domain_codes.map((c) => domains.find((d) => d.code === c)?.label ?? c) };
}

/** The stored file of one version of a document (the current one when `number` is null). */
export async function getWorkspaceFile(db: Executor, documentId: string, number: number | null) {
  let q = db.selectFrom("workspace_document_version").select(["file_id"]).where("document_id", "=", documentId);
  q = number === null ? q.orderBy("number", "desc").limit(1) : q.where("number", "=", number);
  const version = await q.executeTakeFirst();
  if (!version) throw notFound("Ce document");
  const file = await getFile(db, version.file_id);
  if (!file) throw notFound("Ce fichier");
  return file;
}

export async function workspaceDocumentOwner(db: Executor, id: string): Promise<string | null> {
  const row = await db.selectFrom("workspace_document").select("owner_organisation_id").where("id", "=", id).executeTakeFirst();
  return row?.owner_organisation_id ?? null;
}
