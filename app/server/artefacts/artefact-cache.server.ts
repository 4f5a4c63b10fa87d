import pg from "pg";
import { sql } from "kysely";
import type { Db, DbHandle, Executor } from "../db.server";
import { logger } from "../logger.server";
import { getEnv } from "../env.server";
import { openRuntimeDb } from "../runtime.server";
import { ARTEFACT_CHANNEL, artefactBytes, artefactEtag, onLocalInvalidation, type Artefact } from "./artefacts.server";
import { onLocalSessionChange } from "../auth/session-changes.server";
import { forgetHeldPages } from "../http/held-generation.server";

/**
 * Published artefacts held in the process by key (ADR 033), so that serving
 * a stored page costs no database round trip at all. Coherence across
 * instances: every transaction that deletes a scope's artefacts (publication,
 * correction and the withdrawals it makes, ONPE transmission) sends
 * `NOTIFY odpe_artefacts` in that transaction; PostgreSQL delivers it at
 * commit to every listening connection, one per instance, and each instance
 * empties its cache. On the embedded database the listener is PGlite's own
 * (in-process, also delivered at commit).
 *
 * The process that makes the change also empties its caches at once
 * (invalidateArtefacts), so what it does right after its commit never reads
 * the old page while the notification is on its way back.
 *
 * Races: a reader that looked up the old row before the commit and stores it
 * after the notification would keep stale bytes, so each entry is stored
 * only if no notification arrived since its lookup started (`generation`).
 * Without a working listener (connection lost, not yet listening) the cache
 * holds nothing and every request does the primary-key lookup (ADR 021).
 *
 * Read models (ADR 040): the same cache holds a few shared, user-independent
 * lists that the signed-in pages read on every request (the published
 * editions, the extranet's publications), under the same rules: emptied by
 * every message on the channel — the editions' changes announce themselves
 * through invalidateArtefacts, and triggers on `publication` and
 * `organisation` (migration 2026120640_artefact_notify) announce every
 * statement that changes a publication or a source's name or logo — and, in
 * the process that makes the change, at once (the local hook of
 * invalidateArtefacts and invalidateLocally, the latter called by the
 * publication workflow; the session watcher's hook for `organisation`).
 * Held 60 s at most.
 */
const CACHE_SIZE = 256;
const MODEL_MAX_AGE_MS = 60_000;

export class ArtefactCache {
  private readonly entries = new Map<string, Artefact>();
  private readonly models = new Map<string, { value: unknown; storedAt: number }>();
  private generation = 0;
  private listening = false;
  private stop: (() => Promise<void>) | undefined;
  private closed = false;
  private readonly unhook: () => void;

  constructor(
    readonly db: Db,
    private readonly subscribe: Subscribe,
    /** false: this cache hears only notifications, as one in another process would (tests). */
    hearsLocalChanges = true,
  ) {
    if (hearsLocalChanges) {
      const unhooks = [onLocalInvalidation((scope) => this.invalidate(scope)), onLocalSessionChange(() => this.invalidateModels())];
      this.unhook = () => unhooks.forEach((unhook) => unhook());
    } else this.unhook = () => {};
  }

  /** Starts listening; until it has, and whenever the listener is lost, nothing is cached. */
  async start(): Promise<this> {
    try {
      this.stop = await subscribeWhileOpen(
        this.subscribe,
        () => this.closed,
        (scope) => this.invalidate(scope),
        () => this.lost(),
      );
      this.listening = this.stop !== undefined;
    } catch (error) {
      logger.warn({ err: error }, "artefact cache: LISTEN failed, serving with one lookup per request");
      this.retryLater();
    }
    return this;
  }

  /** The current artefact of `key`, or undefined when none is stored (the caller renders it). */
  async get(key: string): Promise<Artefact | undefined> {
    if (this.listening) {
      const hit = this.entries.get(key);
      if (hit) return hit;
    }
    const generation = this.generation;
    const etag = await artefactEtag(this.db, key);
    if (!etag) return undefined;
    const artefact = await artefactBytes(this.db, key, etag);
    if (artefact && this.listening && generation === this.generation) this.remember(key, artefact);
    return artefact;
  }

  /**
   * A shared read model (the same for every user) held by `key`, else loaded
   * by `load` and held if no change was announced while it loaded. The value
   * is shared: callers must not change it.
   */
  async model<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (this.listening) {
      const hit = this.models.get(key);
      if (hit && now - hit.storedAt < MODEL_MAX_AGE_MS) return hit.value as T;
    }
    const generation = this.generation;
    const value = await load();
    if (this.listening && generation === this.generation) this.models.set(key, { value, storedAt: now });
    return value;
  }

  /** The artefact of `key` if this process holds it (and listens), without any lookup; else undefined. */
  held(key: string): Artefact | undefined {
    return this.listening ? this.entries.get(key) : undefined;
  }

  /** Keeps an artefact just stored by this process (read before any notification of a later change). */
  put(key: string, artefact: Artefact, generation: number) {
    if (this.listening && generation === this.generation) this.remember(key, artefact);
  }

  get currentGeneration() {
    return this.generation;
  }

  get isListening() {
    return this.listening;
  }

  invalidate(_scope: string) {
    this.generation++;
    forgetHeldPages();
    this.entries.clear();
    this.models.clear();
  }

  /** A change in this process that the read models may show (an organisation's name or logo): they go, the artefacts stay. */
  invalidateModels() {
    this.generation++;
    forgetHeldPages();
    this.models.clear();
  }

  async close() {
    this.closed = true;
    this.listening = false;
    this.unhook();
    this.entries.clear();
    this.models.clear();
    const stop = this.stop;
    this.stop = undefined;
    await stop?.().catch(() => {});
  }

  private remember(key: string, artefact: Artefact) {
    this.entries.delete(key);
    this.entries.set(key, artefact);
    if (this.entries.size > CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
  }

  private lost() {
    this.listening = false;
    this.invalidate("*");
    if (!this.closed) {
      logger.warn("artefact cache: LISTEN connection lost, serving with one lookup per request until it is back");
      this.retryLater();
    }
  }

  private retryLater() {
    if (this.closed) return;
    setTimeout(() => void this.start(), 5_000).unref();
  }
}

/**
 * The subscription for a database handle: a connection of its own running
 * `LISTEN` on PostgreSQL; PGlite's in-process listener on the embedded
 * database (taken while holding Kysely's single connection, so that the
 * `LISTEN` statement cannot land inside another transaction).
 */
export function artefactSubscription(handle: DbHandle, databaseUrl: string | undefined) {
  return channelSubscription(handle, databaseUrl, ARTEFACT_CHANNEL);
}

/**
 * The scope a notification carries for a listener in `schema`, or null when
 * it belongs to another schema. Messages name their schema
 * (`schema=<schema>;<scope>`: the triggers since migration
 * 2026120650_notify_schema, and invalidateArtefacts), because a channel is
 * shared by every schema of a database: one portal's (or one test's) changes
 * must not empty another's caches. A message without a schema (an older
 * instance during an upgrade) is taken as this schema's: emptying a cache
 * once too often is safe, missing a change is not.
 */
export function notificationScope(payload: string, schema: string): string | null {
  const named = /^schema=([^;]*);(.*)$/s.exec(payload);
  if (!named) return payload;
  return named[1] === schema ? named[2]! : null;
}

type Subscribe = (onMessage: (scope: string) => void, onLost: () => void) => Promise<() => Promise<void>>;

/**
 * Subscribes unless the cache is closed, and ends at once a subscription that
 * lands after a close (ADR 054): a cache closed while its LISTEN connection
 * was being made, or retried after a loss, leaves no connection open behind it.
 */
export async function subscribeWhileOpen(
  subscribe: Subscribe,
  closed: () => boolean,
  onMessage: (scope: string) => void,
  onLost: () => void,
): Promise<(() => Promise<void>) | undefined> {
  if (closed()) return undefined;
  const stop = await subscribe(onMessage, onLost);
  if (!closed()) return stop;
  await stop().catch(() => {});
  return undefined;
}

/** The same for any channel (the session cache listens on its own, ADR 035). */
export function channelSubscription(handle: DbHandle, databaseUrl: string | undefined, channel: string) {
  return async (onMessage: (scope: string) => void, onLost: () => void): Promise<() => Promise<void>> => {
    // The schema this handle's statements run in (search_path): messages of other schemas are not ours.
    const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(handle.db)).rows[0]!.schema;
    const deliver = (payload: string) => {
      const scope = notificationScope(payload, schema);
      if (scope !== null) onMessage(scope);
    };
    if (handle.driver === "pglite") {
      const pglite = handle.pglite!;
      const unlisten = await handle.db.connection().execute(() => pglite.listen(channel, deliver));
      return () => handle.db.connection().execute(() => unlisten());
    }
    if (!databaseUrl) throw new Error(`${channel}: DATABASE_URL missing for LISTEN`);
    // A connection that cannot be made within 10 s fails (and is retried) instead of holding start and stop (ADR 054).
    const client = new pg.Client({ connectionString: databaseUrl, keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 10_000 });
    let ended = false;
    const lost = () => {
      if (ended) return;
      ended = true;
      client.end().catch(() => {});
      onLost();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (message) => {
      if (message.channel === channel) deliver(message.payload ?? "*");
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      ended = true;
      await client.end().catch(() => {});
      throw error;
    }
    return async () => {
      ended = true;
      await client.end().catch(() => {});
    };
  };
}

/** Caches by database: the process's runtime database gets one when the HTTP layer starts. */
const caches = new WeakMap<Db, ArtefactCache>();

export function artefactCacheFor(db: Db): ArtefactCache | undefined {
  return caches.get(db);
}

/**
 * A shared read model of `db` (ADR 040): held by the database's artefact
 * cache when it has one and listens, else loaded (a transaction, a database
 * without cache: always loaded).
 */
export function heldModel<T>(db: Executor, key: string, load: () => Promise<T>): Promise<T> {
  const cache = caches.get(db as Db);
  return cache ? cache.model(key, load) : load();
}

/** `hearsLocalChanges` false: as a cache in another process would (tests). */
export async function startArtefactCache(handle: DbHandle, databaseUrl: string | undefined, hearsLocalChanges = true): Promise<ArtefactCache> {
  const existing = caches.get(handle.db);
  if (existing) return existing;
  const cache = new ArtefactCache(handle.db, artefactSubscription(handle, databaseUrl), hearsLocalChanges);
  caches.set(handle.db, cache);
  return cache.start();
}

export async function stopArtefactCache(db: Db): Promise<void> {
  const cache = caches.get(db);
  caches.delete(db);
  await cache?.close();
}

/**
 * The cache of the process's runtime database, started by the HTTP layer on
 * its first request (not at start: starting stays as it is) and stopped at
 * shutdown. Until it listens, requests do the lookup.
 */
let processCache: { started: Promise<ArtefactCache> } | undefined;

export function ensureProcessArtefactCache(): void {
  if (processCache) return;
  const started = (async () => {
    const handle = await openRuntimeDb();
    return startArtefactCache(handle, getEnv().DATABASE_URL);
  })();
  processCache = { started };
  started.catch((error: unknown) => {
    logger.warn({ err: error }, "artefact cache not started");
    if (processCache?.started === started) processCache = undefined;
  });
}

export async function stopProcessArtefactCache(): Promise<void> {
  const current = processCache;
  processCache = undefined;
  if (!current) return;
  const cache = await current.started.catch(() => undefined);
  if (cache) await stopArtefactCache(cache.db);
}
