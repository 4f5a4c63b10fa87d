import { requireApiToken } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { apiHandler, methodNotAllowed } from "~/server/api/handler.server";
import { apiJson } from "~/server/http/problem.server";
import { listCampaigns } from "~/server/api/partner-api.server";

/** GET /api/v1/campaigns: the campaigns that concern the token's organisation. */
export const loader = apiHandler(async ({ request }) => {
  const client = await requireApiToken(request, "read:campaign");
  return apiJson(await listCampaigns(await getDb(), client));
});

export const action = methodNotAllowed(["GET"]);
