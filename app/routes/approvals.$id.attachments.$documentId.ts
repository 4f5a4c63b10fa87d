import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { approvalOwner, attachmentFileId } from "~/server/publications/publications.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";

/** A document attached to the content a validator is asked to approve (its frozen version); also after a withdrawal (Art. 7). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireSignedIn(request);
  const id = z.uuid().safeParse(params.id);
  const documentId = z.uuid().safeParse(params.documentId);
  if (!id.success || !documentId.success) throw new Response("Document introuvable", { status: 404 });
  const db = await getDb();
  await requirePermission(request, "decide:approval", await approvalOwner(db, id.data));
  const approval = await db.selectFrom("publication_approval").select("publication_id").where("id", "=", id.data).executeTakeFirstOrThrow();
  const fileId = await orNotFound(() => attachmentFileId(db, approval.publication_id, documentId.data));
  const file = await getFile(db, fileId);
  if (!file) throw new Response("Document introuvable", { status: 404 });
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/") });
}
