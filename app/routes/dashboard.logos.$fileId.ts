import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { isContributorLogo } from "~/server/dashboard/editions.server";

/** A contributor's logo as cited in the dashboard (Art. 5): an organisation's logo, current or frozen in an edition. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:dashboard");
  const id = z.uuid().safeParse(params.fileId);
  if (!id.success) throw new Response("Logo introuvable", { status: 404 });
  const db = await getDb();
  const file = (await isContributorLogo(db, id.data, "members")) ? await getFile(db, id.data) : null;
  if (!file) throw new Response("Logo introuvable", { status: 404 });
  if (request.headers.get("If-None-Match") === `"${file.sha256}"`) return new Response(null, { status: 304 });
  return fileResponse(file, { maxAgeSeconds: 3600 });
}
