import type { LoaderFunctionArgs } from "@remix-run/node";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { editionFileResponse, findPublishedEdition } from "~/server/dashboard/editions.server";
import { fileKindFromSlug } from "~/domain/dashboard";
import { withdrawnEditionResponse } from "~/server/disclosure/withdrawn.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** The public PDF and XLSX of a published edition, without login (extranet). */
export async function loader({ params }: LoaderFunctionArgs) {
  const kind = fileKindFromSlug(params.file ?? "");
  if (kind !== "pdf_public" && kind !== "xlsx_public") throw pageNotFound("Fichier introuvable");
  const year = requireParam(params, "year", "year", "Fichier introuvable");
  const number = requireParam(params, "number", "number", "Fichier introuvable");
  const db = await getDb();
  const withdrawn = await withdrawnEditionResponse(db, year, number);
  if (withdrawn) throw withdrawn;
  const found = await findPublishedEdition(db, year, number);
  if (!found) throw pageNotFound("Fichier introuvable");
  return orNotFound(() => editionFileResponse(db, found.row.id, kind, { download: true }));
}
