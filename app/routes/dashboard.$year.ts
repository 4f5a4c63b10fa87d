import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { reportArtefact } from "~/server/dashboard/report-artefacts.server";
import { artefactResponse } from "~/server/artefacts/artefacts.server";
import { requireParam } from "~/server/http/params.server";
import { MEMBER_REPORT_CACHE_CONTROL, MEMBER_REPORT_VARY, memberReportInput } from "~/server/dashboard/member-report.server";

/**
 * The published report of a year (the latest edition, or ?edition=n), as a
 * standalone document: internal for the observatory's members, public for
 * readers (elected officials, directors). Readers never see raw submissions.
 * A revalidation of a page held in the process is answered before Remix
 * (app/server/http/artefact-route.server.ts, ADR 035) with the same check.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:dashboard");
  const year = requireParam(params, "year", "year", "Tableau de bord introuvable");
  const input = memberReportInput(user, year, new URL(request.url).searchParams);
  const artefact = await orNotFound(async () => reportArtefact(await getDb(), input));
  // The session check above, then the stored bytes of this reader's page (ADR 021).
  return artefactResponse(request, artefact, MEMBER_REPORT_CACHE_CONTROL, MEMBER_REPORT_VARY);
}
