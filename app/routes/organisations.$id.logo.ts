import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";

/** An organisation's logo (checked PNG/JPEG/WebP, served with its stored type and nosniff). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:organisation");
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("Logo introuvable", { status: 404 });
  const db = await getDb();
  const org = await db.selectFrom("organisation").select("logo_file_id").where("id", "=", id.data).executeTakeFirst();
  const file = org?.logo_file_id ? await getFile(db, org.logo_file_id) : null;
  if (!file) throw new Response("Logo introuvable", { status: 404 });
  if (request.headers.get("If-None-Match") === `"${file.sha256}"`) return new Response(null, { status: 304 });
  return fileResponse(file, { maxAgeSeconds: 300 });
}
