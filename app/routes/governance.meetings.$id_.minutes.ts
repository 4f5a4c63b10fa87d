import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getMinutes } from "~/server/governance/governance.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { orNotFound } from "~/server/http/results.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** The minutes of a meeting (Art. 2), for every member allowed to read the governance records. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:governance");
  const id = requireParam(params, "id", "uuid", "Réunion introuvable");
  const db = await getDb();
  const fileId = await orNotFound(() => getMinutes(db, id));
  const file = await getFile(db, fileId);
  if (!file) throw pageNotFound("Compte rendu introuvable");
  return fileResponse(file, { download: true });
}
