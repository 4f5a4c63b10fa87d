/**
 * A route's `handle` that lets the HTTP layer hold its pages (ADR 055):
 * `export const handle = HELD_PAGE;`. Only for a route whose page depends on
 * nothing but the database, the date (Europe/Paris) and the request (URL,
 * host, cookies) — no clock finer than the day, no state of the process —
 * and whose loader changes nothing outside the database. Every route of a
 * match must say so (the root does).
 */
export interface HeldPageHandle {
  held: true;
}

export const HELD_PAGE: HeldPageHandle = { held: true };
