import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { auditContext, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { accountExportResponse, exportAccount } from "~/server/personal-data/account-export.server";
import { orNotFound } from "~/server/http/results.server";
import { ANY_ORGANISATION } from "~/domain/permissions";

/** An administrator exports a person's personal data for them (GDPR art. 15, e.g. a request received by post); audited. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requirePermission(request, "export:account", ANY_ORGANISATION);
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("Compte introuvable", { status: 404 });
  const db = await getDb();
  return accountExportResponse(await orNotFound(() => exportAccount(db, auditContext(admin, context), id.data)));
}
