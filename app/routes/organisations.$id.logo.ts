import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** An organisation's logo (checked PNG/JPEG/WebP, served with its stored type and nosniff). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:organisation");
  const id = requireParam(params, "id", "uuid", "Logo introuvable");
  const db = await getDb();
  const org = await db.selectFrom("organisation").select("logo_file_id").where("id", "=", id).executeTakeFirst();
  const file = org?.logo_file_id ? await getFile(db, org.logo_file_id) : null;
  if (!file) throw pageNotFound("Logo introuvable");
  if (request.headers.get("If-None-Match") === `"${file.sha256}"`) return new Response(null, { status: 304 });
  return fileResponse(file, { maxAgeSeconds: 300 });
}
