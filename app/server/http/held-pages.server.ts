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

/**
 * Pages held in the process (ADR 055): a page rendered for a request is kept,
 * and the same request (same URL, host and cookies: the same session) gets
 * the same bytes again, without loaders or React, for as long as nothing it
 * could show has changed. What a page shows comes from the database, the
 * date and the request; so a page is held under
 *
 * - the database's WAL insert position (`pg_current_wal_insert_lsn()`), read
 *   before the page's loaders run: every commit that changes anything, on
 *   any instance, moves it, and a page is served again only while it has not
 *   moved. A loader that writes (an audited read) moves it itself: its page
 *   is never served from here;
 * - the process's cache generation (held-generation.server.ts): the caches
 *   the loaders read are emptied by NOTIFY a few milliseconds after another
 *   instance's commit, and a page rendered before that is dropped;
 * - the day (Europe/Paris): deadlines, lateness and withdrawals by date;
 * - the signed-in user and session, checked on every request as every page
 *   checks them (expiry, revocation), so a held page is never served to a
 *   session that has ended.
 *
 * Only the routes that say so hold their pages (`handle: HELD_PAGE`, every
 * matched route including the root; learned from their first render), from
 * a key's second request on (a page seen once costs nothing more than its
 * render), only a complete 200 render without
 * Set-Cookie and without any render error is kept, and the per-request values
 * it contains — the CSP nonce and the request id — are put back fresh on
 * every answer. A page is held 60 s at most (defence in depth); the process
 * holds 1,000 pages or 32 MiB at most, the oldest dropped first.
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
  position: bigint;
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
  position: bigint;
  generation: number;
  day: string;
  userId: string | null;
  sessionId: string | null;
  /** The nonce and the request id this render uses. */
  tokens: [string, string];
}

/** Reads the WAL insert position; requests that arrive while one read is running share the next one (never an earlier one). */
export class WalPosition {
  private running: Promise<bigint> | undefined;
  private queued: Promise<bigint> | undefined;

  constructor(private readonly query: () => Promise<bigint>) {}

  read(): Promise<bigint> {
    if (!this.running) {
      const read = this.query();
      this.running = read;
      const done = () => {
        if (this.running === read) this.running = undefined;
      };
      read.then(done, done);
      return read;
    }
    // This request arrived after the running read was sent: a commit made just before it might not be
    // seen by that read. It waits for the next one, sent once the running one ends.
    const queued = (this.queued ??= this.running
      .then(
        () => undefined,
        () => undefined
      )
      .then(() => {
        this.queued = undefined;
        return this.read();
      }));
    return queued;
  }
}

/** `pg_current_wal_insert_lsn()` as a number ("16/B374D848" → 0x16B374D848). */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new Error(`Unexpected WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export async function walInsertPosition(db: Db): Promise<bigint> {
  const { rows } = await sql<{
    lsn: string;
  }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(db);
  return parseLsn(rows[0]!.lsn);
}

export class HeldPages {
  private readonly pages = new Map<string, HeldPage>();
  /** Paths whose last render was holdable: only for them is the WAL position read before Remix. */
  private readonly paths = new Set<string>();
  /** Keys requested once: a page is held from its key's second request on, so a page seen once costs no copy. */
  private readonly seen = new Set<string>();
  private latest = -1n;
  private chars = 0;
  readonly wal: WalPosition;

  constructor(query: () => Promise<bigint>) {
    this.wal = new WalPosition(query);
  }

  get size() {
    return this.pages.size;
  }

  mayHold(path: string): boolean {
    return this.paths.has(path);
  }

  /** A render of `path` that every matched route allows to hold: from now on its requests read the position. */
  learn(path: string) {
    if (this.paths.has(path)) return;
    if (this.paths.size >= MAX_PATHS) this.paths.delete(this.paths.values().next().value!);
    this.paths.add(path);
  }

  /** Whether `key` was requested before (and remembers it): the first request of a key is only rendered. */
  seenBefore(key: string): boolean {
    if (this.seen.has(key)) return true;
    if (this.seen.size >= MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(key);
    return false;
  }

  /**
   * The position last read: any other one makes every page held so far useless. Reads are sent one after
   * the other (WalPosition), so a lower one is not a late answer: the database was restored or failed over
   * to a server that is behind, and its positions start again from there.
   */
  observe(position: bigint) {
    if (position !== this.latest) {
      this.latest = position;
      this.clear();
    }
  }

  /** The page held for `key` if it was rendered under exactly these conditions, else undefined. */
  get(key: string, at: Omit<HeldCapture, "key" | "tokens">, now = Date.now()): HeldPage | undefined {
    this.observe(at.position);
    const page = this.pages.get(key);
    if (!page) return undefined;
    const current =
      page.position === at.position &&
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
    // Most recently used last: the oldest are dropped first.
    this.pages.delete(key);
    this.pages.set(key, page);
    return page;
  }

  /** Holds a finished render, unless anything it depends on changed since its render began. Returns whether it was held. */
  hold(capture: HeldCapture, html: string, headers: Headers, now = Date.now()): boolean {
    if (capture.position !== this.latest || capture.generation !== heldPagesGeneration()) return false;
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
    const stored: [string, string][] = [];
    headers.forEach((value, name) => stored.push([name, value]));
    this.drop(capture.key);
    const page: HeldPage = {
      position: capture.position,
      generation: capture.generation,
      day: capture.day,
      userId: capture.userId,
      sessionId: capture.sessionId,
      parts,
      slots,
      headers: stored,
      chars: html.length + capture.key.length,
      storedAt: now,
    };
    this.pages.set(capture.key, page);
    this.chars += page.chars;
    while (this.pages.size > MAX_PAGES || this.chars > MAX_CHARS) this.drop(this.pages.keys().next().value!);
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

export function heldPagesFor(db: Db): HeldPages {
  let store = stores.get(db);
  if (!store) {
    store = new HeldPages(() => walInsertPosition(db));
    stores.set(db, store);
  }
  return store;
}

/** The key of a request's page: what a render reads of the request besides the database and the date. */
export function heldPageKey(req: Pick<Request, "protocol" | "originalUrl" | "get">): string {
  return `${req.protocol}://${req.get("host") ?? ""}\n${req.originalUrl}\n${req.get("cookie") ?? ""}`;
}

interface Locals {
  requestId: string;
  cspNonce: string;
  held?: HeldRender;
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
  const locals = res.locals as Locals;
  const store = heldPagesFor(await getDb());
  const held: HeldRender = { store, path: req.path };
  locals.held = held;
  if (!store.mayHold(req.path)) return false;
  const key = heldPageKey(req);
  // A page requested once is not held: no position read, no copy (most first visits are not followed by a second).
  if (!store.seenBefore(key)) return false;
  // Read before the position: a cache emptied meanwhile makes this request's render unholdable.
  const generation = heldPagesGeneration();
  const cookie = req.get("cookie") ?? null;
  const [position, user] = await Promise.all([store.wal.read(), cookie ? signedInUserOfCookie(cookie) : null]);
  const at = {
    position,
    generation,
    day: todayIso(),
    userId: user?.id ?? null,
    sessionId: user?.sessionId ?? null,
  };
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
