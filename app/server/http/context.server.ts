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

export {};
