import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { editionFileResponse, findPublishedEdition } from "~/server/dashboard/editions.server";
import { fileKindFromSlug } from "~/domain/dashboard";
import { withdrawnEditionResponse } from "~/server/disclosure/withdrawn.server";
import { pageNotFound } from "~/server/http/params.server";

const paramsSchema = z.object({ year: z.coerce.number().int().min(2000).max(2200), number: z.coerce.number().int().positive() });

/** The public PDF and XLSX of a published edition, without login (extranet). */
export async function loader({ params }: LoaderFunctionArgs) {
  const kind = fileKindFromSlug(params.file ?? "");
  const parsed = paramsSchema.safeParse(params);
  if (!parsed.success || (kind !== "pdf_public" && kind !== "xlsx_public")) throw pageNotFound("Fichier introuvable");
  const db = await getDb();
  const withdrawn = await withdrawnEditionResponse(db, parsed.data.year, parsed.data.number);
  if (withdrawn) throw withdrawn;
  const found = await findPublishedEdition(db, parsed.data.year, parsed.data.number);
  if (!found) throw pageNotFound("Fichier introuvable");
  return orNotFound(() => editionFileResponse(db, found.row.id, kind, { download: true }));
}
