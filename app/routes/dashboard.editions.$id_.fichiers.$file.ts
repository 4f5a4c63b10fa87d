import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission, userCan, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { editionFileResponse, getEdition } from "~/server/dashboard/editions.server";
import { editionFilePermission, fileKindFromSlug } from "~/domain/dashboard";

/**
 * An edition's PDF, XLSX or ONPE package. Public files for every reader of
 * the dashboard, internal ones for members, the package for the referent;
 * an unpublished edition's files (generated for preview) for the referent only.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireSignedIn(request);
  const kind = fileKindFromSlug(params.file ?? "");
  const id = z.uuid().safeParse(params.id);
  if (!kind || !id.success) throw new Response("Fichier introuvable", { status: 404 });
  const user = await requirePermission(request, editionFilePermission[kind]);
  const db = await getDb();
  const { row } = await orNotFound(() => getEdition(db, id.data));
  if (!row.published_at && !userCan(user, "manage:dashboard")) throw new Response("Fichier introuvable", { status: 404 });
  const download = new URL(request.url).searchParams.get("affichage") !== "1";
  return orNotFound(() => editionFileResponse(db, id.data, kind, { download }));
}
