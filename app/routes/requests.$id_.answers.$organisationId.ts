import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { requestAnswerFile } from "~/server/governance/data-requests.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { orNotFound } from "~/server/http/results.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** An organisation's answer file to a data request: pooled data, read by every member (Art. 3–4). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:data_request");
  const id = requireParam(params, "id", "uuid", "Fichier introuvable");
  const organisationId = requireParam(params, "organisationId", "uuid", "Fichier introuvable");
  const db = await getDb();
  const fileId = await orNotFound(() => requestAnswerFile(db, id, organisationId));
  const file = await getFile(db, fileId);
  if (!file) throw pageNotFound("Fichier introuvable");
  return fileResponse(file, { download: true });
}
