import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { versionForDownload } from "~/server/collection/queries.server";
import { storedAnnotatedWorkbook } from "~/server/collection/annotated.server";
import { XLSX_CONTENT_TYPE } from "~/server/collection/submissions.server";
import { pageNotFound, requireParam } from "~/server/http/params.server";

/** "Download my workbook annotated": the partner's own file, faulty cells highlighted and commented (built once, then served from storage). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const id = requireParam(params, "id", "uuid", "Fichier introuvable");
  const db = await getDb();
  const version = await versionForDownload(db, user, id);
  if (!version) throw pageNotFound("Fichier introuvable");
  const annotated = await storedAnnotatedWorkbook(db, version);
  if (!annotated) throw pageNotFound("Fichier introuvable");
  return new Response(new Uint8Array(annotated.content), {
    headers: {
      "Content-Type": XLSX_CONTENT_TYPE,
      "Content-Disposition": `attachment; filename="ODPE_${version.reference_year}_${version.code}_v${version.number}_annote.xlsx"`,
      "Cache-Control": "private, no-store",
    },
  });
}
