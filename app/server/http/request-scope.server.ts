import { AsyncLocalStorage } from "node:async_hooks";

/**
 * One HTTP request, as seen by everything that runs while it is served.
 *
 * Remix hands every loader of a document request its own copy of the
 * `Request` (it strips `?index`/`?_routes` into a new object per loader), so
 * work memoised per `Request` object (e.g. who is signed in) would run once
 * per loader. The HTTP layer opens a scope per incoming request
 * (platform.server.ts); code memoises per-request work on `requestScope()`.
 * Outside a scope (tests calling loaders directly, scripts) it is undefined.
 */
export type RequestScope = Map<symbol, unknown>;

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (and everything it starts) in a fresh request scope. */
export function runInRequestScope<T>(fn: () => T): T {
  return storage.run(new Map(), fn);
}

export function requestScope(): RequestScope | undefined {
  return storage.getStore();
}
