import type { PublicationAudience } from "#db/schema";
import type { Executor } from "../db.server";
import { notFound } from "../errors.server";
import { getPublicationRow, loadContent, type PublicationContent } from "./content.server";
import { computeLineage, publicationSourcesLine } from "./lineage.server";
import { publicationContributors, renderPublication } from "./render.server";
import { heldModel } from "../artefacts/artefact-cache.server";
import { releasedValues } from "../disclosure/ledger.server";
import { can, type Subject } from "~/domain/permissions";
import { diffusionClearance, isEditable, type LineageSource } from "~/domain/publications";
import { pageNotFound } from "../http/params.server";

/**
 * Publications' read models (convention Art. 5): the lists, the publication
 * and approval pages, the extranet. They change nothing; the commands are in
 * publication-commands.server.ts.
 */

/** The approval requests of a publication, most recent first. */
export async function approvalsOf(db: Executor, publicationId: string) {
  return db
    .selectFrom("publication_approval as a")
    .innerJoin("organisation as o", "o.id", "a.organisation_id")
    .select([
      "a.id",
      "a.organisation_id",
      "o.name as organisation_name",
      "a.content_hash",
      "a.status",
      "a.requested_at",
      "a.decided_at",
      "a.decided_by_label",
      "a.reason",
      "a.closed_at",
      "a.close_reason",
    ])
    .where("a.publication_id", "=", publicationId)
    .orderBy("a.requested_at", "desc")
    .execute();
}

/** The approvals as `diffusionClearance` reads them. */
export const asApprovals = (rows: Awaited<ReturnType<typeof approvalsOf>>) =>
  rows.map((a) => ({ organisationId: a.organisation_id, status: a.status, contentHash: a.content_hash }));

/** Why a content may not go out, in French. */
export function clearanceMessage(clearance: ReturnType<typeof diffusionClearance>, lineage: readonly LineageSource[]): string {
  if (clearance.blocked) return clearance.blocked;
  const name = (id: string) => lineage.find((s) => s.organisationId === id)?.name ?? id;
  if (clearance.refused.length) return `Publication impossible : ${clearance.refused.map(name).join(", ")} a refusé la diffusion de ce contenu (convention, art. 5).`;
  return `Publication impossible : l'accord préalable de ${clearance.missing.map(name).join(", ")} manque pour ce contenu (convention, art. 5).`;
}

// ── Read models ───────────────────────────────────────────────────────────

export async function publicationOwner(db: Executor, id: string): Promise<string> {
  const row = await db.selectFrom("publication").select("organisation_id").where("id", "=", id).executeTakeFirst();
  if (!row) throw pageNotFound("Publication introuvable");
  return row.organisation_id;
}

export async function approvalOwner(db: Executor, approvalId: string): Promise<string> {
  const row = await db.selectFrom("publication_approval").select("organisation_id").where("id", "=", approvalId).executeTakeFirst();
  if (!row) throw pageNotFound("Demande introuvable");
  return row.organisation_id;
}

/** Every publication, most recently changed first. */
export async function listPublications(db: Executor) {
  return db
    .selectFrom("publication as p")
    .innerJoin("app_user as u", "u.id", "p.author_id")
    .innerJoin("organisation as o", "o.id", "p.organisation_id")
    .select(["p.id", "p.title", "p.status", "p.audience", "p.updated_at", "p.published_at", "p.organisation_id", "u.display_name as author_name", "o.name as organisation_name"])
    .orderBy("p.updated_at", "desc")
    .execute();
}

/** Publications the actor may still change (for the explorer's "freeze into" list). */
export async function editablePublications(db: Executor, viewer: Subject) {
  const rows = await listPublications(db);
  return rows.filter((p) => isEditable(p.status) && can(viewer, "update:publication", p.organisation_id)).map((p) => ({ id: p.id, title: p.title, status: p.status }));
}

/** Everything the publication page shows: content (internal and as published), lineage, approvals, history. */
export async function getPublicationPage(db: Executor, id: string) {
  const row = await getPublicationRow(db, id);
  const content = await loadContent(db, row);
  const lineage = await computeLineage(db, content);
  const [approvals, events, author] = await Promise.all([
    approvalsOf(db, id),
    db
      .selectFrom("publication_event")
      .select(["id", "occurred_at", "actor_label", "transition", "from_status", "to_status", "content_hash", "note"])
      .where("publication_id", "=", id)
      .orderBy("id", "desc")
      .execute(),
    db
      .selectFrom("app_user as u")
      .innerJoin("organisation as o", "o.id", "u.organisation_id")
      .select(["u.display_name", "o.name as organisation_name"])
      .where("u.id", "=", row.author_id)
      .executeTakeFirstOrThrow(),
  ]);
  const clearance = diffusionClearance(lineage, asApprovals(approvals), row.content_hash);
  const lastSubmit = events.find((e) => e.transition === "submit")?.occurred_at ?? null;
  const recentlyInvalidated = approvals.filter((a) => a.status === "invalidated" && a.closed_at && (!lastSubmit || a.closed_at > lastSubmit));
  return {
    row,
    author,
    content,
    lineage,
    approvals,
    events,
    clearance,
    clearanceMessage: clearance.ok ? null : clearanceMessage(clearance, lineage),
    invalidatedSinceSubmit: [...new Set(recentlyInvalidated.map((a) => a.organisation_name))],
    internal: renderPublication(content, lineage, { external: false }),
    external: renderPublication(content, lineage, { external: true }),
  };
}

/** The approval requests addressed to an organisation, pending first. */
export async function listApprovalsFor(db: Executor, organisationId: string) {
  const rows = await db
    .selectFrom("publication_approval as a")
    .innerJoin("publication as p", "p.id", "a.publication_id")
    .innerJoin("organisation as o", "o.id", "p.organisation_id")
    .select(["a.id", "a.status", "a.requested_at", "a.decided_at", "a.reason", "a.close_reason", "p.id as publication_id", "p.title", "p.audience", "o.name as author_organisation"])
    .where("a.organisation_id", "=", organisationId)
    .orderBy("a.requested_at", "desc")
    .execute();
  return [...rows.filter((r) => r.status === "pending"), ...rows.filter((r) => r.status !== "pending")];
}

/** One approval request with exactly the content it is about, rendered as it would go out. */
export async function getApprovalPage(db: Executor, approvalId: string) {
  const approval = await db
    .selectFrom("publication_approval as a")
    .innerJoin("organisation as o", "o.id", "a.organisation_id")
    .select(["a.id", "a.publication_id", "a.organisation_id", "a.content_hash", "a.status", "a.requested_at", "a.decided_at", "a.decided_by_label", "a.reason", "a.close_reason", "o.name as organisation_name"])
    .where("a.id", "=", approvalId)
    .executeTakeFirst();
  if (!approval) throw notFound("Cette demande d'accord");
  const row = await getPublicationRow(db, approval.publication_id);
  const content: PublicationContent = await loadContent(db, row);
  const lineage = await computeLineage(db, content);
  const mine = lineage.find((s) => s.organisationId === approval.organisation_id) ?? null;
  const author = await db
    .selectFrom("app_user as u")
    .innerJoin("organisation as o", "o.id", "u.organisation_id")
    .select(["u.display_name", "o.name as organisation_name"])
    .where("u.id", "=", row.author_id)
    .executeTakeFirstOrThrow();
  return {
    approval,
    publication: { id: row.id, title: row.title, status: row.status, audience: row.audience, contentHash: row.content_hash },
    author,
    /** The content the validator decides on is the one of the request: the current content has the same hash, or the request is closed. */
    current: approval.content_hash === row.content_hash,
    mine,
    rendered: renderPublication(content, lineage, { external: true }),
  };
}

// ── Extranet (public) ─────────────────────────────────────────────────────

/**
 * Published publications for the extranet (audience "extranet"), newest
 * first, with their sources. The same for everyone: held by the process
 * (ADR 040) until a publication or an organisation changes. Only the lineage
 * is computed (the sources' line and contributors, as renderPublication
 * words them): the list shows no table.
 */
export function listExtranetPublications(db: Executor) {
  return heldModel(db, "extranet-publications", () => loadExtranetPublications(db));
}

async function loadExtranetPublications(db: Executor) {
  const rows = await db
    .selectFrom("publication")
    .select(["id", "title", "body_markdown", "published_at", "audience"])
    .where("status", "=", "published")
    .where("audience", "=", "extranet")
    .orderBy("published_at", "desc")
    .execute();
  return Promise.all(
    rows.map(async (row) => {
      const content = await loadContent(db, { ...row });
      const lineage = await computeLineage(db, content);
      return {
        id: row.id,
        title: row.title,
        publishedAt: row.published_at!,
        excerpt: excerpt(row.body_markdown),
        sources: publicationSourcesLine(lineage),
        contributors: publicationContributors(lineage),
        itemCount: content.items.length,
      };
    }),
  );
}

/** A published extranet publication, secrecy applied; 404 for anything else (drafts never leak). */
export async function getExtranetPublication(db: Executor, id: string) {
  const row = await db
    .selectFrom("publication")
    .select(["id", "title", "audience", "body_markdown", "published_at", "status"])
    .where("id", "=", id)
    .where("status", "=", "published")
    .where("audience", "=", "extranet")
    .executeTakeFirst();
  if (!row) throw notFound("Cette publication");
  const content = await loadContent(db, row);
  const lineage = await computeLineage(db, content);
  // What the ledger recorded at the release, never a masking recomputed here (ADR 015).
  const released = await releasedValues(db, "publication", row.id);
  return { id: row.id, publishedAt: row.published_at!, rendered: renderPublication(content, lineage, { external: true, released }) };
}

/** An attachment (frozen version) of a publication published for one of `audiences`. */
export async function publishedAttachmentFileId(db: Executor, publicationId: string, documentId: string, audiences: readonly PublicationAudience[] = ["extranet"]): Promise<string> {
  const row = await db
    .selectFrom("publication_attachment as a")
    .innerJoin("publication as p", "p.id", "a.publication_id")
    .innerJoin("workspace_document_version as v", "v.id", "a.document_version_id")
    .select("v.file_id")
    .where("a.publication_id", "=", publicationId)
    .where("a.document_id", "=", documentId)
    .where("p.status", "=", "published")
    .where("p.audience", "in", [...audiences])
    .executeTakeFirst();
  if (!row) throw notFound("Ce document");
  return row.file_id;
}

/** The frozen version of an attachment (for members, whatever the status). */
export async function attachmentFileId(db: Executor, publicationId: string, documentId: string): Promise<string> {
  const row = await db
    .selectFrom("publication_attachment as a")
    .innerJoin("workspace_document_version as v", "v.id", "a.document_version_id")
    .select("v.file_id")
    .where("a.publication_id", "=", publicationId)
    .where("a.document_id", "=", documentId)
    .executeTakeFirst();
  if (!row) throw notFound("Ce document");
  return row.file_id;
}

/** The first paragraph of the Markdown, as plain text, for lists. */
function excerpt(markdown: string, max = 280): string {
  const paragraph =
    markdown
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .find((p) => p && !p.startsWith("#") && !p.startsWith("|")) ?? "";
  const plain = paragraph.replace(/[*_`>#[\]]/g, "").replace(/\(([^)]*)\)/g, "").replace(/\s+/g, " ").trim();
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}

