import "../http/context.server";
import { createHash, timingSafeEqual } from "node:crypto";
import { redirect, type AppLoadContext } from "@remix-run/node";
import { can, type PermissionRequest, type Role, type Subject } from "~/domain/permissions";
import { isWithdrawn } from "~/domain/organisations";
import { todayIso } from "~/domain/dates";
import { getEnv } from "../env.server";
import { getDb } from "../runtime.server";
import type { AuditContext } from "../audit/audit.server";
import { authenticateApiToken, consumeRateLimit, tokenLabel, unknownTokenFailures, type RateDecision } from "../api/tokens.server";
import { ApiProblem } from "../http/problem.server";
import { SessionManager, type SessionUser } from "./session.server";
import { processSessionCache } from "./session-cache.server";
import { requestScope } from "../http/request-scope.server";
import { userActor, type UserActor } from "../command.server";

/**
 * THE authorization module. Every loader, action and API handler goes
 * through one of the `require…` guards below; no role is checked anywhere else.
 * Page guards throw responses: a redirect to /login (anonymous) or a 403.
 * The API guard (`requireApiToken`) throws problems for the API's one mapper
 * (app/server/http/problem.server.ts); it never reads a cookie.
 */

let manager: SessionManager | undefined;
let managerDb: unknown;

export async function getSessionManager(): Promise<SessionManager> {
  const db = await getDb();
  if (!manager || managerDb !== db) {
    const env = getEnv();
    const sessionDb = db;
    manager = new SessionManager(
      db,
      {
        idleMinutes: env.SESSION_IDLE_MINUTES,
        absoluteHours: env.SESSION_ABSOLUTE_HOURS,
        secureCookies: env.secureCookies,
      },
      // The process's validated sessions, kept coherent across instances by NOTIFY (ADR 035).
      () => processSessionCache(sessionDb),
    );
    managerDb = db;
  }
  return manager;
}

const resolved = new WeakMap<Request, Promise<CurrentUser | null>>();
const USER_IN_SCOPE = Symbol("signed-in user");

export interface CurrentUser extends SessionUser {
  sessionId: string;
  /** Art. 7: the user's organisation has withdrawn and the withdrawal has taken effect. */
  organisationWithdrawn: boolean;
}

/**
 * The signed-in user of this request, or null. Validated once per request:
 * per `Request` object, and, within the HTTP layer's scope of a GET/HEAD
 * request, once for all its loaders (Remix gives each loader its own copy of
 * the `Request`; see app/server/http/request-scope.server.ts). One query:
 * the session with its user and the user's organisation.
 */
export function getOptionalUser(request: Request): Promise<CurrentUser | null> {
  const scope = requestScope();
  const cookie = request.headers.get("Cookie");
  const shared = scope?.get(USER_IN_SCOPE) as { cookie: string | null; pending: Promise<CurrentUser | null> } | undefined;
  let pending = resolved.get(request) ?? (shared && shared.cookie === cookie ? shared.pending : undefined);
  if (!pending) {
    pending = userOfCookie(cookie);
    if (scope && !shared) scope.set(USER_IN_SCOPE, { cookie, pending });
  }
  resolved.set(request, pending);
  return pending;
}

/** The session check itself: the user a Cookie header's session names, or null. */
async function userOfCookie(cookie: string | null): Promise<CurrentUser | null> {
  const sessions = await getSessionManager();
  const token = sessions.readSessionToken(cookie);
  if (!token) return null;
  const validated = await sessions.validate(token);
  if (!validated) return null;
  return {
    ...validated.user,
    sessionId: validated.sessionId,
    organisationWithdrawn: isWithdrawn({ withdrawal_effective_date: validated.user.organisationWithdrawalEffectiveDate }, todayIso()),
  };
}

/**
 * For the HTTP layer's fast paths that answer before Remix (ADR 035): the
 * signed-in user a Cookie header names if that user holds `permission`, else
 * null — and the caller then hands the request to Remix, whose loader makes
 * the same check and answers the redirect to login or the 403 itself.
 */
export async function permittedUserOfCookie(cookie: string | null, permission: PermissionRequest): Promise<CurrentUser | null> {
  const user = await userOfCookie(cookie);
  return user && can(user, permission) ? user : null;
}

/**
 * For the held pages (ADR 055), before Remix: the user a Cookie header's session names, or null — every
 * page's own session check. Within the request's scope, the loaders then use this same check (getOptionalUser).
 */
export function signedInUserOfCookie(cookie: string | null): Promise<CurrentUser | null> {
  const pending = userOfCookie(cookie);
  const scope = requestScope();
  if (scope && !scope.has(USER_IN_SCOPE)) scope.set(USER_IN_SCOPE, { cookie, pending });
  return pending;
}

function loginRedirect(request: Request): Response {
  const url = new URL(request.url);
  const target = url.pathname + url.search;
  const search = target === "/" ? "" : `?redirectTo=${encodeURIComponent(target)}`;
  return redirect(`/login${search}`);
}

export function forbiddenResponse(): Response {
  return new Response("Accès refusé", { status: 403, statusText: "Forbidden" });
}

/** Where the users of a withdrawn organisation land: the export of their own data. */
export const WITHDRAWN_LANDING = "/my-data";

/**
 * Art. 7: once its withdrawal takes effect, an organisation's users lose
 * access except to export their own organisation's data (Art. 5–6). Page
 * requests are sent to that export page; other requests get a 403.
 */
function withdrawnResponse(request: Request): Response {
  if (request.method === "GET" || request.method === "HEAD") return redirect(WITHDRAWN_LANDING);
  return new Response(
    "Accès refusé : votre organisme s'est retiré de la convention (art. 7). Vous pouvez seulement exporter ses données.",
    { status: 403, statusText: "Forbidden" },
  );
}

/**
 * Any signed-in user, withdrawn organisation or not: the first step of a
 * route that must look an object up before it knows which permission
 * applies, so that an anonymous visitor is sent to login whether the object
 * exists or not (no existence oracle).
 */
export async function requireSignedIn(request: Request): Promise<CurrentUser> {
  const user = await getOptionalUser(request);
  if (!user) throw loginRedirect(request);
  return user;
}

/**
 * Any signed-in user of an organisation still in the convention; anonymous
 * visitors are sent to the login page, users of a withdrawn organisation to
 * the export of their data.
 */
export async function requireUser(request: Request): Promise<CurrentUser> {
  const user = await requireSignedIn(request);
  if (user.organisationWithdrawn) throw withdrawnResponse(request);
  return user;
}

/**
 * A signed-in user holding `permission` (for `ownerOrganisationId` when
 * given). `can` refuses the users of a withdrawn organisation every
 * permission but those kept after withdrawal (app/domain/permissions.ts).
 */
export async function requirePermission(
  request: Request,
  permission: PermissionRequest,
  ownerOrganisationId?: string,
): Promise<CurrentUser> {
  const user = await requireSignedIn(request);
  if (!can(user, permission, ownerOrganisationId)) throw user.organisationWithdrawn ? withdrawnResponse(request) : forbiddenResponse();
  return user;
}

/** For views that adapt to the user: does this user hold the permission? */
export function userCan(
  user: { role: Role; organisationId: string; organisationWithdrawn?: boolean } | null,
  permission: PermissionRequest,
  owner?: string,
) {
  return can(user, permission, owner);
}

/** The audit actor for this request. */
export function auditContext(user: CurrentUser | null, context: AppLoadContext | undefined): AuditContext {
  return {
    actorUserId: user?.id ?? null,
    actorLabel: user ? `${user.displayName} <${user.email}>` : "anonyme",
    organisationId: user?.organisationId ?? null,
    ip: context?.ip ?? null,
    requestId: context?.requestId ?? null,
  };
}

/** The actor of this request's commands (app/server/command.server.ts): the user with the request's audit context. */
export function actorOf(user: CurrentUser, context: AppLoadContext | undefined): UserActor {
  return userActor(user, auditContext(user, context));
}

// ── Partner API (ADR 008) ───────────────────────────────────────────

/**
 * What an API token may do: act for its organisation with the permissions of
 * that organisation's `partner_correspondent` (the role that creates tokens).
 */
export const API_TOKEN_ROLE: Role = "partner_correspondent";

export interface ApiClient extends Subject {
  tokenId: string;
  tokenName: string;
  tokenPrefix: string;
  organisationCode: string;
  /** The correspondent who created the token (null from the command line): accountable for what it does. */
  accountableUserId: string | null;
}

const rateDecisions = new WeakMap<Request, RateDecision>();
const clientIps = new WeakMap<Request, string>();

/** The API handler records the client address of a request (req.ip, TRUST_PROXY) for the per-IP limit on unknown tokens. */
export function rememberClientIp(request: Request, ip: string | undefined) {
  if (ip) clientIps.set(request, ip);
}

function unknownTokenThrottled(resetSeconds: number, limit: number) {
  return new ApiProblem("rate-limited", {
    detail: `Trop de jetons d'accès inconnus envoyés depuis votre adresse (${limit} par minute au plus) : réessayez dans ${resetSeconds} seconde(s) avec un jeton valide.`,
    headers: { "Retry-After": String(resetSeconds) },
  });
}
const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;
const CHALLENGE = 'Bearer realm="Portail ODPE"';

/**
 * An operator's probe (GET /metrics, ADR 043): does the request carry
 * `Authorization: Bearer <expected>`? Compared as digests, so in constant
 * time whatever length was sent. No session, no organisation: the token is
 * the deployment's, not a user's.
 */
export function carriesOperatorToken(request: Request, expected: string): boolean {
  const given = BEARER.exec(request.headers.get("Authorization") ?? "")?.[1] ?? "";
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The partner system calling the API: `Authorization: Bearer <token>` →
 * sha256 lookup of an active token (its last use stamped) → the per-token
 * rate limit, counted in PostgreSQL (429 with Retry-After) → Art. 7 (an
 * organisation whose withdrawal took effect keeps only what `can` keeps: 409
 * otherwise) → `can(permission)` as its organisation's correspondent (403).
 * Missing, malformed, unknown and revoked tokens all get the same 401.
 */
export async function requireApiToken(request: Request, permission: PermissionRequest): Promise<ApiClient> {
  const header = request.headers.get("Authorization");
  const secret = header ? BEARER.exec(header)?.[1] : undefined;
  if (!secret) {
    throw new ApiProblem("unauthenticated", {
      detail: "Jeton d'accès manquant : ajoutez l'en-tête « Authorization: Bearer <jeton> ». Un correspondant crée les jetons dans « Accès API ».",
      headers: { "WWW-Authenticate": CHALLENGE },
    });
  }
  const db = await getDb();
  // Unknown tokens are limited per client address (ADR 017): past the limit, no lookup at all.
  const ip = clientIps.get(request) ?? "inconnue";
  const limit = getEnv().API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE;
  const before = await unknownTokenFailures(db, ip, "peek");
  if (before.count >= limit) throw unknownTokenThrottled(before.resetSeconds, limit);
  const token = await authenticateApiToken(db, secret);
  if (!token) {
    const after = await unknownTokenFailures(db, ip, "count");
    if (after.count > limit) throw unknownTokenThrottled(after.resetSeconds, limit);
    throw new ApiProblem("unauthenticated", {
      detail: "Jeton d'accès inconnu ou révoqué : vérifiez sa valeur ou demandez à votre correspondant d'en créer un nouveau dans « Accès API ».",
      headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
    });
  }
  const rate = await consumeRateLimit(db, token.id, getEnv().API_RATE_LIMIT_PER_MINUTE);
  rateDecisions.set(request, rate);
  if (!rate.allowed) {
    throw new ApiProblem("rate-limited", {
      detail: `Ce jeton a dépassé ${rate.limit} requêtes par minute : réessayez dans ${rate.resetSeconds} seconde(s).`,
      headers: { "Retry-After": String(rate.resetSeconds) },
    });
  }
  const client: ApiClient = {
    role: API_TOKEN_ROLE,
    organisationId: token.organisationId,
    organisationWithdrawn: isWithdrawn({ withdrawal_effective_date: token.withdrawalEffectiveDate }, todayIso()),
    tokenId: token.id,
    tokenName: token.name,
    tokenPrefix: token.prefix,
    organisationCode: token.organisationCode,
    accountableUserId: token.createdBy,
  };
  if (!can(client, permission, client.organisationId)) {
    if (client.organisationWithdrawn) {
      throw new ApiProblem("conflict", {
        detail: "Votre organisme s'est retiré de la convention (art. 7) : l'API ne lui est plus ouverte. Ses données restent exportables depuis le portail.",
      });
    }
    throw new ApiProblem("forbidden", { detail: "Ce jeton ne permet pas cette action pour votre organisme." });
  }
  return client;
}

/** The rate-limit headers for a request that went through `requireApiToken` (none otherwise). */
export function apiRateHeaders(request: Request): Record<string, string> {
  const rate = rateDecisions.get(request);
  if (!rate) return {};
  return { "RateLimit-Limit": String(rate.limit), "RateLimit-Remaining": String(rate.remaining), "RateLimit-Reset": String(rate.resetSeconds) };
}

/** The audit actor for an API request: the token, named, of its organisation. */
export function apiAuditContext(client: ApiClient, context: AppLoadContext | undefined): AuditContext {
  return {
    actorUserId: null,
    actorLabel: `${tokenLabel({ name: client.tokenName, token_prefix: client.tokenPrefix })} de ${client.organisationCode}`,
    organisationId: client.organisationId,
    ip: context?.ip ?? null,
    requestId: context?.requestId ?? null,
  };
}

/** The actor of an API request's commands: the token's organisation as its correspondent, accountable to the token's creator. */
export function apiActor(client: ApiClient, context: AppLoadContext | undefined): UserActor {
  const audit = apiAuditContext(client, context);
  return userActor({ ...client, id: client.accountableUserId, displayName: audit.actorLabel }, audit);
}
