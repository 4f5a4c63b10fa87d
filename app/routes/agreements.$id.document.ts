import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { agreementOwner, getAgreementDocument } from "~/server/agreements/agreements.server";
import { fileResponse } from "~/server/storage/files.server";

/** The signed agreement (PDF), for the referent and the organisation itself. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:agreement");
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("Document introuvable", { status: 404 });
  const db = await getDb();
  const owner = await agreementOwner(db, id.data);
  if (!owner) throw new Response("Document introuvable", { status: 404 });
  await requirePermission(request, "read:agreement", owner);
  const found = await getAgreementDocument(db, id.data);
  if (!found?.file) throw new Response("Aucun document joint", { status: 404 });
  return fileResponse(found.file, { download: true });
}
