import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getWorkspaceFile } from "~/server/workspace/workspace.server";
import { orNotFound } from "~/server/http/results.server";
import { fileResponse } from "~/server/storage/files.server";
import { downloadName } from "~/domain/workspace";
import { requireParam } from "~/server/http/params.server";

/**
 * A workspace document's file (a given version, or the current one), for members (a version held for
 * review only for its uploader and the referent, Art. 4): always a download
 * (Content-Disposition: attachment) named with the extension of its sniffed type, never shown inline.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:workspace");
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const version = new URL(request.url).searchParams.get("version");
  const number = version && /^\d{1,6}$/.test(version) ? Number(version) : null;
  const file = await orNotFound(async () => getWorkspaceFile(await getDb(), id, number, user));
  return fileResponse({ ...file, filename: downloadName(file.filename, file.contentType) }, { download: true });
}
