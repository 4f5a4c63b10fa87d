import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getAmendmentDocument } from "~/server/convention/convention.server";
import { fileResponse } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** An amendment's signed PDF, as a download. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:convention");
  const number = requireParam(params, "number", "number", "Avenant introuvable");
  const file = await getAmendmentDocument(await getDb(), number);
  if (!file) throw pageNotFound("Aucun document joint");
  return fileResponse(file, { download: true });
}
