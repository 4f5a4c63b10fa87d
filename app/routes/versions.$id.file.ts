import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { versionForDownload } from "~/server/collection/queries.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** The original bytes of an uploaded version, exactly as sent (nothing lost). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const id = requireParam(params, "id", "uuid", "Fichier introuvable");
  const db = await getDb();
  const version = await versionForDownload(db, user, id);
  if (!version) throw pageNotFound("Fichier introuvable");
  const file = await getFile(db, version.file_id);
  if (!file) throw pageNotFound("Fichier introuvable");
  return fileResponse(file, { download: true });
}
