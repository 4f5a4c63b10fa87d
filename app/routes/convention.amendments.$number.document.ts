import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getAmendmentDocument } from "~/server/convention/convention.server";
import { fileResponse } from "~/server/storage/files.server";

/** An amendment's signed PDF, as a download. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:convention");
  const number = Number(params.number);
  if (!Number.isInteger(number) || number < 1) throw new Response("Avenant introuvable", { status: 404 });
  const file = await getAmendmentDocument(await getDb(), number);
  if (!file) throw new Response("Aucun document joint", { status: 404 });
  return fileResponse(file, { download: true });
}
