import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getConventionDocument } from "~/server/convention/convention.server";
import { fileResponse } from "~/server/storage/files.server";
import { pageNotFound } from "~/server/http/params.server";

/** The signed framework convention (PDF), as a download. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "read:convention");
  const file = await getConventionDocument(await getDb());
  if (!file) throw pageNotFound("Aucun document joint");
  return fileResponse(file, { download: true });
}
