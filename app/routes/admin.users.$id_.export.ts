import type { LoaderFunctionArgs } from "@remix-run/node";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { accountExportResponse, exportAccount } from "~/server/personal-data/account-export.server";
import { orNotFound } from "~/server/http/results.server";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { requireParam } from "~/server/http/params.server";

/** An administrator exports a person's personal data for them (GDPR art. 15, e.g. a request received by post); audited. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requirePermission(request, "export:account", ANY_ORGANISATION);
  const id = requireParam(params, "id", "uuid", "Compte introuvable");
  const db = await getDb();
  return accountExportResponse(await orNotFound(() => exportAccount(db, actorOf(admin, context), id)));
}
