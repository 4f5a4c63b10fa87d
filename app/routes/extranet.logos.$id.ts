import type { LoaderFunctionArgs } from "@remix-run/node";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** A member organisation's logo, open to all: publications and dashboards show each contributor's logo (Art. 5). */
export async function loader({ params }: LoaderFunctionArgs) {
  const id = requireParam(params, "id", "uuid", "Logo introuvable");
  const db = await getDb();
  const org = await db.selectFrom("organisation").select("logo_file_id").where("id", "=", id).executeTakeFirst();
  const file = org?.logo_file_id ? await getFile(db, org.logo_file_id) : null;
  if (!file) throw pageNotFound("Logo introuvable");
  return fileResponse(file, { maxAgeSeconds: 3600 });
}
