import type { LoaderFunctionArgs } from "@remix-run/node";
import { actorOf, requirePermission, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { exportOrganisationData } from "~/server/organisations/organisations.server";
import { orNotFound } from "~/server/http/results.server";
import { organisationDataResponse } from "~/server/organisations/export.server";
import { requireParam } from "~/server/http/params.server";

/** Art. 5–6: an organisation's data, exported for it (referent: any organisation). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requireSignedIn(request);
  const id = requireParam(params, "id", "uuid", "Organisme introuvable");
  const user = await requirePermission(request, "export:organisation_data", id);
  const data = await orNotFound(async () => exportOrganisationData(await getDb(), actorOf(user, context), id));
  return organisationDataResponse(data);
}
