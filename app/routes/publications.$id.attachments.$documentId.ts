import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { attachmentFileId } from "~/server/publications/publication-queries.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** The frozen version of a document attached to a publication, for members. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:publication");
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const documentId = requireParam(params, "documentId", "uuid", "Document introuvable");
  const db = await getDb();
  const fileId = await orNotFound(() => attachmentFileId(db, id, documentId));
  const file = await getFile(db, fileId);
  if (!file) throw pageNotFound("Document introuvable");
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/") });
}
