import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { approvalOwner, attachmentFileId } from "~/server/publications/publication-queries.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** A document attached to the content a validator is asked to approve (its frozen version); also after a withdrawal (Art. 7). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireSignedIn(request);
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const documentId = requireParam(params, "documentId", "uuid", "Document introuvable");
  const db = await getDb();
  await requirePermission(request, "decide:approval", await approvalOwner(db, id));
  const approval = await db.selectFrom("publication_approval").select("publication_id").where("id", "=", id).executeTakeFirstOrThrow();
  const fileId = await orNotFound(() => attachmentFileId(db, approval.publication_id, documentId));
  const file = await getFile(db, fileId);
  if (!file) throw pageNotFound("Document introuvable");
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/") });
}
