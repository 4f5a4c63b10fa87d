import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { auditContext, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { accountExportResponse, exportAccount } from "~/server/personal-data/account-export.server";
import { DomainError } from "~/server/errors.server";
import { ANY_ORGANISATION } from "~/domain/permissions";

/** An administrator exports a person's personal data for them (GDPR art. 15, e.g. a request received by post); audited. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const admin = await requirePermission(request, "export:account", ANY_ORGANISATION);
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("Compte introuvable", { status: 404 });
  try {
    return accountExportResponse(await exportAccount(await getDb(), auditContext(admin, context), id.data));
  } catch (error) {
    if (error instanceof DomainError && error.status === 404) throw new Response(error.message, { status: 404 });
    throw error;
  }
}
