import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { agreementOwner, getAgreementDocument } from "~/server/agreements/agreements.server";
import { fileResponse } from "~/server/storage/files.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** The signed agreement (PDF), for the referent and the organisation itself. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:agreement");
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const db = await getDb();
  const owner = await agreementOwner(db, id);
  if (!owner) throw pageNotFound("Document introuvable");
  await requirePermission(request, "read:agreement", owner);
  const found = await getAgreementDocument(db, id);
  if (!found?.file) throw pageNotFound("Aucun document joint");
  return fileResponse(found.file, { download: true });
}
