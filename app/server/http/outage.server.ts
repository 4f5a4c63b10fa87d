import type { AppLoadContext, ServerBuild } from "@remix-run/node";
import { isDatabaseUnavailable } from "../db.server";
import { databaseUnavailableProblem, logDatabaseUnavailable, OUTAGE_MESSAGE, OUTAGE_RETRY_AFTER_SECONDS } from "./problem.server";

/**
 * What every page and endpoint answers while PostgreSQL cannot be reached
 * (stopped, restarting, connection lost): a 503 instead of a 500, for every
 * loader and action of the build, without touching the routes.
 *
 * - `/api/…`: the API's `application/problem+json` (type `unavailable`);
 * - pages: a thrown 503 response whose JSON body carries the French message
 *   and the request id, so the root ErrorBoundary shows the « Service
 *   momentanément indisponible » page with the id even though the root
 *   loader (which gives the id otherwise) failed too; the upload endpoint's
 *   drag-and-drop client shows `message` as it is.
 *
 * Remix replaces any other error by an opaque 500 in production, which is
 * why the mapping happens here, before Remix sees the error. Nothing is
 * stored by a request that ends here: each use case runs in one transaction,
 * which PostgreSQL rolls back when its connection dies.
 */
export interface OutageBody {
  ok: false;
  status: 503;
  message: string;
  requestId?: string;
}

type DataFunction = (args: { request: Request; context: AppLoadContext; params: unknown }) => unknown;

export function outageResponse(error: unknown, request: Request, context: AppLoadContext | undefined): Response {
  if (new URL(request.url).pathname.startsWith("/api/")) return databaseUnavailableProblem(error, context);
  logDatabaseUnavailable(error, context?.requestId);
  const body: OutageBody = { ok: false, status: 503, message: OUTAGE_MESSAGE, ...(context?.requestId ? { requestId: context.requestId } : {}) };
  return Response.json(body, { status: 503, headers: { "Retry-After": String(OUTAGE_RETRY_AFTER_SECONDS), "Cache-Control": "no-store" } });
}

function guard<F extends DataFunction>(fn: F): F {
  const guarded = async (args: Parameters<F>[0]) => {
    try {
      return await fn(args);
    } catch (error) {
      if (error instanceof Response || !isDatabaseUnavailable(error)) throw error;
      throw outageResponse(error, args.request, args.context);
    }
  };
  return guarded as F;
}

const guardedBuilds = new WeakMap<ServerBuild, ServerBuild>();

/** The same build, with every route's loader and action answering 503 while the database is unreachable. */
export function withOutageResponses(build: ServerBuild): ServerBuild {
  const cached = guardedBuilds.get(build);
  if (cached) return cached;
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => {
      const module = { ...route.module } as Record<string, unknown>;
      for (const name of ["loader", "action"] as const) {
        if (typeof module[name] === "function") module[name] = guard(module[name] as DataFunction);
      }
      return [id, { ...route, module: module as unknown as typeof route.module }];
    }),
  );
  const guardedBuild = { ...build, routes };
  guardedBuilds.set(build, guardedBuild);
  return guardedBuild;
}
