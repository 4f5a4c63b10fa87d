import type { Transaction } from "kysely";
import type { Database } from "#db/schema";
import type { Db } from "../db.server";
import { logger } from "../logger.server";
import { storedArtefact, type Artefact } from "../artefacts/artefacts.server";
import { artefactCacheFor } from "../artefacts/artefact-cache.server";
import { reportScope } from "./report-scope.server";
import { publishedReportPage, type ReportPageInput } from "./pages.server";
import { reportDocumentHtml } from "./document.server";

/**
 * The published report pages as stored artefacts (ADR 021): one per year,
 * edition number (or "latest"), audience, variant and link set. A page shows
 * the other editions of its year and whether it was superseded or sent to
 * ONPE, so every change of a year's editions (publication, correction,
 * transmission) deletes the year's artefacts in its transaction.
 */
export { invalidateReportArtefacts } from "./report-scope.server";

export const PUBLIC_REPORT_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400";

export function reportArtefactKey(input: ReportPageInput): string {
  const extranet = input.audience === "extranet";
  return [
    "report",
    input.year,
    input.number ?? "latest",
    input.audience,
    extranet ? "public" : input.variant,
    extranet ? "" : `${input.canSwitch ? "s" : ""}${input.canManage ? "m" : ""}`,
  ].join(":");
}

/** The public page of `year` (edition `number`, else the latest) as the Express fast path looks it up. */
export const extranetReportKey = (year: number, number?: number) => reportArtefactKey({ year, number, variant: "public", audience: "extranet" });

/** A publication of the year waits for a render that started before it (and the other way round). */
const lockYear = (year: number) => (trx: Transaction<Database>) =>
  trx.selectFrom("dashboard_edition").select("id").where("reference_year", "=", year).where("published_at", "is not", null).forShare().execute();

/** The stored page, rendered (and stored) on first request after a publication. Throws notFound like publishedReportPage. */
export async function reportArtefact(db: Db, input: ReportPageInput): Promise<Artefact> {
  const key = reportArtefactKey(input);
  // Held in the process while no publication of any year has been announced since (ADR 033).
  const cache = artefactCacheFor(db);
  const generation = cache?.currentGeneration ?? 0;
  const held = await cache?.get(key);
  if (held) return held;
  const artefact = await storedArtefact(
    db,
    key,
    reportScope(input.year),
    async (trx) => ({ content: reportDocumentHtml((await publishedReportPage(trx, input)).document), contentType: "text/html; charset=utf-8" }),
    lockYear(input.year),
  );
  cache?.put(key, artefact, generation);
  return artefact;
}

/**
 * After a publication's commit: renders the year's public page at once, so
 * the first reader does not pay for it. A failure here only delays that to
 * the first request (logged, never thrown: the publication is committed).
 */
export async function renderPublicReport(db: Db, year: number): Promise<void> {
  try {
    await reportArtefact(db, { year, variant: "public", audience: "extranet" });
  } catch (error) {
    logger.warn({ err: error, year }, "public report artefact not rendered after publication");
  }
}
