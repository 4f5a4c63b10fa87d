import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission, userCan, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { editionFileResponse, getEdition } from "~/server/dashboard/editions.server";
import { editionFilePermission, fileKindFromSlug } from "~/domain/dashboard";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/**
 * An edition's PDF, XLSX or ONPE package. Public files for every reader of
 * the dashboard, internal ones for members, the package for the referent;
 * an unpublished edition's files (generated for preview) for the referent only.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireSignedIn(request);
  const kind = fileKindFromSlug(params.file ?? "");
  if (!kind) throw pageNotFound("Fichier introuvable");
  const id = requireParam(params, "id", "uuid", "Fichier introuvable");
  const user = await requirePermission(request, editionFilePermission[kind]);
  const db = await getDb();
  const { row } = await orNotFound(() => getEdition(db, id));
  if (!row.published_at && !userCan(user, "manage:dashboard")) throw pageNotFound("Fichier introuvable");
  const download = new URL(request.url).searchParams.get("affichage") !== "1";
  return orNotFound(() => editionFileResponse(db, id, kind, { download }));
}
