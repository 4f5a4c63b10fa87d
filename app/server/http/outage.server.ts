import type { AppLoadContext, ServerBuild } from "@remix-run/node";
import { isDatabaseUnavailable } from "../db.server";
import { DomainError } from "../errors.server";
import { logger } from "../logger.server";
import { BAD_INPUT_MESSAGE, isBadInputError, logBadInput, urlHasNul } from "./bad-input.server";
import {
  databaseUnavailableProblem,
  logDatabaseUnavailable,
  OUTAGE_MESSAGE,
  OUTAGE_RETRY_AFTER_SECONDS,
  problemResponse,
  toProblemResponse,
} from "./problem.server";

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
  if (isApi(request)) return databaseUnavailableProblem(error, context);
  logDatabaseUnavailable(error, context?.requestId);
  const body: OutageBody = { ok: false, status: 503, message: OUTAGE_MESSAGE, ...(context?.requestId ? { requestId: context.requestId } : {}) };
  return Response.json(body, { status: 503, headers: { "Retry-After": String(OUTAGE_RETRY_AFTER_SECONDS), "Cache-Control": "no-store" } });
}

const isApi = (request: Request) => new URL(request.url).pathname.startsWith("/api/");

/** 400 for bad input (ADR 017): the API's problem+json, or the page's French error page. */
export function badInputResponse(request: Request, context: AppLoadContext | undefined, message = BAD_INPUT_MESSAGE): Response {
  if (isApi(request)) return problemResponse("bad-request", { detail: message }, context);
  return new Response(message, { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}

/** A domain refusal that escaped a loader (e.g. the package of a draft edition): its status and French message. */
function domainErrorResponse(error: DomainError, request: Request, context: AppLoadContext | undefined): Response {
  if (isApi(request)) return toProblemResponse(error, context);
  return new Response(error.message, { status: error.status, headers: { ...error.headers, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}

/**
 * What every loader and action of the build goes through: a URL with a NUL
 * byte is refused before any work; afterwards an error is mapped — the client
 * went away (aborted upload: not an outage, logged as such), the database is
 * unreachable (503), a domain refusal (its status), bad input refused by the
 * database (400) — and anything else goes on to Remix (a real 500).
 */
export function guardDataFunction<F extends DataFunction>(fn: F): F {
  const guarded = async (args: Parameters<F>[0]) => {
    if (urlHasNul(args.request.url)) throw badInputResponse(args.request, args.context);
    try {
      return await fn(args);
    } catch (error) {
      if (error instanceof Response) throw error;
      if (args.request.signal.aborted) {
        // The client closed the connection (e.g. cancelled its upload): nobody is left to answer, and the
        // database is fine. The use case's transaction rolled back; log it for what it is.
        logger.info({ requestId: args.context?.requestId, path: new URL(args.request.url).pathname }, "client aborted the request");
        throw new Response("Requête interrompue par le client.", { status: 400 });
      }
      if (isDatabaseUnavailable(error)) throw outageResponse(error, args.request, args.context);
      if (error instanceof DomainError) throw domainErrorResponse(error, args.request, args.context);
      if (isBadInputError(error)) {
        logBadInput(error, args.context?.requestId, new URL(args.request.url).pathname);
        throw badInputResponse(args.request, args.context);
      }
      throw error;
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
        if (typeof module[name] === "function") module[name] = guardDataFunction(module[name] as DataFunction);
      }
      return [id, { ...route, module: module as unknown as typeof route.module }];
    }),
  );
  const guardedBuild = { ...build, routes };
  guardedBuilds.set(build, guardedBuild);
  return guardedBuild;
}
