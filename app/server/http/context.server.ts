/** What the HTTP layer (server.mjs → platform.server.ts) hands to every loader and action. */
declare module "@remix-run/node" {
  interface AppLoadContext {
    requestId: string;
    ip: string;
    cspNonce: string;
  }
}

export {};
