import type { LoaderFunctionArgs } from "@remix-run/node";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { exportOrganisationData } from "~/server/organisations/organisations.server";
import { organisationDataResponse } from "~/server/organisations/export.server";

/** Art. 5–6: the user's own organisation's data; still allowed after a withdrawal (Art. 7). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "export:organisation_data");
  const data = await exportOrganisationData(await getDb(), actorOf(user, context), user.organisationId);
  return organisationDataResponse(data);
}
