import type { LoaderFunctionArgs } from "@remix-run/node";
import { getDb } from "~/server/runtime.server";
import { publishedAttachmentFileId } from "~/server/publications/publication-queries.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** A document attached to a published extranet publication (its frozen version), open to all. */
export async function loader({ params }: LoaderFunctionArgs) {
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const documentId = requireParam(params, "documentId", "uuid", "Document introuvable");
  const db = await getDb();
  const fileId = await orNotFound(() => publishedAttachmentFileId(db, id, documentId));
  const file = await getFile(db, fileId);
  if (!file) throw pageNotFound("Document introuvable");
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/"), maxAgeSeconds: 300 });
}
