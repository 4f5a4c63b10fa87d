import type { HeldRender } from "./held-pages.server";

/** What the HTTP layer (server.mjs → platform.server.ts) hands to every loader and action. */
declare module "@remix-run/node" {
  interface AppLoadContext {
    requestId: string;
    ip: string;
    cspNonce: string;
    /** Where and under what this page's render may be held (ADR 055); absent outside the HTTP layer's GET. */
    held?: HeldRender;
  }
}

/** What the HTTP layer keeps on each Express response (`res.locals`) for the steps after it and for Remix's load context. */
export interface HttpLocals {
  requestId: string;
  cspNonce: string;
  /** Set on GET requests by the held pages' step (ADR 055). */
  held?: HeldRender;
}
