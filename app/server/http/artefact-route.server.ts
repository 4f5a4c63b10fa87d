import type { NextFunction, Request, Response } from "express";
import { getDb } from "../runtime.server";
import { artefactBytes, artefactEtag, artefactReply, etagMatches, type Artefact } from "../artefacts/artefacts.server";
import { artefactCacheFor, ensureProcessArtefactCache } from "../artefacts/artefact-cache.server";
import { extranetReportKey, PUBLIC_REPORT_CACHE_CONTROL } from "../dashboard/report-artefacts.server";
import { requestIdFrom } from "./security.server";

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
