import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { isContributorLogo } from "~/server/dashboard/editions.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** A contributor's logo as cited in the dashboard (Art. 5): an organisation's logo, current or frozen in an edition. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:dashboard");
  const id = requireParam(params, "fileId", "uuid", "Logo introuvable");
  const db = await getDb();
  const file = (await isContributorLogo(db, id, "members")) ? await getFile(db, id) : null;
  if (!file) throw pageNotFound("Logo introuvable");
  if (request.headers.get("If-None-Match") === `"${file.sha256}"`) return new Response(null, { status: 304 });
  return fileResponse(file, { maxAgeSeconds: 3600 });
}
