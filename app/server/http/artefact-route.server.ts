import type { NextFunction, Request, Response } from "express";
import { getDb } from "../runtime.server";
import { artefactBytes, artefactEtag, artefactReply, etagMatches, type Artefact } from "../artefacts/artefacts.server";
import { artefactCacheFor, ensureProcessArtefactCache } from "../artefacts/artefact-cache.server";
import { extranetReportKey, PUBLIC_REPORT_CACHE_CONTROL, reportArtefactKey } from "../dashboard/report-artefacts.server";
import { permittedUserOfCookie } from "../auth/authorize.server";
import { MEMBER_REPORT_CACHE_CONTROL, MEMBER_REPORT_VARY, memberReportInput } from "../dashboard/member-report.server";
import { requestIdFrom } from "./security.server";
import { readParam } from "./params.server";

/**
 * The public report's fast path (ADR 021, ADR 033): `/extranet/tableau-de-bord/:year`
 * (optionally `?edition=n`) answered from its stored artefact, registered
 * before every other middleware (request id, helmet, the session, the
 * global compression, Remix): the page is public and already compressed.
 * The security headers are the ones helmet would set, computed once
 * (`headers`, see platform.server.ts; the page has no inline script, so no
 * nonce). The bytes come from the process's artefact cache (no database
 * round trip; emptied on every publication by LISTEN/NOTIFY), else from one
 * primary-key lookup. Nothing stored yet (first request after a
 * publication: a withdrawn edition's page is deleted with its withdrawal,
 * so it answers 410 there), a database error or any other query string:
 * next(), and the Remix route (same authorization: public) answers.
 */
const PATH = /^\/extranet\/tableau-de-bord\/(\d{4})\/?$/;

export function publicReportFastPath(headers: Readonly<Record<string, string>> = {}) {
  return function publicReport(req: Request, res: Response, next: NextFunction) {
    ensureProcessArtefactCache();
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const match = PATH.exec(req.path);
    if (!match) return next();
    const year = Number(match[1]);
    const keys = Object.keys(req.query);
    let number: number | undefined;
    if (keys.length === 1 && keys[0] === "edition" && typeof req.query.edition === "string" && /^[1-9]\d{0,5}$/.test(req.query.edition)) {
      number = Number(req.query.edition);
    } else if (keys.length > 0) {
      return next();
    }
    const key = extranetReportKey(year, number);
    const ifNoneMatch = req.get("if-none-match");
    void currentArtefact(key, ifNoneMatch).then(
      (artefact) => {
        if (!artefact) return next();
        const reply = artefactReply(artefact, { ifNoneMatch, acceptEncoding: req.get("accept-encoding") }, PUBLIC_REPORT_CACHE_CONTROL);
        res.statusCode = reply.status;
        for (const name in headers) res.setHeader(name, headers[name]!);
        res.setHeader("X-Request-Id", requestIdFrom(req.get("x-request-id")));
        for (const name in reply.headers) res.setHeader(name, reply.headers[name]!);
        res.end(req.method === "HEAD" ? undefined : (reply.body ?? undefined));
      },
      () => next(),
    );
  };
}

/** From the process's cache when it listens; else the ETag (a 304 needs nothing more), then bytes held by ETag or read once. */
async function currentArtefact(key: string, ifNoneMatch: string | undefined): Promise<(Pick<Artefact, "etag"> & Partial<Artefact>) | undefined> {
  const db = await getDb();
  const cache = artefactCacheFor(db);
  if (cache) return cache.get(key);
  const etag = await artefactEtag(db, key);
  if (!etag) return undefined;
  return etagMatches(ifNoneMatch, etag) ? { etag } : artefactBytes(db, key, etag);
}

/**
 * A member's request for the report (`/dashboard/:year`, ADR 035) whose page
 * this process holds: the session check of the authorization module
 * (`permittedUserOfCookie`, the loader's `read:dashboard`), then the held
 * page for that user's variant and query — 304 on a matching
 * `If-None-Match`, else its stored bytes in the accepted encoding — without
 * running Remix. Registered after the request id, helmet, Permissions-Policy
 * and the origin check, so the answer carries the same headers as the
 * route's. Anything else — no session or no permission (the route redirects
 * or refuses), a page not held, an error — goes on to the route.
 */
const MEMBER_PATH = /^\/dashboard\/([^/]+)\/?$/;

/** The year a member's report path names, read by the route's own reader (requireParam's readParam), else undefined. */
export function memberReportYear(path: string): number | undefined {
  const match = MEMBER_PATH.exec(path);
  return match ? readParam(match[1], "year") : undefined;
}

export function memberReportRevalidation() {
  return function memberReport(req: Request, res: Response, next: NextFunction) {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const cookie = req.get("cookie");
    if (!cookie) return next();
    const year = memberReportYear(req.path);
    if (year === undefined) return next();
    void heldMemberReport(cookie, year, req.originalUrl).then(
      (artefact) => {
        if (!artefact) return next();
        const reply = artefactReply(artefact, { ifNoneMatch: req.get("if-none-match"), acceptEncoding: req.get("accept-encoding") }, MEMBER_REPORT_CACHE_CONTROL);
        res.statusCode = reply.status;
        for (const name in reply.headers) res.setHeader(name, reply.headers[name]!);
        res.setHeader("Vary", `${reply.headers.Vary}, ${MEMBER_REPORT_VARY}`);
        res.end(req.method === "HEAD" ? undefined : (reply.body ?? undefined));
      },
      () => next(),
    );
  };
}

/** The page this process holds for this cookie's permitted user and query, else undefined. */
async function heldMemberReport(cookie: string, year: number, url: string): Promise<Artefact | undefined> {
  const user = await permittedUserOfCookie(cookie, "read:dashboard");
  if (!user) return undefined;
  const input = memberReportInput(user, year, new URL(url, "http://localhost").searchParams);
  return artefactCacheFor(await getDb())?.held(reportArtefactKey(input));
}
