import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { requestAnswerFile } from "~/server/governance/data-requests.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { orNotFound } from "~/server/http/results.server";

/** An organisation's answer file to a data request: pooled data, read by every member (Art. 3–4). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:data_request");
  const ids = z.object({ id: z.uuid(), organisationId: z.uuid() }).safeParse(params);
  if (!ids.success) throw new Response("Fichier introuvable", { status: 404 });
  const db = await getDb();
  const fileId = await orNotFound(() => requestAnswerFile(db, ids.data.id, ids.data.organisationId));
  const file = await getFile(db, fileId);
  if (!file) throw new Response("Fichier introuvable", { status: 404 });
  return fileResponse(file, { download: true });
}
