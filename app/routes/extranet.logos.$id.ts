import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";

/** A member organisation's logo, open to all: publications and dashboards show each contributor's logo (Art. 5). */
export async function loader({ params }: LoaderFunctionArgs) {
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("Logo introuvable", { status: 404 });
  const db = await getDb();
  const org = await db.selectFrom("organisation").select("logo_file_id").where("id", "=", id.data).executeTakeFirst();
  const file = org?.logo_file_id ? await getFile(db, org.logo_file_id) : null;
  if (!file) throw new Response("Logo introuvable", { status: 404 });
  return fileResponse(file, { maxAgeSeconds: 3600 });
}
