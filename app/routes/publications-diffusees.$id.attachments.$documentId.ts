import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { publishedAttachmentFileId } from "~/server/publications/publication-queries.server";
import { RELEASED_AUDIENCES } from "~/server/publications/released.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** A document attached to a released production (its frozen version), for the readers (Art. 5). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:released_publication");
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const documentId = requireParam(params, "documentId", "uuid", "Document introuvable");
  const db = await getDb();
  const fileId = await orNotFound(() => publishedAttachmentFileId(db, id, documentId, RELEASED_AUDIENCES));
  const file = await getFile(db, fileId);
  if (!file) throw pageNotFound("Document introuvable");
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/") });
}
