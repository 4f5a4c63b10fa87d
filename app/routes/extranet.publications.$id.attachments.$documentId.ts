import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getDb } from "~/server/runtime.server";
import { publishedAttachmentFileId } from "~/server/publications/publications.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";

/** A document attached to a published extranet publication (its frozen version), open to all. */
export async function loader({ params }: LoaderFunctionArgs) {
  const id = z.uuid().safeParse(params.id);
  const documentId = z.uuid().safeParse(params.documentId);
  if (!id.success || !documentId.success) throw new Response("Document introuvable", { status: 404 });
  const db = await getDb();
  const fileId = await orNotFound(() => publishedAttachmentFileId(db, id.data, documentId.data));
  const file = await getFile(db, fileId);
  if (!file) throw new Response("Document introuvable", { status: 404 });
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/"), maxAgeSeconds: 300 });
}
