import type { Db, DbHandle } from "../db.server";
import { logger } from "../logger.server";
import { getEnv } from "../env.server";
import { openRuntimeDb } from "../runtime.server";
import { channelSubscription, subscribeWhileOpen } from "../artefacts/artefact-cache.server";
import { onLocalSessionChange } from "./session-changes.server";
import { forgetHeldPages } from "../http/held-generation.server";

/**
 * Validated sessions held in the process (ADR 035), so that a signed-in
 * request's session check costs no database round trip while nothing changed.
 *
 * What is held is the session row joined with its user and organisation, as
 * the check reads it (the secret's hash included: every request still proves
 * its secret, and expiry is still checked against the clock).
 *
 * Coherence across instances: triggers (migration 2026120616_session_notify)
 * send `NOTIFY odpe_sessions` for every statement that updates, deletes or
 * truncates a session, a user or an organisation; PostgreSQL delivers it at
 * commit to each instance's listening connection (PGlite: its in-process
 * listener) and every instance empties its cache.
 *
 * This process's own changes do not wait for their notification: every
 * statement that touches those tables through Kysely empties the cache before
 * it runs (session-changes.server.ts), and the cache then neither serves nor
 * stores for `LOCAL_CHANGE_PAUSE_MS` — the time for the change's transaction
 * to commit and its notification to come back. The process that ends a
 * session (logout, rotation) also forgets it at once (SessionManager).
 *
 * No stale session:
 * - an entry is stored only if no notification arrived since its lookup
 *   started (`generation`);
 * - while the listening connection is lost (or not yet up), nothing is held
 *   and every request does the one indexed lookup (ADR 028);
 * - an entry is held at most `maxAgeMs` (defence in depth), then read again.
 */
export const SESSION_CHANNEL = "odpe_sessions";
const CACHE_SIZE = 10_000;
const MAX_AGE_MS = 30_000;
const LOCAL_CHANGE_PAUSE_MS = 2_000;

export interface HeldSession {
  id: string;
  secret_hash: string;
  user_id: string;
  expires_at: Date | string;
  created_at: Date | string;
  email: string;
  display_name: string;
  role: string;
  organisation_id: string;
  status: string;
  organisation_name: string;
  withdrawal_effective_date: string | null;
}

export class SessionCache {
  private readonly entries = new Map<string, { row: HeldSession; storedAt: number }>();
  private readonly shell = new Map<string, { value: unknown; storedAt: number }>();
  private generation = 0;
  private listening = false;
  private stop: (() => Promise<void>) | undefined;
  private closed = false;
  private pausedUntil = 0;
  private readonly unhook: () => void;

  constructor(
    readonly db: Db,
    private readonly subscribe: (onMessage: (scope: string) => void, onLost: () => void) => Promise<() => Promise<void>>,
    options: { maxAgeMs?: number; hearsLocalChanges?: boolean } = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? MAX_AGE_MS;
    // false: this cache hears only notifications, as one in another process would (tests).
    this.unhook = options.hearsLocalChanges === false ? () => {} : onLocalSessionChange(() => this.localChange());
  }

  private readonly maxAgeMs: number;

  /** Starts listening; until it has, and whenever the listener is lost, nothing is held. */
  async start(): Promise<this> {
    try {
      this.stop = await subscribeWhileOpen(
        this.subscribe,
        () => this.closed,
        () => this.invalidate(),
        () => this.lost(),
      );
      this.listening = this.stop !== undefined;
    } catch (error) {
      logger.warn({ err: error }, "session cache: LISTEN failed, one lookup per request");
      this.retryLater();
    }
    return this;
  }

  get isListening() {
    return this.listening;
  }

  get currentGeneration() {
    return this.generation;
  }

  get size() {
    return this.entries.size;
  }

  /** The held row of session `id`, if held, listening and not older than `maxAgeMs`. */
  held(id: string, now = Date.now()): HeldSession | undefined {
    if (!this.active(now)) return undefined;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (now - entry.storedAt >= this.maxAgeMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.row;
  }

  /** Holds `row`, read by a lookup that started at `generation`, unless a change was announced since. */
  put(row: HeldSession, generation: number, now = Date.now()) {
    if (!this.active(now) || generation !== this.generation) return;
    this.entries.delete(row.id);
    this.entries.set(row.id, { row, storedAt: now });
    if (this.entries.size > CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
  }

  /**
   * Data every page's shell shows, the same for every user (the observatory's
   * identity), under the same rules: read again after any announced change.
   * The value is shared: callers must not change it.
   */
  async shared<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.active(now) ? this.shell.get(key) : undefined;
    if (hit && now - hit.storedAt < this.maxAgeMs) return hit.value as T;
    const generation = this.generation;
    const value = await load();
    if (this.active(Date.now()) && generation === this.generation) this.shell.set(key, { value, storedAt: Date.now() });
    return value;
  }

  /** This process ended these sessions (or a user's): forgotten now, before any notification. */
  forget(match: (row: HeldSession) => boolean) {
    this.generation++;
    forgetHeldPages();
    for (const [id, entry] of this.entries) if (match(entry.row)) this.entries.delete(id);
  }

  invalidate() {
    this.generation++;
    forgetHeldPages();
    this.entries.clear();
    this.shell.clear();
  }

  /** A statement of this process is about to change sessions, users or organisations. */
  private localChange() {
    this.invalidate();
    this.pausedUntil = Date.now() + LOCAL_CHANGE_PAUSE_MS;
  }

  private active(now: number) {
    return this.listening && now >= this.pausedUntil;
  }

  async close() {
    this.closed = true;
    this.unhook();
    this.listening = false;
    this.entries.clear();
    this.shell.clear();
    const stop = this.stop;
    this.stop = undefined;
    await stop?.().catch(() => {});
  }

  private lost() {
    this.listening = false;
    this.invalidate();
    if (!this.closed) {
      logger.warn("session cache: LISTEN connection lost, one lookup per request until it is back");
      this.retryLater();
    }
  }

  private retryLater() {
    if (this.closed) return;
    setTimeout(() => void this.start(), 5_000).unref();
  }
}

export function sessionSubscription(handle: DbHandle, databaseUrl: string | undefined) {
  return channelSubscription(handle, databaseUrl, SESSION_CHANNEL);
}

/**
 * The cache of the process's runtime database, started on the first session
 * check (getSessionManager) and stopped at shutdown. Until it listens,
 * session checks do the lookup.
 */
interface ProcessCache {
  db: Db;
  started: Promise<SessionCache>;
  cache?: SessionCache;
}
let processCache: ProcessCache | undefined;

export function processSessionCache(db: Db): SessionCache | undefined {
  if (processCache?.db === db) return processCache.cache;
  if (processCache) return undefined;
  const current: ProcessCache = {
    db,
    started: (async () => {
      const handle = await openRuntimeDb();
      if (handle.db !== db) throw new Error("session cache: not the runtime database");
      return new SessionCache(db, sessionSubscription(handle, getEnv().DATABASE_URL)).start();
    })(),
  };
  processCache = current;
  current.started.then(
    (cache) => {
      if (processCache === current) current.cache = cache;
      else void cache.close();
    },
    (error: unknown) => {
      logger.warn({ err: error }, "session cache not started");
      if (processCache === current) processCache = undefined;
    },
  );
  return undefined;
}

/** The process's cache if it is started for `db` (never starts one: `db` may be a transaction). */
export function startedSessionCache(db: unknown): SessionCache | undefined {
  const current = processCache;
  return current && current.db === db ? current.cache : undefined;
}

export async function stopProcessSessionCache(): Promise<void> {
  const current = processCache;
  processCache = undefined;
  if (!current) return;
  const cache = await current.started.catch(() => undefined);
  await cache?.close();
}
