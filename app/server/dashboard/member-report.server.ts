import { z } from "zod";
import { userCan, type CurrentUser } from "../auth/authorize.server";
import type { ReportPageInput } from "./pages.server";

/**
 * Which stored page a member's `/dashboard/:year` request names: shared by
 * the route (app/routes/dashboard.$year.ts) and the HTTP layer's
 * revalidation fast path (app/server/http/artefact-route.server.ts, ADR 035),
 * so that both read the same artefact for the same user and query (the
 * year is read by both with readParam, app/server/http/params.server.ts).
 */
const memberReportQuery = z.object({
  edition: z.coerce.number().int().positive().optional().catch(undefined),
  vue: z.enum(["publique", "interne"]).optional().catch(undefined),
});

/** Internal for the observatory's members who may read it (unless `?vue=publique`), public for readers. */
export function memberReportInput(user: CurrentUser, year: number, searchParams: URLSearchParams): ReportPageInput {
  const query = memberReportQuery.parse(Object.fromEntries(searchParams));
  const internal = userCan(user, "read:internal_dashboard");
  return {
    year,
    number: query.edition,
    variant: internal && query.vue !== "publique" ? "internal" : "public",
    audience: "members",
    canSwitch: internal,
    canManage: userCan(user, "manage:dashboard"),
  };
}

/** Cache-Control and the extra Vary of a member's report: revalidated each time, per user. */
export const MEMBER_REPORT_CACHE_CONTROL = "private, no-cache";
export const MEMBER_REPORT_VARY = "Cookie";
