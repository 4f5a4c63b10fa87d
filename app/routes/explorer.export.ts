import type { LoaderFunctionArgs } from "@remix-run/node";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { exportFormats, exportPooledData, exportResponse, type ExportFormat } from "~/server/explorer/export.server";
import { orNotFound } from "~/server/http/results.server";
import { parseExplorerQuery } from "~/domain/explorer";

/** Art. 5: an internal export of pooled data (sources and internal-use mention inside), audited. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "export:pooled_data");
  const params = new URL(request.url).searchParams;
  const format = params.get("format") ?? "";
  if (!(exportFormats as readonly string[]).includes(format)) throw new Response("Format inconnu : csv ou xlsx.", { status: 400 });
  const query = parseExplorerQuery(params);
  if (!query) throw new Response("Choisissez un indicateur.", { status: 400 });
  const file = await orNotFound(async () => exportPooledData(await getDb(), actorOf(user, context), query, format as ExportFormat));
  return exportResponse(file);
}
