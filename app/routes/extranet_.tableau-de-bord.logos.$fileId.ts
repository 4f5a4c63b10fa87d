import type { LoaderFunctionArgs } from "@remix-run/node";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { isContributorLogo } from "~/server/dashboard/editions.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** A contributor's logo in a published public edition, without login (extranet, Art. 5). Nothing else is served. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const id = requireParam(params, "fileId", "uuid", "Logo introuvable");
  const db = await getDb();
  const file = (await isContributorLogo(db, id, "public")) ? await getFile(db, id) : null;
  if (!file) throw pageNotFound("Logo introuvable");
  if (request.headers.get("If-None-Match") === `"${file.sha256}"`) return new Response(null, { status: 304 });
  return fileResponse(file, { maxAgeSeconds: 3600 });
}
