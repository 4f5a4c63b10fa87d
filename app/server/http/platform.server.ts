import type { HttpLocals } from "./context.server";
import type { Server as HttpServer } from "node:http";
import express, { type Express, type Request as ExpressRequest, type Response as ExpressResponse } from "express";
import helmet from "helmet";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import { getEnv } from "../env.server";
import { logger } from "../logger.server";
import { bootstrap } from "../bootstrap.server";
import { writeBuildDemoTemplate } from "../observatory/demo-template.server";
import { closeRuntimeDb } from "../runtime.server";
import { startJobs, stopJobs } from "../jobs/worker.server";
import { closeHeavyPool } from "../heavy/pool.server";
import { helmetOptions, isOriginAllowed, newNonce, PERMISSIONS_POLICY, requestIdFrom, staticSecurityHeaders } from "./security.server";
import { problemTypeUri } from "./problem.server";
import { runInRequestScope } from "./request-scope.server";
import { withOutageResponses } from "./outage.server";
import { withBodyLimits } from "./body-limits.server";
import { compressionByKind, isFilePath } from "./compression.server";
import { memberReportRevalidation, publicReportFastPath } from "./artefact-route.server";
import { heldPagesStep } from "./held-pages.server";
import { stopProcessArtefactCache } from "../artefacts/artefact-cache.server";
import { stopProcessSessionCache } from "../auth/session-cache.server";
import { withStartupLock } from "../startup-lock.server";
import { timedStep } from "../start-timing.server";
import { startMetrics } from "./metrics.server";
import { runShutdown, type ShutdownStep } from "./shutdown.server";

/**
 * The HTTP layer around Remix, exported through entry.server so that
 * server.mjs stays a thin launcher and all of this is type-checked and bundled.
 */
export interface InstallOptions {
  build: ServerBuild | (() => Promise<ServerBuild>);
  /** Dev: Vite's connect middlewares; prod: undefined (static files served from build/client). */
  viteMiddlewares?: express.RequestHandler;
  clientDir?: string;
}


/**
 * Express's `trust proxy` from TRUST_PROXY (env.server.ts): a hop count or the
 * proxies' addresses/CIDR ranges, never "every hop". `req.ip` (the client
 * address used by login throttling and the audit trail) is then the address
 * the outermost trusted proxy saw (proxy-addr), so a client cannot choose it
 * by sending its own X-Forwarded-For.
 */
export function applyTrustProxy(app: Express, setting: false | number | string[]) {
  app.set("trust proxy", Array.isArray(setting) ? setting.join(",") : setting);
}

/**
 * Headers every response of the Remix handler gets, fixed just before they are
 * sent (ADR 017):
 * - `Cache-Control: private, no-store` unless the route set its own (public
 *   extranet pages and files set theirs): a signed-in page or download is never
 *   kept by a shared cache or the browser's history cache;
 * - exactly one `X-Content-Type-Options: nosniff` (helmet sets it, and file
 *   responses set it again, which the Remix adapter used to append).
 */
export function responseHeaderDefaults(_req: ExpressRequest, res: ExpressResponse, next: () => void) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ExpressResponse, ...args: unknown[]) {
    if (!res.headersSent) {
      if (!res.getHeader("Cache-Control")) res.setHeader("Cache-Control", "private, no-store");
      res.setHeader("X-Content-Type-Options", "nosniff");
    }
    return (writeHead as (...a: unknown[]) => ExpressResponse).apply(this, args);
  } as typeof res.writeHead;
  next();
}

export function install(app: Express, options: InstallOptions) {
  const env = getEnv();
  const dev = env.NODE_ENV === "development";
  app.disable("x-powered-by");
  applyTrustProxy(app, env.TRUST_PROXY);

  // The public report from its stored, precompressed bytes, before everything else (ADR 033): the
  // same security headers as every page, computed once (the page has no inline script: no nonce).
  app.use(publicReportFastPath(staticSecurityHeaders(env, dev)));

  app.use((req, res, next) => {
    const locals = res.locals as HttpLocals;
    locals.requestId = requestIdFrom(req.get("x-request-id"));
    locals.cspNonce = newNonce();
    res.setHeader("X-Request-Id", locals.requestId);
    // A GET/HEAD request's loaders share per-request work (e.g. the signed-in user); a POST's loaders
    // run after its action and must see what the action changed, so they get no shared scope.
    if (req.method === "GET" || req.method === "HEAD") runInRequestScope(next);
    else next();
  });

  app.use(helmet(helmetOptions(env, dev, (_req, res) => `'nonce-${((res as ExpressResponse).locals as HttpLocals).cspNonce}'`)));
  app.use((_req, res, next) => {
    res.setHeader("Permissions-Policy", PERMISSIONS_POLICY);
    next();
  });

  // CSRF: refuse state-changing requests from another origin (403).
  app.use((req, res, next) => {
    const allowed = isOriginAllowed({
      method: req.method,
      path: req.path,
      origin: req.get("origin"),
      host: req.get("host"),
      publicUrl: env.PUBLIC_URL,
    });
    if (allowed) return next();
    logger.warn({ requestId: (res.locals as HttpLocals).requestId, path: req.path, origin: req.get("origin") }, "origin refused");
    res
      .status(403)
      .type(req.path.startsWith("/api/") ? "application/problem+json" : "text/plain; charset=utf-8")
      .send(
        req.path.startsWith("/api/")
          ? JSON.stringify({
              type: problemTypeUri("forbidden"),
              title: "Origine refusée",
              status: 403,
              detail:
                "La requête porte l'en-tête Origin d'un autre site (protection contre la falsification de requêtes) : un système partenaire appelle l'API sans en-tête Origin, avec son jeton.",
              requestId: (res.locals as HttpLocals).requestId,
            })
          : "Requête refusée : elle ne provient pas du portail. Rechargez la page et réessayez.",
      );
  });

  // A member's report page held in the process: the session check, then its ETag or bytes, before Remix (ADR 035).
  app.use(memberReportRevalidation());

  // compression() leaves alone bodies under 1 KiB, bodies that carry a Content-Encoding (a reader's
  // report from its stored artefact) and types that are not compressible (images, PDF, xlsx); the
  // public report never reaches it (fast path above). Pages at a low level, files at the defaults (ADR 037).
  app.use(compressionByKind());

  if (options.viteMiddlewares) {
    app.use(options.viteMiddlewares);
  } else if (options.clientDir) {
    app.use("/assets", express.static(`${options.clientDir}/assets`, { immutable: true, maxAge: "1y" }));
    // The client build's own files at the root all have an extension (favicon.svg, dashboard-report.js…): a page's
    // path is not looked up on disk first (one stat per page request, ADR 035).
    const rootFiles = express.static(options.clientDir, { maxAge: "1h" });
    app.use((req, res, next) => (isFilePath(req.path) ? rootFiles(req, res, next) : next()));
  }

  app.use(responseHeaderDefaults);
  // A page held in the process, while nothing it shows has changed (ADR 055); else Remix renders it, and may hold it.
  // Never in development, where the code of a page changes under a running process.
  if (env.HELD_PAGES && !dev) app.use(heldPagesStep());
  app.all(
    "*",
    createRequestHandler({
      // Database outages answer 503 (problem+json on /api/), not Remix's opaque 500: see outage.server.ts.
      // Page actions read their bodies within their route's limit (413 beyond): see body-limits.server.ts.
      build: typeof options.build === "function" ? withOutageBuild(options.build) : withBodyLimits(withOutageResponses(options.build)),
      mode: env.NODE_ENV === "production" ? "production" : "development",
      getLoadContext: (req: ExpressRequest, res: ExpressResponse) => {
        const locals = res.locals as HttpLocals;
        return {
          requestId: locals.requestId,
          cspNonce: locals.cspNonce,
          ip: req.ip ?? req.socket.remoteAddress ?? "inconnue",
          ...(locals.held ? { held: locals.held } : {}),
        };
      },
    }),
  );
}

function withOutageBuild(load: () => Promise<ServerBuild>) {
  return async () => withBodyLimits(withOutageResponses(await load()));
}

/**
 * Opens, migrates and (demo) seeds the database, then starts the job queue.
 * `deferJobs` (server.mjs, embedded database): the queue is left to
 * `startJobs()`, called once the portal listens (ADR 036); on PostgreSQL it
 * always starts here, under the startup lock, so that two instances never
 * create pg-boss's schema at once.
 */
export async function start(options: { deferJobs?: boolean } = {}) {
  // Several instances on one PostgreSQL start one after the other (startup-lock.server.ts).
  const env = getEnv();
  // Runtime metrics from the first moment when METRICS_TOKEN is set (ADR 043).
  void startMetrics();
  return withStartupLock(env.DATABASE_URL, async () => {
    const info = await bootstrap();
    // The job queue and, unless JOBS_ENABLED=false, its workers run in this process (app/server/jobs).
    if (!options.deferJobs || env.DATABASE_URL) await timedStep("job queue (pg-boss)", () => startJobs());
    return info;
  });
}

/** Starts the job queue if `start` left it (idempotent). */
export { startJobs };

/**
 * The embedded database's schema template (ADR 041), written by
 * scripts/embedded-template.mjs through the server build, so that its key is
 * computed from the very migrations a start of this build would run.
 */
export { writeSchemaTemplate } from "../db.server";

/**
 * This build's prepared demo template (ADR 052), seeded by
 * scripts/embedded-template.mjs through the server build (in a child process,
 * demo mode, no DATABASE_URL): the code that seeds it is the code a start of
 * this build would run. Returns its file, or undefined outside a production build.
 */
export async function writeDemoTemplate(): Promise<string | undefined> {
  return (await writeBuildDemoTemplate(getEnv()))?.file;
}

/**
 * Stops what `start` started, in order (ADR 054): each step named in the logs when it is slow or fails, and the
 * whole bounded by SHUTDOWN_TIMEOUT_SECONDS — past it, the process exits with status 1 naming the step that never
 * ended, instead of hanging until its supervisor kills it.
 */
export async function shutdown(options: { before?: ShutdownStep[]; exit?: (code: number) => void } = {}) {
  const env = getEnv();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = env.SHUTDOWN_TIMEOUT_SECONDS * 1000;
  const startedAt = performance.now();
  // Running jobs get up to 10 s, less when the steps before (requests in flight) used the budget: what is left,
  // minus a margin for pg-boss to mark them failed and for the steps after, so that the deadline does not
  // cut the queue before it has (pg-boss waits 1 s at least).
  const jobsBudgetMs = () => Math.min(10_000, Math.max(1_000, deadlineMs - (performance.now() - startedAt) - 3_000));
  await runShutdown(
    [
      // The launcher's own steps (server.mjs: Vite's dev server, a job queue still starting).
      ...(options.before ?? []),
      { name: "artefact cache", run: stopProcessArtefactCache },
      { name: "session cache", run: stopProcessSessionCache },
      { name: "job queue (pg-boss)", run: () => stopJobs(jobsBudgetMs()) },
      { name: "heavy-work threads", run: closeHeavyPool },
      { name: "database", run: closeRuntimeDb },
    ],
    {
      slowStepMs: 5_000,
      deadlineMs,
      onDeadline: (step) => {
        logger.error({ step, seconds: env.SHUTDOWN_TIMEOUT_SECONDS }, "shutdown did not end in time: exiting");
        exit(1);
      },
    },
  );
}

/** The server's timeouts: headers, then the whole request (its body included), must arrive within these; idle keep-alive below the headers timeout. */
export function serverTimeouts() {
  const env = getEnv();
  const headersTimeout = env.HTTP_HEADERS_TIMEOUT_SECONDS * 1000;
  return { headersTimeout, requestTimeout: Math.max(env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000, headersTimeout), keepAliveTimeout: Math.min(5_000, headersTimeout - 1000) };
}

/** Applies `serverTimeouts()` to the listening server (server.mjs): a slow body is cut after `requestTimeout`, not Node's 300 s. */
export function configureServer(server: Pick<HttpServer, "headersTimeout" | "requestTimeout" | "keepAliveTimeout">) {
  Object.assign(server, serverTimeouts());
}

export function settings() {
  const env = getEnv();
  return { port: env.PORT, host: env.HOST, appMode: env.APP_MODE, publicUrl: env.PUBLIC_URL, shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT_SECONDS };
}
