import { requireApiToken } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { apiHandler, methodNotAllowed, uploadIdParam } from "~/server/api/handler.server";
import { apiJson } from "~/server/http/problem.server";
import { getUpload } from "~/server/api/partner-api.server";

/** GET /api/v1/uploads/{id}: one of the organisation's versions with its problems (another organisation's: 404). */
export const loader = apiHandler(async ({ request, params }) => {
  const client = await requireApiToken(request, "read:submission");
  return apiJson(await getUpload(await getDb(), client, uploadIdParam(params.id)));
});

export const action = methodNotAllowed(["GET"]);
