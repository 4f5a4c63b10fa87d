import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { publishedAttachmentFileId } from "~/server/publications/publications.server";
import { RELEASED_AUDIENCES } from "~/server/publications/released.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";

/** A document attached to a released production (its frozen version), for the readers (Art. 5). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:released_publication");
  const id = z.uuid().safeParse(params.id);
  const documentId = z.uuid().safeParse(params.documentId);
  if (!id.success || !documentId.success) throw new Response("Document introuvable", { status: 404 });
  const db = await getDb();
  const fileId = await orNotFound(() => publishedAttachmentFileId(db, id.data, documentId.data, RELEASED_AUDIENCES));
  const file = await getFile(db, fileId);
  if (!file) throw new Response("Document introuvable", { status: 404 });
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/") });
}
