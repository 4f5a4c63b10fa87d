import type { LoaderFunctionArgs } from "@remix-run/node";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { accountExportResponse, exportAccount } from "~/server/personal-data/account-export.server";

/** GDPR art. 15 and 20: the signed-in user's own personal data, as JSON (audited). Kept after an Art. 7 withdrawal. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "export:account");
  return accountExportResponse(await exportAccount(await getDb(), actorOf(user, context), user.id));
}
