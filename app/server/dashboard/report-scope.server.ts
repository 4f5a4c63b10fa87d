import type { Transaction } from "kysely";
import type { Database } from "#db/schema";
import { invalidateArtefacts } from "../artefacts/artefacts.server";

/**
 * The stored report pages of a reference year form one scope (ADR 021): a
 * page lists the year's editions, marks the superseded ones and shows the
 * transmission date, so any change of those deletes them all. Kept apart
 * from report-artefacts.server.ts, which imports the pages (and so the
 * editions module that calls this).
 */
export const reportScope = (year: number) => `report:${year}`;

/** In a transaction that changes a year's editions (publication, correction, transmission). */
export const invalidateReportArtefacts = (trx: Transaction<Database>, year: number) => invalidateArtefacts(trx, reportScope(year));
