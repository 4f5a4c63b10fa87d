import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { reportArtefact } from "~/server/dashboard/report-artefacts.server";
import { artefactResponse } from "~/server/artefacts/artefacts.server";
import { requireParam } from "~/server/http/params.server";

const querySchema = z.object({
  edition: z.coerce.number().int().positive().optional().catch(undefined),
  vue: z.enum(["publique", "interne"]).optional().catch(undefined),
});

/**
 * The published report of a year (the latest edition, or ?edition=n), as a
 * standalone document: internal for the observatory's members, public for
 * readers (elected officials, directors). Readers never see raw submissions.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:dashboard");
  const year = requireParam(params, "year", "year", "Tableau de bord introuvable");
  const query = querySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const internal = userCan(user, "read:internal_dashboard");
  const artefact = await orNotFound(async () =>
    reportArtefact(await getDb(), {
      year,
      number: query.edition,
      variant: internal && query.vue !== "publique" ? "internal" : "public",
      audience: "members",
      canSwitch: internal,
      canManage: userCan(user, "manage:dashboard"),
    }),
  );
  // The session check above, then the stored bytes of this reader's page (ADR 021).
  return artefactResponse(request, artefact, "private, no-cache", "Cookie");
}
