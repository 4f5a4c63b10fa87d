import type { NextFunction, Request, Response } from "express";
import { getDb } from "../runtime.server";
import { artefactBytes, artefactEtag, artefactReply, etagMatches } from "../artefacts/artefacts.server";
import { extranetReportKey, PUBLIC_REPORT_CACHE_CONTROL } from "../dashboard/report-artefacts.server";

/**
 * The public report's fast path (ADR 021): `/extranet/tableau-de-bord/:year`
 * (optionally `?edition=n`) answered from its stored artefact before Remix
 * and before the global compression (the bytes are already compressed):
 * one primary-key lookup of the ETag, then a 304 or bytes held in the
 * process by ETag. Nothing stored yet (first request after a publication),
 * a database error or any other query string: next(), and the Remix route
 * (same authorization: public) renders, stores and answers.
 */
const PATH = /^\/extranet\/tableau-de-bord\/(\d{4})\/?$/;

export function publicReportFastPath(req: Request, res: Response, next: NextFunction) {
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
  void (async () => {
    const db = await getDb();
    const etag = await artefactEtag(db, key);
    if (!etag) return false;
    const request = { ifNoneMatch: req.get("if-none-match"), acceptEncoding: req.get("accept-encoding") };
    // A 304 needs the ETag only; bytes come from this process (by ETag) or, once, from the row.
    const artefact = etagMatches(request.ifNoneMatch, etag) ? { etag } : await artefactBytes(db, key, etag);
    if (!artefact) return false;
    const reply = artefactReply(artefact, request, PUBLIC_REPORT_CACHE_CONTROL);
    res.status(reply.status);
    res.set(reply.headers);
    res.end(reply.body ?? undefined);
    return true;
  })().then(
    (served) => {
      if (!served) next();
    },
    () => next(),
  );
}
