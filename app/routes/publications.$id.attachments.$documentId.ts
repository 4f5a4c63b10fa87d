import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { attachmentFileId } from "~/server/publications/publications.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse, getFile } from "~/server/storage/files.server";

/** The frozen version of a document attached to a publication, for members. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:publication");
  const id = z.uuid().safeParse(params.id);
  const documentId = z.uuid().safeParse(params.documentId);
  if (!id.success || !documentId.success) throw new Response("Document introuvable", { status: 404 });
  const db = await getDb();
  const fileId = await orNotFound(() => attachmentFileId(db, id.data, documentId.data));
  const file = await getFile(db, fileId);
  if (!file) throw new Response("Document introuvable", { status: 404 });
  return fileResponse(file, { download: file.contentType !== "application/pdf" && !file.contentType.startsWith("image/") });
}
