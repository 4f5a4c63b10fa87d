import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { versionForDownload } from "~/server/collection/queries.server";
import { annotateWorkbook } from "~/server/collection/annotate.server";
import { XLSX_CONTENT_TYPE } from "~/server/collection/submissions.server";
import { getFile } from "~/server/storage/files.server";
import type { Problem } from "~/domain/problems";

/** "Download my workbook annotated": the partner's own file, faulty cells highlighted and commented. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const db = await getDb();
  const version = await versionForDownload(db, user, params.id ?? "");
  if (!version) throw new Response("Fichier introuvable", { status: 404 });
  const file = await getFile(db, version.file_id);
  if (!file) throw new Response("Fichier introuvable", { status: 404 });
  const annotated = await annotateWorkbook(file.content, (version.problems ?? []) as Problem[]);
  return new Response(new Uint8Array(annotated), {
    headers: {
      "Content-Type": XLSX_CONTENT_TYPE,
      "Content-Disposition": `attachment; filename="ODPE_${version.reference_year}_${version.code}_v${version.number}_annote.xlsx"`,
      "Cache-Control": "private, no-store",
    },
  });
}
