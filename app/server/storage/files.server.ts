import { createHash, randomUUID } from "node:crypto";
import type { Executor } from "../db.server";

/**
 * The storage module: files (logos, signed PDFs, later uploaded workbooks)
 * live in PostgreSQL (`stored_file`, bytea) with their sha256 and size, so
 * one backup holds everything. Another backend (S3-compatible) can be added
 * behind these two functions.
 */
export interface StoredFileInput {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
  createdBy: string | null;
}

export interface StoredFileMeta {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

export interface StoredFileContent extends StoredFileMeta {
  content: Buffer;
  createdAt: Date;
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A safe download name: no path, no control or quoting characters. */
export function sanitizeFilename(name: string, fallback = "fichier"): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, "").trim().slice(0, 150);
  return cleaned || fallback;
}

/** Stores a file; call it with the transaction that links it to its owner. */
export async function putFile(trx: Executor, input: StoredFileInput): Promise<StoredFileMeta> {
  return (await putFiles(trx, [input]))[0]!;
}

/**
 * Stores several files in one statement per `chunk` files (the demo seeding's
 * submitted workbooks, ADR 045); same rows as `putFile` for each. The ids are
 * drawn here (random v4 UUIDs, as the column's default `gen_random_uuid()`),
 * so that the returned metadata follows `inputs`' order without relying on
 * the order of RETURNING.
 */
export async function putFiles(trx: Executor, inputs: StoredFileInput[], chunk = 100): Promise<StoredFileMeta[]> {
  const metas = inputs.map((input) => ({
    id: randomUUID(),
    filename: sanitizeFilename(input.filename),
    contentType: input.contentType,
    sizeBytes: input.bytes.byteLength,
    sha256: sha256Hex(input.bytes),
  }));
  for (let i = 0; i < inputs.length; i += chunk) {
    await trx
      .insertInto("stored_file")
      .values(
        inputs.slice(i, i + chunk).map((input, j) => {
          const meta = metas[i + j]!;
          return { id: meta.id, filename: meta.filename, content_type: meta.contentType, size_bytes: meta.sizeBytes, sha256: meta.sha256, content: input.bytes, created_by: input.createdBy };
        }),
      )
      .execute();
  }
  return metas;
}

/** Gives a stored file another download name (sanitised as `putFile` does); returns its metadata with that name. */
export async function renameFile(trx: Executor, file: StoredFileMeta, filename: string): Promise<StoredFileMeta> {
  const renamed = { ...file, filename: sanitizeFilename(filename) };
  await trx.updateTable("stored_file").set({ filename: renamed.filename }).where("id", "=", file.id).execute();
  return renamed;
}

/** Reads a file. PGlite returns bytea as Uint8Array and pg as Buffer: both become a Buffer. */
export async function getFile(db: Executor, id: string): Promise<StoredFileContent | null> {
  const row = await db
    .selectFrom("stored_file")
    .select(["id", "filename", "content_type", "size_bytes", "sha256", "content", "created_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  const content = Buffer.isBuffer(row.content)
    ? row.content
    : Buffer.from(row.content.buffer, row.content.byteOffset, row.content.byteLength);
  return {
    id: row.id,
    filename: row.filename,
    contentType: row.content_type,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    content,
    createdAt: row.created_at,
  };
}

/** Metadata only (for lists and links), without reading the content. */
export async function getFileMeta(db: Executor, id: string): Promise<StoredFileMeta | null> {
  const row = await db
    .selectFrom("stored_file")
    .select(["id", "filename", "content_type", "size_bytes", "sha256"])
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? { id: row.id, filename: row.filename, contentType: row.content_type, sizeBytes: row.size_bytes, sha256: row.sha256 } : null;
}

/**
 * The HTTP response serving a stored file: its own content type (never
 * sniffed by the browser), the sha256 as ETag, inline or as a download.
 */
export function fileResponse(file: StoredFileContent, options: { download?: boolean; maxAgeSeconds?: number } = {}): Response {
  const ascii = file.filename.replace(/[^\x20-\x7e]/g, "_");
  const disposition = `${options.download ? "attachment" : "inline"}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`;
  return new Response(new Uint8Array(file.content), {
    status: 200,
    headers: {
      "Content-Type": file.contentType,
      "Content-Length": String(file.sizeBytes),
      "Content-Disposition": disposition,
      "X-Content-Type-Options": "nosniff",
      // Without a max-age (signed-in documents, workbooks, exports): never stored by any cache (ADR 017).
      "Cache-Control": options.maxAgeSeconds ? `private, max-age=${options.maxAgeSeconds}` : "private, no-store",
      ETag: `"${file.sha256}"`,
    },
  });
}
