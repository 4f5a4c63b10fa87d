import { createHash } from "node:crypto";
import type { PublicationAudience, PublicationStatus } from "#db/schema";
import type { Executor } from "../db.server";
import { notFound } from "../errors.server";
import { explorerQuerySchema, type DataSnapshot, type ExplorerQuery } from "~/domain/explorer";
import type { ItemKind } from "~/domain/publications";

/**
 * A publication's content: what the sources approve and the referent
 * validates, identified by a hash. Title, audience, Markdown body, frozen
 * items (query + snapshot of values with their lineage) and attached
 * document versions (by sha256): change any of it and the hash changes.
 */
export interface FrozenItem {
  id: string;
  position: number;
  kind: ItemKind;
  title: string;
  query: ExplorerQuery;
  snapshot: DataSnapshot;
}

export interface Attachment {
  documentId: string;
  versionId: string;
  versionNumber: number;
  position: number;
  title: string;
  ownerOrganisationId: string;
  ownerName: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

export interface PublicationContent {
  id: string;
  title: string;
  audience: PublicationAudience;
  body: string;
  items: FrozenItem[];
  attachments: Attachment[];
}

export interface PublicationRow {
  id: string;
  title: string;
  audience: PublicationAudience;
  body_markdown: string;
  status: PublicationStatus;
  author_id: string;
  organisation_id: string;
  content_hash: string;
  content_changed_at: Date;
  submitted_at: Date | null;
  published_at: Date | null;
  rejection_reason: string | null;
  rejected_at: Date | null;
  unpublished_at: Date | null;
  unpublish_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const publicationColumns = [
  "id",
  "title",
  "audience",
  "body_markdown",
  "status",
  "author_id",
  "organisation_id",
  "content_hash",
  "content_changed_at",
  "submitted_at",
  "published_at",
  "rejection_reason",
  "rejected_at",
  "unpublished_at",
  "unpublish_reason",
  "created_at",
  "updated_at",
] as const;

/** The publication row; `lock` takes a row lock (use inside the transaction that changes it). */
export async function getPublicationRow(db: Executor, id: string, lock = false): Promise<PublicationRow> {
  let q = db.selectFrom("publication").select(publicationColumns).where("id", "=", id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound("Cette publication");
  return row;
}

const asJson = <T>(value: unknown): T => (typeof value === "string" ? (JSON.parse(value) as T) : (value as T));

export async function loadContent(db: Executor, row: Pick<PublicationRow, "id" | "title" | "audience" | "body_markdown">): Promise<PublicationContent> {
  const [items, attachments] = await Promise.all([
    db
      .selectFrom("publication_item")
      .select(["id", "position", "kind", "title", "query", "snapshot"])
      .where("publication_id", "=", row.id)
      .orderBy("position")
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("publication_attachment as a")
      .innerJoin("workspace_document as d", "d.id", "a.document_id")
      .innerJoin("workspace_document_version as v", "v.id", "a.document_version_id")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .innerJoin("organisation as o", "o.id", "d.owner_organisation_id")
      .select([
        "a.document_id",
        "a.document_version_id",
        "a.position",
        "v.number",
        "d.title",
        "d.owner_organisation_id",
        "o.name as owner_name",
        "f.filename",
        "f.content_type",
        "f.size_bytes",
        "f.sha256",
      ])
      .where("a.publication_id", "=", row.id)
      .orderBy("a.position")
      .execute(),
  ]);
  return {
    id: row.id,
    title: row.title,
    audience: row.audience,
    body: row.body_markdown,
    items: items.map((i) => ({
      id: i.id,
      position: i.position,
      kind: i.kind,
      title: i.title,
      query: explorerQuerySchema.parse(asJson(i.query)),
      snapshot: asJson<DataSnapshot>(i.snapshot),
    })),
    attachments: attachments.map((a) => ({
      documentId: a.document_id,
      versionId: a.document_version_id,
      versionNumber: a.number,
      position: a.position,
      title: a.title,
      ownerOrganisationId: a.owner_organisation_id,
      ownerName: a.owner_name,
      filename: a.filename,
      contentType: a.content_type,
      sizeBytes: a.size_bytes,
      sha256: a.sha256,
    })),
  };
}

/** JSON with object keys sorted: one text for one content, whatever the key order jsonb returns. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The hash of exactly what would go out: text, frozen items (query and values) and attached files (sha256). */
export function contentHash(content: Omit<PublicationContent, "id">): string {
  const canonical = canonicalJson({
    title: content.title,
    audience: content.audience,
    body: content.body,
    items: content.items.map((i) => ({ kind: i.kind, title: i.title, query: i.query, snapshot: i.snapshot })),
    attachments: content.attachments.map((a) => ({ document: a.documentId, version: a.versionId, sha256: a.sha256, title: a.title })),
  });
  return createHash("sha256").update(canonical).digest("hex");
}

/** Recomputes and returns the hash of a stored publication's content. */
export async function computeStoredHash(db: Executor, row: Pick<PublicationRow, "id" | "title" | "audience" | "body_markdown">) {
  const content = await loadContent(db, row);
  return { content, hash: contentHash(content) };
}
