import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import helmet, { type HelmetOptions } from "helmet";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface OriginCheckInput {
  method: string;
  path: string;
  origin: string | undefined;
  host: string | undefined;
  /** The portal's public URL when configured (behind a TLS proxy). */
  publicUrl?: string;
}

/**
 * CSRF defence: a state-changing request must come from the portal's own
 * origin. Browsers send `Origin` on every POST; a missing Origin is refused,
 * except on `/api/` where partner systems authenticate with a bearer token
 * and no cookie is ever read.
 */
export function isOriginAllowed(input: OriginCheckInput): boolean {
  if (SAFE_METHODS.has(input.method.toUpperCase())) return true;
  if (!input.origin || input.origin === "null") return input.path.startsWith("/api/");
  let origin: URL;
  try {
    origin = new URL(input.origin);
  } catch {
    return false;
  }
  if (input.publicUrl) return origin.origin === new URL(input.publicUrl).origin;
  return !!input.host && origin.host === input.host;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{8,100}$/;

/** Reuses a proxy's X-Request-Id when it looks sane, otherwise makes one. */
export function requestIdFrom(header: string | undefined): string {
  return header && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/** The Content-Security-Policy directives (helmet format) for a given nonce. */
export function cspDirectives(nonce: string, dev: boolean) {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: dev ? ["'self'", "'unsafe-inline'"] : ["'self'", `'nonce-${nonce}'`],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", "data:", "blob:"],
    fontSrc: ["'self'", "data:"],
    connectSrc: dev ? ["'self'", "ws:", "wss:"] : ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    upgradeInsecureRequests: null,
  };
}

type HelmetEnv = { secureCookies: boolean };
type NonceSource = (req: IncomingMessage, res: ServerResponse) => string;

export const PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()";

/** helmet's settings for every response; `nonce` adds the request's CSP nonce to script-src (pages with inline scripts). */
export function helmetOptions(env: HelmetEnv, dev: boolean, nonce?: NonceSource): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        ...cspDirectives("", dev),
        scriptSrc: dev ? ["'self'", "'unsafe-inline'"] : nonce ? ["'self'", nonce] : ["'self'"],
        upgradeInsecureRequests: env.secureCookies ? [] : null,
      },
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: "strict-origin-when-cross-origin" },
    strictTransportSecurity: env.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    xFrameOptions: { action: "deny" },
  };
}

/**
 * The headers helmet (and the Permissions-Policy middleware) set on a response
 * without a nonce, computed once: the public report's fast path sets them by
 * hand (ADR 033), so it can answer before the middleware chain.
 */
export function staticSecurityHeaders(env: HelmetEnv, dev: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
    getHeader: (name: string) => headers[name],
  };
  let done = false;
  helmet(helmetOptions(env, dev))({} as IncomingMessage, res as unknown as ServerResponse, () => {
    done = true;
  });
  if (!done) throw new Error("helmet did not complete synchronously");
  headers["Permissions-Policy"] = PERMISSIONS_POLICY;
  headers["X-Content-Type-Options"] = "nosniff";
  return headers;
}

