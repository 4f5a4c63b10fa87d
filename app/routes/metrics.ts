import type { LoaderFunctionArgs } from "@remix-run/node";
import { metricsResponse } from "~/server/http/metrics.server";

/**
 * Runtime metrics for monitoring (ADR 043): not a page and not user data —
 * off (404) unless METRICS_TOKEN is set, then only for that bearer token
 * (app/server/http/metrics.server.ts). No session is read.
 */
export function loader({ request }: LoaderFunctionArgs) {
  return metricsResponse(request);
}
