import { createHash } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { EntryContext } from "@remix-run/node";
import { sql } from "kysely";
import { todayIso } from "~/domain/dates";
import type { HeldPageHandle } from "~/domain/held-page";
import type { Db } from "../db.server";
import { getDb } from "../runtime.server";
import { signedInUserOfCookie } from "../auth/authorize.server";
import { heldPagesGeneration } from "./held-generation.server";
import { isFilePath } from "./compression.server";
import type { HttpLocals } from "./context.server";

/**
 * Pages held in the process (ADR 055): a page rendered for a request is kept,
 * and the same request (same URL, protocol, host and cookies: the same
 * session) gets the same bytes again, without loaders or React, for as long
 * as nothing it could show has changed. What a page shows comes from the
 * database, the date and the request; so a page is held under
 *
 * - the database's snapshot (`pg_current_snapshot()`: xmin, xmax and the
 *   transactions in progress), read before the page's loaders run. A
 *   transaction that ends — on any instance, through the portal or psql —
 *   changes it, the moment its changes become visible; equal snapshots mean
 *   that nothing became visible in between, so a page rendered after the
 *   first one shows what a render now would. A loader that writes (an
 *   audited read) changes it itself: its page is never served from here;
 * - the process's cache generation (held-generation.server.ts): the caches
 *   the loaders read are emptied by NOTIFY a few milliseconds after another
 *   instance's commit, and a page rendered before that is dropped;
 * - the day (Europe/Paris): deadlines, lateness and withdrawals by date;
 * - the signed-in user and session, checked on every request as every page
 *   checks them (expiry, revocation), so a held page is never served to a
 *   session that has ended.
 *
 * Only the routes that say so hold their pages (`handle: HELD_PAGE`, every
 * matched route including the root; learned from their renders), from a
 * key's second request on (a page seen once costs nothing more than its
 * render); only a complete render without error or Set-Cookie is kept, and
 * the per-request values it contains — the CSP nonce and the request id — are
 * put back fresh on every answer. A page is held 60 s at most (defence in
 * depth); the process holds 1,000 pages of 16 Mi characters in all at most,
 * the least recently served dropped first. Keys are kept as their SHA-256
 * (they contain the cookies).
 */
const MAX_PAGES = 1_000;
const MAX_CHARS = 16 * 2 ** 20;
const MAX_AGE_MS = 60_000;
const MAX_PATHS = 4_096;
const MAX_SEEN = 10_000;
/** The per-request values a held page has its own copy of, split on: random enough never to occur by chance. */
const MIN_TOKEN_LENGTH = 24;

/** One held page: its text split on the per-request values, which `slots` name (0: nonce, 1: request id). */
interface HeldPage {
  snapshot: string;
  generation: number;
  day: string;
  userId: string | null;
  sessionId: string | null;
  parts: string[];
  slots: number[];
  headers: [string, string][];
  chars: number;
  storedAt: number;
}

/** What the HTTP layer hands a render (loadContext.held): where to hold it, and under what. */
export interface HeldRender {
  store: HeldPages;
  path: string;
  /** Set when the page may be held: the key and what was true when its render began. */
  capture?: HeldCapture;
}

export interface HeldCapture {
  key: string;
  snapshot: string;
  generation: number;
  day: string;
  userId: string | null;
  sessionId: string | null;
  /** The nonce and the request id this render uses. */
  tokens: [string, string];
}

/**
 * Reads the database's snapshot; requests that arrive while one read is running share the next one (never
 * an earlier one). Reads are sent one after the other, so their answers come in order.
 */
export class SnapshotReader {
  private running: Promise<string> | undefined;
  private queued: Promise<string> | undefined;

  constructor(private readonly query: () => Promise<string>) {}

  read(): Promise<string> {
    if (!this.running) {
      const read = this.query();
      this.running = read;
      const done = () => {
        if (this.running === read) this.running = undefined;
      };
      read.then(done, done);
      return read;
    }
    // This request arrived after the running read was sent: a commit that ended just before it (the user's
    // own change, then the redirect here) might not be seen by that read. It waits for the next one.
    const queued = (this.queued ??= this.running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queued = undefined;
        return this.read();
      }));
    return queued;
  }
}

/**
 * The snapshot a statement starts with: `xmin:xmax:xip,…` (transactions ending change it). On a standby
 * server the list of transactions in progress is always empty, so a commit may leave it unchanged: there
 * it throws, and pages are rendered, never held.
 */
export async function databaseSnapshot(db: Db): Promise<string> {
  const { rows } = await sql<{ snapshot: string; standby: boolean }>`select pg_current_snapshot()::text as snapshot, pg_is_in_recovery() as standby`.execute(db);
  if (rows[0]!.standby) throw new Error("held pages: a standby server's snapshot does not show every commit");
  return rows[0]!.snapshot;
}

/** What the held pages of this process did since it started, for /metrics (ADR 043): pages served from a copy, renders held. */
export const heldPageCounts = { served: 0, stored: 0 };

export class HeldPages {
  private readonly pages = new Map<string, HeldPage>();
  /** Paths whose render every matched route allows to hold: only for them is the snapshot read before Remix. */
  private readonly paths = new Set<string>();
  /** Keys requested once: a page is held from its key's second request on, so a page seen once costs no copy. */
  private readonly seen = new Set<string>();
  private latest: string | undefined;
  private chars = 0;
  readonly snapshots: SnapshotReader;

  constructor(query: () => Promise<string>) {
    // Each answer as it comes (in the order the reads were sent): another snapshot empties the store.
    this.snapshots = new SnapshotReader(() =>
      query().then((snapshot) => {
        this.observe(snapshot);
        return snapshot;
      }),
    );
  }

  get size() {
    return this.pages.size;
  }

  mayHold(path: string): boolean {
    return this.paths.has(path);
  }

  /** A render of `path` that every matched route allows to hold: from now on its requests read the snapshot. */
  learn(path: string) {
    if (this.paths.has(path)) return;
    if (this.paths.size >= MAX_PATHS) this.paths.delete(this.paths.values().next().value!);
    this.paths.add(path);
  }

  /** Whether `key` was requested before (and remembers it, most recent last): the first request of a key is only rendered. */
  seenBefore(key: string): boolean {
    if (this.seen.delete(key)) {
      this.seen.add(key);
      return true;
    }
    if (this.seen.size >= MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(key);
    return false;
  }

  /** The snapshot last read: any other one makes every page held so far useless. */
  observe(snapshot: string) {
    if (snapshot !== this.latest) {
      this.latest = snapshot;
      this.clear();
    }
  }

  /** The page held for `key` if it was rendered under exactly these conditions, else undefined. */
  get(key: string, at: Omit<HeldCapture, "key" | "tokens">, now = Date.now()): HeldPage | undefined {
    // A snapshot read before the latest one (a request that waited long for its session check): nothing is known for it.
    if (at.snapshot !== this.latest) return undefined;
    const page = this.pages.get(key);
    if (!page) return undefined;
    const current =
      page.snapshot === at.snapshot &&
      page.generation === at.generation &&
      page.generation === heldPagesGeneration() &&
      page.day === at.day &&
      page.userId === at.userId &&
      page.sessionId === at.sessionId &&
      now - page.storedAt < MAX_AGE_MS;
    if (!current) {
      this.drop(key);
      return undefined;
    }
    // Most recently used last: the least recently served are dropped first.
    this.pages.delete(key);
    this.pages.set(key, page);
    heldPageCounts.served++;
    return page;
  }

  /** Holds a finished render, unless anything it depends on changed since its render began. Returns whether it was held. */
  hold(capture: HeldCapture, html: string, headers: Headers, now = Date.now()): boolean {
    if (capture.snapshot !== this.latest || capture.generation !== heldPagesGeneration()) return false;
    if (headers.has("set-cookie")) return false;
    if (capture.tokens.some((token) => token.length < MIN_TOKEN_LENGTH)) return false;
    if (html.length > MAX_CHARS / 8) return false;
    const pattern = new RegExp(`(${capture.tokens.map(escapeRegExp).join("|")})`);
    const pieces = html.split(pattern);
    const parts: string[] = [];
    const slots: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      if (i % 2 === 0) parts.push(pieces[i]!);
      else slots.push(capture.tokens.indexOf(pieces[i]!));
    }
    // The request id may come from the client (X-Request-Id): one it chose to match some text of the page
    // would have that text replaced in every copy. The page carries it once (the root's data): else not held.
    if (slots.filter((slot) => slot === 1).length !== 1) return false;
    const stored: [string, string][] = [];
    let headerChars = 0;
    headers.forEach((value, name) => {
      stored.push([name, value]);
      headerChars += name.length + value.length;
    });
    this.drop(capture.key);
    const page: HeldPage = {
      snapshot: capture.snapshot,
      generation: capture.generation,
      day: capture.day,
      userId: capture.userId,
      sessionId: capture.sessionId,
      parts,
      slots,
      headers: stored,
      chars: html.length + headerChars + capture.snapshot.length,
      storedAt: now,
    };
    this.pages.set(capture.key, page);
    this.chars += page.chars;
    while (this.pages.size > MAX_PAGES || this.chars > MAX_CHARS) this.drop(this.pages.keys().next().value!);
    heldPageCounts.stored++;
    return true;
  }

  clear() {
    this.pages.clear();
    this.chars = 0;
  }

  private drop(key: string) {
    const page = this.pages.get(key);
    if (!page) return;
    this.pages.delete(key);
    this.chars -= page.chars;
  }
}

/** A held page's text with this request's nonce and request id. */
export function heldPageText(page: Pick<HeldPage, "parts" | "slots">, tokens: readonly [string, string]): string {
  let text = page.parts[0]!;
  for (let i = 0; i < page.slots.length; i++) text += tokens[page.slots[i]!]! + page.parts[i + 1]!;
  return text;
}

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

const stores = new WeakMap<Db, HeldPages>();
let lastStore: WeakRef<HeldPages> | undefined;

export function heldPagesFor(db: Db): HeldPages {
  let store = stores.get(db);
  if (!store) {
    store = new HeldPages(() => databaseSnapshot(db));
    stores.set(db, store);
  }
  if (lastStore?.deref() !== store) lastStore = new WeakRef(store);
  return store;
}

/** Pages the process holds now (its database's store), for /metrics. */
export function heldPagesNow(): number {
  return lastStore?.deref()?.size ?? 0;
}

/** The key of a request's page: what a render reads of the request besides the database and the date, as its SHA-256. */
export function heldPageKey(req: Pick<Request, "protocol" | "originalUrl" | "get">): string {
  return createHash("sha256").update(`${req.protocol}://${req.get("host") ?? ""}\n${req.originalUrl}\n${req.get("cookie") ?? ""}`).digest("base64");
}


/**
 * The HTTP layer's step (platform.server.ts, after compression and the
 * response defaults, just before Remix): a GET for a page whose route holds
 * its pages is answered from the page held for it when it is current;
 * otherwise the request goes on to Remix with what its render needs to be
 * held (loadContext.held). Anything that fails here goes on to Remix.
 */
export function heldPagesStep() {
  return function heldPage(req: Request, res: Response, next: NextFunction) {
    if (req.method !== "GET" || isFilePath(req.path) || req.path.startsWith("/api/")) return next();
    void serveHeld(req, res).then(
      (served) => {
        if (!served) next();
      },
      () => next()
    );
  };
}

async function serveHeld(req: Request, res: Response): Promise<boolean> {
  const locals = res.locals as HttpLocals;
  const store = heldPagesFor(await getDb());
  const held: HeldRender = { store, path: req.path };
  locals.held = held;
  if (!store.mayHold(req.path)) return false;
  const key = heldPageKey(req);
  // A page requested once is not held: no snapshot read, no copy (most first visits are not followed by a second).
  if (!store.seenBefore(key)) return false;
  // In this order. The day and the generation before the snapshot: a cache emptied meanwhile makes this
  // request's render unholdable, and a render crossing midnight is held under the day it began. The session
  // check after the snapshot: what it reads (role, name, withdrawal), which the render reuses, is then at
  // least as recent as the snapshot the page is held under.
  const day = todayIso();
  const generation = heldPagesGeneration();
  const snapshot = await store.snapshots.read();
  const cookie = req.get("cookie") ?? null;
  const user = cookie ? await signedInUserOfCookie(cookie) : null;
  const at = { snapshot, generation, day, userId: user?.id ?? null, sessionId: user?.sessionId ?? null };
  const tokens: [string, string] = [locals.cspNonce, locals.requestId];
  const page = store.get(key, at);
  if (!page) {
    held.capture = { key, ...at, tokens };
    return false;
  }
  res.statusCode = 200;
  for (const [name, value] of page.headers) res.setHeader(name, value);
  res.setHeader("Server-Timing", "held");
  res.end(heldPageText(page, tokens));
  return true;
}

/**
 * For entry.server: whether this render may be held — every matched route
 * holds its pages, no error — and then its path is learned. Returns the
 * capture to hold the finished page under, or undefined.
 */
export function holdableRender(held: HeldRender | undefined, context: EntryContext, status: number): HeldCapture | undefined {
  if (!held || status !== 200) return undefined;
  const { matches, errors } = context.staticHandlerContext;
  if (errors || matches.length === 0) return undefined;
  const allow = matches.every((match) => (context.routeModules[match.route.id]?.handle as Partial<HeldPageHandle> | undefined)?.held === true);
  if (!allow) return undefined;
  held.store.learn(held.path);
  return held.capture;
}
