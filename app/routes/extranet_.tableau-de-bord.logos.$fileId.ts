import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getDb } from "~/server/runtime.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { isContributorLogo } from "~/server/dashboard/editions.server";

/** A contributor's logo in a published public edition, without login (extranet, Art. 5). Nothing else is served. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const id = z.uuid().safeParse(params.fileId);
  if (!id.success) throw new Response("Logo introuvable", { status: 404 });
  const db = await getDb();
  const file = (await isContributorLogo(db, id.data, "public")) ? await getFile(db, id.data) : null;
  if (!file) throw new Response("Logo introuvable", { status: 404 });
  if (request.headers.get("If-None-Match") === `"${file.sha256}"`) return new Response(null, { status: 304 });
  return fileResponse(file, { maxAgeSeconds: 3600 });
}
