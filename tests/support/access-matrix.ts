import { roles, type Role } from "~/domain/permissions";
import type { AccessFixtures } from "./access-fixtures";

/**
 * THE ACCESS MATRIX: for every route of the app (every file of app/routes),
 * who may do what. tests/integration/access-matrix.test.ts reads the route
 * manifest the way the app builds it (app/routes.ts) and fails when a route
 * is missing here, when an entry names a route that no longer exists, when a
 * loader or action exported by a module has no probe, or when an operation of
 * the partner API's OpenAPI document has none. Each probe is then sent, as a
 * real Request, once per actor, to the real loader or action.
 *
 * How to declare a route: add an entry keyed by its route id ("routes/" + the
 * file name without extension), give its URL pattern as the manifest has it,
 * and one probe per request worth making (GET for a loader, POST for an
 * action; for routes taking an id, one probe with organisation A's object and
 * one with organisation B's). The expected outcome is written for every actor:
 * the helpers below only shorten the common shapes. See docs/security.md.
 */

/**
 * Browser actors: nobody signed in; a user of organisation A holding each
 * role; and the correspondent and validator of organisation W, whose
 * withdrawal has taken effect (Art. 7).
 */
export const withdrawnActors = ["withdrawn_correspondent", "withdrawn_validator"] as const;
export type WithdrawnActor = (typeof withdrawnActors)[number];
export type PageActor = "anonymous" | Role | WithdrawnActor;
export const pageActors: readonly PageActor[] = ["anonymous", ...roles, ...withdrawnActors];

/**
 * Partner-API actors: no Authorization header, a well-formed but unknown
 * token, a revoked token, a browser session cookie without token (the API
 * never reads cookies), a valid token of organisation A, and a token of
 * organisation W, withdrawn (Art. 7).
 */
export const apiActors = ["no_token", "unknown_token", "revoked_token", "session_cookie", "token", "withdrawn_token"] as const;
export type ApiActor = (typeof apiActors)[number];

/**
 * - allowed: the guard lets the request through. A GET answers 2xx (304 for
 *   a cached file); a POST answers 2xx, a redirect (not to /login), or refuses
 *   the (deliberately empty or invalid) input: 400, 409, 413, 415 or 422.
 * - login: 302 to /login (anonymous visitor of a page).
 * - forbidden: 403. notFound: 404. hidden: 403 or 404 (another
 *   organisation's object: never its data).
 * - withdrawn: Art. 7, the user's organisation has withdrawn: a GET is sent
 *   to /my-data (the export of its own data), a POST refused (403).
 * - unauthorized: 401 with a WWW-Authenticate challenge (partner API).
 * - conflict: 409, the token's organisation has withdrawn (partner API, Art. 7).
 * - methodNotAllowed: 405 with an Allow header (partner API).
 * - `redirect:<location>`: exactly that redirect.
 */
export type Outcome =
  | "allowed"
  | "login"
  | "forbidden"
  | "notFound"
  | "hidden"
  | "withdrawn"
  | "unauthorized"
  | "conflict"
  | "methodNotAllowed"
  | `redirect:${string}`;

export interface Probe<A extends string> {
  method: "GET" | "POST";
  /** What the probe is about, in the test name ("organisation B's version"). */
  label?: string;
  /** The convention article the rule comes from, cited in the test name. */
  article?: string;
  url: (f: AccessFixtures) => string;
  /** POST body: URL-encoded fields (default: none). */
  form?: (f: AccessFixtures) => Record<string, string>;
  /** Send the body as multipart/form-data (the upload forms). */
  multipart?: boolean;
  /** API POST body, sent as JSON. */
  json?: unknown;
  /** The probe ends the session (logout): sign in afresh for it. */
  freshSession?: boolean;
  /**
   * What the answer must not contain when these actors are allowed in: the
   * identifiers of organisation B's objects, in a page or a JSON answer scoped
   * to the actor's own organisation.
   */
  conceals?: { from: A[]; values: (f: AccessFixtures) => string[] };
  expect: Record<A, Outcome>;
}

export type RouteEntry =
  | { kind: "page"; path: string; probes: Probe<PageActor>[] }
  | { kind: "api"; path: string; probes: Probe<ApiActor>[] };

// ── Shorthands ──────────────────────────────────────────────────────────────

const everyone = (outcome: Outcome): Record<PageActor, Outcome> => Object.fromEntries(pageActors.map((a) => [a, outcome])) as Record<PageActor, Outcome>;

/**
 * Only the `allowed` actors pass; other roles of organisation A get `others`,
 * anonymous visitors `anonymous`, and the withdrawn organisation's users
 * (unless allowed) "withdrawn" (Art. 7).
 */
function only(allowed: (Role | WithdrawnActor)[], others: Outcome = "forbidden", anonymous: Outcome = "login"): Record<PageActor, Outcome> {
  const outcomeOf = (a: PageActor): Outcome =>
    a === "anonymous" ? anonymous : (allowed as string[]).includes(a) ? "allowed" : (withdrawnActors as readonly string[]).includes(a) ? "withdrawn" : others;
  return Object.fromEntries(pageActors.map((a) => [a, outcomeOf(a)])) as Record<PageActor, Outcome>;
}

/** Every signed-in user of a member organisation. */
const signedIn = () => only([...roles]);

/** A public page: anyone, signed in or not. */
const open = () => everyone("allowed");

/** A token-guarded operation (`others`: unauthorized; a withdrawn organisation's token: conflict), or one answering everyone alike. */
function api(token: Outcome, others: Outcome = "unauthorized"): Record<ApiActor, Outcome> {
  const guarded = others === "unauthorized";
  return Object.fromEntries(apiActors.map((a) => [a, a === "token" ? token : a === "withdrawn_token" && guarded ? "conflict" : others])) as Record<ApiActor, Outcome>;
}

const MEMBERS: Role[] = ["odpe_referent", "committee_member", "partner_correspondent", "partner_validator"];
const DASHBOARD_READERS: Role[] = ["odpe_referent", "committee_member", "partner_correspondent", "partner_validator", "reader"];
const ORG_DATA: Role[] = ["odpe_referent", "partner_correspondent", "partner_validator"];
const AUTHORS: Role[] = ["odpe_referent", "committee_member", "partner_correspondent"];
const REFERENT: Role[] = ["odpe_referent"];
const ADMIN: Role[] = ["admin"];
const SUBMITTER: Role[] = ["partner_correspondent"];
const VALIDATOR: Role[] = ["partner_validator"];

const slug = { pdfPublic: "rapport-public.pdf", pdfInternal: "rapport-interne.pdf", package: "paquet-onpe.zip" };

/** A well-formed id no object has. */
export const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

function hiddenFor(list: Role[]): Partial<Record<PageActor, Outcome>> {
  return Object.fromEntries(list.map((r) => [r, "hidden"]));
}
function notFoundFor(list: Role[]): Partial<Record<PageActor, Outcome>> {
  return Object.fromEntries(list.map((r) => [r, "notFound"]));
}

// ── The matrix ──────────────────────────────────────────────────────────────

export const accessMatrix: Record<string, RouteEntry> = {
  // Public pages and technical endpoints.
  "routes/$": {
    kind: "page",
    path: "*",
    probes: [
      { method: "GET", label: "unknown address", url: () => "/nulle-part/ici", expect: everyone("notFound") },
      { method: "POST", label: "unknown address", url: () => "/nulle-part/ici", expect: everyone("notFound") },
    ],
  },
  "routes/healthz": { kind: "page", path: "healthz", probes: [{ method: "GET", url: () => "/healthz", expect: open() }] },
  // Off unless METRICS_TOKEN is set (it is not here); with it, only its bearer token (tests/integration/metrics.test.ts).
  "routes/metrics": { kind: "page", path: "metrics", probes: [{ method: "GET", url: () => "/metrics", expect: everyone("notFound") }] },
  "routes/login": {
    kind: "page",
    path: "login",
    probes: [
      { method: "GET", label: "a signed-in user goes home", url: () => "/login", expect: { ...everyone("redirect:/"), anonymous: "allowed" } },
      { method: "POST", label: "empty form", url: () => "/login", expect: open() },
    ],
  },
  "routes/logout": {
    kind: "page",
    path: "logout",
    probes: [
      { method: "GET", label: "only by POST", url: () => "/logout", expect: everyone("redirect:/") },
      { method: "POST", url: () => "/logout", freshSession: true, expect: everyone("redirect:/login") },
    ],
  },
  "routes/reset-password.$token": {
    kind: "page",
    path: "reset-password/:token",
    probes: [
      { method: "GET", label: "valid one-time link", url: (f) => `/reset-password/${f.resetToken}`, expect: open() },
      { method: "GET", label: "unknown link", url: () => "/reset-password/lien-inconnu", expect: everyone("notFound") },
      { method: "POST", label: "empty form", url: (f) => `/reset-password/${f.resetToken}`, expect: open() },
    ],
  },
  "routes/api.docs": { kind: "page", path: "api/docs", probes: [{ method: "GET", url: () => "/api/docs", expect: open() }] },

  // Art. 5: the extranet, open to all, shows only what went through the workflow.
  "routes/extranet._index": { kind: "page", path: "extranet", probes: [{ method: "GET", article: "Art. 5", url: () => "/extranet", expect: open() }] },
  "routes/extranet.publications.$id": {
    kind: "page",
    path: "extranet/publications/:id",
    probes: [
      { method: "GET", article: "Art. 5", label: "validated publication", url: (f) => `/extranet/publications/${f.publicationB}`, expect: open() },
      { method: "GET", article: "Art. 5", label: "publication awaiting approvals", url: (f) => `/extranet/publications/${f.publicationA}`, expect: everyone("notFound") },
      { method: "GET", label: "malformed id", url: () => "/extranet/publications/abc", expect: everyone("notFound") },
    ],
  },
  "routes/extranet.publications.$id.attachments.$documentId": {
    kind: "page",
    path: "extranet/publications/:id/attachments/:documentId",
    probes: [
      { method: "GET", article: "Art. 5", label: "validated publication", url: (f) => `/extranet/publications/${f.publicationB}/attachments/${f.documentB}`, expect: open() },
      { method: "GET", article: "Art. 5", label: "publication awaiting approvals", url: (f) => `/extranet/publications/${f.publicationA}/attachments/${f.documentA}`, expect: everyone("notFound") },
      { method: "GET", article: "Art. 5", label: "document not attached to it", url: (f) => `/extranet/publications/${f.publicationB}/attachments/${f.documentA}`, expect: everyone("notFound") },
    ],
  },
  "routes/extranet.logos.$id": {
    kind: "page",
    path: "extranet/logos/:id",
    probes: [
      { method: "GET", article: "Art. 5", label: "a member's logo", url: (f) => `/extranet/logos/${f.orgA.id}`, expect: open() },
      { method: "GET", label: "malformed id", url: () => "/extranet/logos/abc", expect: everyone("notFound") },
    ],
  },
  "routes/extranet_.tableau-de-bord.$year": {
    kind: "page",
    path: "extranet/tableau-de-bord/:year",
    probes: [
      { method: "GET", article: "Art. 5", label: "published year", url: (f) => `/extranet/tableau-de-bord/${f.closedYear}`, expect: open() },
      { method: "GET", article: "Art. 5", label: "year without a published edition", url: (f) => `/extranet/tableau-de-bord/${f.year}`, expect: everyone("notFound") },
      { method: "GET", article: "Art. 5", label: "unpublished edition", url: (f) => `/extranet/tableau-de-bord/${f.closedYear}?edition=${f.draftEdition.number}`, expect: everyone("notFound") },
    ],
  },
  "routes/extranet_.tableau-de-bord.$year_.$number.$file": {
    kind: "page",
    path: "extranet/tableau-de-bord/:year/:number/:file",
    probes: [
      { method: "GET", article: "Art. 5", label: "public PDF", url: (f) => `/extranet/tableau-de-bord/${f.edition.year}/${f.edition.number}/${slug.pdfPublic}`, expect: open() },
      { method: "GET", article: "Art. 5", label: "unpublished edition", url: (f) => `/extranet/tableau-de-bord/${f.closedYear}/${f.draftEdition.number}/${slug.pdfPublic}`, expect: everyone("notFound") },
      { method: "GET", article: "Art. 5", label: "internal PDF is never public", url: (f) => `/extranet/tableau-de-bord/${f.edition.year}/${f.edition.number}/${slug.pdfInternal}`, expect: everyone("notFound") },
      { method: "GET", article: "Art. 5", label: "ONPE package is never public", url: (f) => `/extranet/tableau-de-bord/${f.edition.year}/${f.edition.number}/${slug.package}`, expect: everyone("notFound") },
      { method: "GET", label: "unknown edition", url: (f) => `/extranet/tableau-de-bord/${f.edition.year}/99/${slug.pdfPublic}`, expect: everyone("notFound") },
    ],
  },
  "routes/extranet_.tableau-de-bord.logos.$fileId": {
    kind: "page",
    path: "extranet/tableau-de-bord/logos/:fileId",
    probes: [
      { method: "GET", article: "Art. 5", label: "a contributor's logo", url: (f) => `/extranet/tableau-de-bord/logos/${f.logoFileA}`, expect: open() },
      { method: "GET", article: "Art. 6", label: "organisation B's stored workbook", url: (f) => `/extranet/tableau-de-bord/logos/${f.workbookFileB}`, expect: everyone("notFound") },
    ],
  },

  // Every signed-in user.
  "routes/_index": { kind: "page", path: "", probes: [{ method: "GET", url: () => "/", expect: signedIn() }] },
  "routes/account": {
    kind: "page",
    path: "account",
    probes: [
      { method: "GET", url: () => "/account", expect: signedIn() },
      { method: "POST", label: "empty form", url: () => "/account", expect: signedIn() },
    ],
  },
  "routes/notifications": {
    kind: "page",
    path: "notifications",
    probes: [
      { method: "GET", url: () => "/notifications", expect: signedIn() },
      { method: "POST", label: "empty form", url: () => "/notifications", expect: signedIn() },
    ],
  },

  // Accounts and audit.
  "routes/admin.users._index": { kind: "page", path: "admin/users", probes: [{ method: "GET", url: () => "/admin/users", expect: only(ADMIN) }] },
  "routes/admin.users.new": {
    kind: "page",
    path: "admin/users/new",
    probes: [
      { method: "GET", url: () => "/admin/users/new", expect: only(ADMIN) },
      { method: "POST", label: "empty form", url: () => "/admin/users/new", expect: only(ADMIN) },
    ],
  },
  "routes/admin.users.$id": {
    kind: "page",
    path: "admin/users/:id",
    probes: [
      { method: "GET", label: "a user of organisation B", url: (f) => `/admin/users/${f.userB}`, expect: only(ADMIN) },
      { method: "GET", label: "unknown id", url: () => `/admin/users/${UNKNOWN_ID}`, expect: { ...only(ADMIN), admin: "notFound" } },
      { method: "GET", label: "malformed id", url: () => "/admin/users/abc", expect: { ...only(ADMIN), admin: "notFound" } },
      { method: "POST", label: "no intent", url: (f) => `/admin/users/${f.userB}`, expect: only(ADMIN) },
    ],
  },
  // GDPR art. 15, 20: a person's own personal data (kept after a withdrawal), or anyone's for the administrator.
  "routes/account_.export": {
    kind: "page",
    path: "account/export",
    probes: [{ method: "GET", label: "own personal data, kept after a withdrawal", url: () => "/account/export", expect: only([...roles, ...withdrawnActors]) }],
  },
  "routes/admin.users.$id_.export": {
    kind: "page",
    path: "admin/users/:id/export",
    probes: [
      { method: "GET", label: "a user of organisation B", url: (f) => `/admin/users/${f.userB}/export`, expect: only(ADMIN) },
      { method: "GET", label: "malformed id", url: () => "/admin/users/abc/export", expect: { ...only(ADMIN), admin: "notFound" } },
      { method: "GET", label: "unknown id", url: () => `/admin/users/${UNKNOWN_ID}/export`, expect: { ...only(ADMIN), admin: "notFound" } },
    ],
  },
  "routes/audit": { kind: "page", path: "audit", probes: [{ method: "GET", url: () => "/audit", expect: only(["admin", "odpe_referent"]) }] },
  "routes/demo.mailbox": { kind: "page", path: "demo/mailbox", probes: [{ method: "GET", url: () => "/demo/mailbox", expect: only(["admin", "odpe_referent"]) }] },

  // Organisations (the signatories).
  "routes/organisations._index": { kind: "page", path: "organisations", probes: [{ method: "GET", url: () => "/organisations", expect: signedIn() }] },
  "routes/organisations.new": {
    kind: "page",
    path: "organisations/new",
    probes: [
      { method: "GET", url: () => "/organisations/new", expect: only(["admin", "odpe_referent"]) },
      { method: "POST", label: "empty form", url: () => "/organisations/new", expect: only(["admin", "odpe_referent"]) },
    ],
  },
  "routes/organisations.$id": {
    kind: "page",
    path: "organisations/:id",
    probes: [
      { method: "GET", label: "organisation A", url: (f) => `/organisations/${f.orgA.id}`, expect: signedIn() },
      { method: "GET", label: "organisation B", url: (f) => `/organisations/${f.orgB.id}`, expect: signedIn() },
      { method: "GET", label: "malformed id", url: () => "/organisations/abc", expect: only([], "notFound") },
      { method: "GET", label: "unknown id", url: () => `/organisations/${UNKNOWN_ID}`, expect: only([], "notFound") },
      { method: "POST", label: "identity of organisation B, empty form", url: (f) => `/organisations/${f.orgB.id}?intent=identity`, expect: only(["admin", "odpe_referent"]) },
      { method: "POST", article: "Art. 7", label: "membership of organisation B, empty form", url: (f) => `/organisations/${f.orgB.id}?intent=membership`, expect: only(REFERENT) },
    ],
  },
  "routes/organisations.$id.logo": {
    kind: "page",
    path: "organisations/:id/logo",
    probes: [
      { method: "GET", label: "organisation B", url: (f) => `/organisations/${f.orgB.id}/logo`, expect: signedIn() },
      { method: "GET", label: "malformed id", url: () => "/organisations/abc/logo", expect: only([], "notFound") },
    ],
  },
  "routes/organisations.$id.export": {
    kind: "page",
    path: "organisations/:id/export",
    probes: [
      { method: "GET", article: "Art. 6", label: "own organisation", url: (f) => `/organisations/${f.orgA.id}/export`, expect: only(ORG_DATA) },
      {
        method: "GET",
        article: "Art. 6",
        label: "organisation B",
        url: (f) => `/organisations/${f.orgB.id}/export`,
        expect: { ...only(REFERENT), partner_correspondent: "hidden", partner_validator: "hidden" },
      },
      {
        method: "GET",
        article: "Art. 7",
        label: "organisation W, withdrawn, by its own users",
        url: (f) => `/organisations/${f.orgW.id}/export`,
        expect: { ...only([...REFERENT, ...withdrawnActors]), partner_correspondent: "hidden", partner_validator: "hidden" },
      },
      { method: "GET", label: "malformed id", url: () => "/organisations/abc/export", expect: { ...everyone("notFound"), anonymous: "login" } },
      { method: "GET", label: "unknown id", url: () => `/organisations/${UNKNOWN_ID}/export`, expect: { ...only(REFERENT), odpe_referent: "notFound", partner_correspondent: "hidden", partner_validator: "hidden" } },
    ],
  },
  "routes/my-data": {
    kind: "page",
    path: "my-data",
    probes: [{ method: "GET", article: "Art. 6", label: "kept after a withdrawal", url: () => "/my-data", expect: only([...ORG_DATA, ...withdrawnActors]) }],
  },
  "routes/my-data.export": {
    kind: "page",
    path: "my-data/export",
    probes: [
      {
        method: "GET",
        article: "Art. 6",
        label: "kept after a withdrawal",
        url: () => "/my-data/export",
        expect: only([...ORG_DATA, ...withdrawnActors]),
        conceals: { from: [...ORG_DATA, ...withdrawnActors], values: (f) => [f.versionB, f.workbookFileB, f.agreementB] },
      },
    ],
  },

  // The convention, amendments and bilateral agreements (Art. 4, 7).
  "routes/convention._index": {
    kind: "page",
    path: "convention",
    probes: [
      { method: "GET", url: () => "/convention", expect: only(MEMBERS) },
      { method: "POST", article: "Art. 7", label: "no intent", url: () => "/convention", expect: only(REFERENT) },
    ],
  },
  "routes/convention.document": { kind: "page", path: "convention/document", probes: [{ method: "GET", url: () => "/convention/document", expect: only(MEMBERS) }] },
  "routes/convention.amendments.new": {
    kind: "page",
    path: "convention/amendments/new",
    probes: [
      { method: "GET", article: "Art. 7", url: () => "/convention/amendments/new", expect: only(REFERENT) },
      { method: "POST", article: "Art. 7", label: "empty form", url: () => "/convention/amendments/new", expect: only(REFERENT) },
    ],
  },
  "routes/convention.amendments.$number.document": {
    kind: "page",
    path: "convention/amendments/:number/document",
    probes: [
      { method: "GET", article: "Art. 7", url: (f) => `/convention/amendments/${f.amendmentNumber}/document`, expect: only(MEMBERS) },
      { method: "GET", label: "unknown amendment", url: () => "/convention/amendments/999/document", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "malformed number", url: () => "/convention/amendments/abc/document", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
    ],
  },
  "routes/agreements._index": {
    kind: "page",
    path: "agreements",
    probes: [{ method: "GET", article: "Art. 4", label: "every organisation's agreements", url: () => "/agreements", expect: only(REFERENT) }],
  },
  "routes/agreements.new": {
    kind: "page",
    path: "agreements/new",
    probes: [
      { method: "GET", article: "Art. 4", url: () => "/agreements/new", expect: only(REFERENT) },
      { method: "POST", article: "Art. 4", label: "empty form", url: () => "/agreements/new", expect: only(REFERENT) },
    ],
  },
  "routes/agreements.$id": {
    kind: "page",
    path: "agreements/:id",
    probes: [
      { method: "GET", article: "Art. 4", label: "organisation A's agreement", url: (f) => `/agreements/${f.agreementA}`, expect: only(REFERENT) },
      { method: "GET", label: "malformed id", url: () => "/agreements/abc", expect: { ...only(REFERENT), odpe_referent: "notFound" } },
      { method: "GET", label: "unknown id", url: () => `/agreements/${UNKNOWN_ID}`, expect: { ...only(REFERENT), odpe_referent: "notFound" } },
      { method: "POST", article: "Art. 4", label: "organisation B's agreement, no intent", url: (f) => `/agreements/${f.agreementB}`, expect: only(REFERENT) },
    ],
  },
  "routes/agreements.$id.document": {
    kind: "page",
    path: "agreements/:id/document",
    probes: [
      { method: "GET", article: "Art. 4", label: "own organisation's agreement", url: (f) => `/agreements/${f.agreementA}/document`, expect: only(ORG_DATA) },
      {
        method: "GET",
        article: "Art. 4",
        label: "organisation B's agreement",
        url: (f) => `/agreements/${f.agreementB}/document`,
        expect: { ...only(REFERENT), partner_correspondent: "hidden", partner_validator: "hidden" },
      },
      { method: "GET", label: "unknown id", url: () => `/agreements/${UNKNOWN_ID}/document`, expect: { ...only(ORG_DATA), ...notFoundFor(ORG_DATA) } },
    ],
  },
  "routes/my-agreement": {
    kind: "page",
    path: "my-agreement",
    probes: [{ method: "GET", article: "Art. 4", url: () => "/my-agreement", expect: only(ORG_DATA), conceals: { from: ORG_DATA, values: (f) => [f.agreementB, f.orgB.name] } }],
  },

  // The indicator catalogue (Art. 3, 4).
  "routes/indicators._index": { kind: "page", path: "indicators", probes: [{ method: "GET", article: "Art. 3", url: () => "/indicators", expect: only(MEMBERS) }] },
  "routes/indicators.new": {
    kind: "page",
    path: "indicators/new",
    probes: [
      { method: "GET", article: "Art. 3", url: () => "/indicators/new", expect: only(REFERENT) },
      { method: "POST", article: "Art. 3", label: "empty form", url: () => "/indicators/new", expect: only(REFERENT) },
    ],
  },
  "routes/indicators.$code": {
    kind: "page",
    path: "indicators/:code",
    probes: [
      { method: "GET", article: "Art. 3", url: (f) => `/indicators/${f.indicatorCode}`, expect: only(MEMBERS) },
      { method: "GET", label: "malformed code", url: () => "/indicators/pas-un-code", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "unknown code", url: () => "/indicators/INCONNU_X", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "POST", article: "Art. 3", label: "no intent", url: (f) => `/indicators/${f.indicatorCode}`, expect: only(REFERENT) },
    ],
  },
  "routes/indicators.codelists.$code": {
    kind: "page",
    path: "indicators/codelists/:code",
    probes: [
      { method: "GET", article: "Art. 3", url: () => "/indicators/codelists/SEXE", expect: only(MEMBERS) },
      { method: "GET", label: "malformed code", url: () => "/indicators/codelists/pas-un-code", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "unknown code", url: () => "/indicators/codelists/INCONNUE", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "POST", article: "Art. 3", label: "empty form", url: () => "/indicators/codelists/SEXE?intent=relabel", expect: only(REFERENT) },
    ],
  },

  // Governance bodies and indicator proposals (Art. 2–3, 7).
  "routes/governance._index": {
    kind: "page",
    path: "governance",
    probes: [
      { method: "GET", article: "Art. 2", url: () => "/governance", expect: only([...MEMBERS, "reader"]) },
      { method: "POST", article: "Art. 2", label: "no intent", url: () => "/governance", expect: only(REFERENT) },
    ],
  },
  "routes/governance.meetings.$id": {
    kind: "page",
    path: "governance/meetings/:id",
    probes: [
      { method: "GET", article: "Art. 2", url: (f) => `/governance/meetings/${f.meeting}`, expect: only([...MEMBERS, "reader"]) },
      { method: "GET", label: "unknown meeting", url: () => `/governance/meetings/${UNKNOWN_ID}`, expect: { ...only([...MEMBERS, "reader"]), ...notFoundFor([...MEMBERS, "reader"]) } },
      { method: "GET", label: "malformed id", url: () => "/governance/meetings/abc", expect: { ...only([...MEMBERS, "reader"]), ...notFoundFor([...MEMBERS, "reader"]) } },
      { method: "POST", article: "Art. 2", label: "empty decision", url: (f) => `/governance/meetings/${f.meeting}`, expect: only(REFERENT) },
      { method: "POST", article: "Art. 2", label: "minutes without a file", multipart: true, url: (f) => `/governance/meetings/${f.meeting}?intent=minutes`, expect: only(REFERENT) },
    ],
  },
  "routes/governance.meetings.$id_.minutes": {
    kind: "page",
    path: "governance/meetings/:id/minutes",
    probes: [
      { method: "GET", article: "Art. 2", url: (f) => `/governance/meetings/${f.meeting}/minutes`, expect: only([...MEMBERS, "reader"]) },
      { method: "GET", label: "unknown meeting", url: () => `/governance/meetings/${UNKNOWN_ID}/minutes`, expect: { ...only([...MEMBERS, "reader"]), ...notFoundFor([...MEMBERS, "reader"]) } },
    ],
  },
  "routes/proposals._index": {
    kind: "page",
    path: "proposals",
    probes: [
      { method: "GET", article: "Art. 3", url: () => "/proposals", expect: only(MEMBERS) },
      { method: "POST", article: "Art. 3", label: "empty proposal", url: () => "/proposals", expect: only(AUTHORS) },
    ],
  },
  "routes/proposals.$id": {
    kind: "page",
    path: "proposals/:id",
    probes: [
      { method: "GET", article: "Art. 3", url: (f) => `/proposals/${f.proposal}`, expect: only(MEMBERS) },
      { method: "GET", label: "unknown proposal", url: () => `/proposals/${UNKNOWN_ID}`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "malformed id", url: () => "/proposals/abc", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "POST", article: "Art. 3", label: "empty opinion", url: (f) => `/proposals/${f.proposal}?intent=opinion`, expect: only(MEMBERS) },
      { method: "POST", article: "Art. 7", label: "empty adoption", url: (f) => `/proposals/${f.proposal}?intent=adopt`, expect: only(MEMBERS) },
    ],
  },

  // Ad-hoc data requests (Art. 3): pooled answers, read by every member.
  "routes/requests._index": {
    kind: "page",
    path: "requests",
    probes: [
      { method: "GET", article: "Art. 3", url: () => "/requests", expect: only(MEMBERS) },
      { method: "POST", article: "Art. 3", label: "empty request", url: () => "/requests", expect: only(["odpe_referent", "committee_member"]) },
    ],
  },
  "routes/requests.$id": {
    kind: "page",
    path: "requests/:id",
    probes: [
      { method: "GET", article: "Art. 3", url: (f) => `/requests/${f.dataRequest}`, expect: only(MEMBERS) },
      { method: "GET", label: "unknown request", url: () => `/requests/${UNKNOWN_ID}`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "malformed id", url: () => "/requests/abc", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "POST", article: "Art. 3", label: "empty decline", url: (f) => `/requests/${f.dataRequest}?intent=decline`, expect: only(SUBMITTER) },
      { method: "POST", article: "Art. 3", label: "answer without a file", multipart: true, url: (f) => `/requests/${f.dataRequest}?intent=answer`, expect: only(SUBMITTER) },
      { method: "POST", article: "Art. 3", label: "no intent", url: (f) => `/requests/${f.dataRequest}`, expect: only(MEMBERS) },
    ],
  },
  "routes/requests.$id_.answers.$organisationId": {
    kind: "page",
    path: "requests/:id/answers/:organisationId",
    probes: [
      { method: "GET", article: "Art. 3", label: "organisation B's answer file", url: (f) => `/requests/${f.dataRequest}/answers/${f.orgB.id}`, expect: only(MEMBERS) },
      { method: "GET", label: "no answer file", url: (f) => `/requests/${f.dataRequest}/answers/${f.orgA.id}`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
    ],
  },

  // Campaigns and the yearly collection (Art. 4).
  "routes/campaigns._index": { kind: "page", path: "campaigns", probes: [{ method: "GET", article: "Art. 4", url: () => "/campaigns", expect: only(["odpe_referent", "committee_member"]) }] },
  "routes/campaigns.new": {
    kind: "page",
    path: "campaigns/new",
    probes: [
      { method: "GET", article: "Art. 4", url: () => "/campaigns/new", expect: only(REFERENT) },
      { method: "POST", article: "Art. 4", label: "empty form", url: () => "/campaigns/new", expect: only(REFERENT) },
    ],
  },
  "routes/campaigns.$year": {
    kind: "page",
    path: "campaigns/:year",
    probes: [
      { method: "GET", article: "Art. 4", url: (f) => `/campaigns/${f.year}`, expect: only(["odpe_referent", "committee_member"]) },
      { method: "GET", label: "malformed year", url: () => "/campaigns/abc", expect: { ...only(["odpe_referent", "committee_member"]), ...notFoundFor(["odpe_referent", "committee_member"]) } },
      { method: "GET", label: "year without campaign", url: () => "/campaigns/2031", expect: { ...only(["odpe_referent", "committee_member"]), ...notFoundFor(["odpe_referent", "committee_member"]) } },
      { method: "POST", article: "Art. 4", label: "no intent", url: (f) => `/campaigns/${f.year}`, expect: only(REFERENT) },
    ],
  },
  "routes/collection._index": {
    kind: "page",
    path: "collection",
    probes: [{ method: "GET", article: "Art. 4", url: () => "/collection", expect: only(ORG_DATA), conceals: { from: ORG_DATA, values: (f) => [f.orgB.code, f.orgB.name] } }],
  },
  "routes/collection.$year.$org": {
    kind: "page",
    path: "collection/:year/:org",
    probes: [
      { method: "GET", article: "Art. 4", label: "own organisation's dossier", url: (f) => `/collection/${f.year}/${f.orgA.code}`, expect: only(ORG_DATA) },
      { method: "GET", label: "malformed year", url: (f) => `/collection/abc/${f.orgA.code}`, expect: only([], "notFound") },
      { method: "GET", label: "unknown organisation", url: (f) => `/collection/${f.year}/INCONNU`, expect: only([], "notFound") },
      { method: "POST", label: "comment, unknown organisation", url: (f) => `/collection/${f.year}/INCONNU`, form: () => ({ intent: "comment", body: "Bonjour" }), expect: only([], "notFound") },
      {
        method: "GET",
        article: "Art. 4",
        label: "organisation B's dossier",
        url: (f) => `/collection/${f.year}/${f.orgB.code}`,
        // Art. 4: the ODPE sees the dossier, not the version B has not validated (transmitted) yet.
        conceals: { from: REFERENT, values: (f) => [f.internalVersionB] },
        expect: { ...only(REFERENT), ...hiddenFor(["partner_correspondent", "partner_validator"]) },
      },
      {
        method: "POST",
        article: "Art. 4",
        label: "transmit own organisation's version",
        url: (f) => `/collection/${f.closedYear}/${f.orgA.code}`,
        form: (f) => ({ intent: "submit", versionId: f.versionA }),
        // Only the correspondent transmits (here refused: the version is already accepted); the others may not.
        expect: { ...only(SUBMITTER, "hidden"), odpe_referent: "forbidden", partner_validator: "forbidden" },
      },
      {
        method: "POST",
        article: "Art. 4",
        label: "transmit organisation B's version",
        url: (f) => `/collection/${f.closedYear}/${f.orgB.code}`,
        form: (f) => ({ intent: "submit", versionId: f.versionB }),
        expect: { ...only([], "hidden"), odpe_referent: "forbidden" },
      },
      {
        method: "POST",
        article: "Art. 4",
        label: "comment on organisation B's dossier",
        url: (f) => `/collection/${f.year}/${f.orgB.code}`,
        form: () => ({ intent: "comment", body: "" }),
        expect: { ...only(REFERENT, "hidden") },
      },
      { method: "POST", article: "Art. 4", label: "upload form, own organisation, no file", url: (f) => `/collection/${f.year}/${f.orgA.code}`, multipart: true, expect: only(SUBMITTER) },
      {
        method: "POST",
        article: "Art. 4",
        label: "upload form, organisation B",
        url: (f) => `/collection/${f.year}/${f.orgB.code}`,
        multipart: true,
        expect: { ...only([]), partner_correspondent: "hidden" },
      },
    ],
  },
  "routes/collection.$year.$org.upload": {
    kind: "page",
    path: "collection/:year/:org/upload",
    probes: [
      { method: "GET", label: "only by POST", url: (f) => `/collection/${f.year}/${f.orgA.code}/upload`, expect: everyone("notFound") },
      { method: "POST", label: "unknown organisation", url: (f) => `/collection/${f.year}/INCONNU/upload`, multipart: true, expect: only([], "notFound") },
      { method: "POST", article: "Art. 4", label: "own organisation, no file", url: (f) => `/collection/${f.year}/${f.orgA.code}/upload`, multipart: true, expect: only(SUBMITTER) },
      {
        method: "POST",
        article: "Art. 4",
        label: "organisation B",
        url: (f) => `/collection/${f.year}/${f.orgB.code}/upload`,
        multipart: true,
        expect: { ...only([]), partner_correspondent: "hidden" },
      },
    ],
  },
  "routes/collection.$year.$org.template": {
    kind: "page",
    path: "collection/:year/:org/template",
    probes: [
      { method: "GET", article: "Art. 4", label: "own organisation", url: (f) => `/collection/${f.year}/${f.orgA.code}/template`, expect: only(ORG_DATA) },
      { method: "GET", label: "malformed year", url: (f) => `/collection/abc/${f.orgA.code}/template`, expect: only([], "notFound") },
      {
        method: "GET",
        article: "Art. 4",
        label: "organisation B",
        url: (f) => `/collection/${f.year}/${f.orgB.code}/template`,
        expect: { ...only(REFERENT), ...hiddenFor(["partner_correspondent", "partner_validator"]) },
      },
    ],
  },
  "routes/versions.$id.file": {
    kind: "page",
    path: "versions/:id/file",
    probes: [
      { method: "GET", article: "Art. 6", label: "own organisation's version", url: (f) => `/versions/${f.versionA}/file`, expect: only(ORG_DATA, "hidden") },
      { method: "GET", article: "Art. 6", label: "organisation B's version", url: (f) => `/versions/${f.versionB}/file`, expect: only(REFERENT, "hidden") },
      {
        method: "GET",
        article: "Art. 4",
        label: "organisation B's version not yet validated by its institution",
        url: (f) => `/versions/${f.internalVersionB}/file`,
        expect: only([], "hidden"),
      },
      { method: "GET", label: "malformed id", url: () => "/versions/abc/file", expect: only([], "notFound") },
    ],
  },
  "routes/versions.$id.annotated": {
    kind: "page",
    path: "versions/:id/annotated",
    probes: [
      { method: "GET", article: "Art. 6", label: "own organisation's version", url: (f) => `/versions/${f.versionA}/annotated`, expect: only(ORG_DATA, "hidden") },
      { method: "GET", article: "Art. 6", label: "organisation B's version", url: (f) => `/versions/${f.versionB}/annotated`, expect: only(REFERENT, "hidden") },
      {
        method: "GET",
        article: "Art. 4",
        label: "organisation B's version not yet validated by its institution",
        url: (f) => `/versions/${f.internalVersionB}/annotated`,
        expect: only([], "hidden"),
      },
      { method: "GET", label: "malformed id", url: () => "/versions/abc/annotated", expect: only([], "notFound") },
      { method: "GET", label: "unknown id", url: () => `/versions/${UNKNOWN_ID}/annotated`, expect: only([], "notFound") },
    ],
  },
  "routes/completeness._index": {
    kind: "page",
    path: "completeness",
    probes: [{ method: "GET", label: "latest campaign", url: () => "/completeness", expect: { ...only([]), odpe_referent: "redirect:/completeness/2025" } }],
  },
  "routes/completeness.$year": {
    kind: "page",
    path: "completeness/:year",
    probes: [
      { method: "GET", article: "Art. 4", label: "every organisation's progress", url: (f) => `/completeness/${f.year}`, expect: only(REFERENT) },
      { method: "GET", label: "malformed year", url: () => "/completeness/abc", expect: { ...only(REFERENT), odpe_referent: "notFound" } },
    ],
  },
  "routes/completeness.$year.export": {
    kind: "page",
    path: "completeness/:year/export",
    probes: [
      { method: "GET", article: "Art. 4", url: (f) => `/completeness/${f.year}/export`, expect: only(REFERENT) },
      { method: "GET", label: "malformed year", url: () => "/completeness/abc/export", expect: { ...only(REFERENT), odpe_referent: "notFound" } },
    ],
  },

  // Art. 4: the members' workspace, open to all signatories; each edits its own documents.
  "routes/workspace._index": {
    kind: "page",
    path: "workspace",
    probes: [
      { method: "GET", article: "Art. 4", url: () => "/workspace", expect: only(MEMBERS) },
      { method: "POST", article: "Art. 4", label: "empty form", url: () => "/workspace", expect: only(AUTHORS) },
    ],
  },
  "routes/workspace.$id": {
    kind: "page",
    path: "workspace/:id",
    probes: [
      { method: "GET", article: "Art. 4", label: "organisation B's document", url: (f) => `/workspace/${f.documentB}`, expect: only(MEMBERS) },
      { method: "GET", label: "unknown id", url: () => `/workspace/${UNKNOWN_ID}`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "malformed id", url: () => "/workspace/abc", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "POST", label: "unknown id", url: () => `/workspace/${UNKNOWN_ID}`, multipart: true, expect: { ...everyone("notFound"), anonymous: "login" } },
      { method: "POST", article: "Art. 4", label: "new version of own document, no file", url: (f) => `/workspace/${f.documentA}`, multipart: true, expect: only(AUTHORS) },
      { method: "POST", article: "Art. 4", label: "new version of organisation B's document", url: (f) => `/workspace/${f.documentB}`, multipart: true, expect: only(REFERENT) },
      // Art. 4: a version held for possible personal data is seen only by its uploader (B's correspondent) and the referent.
      { method: "GET", article: "Art. 4", label: "organisation B's held document", url: (f) => `/workspace/${f.heldDocumentB}`, expect: { ...only(MEMBERS), ...notFoundFor(["committee_member", "partner_correspondent", "partner_validator"]) } },
    ],
  },
  "routes/workspace.$id.file": {
    kind: "page",
    path: "workspace/:id/file",
    probes: [
      { method: "GET", article: "Art. 4", label: "organisation B's document", url: (f) => `/workspace/${f.documentB}/file`, expect: only(MEMBERS) },
      { method: "GET", label: "malformed id", url: () => "/workspace/abc/file", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "unknown version", url: (f) => `/workspace/${f.documentB}/file?version=99`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", article: "Art. 4", label: "organisation B's held version", url: (f) => `/workspace/${f.heldDocumentB}/file?version=1`, expect: { ...only(MEMBERS), ...notFoundFor(["committee_member", "partner_correspondent", "partner_validator"]) } },
      { method: "GET", article: "Art. 4", label: "organisation B's held document, current version", url: (f) => `/workspace/${f.heldDocumentB}/file`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
    ],
  },
  // Art. 4: the referent reviews the versions held for possible personal data.
  "routes/workspace.held": {
    kind: "page",
    path: "workspace/held",
    probes: [
      { method: "GET", article: "Art. 4", url: () => "/workspace/held", expect: only(REFERENT) },
      { method: "POST", article: "Art. 4", label: "empty form", url: () => "/workspace/held", expect: only(REFERENT) },
      {
        method: "POST",
        article: "Art. 4",
        label: "release of organisation B's held version without a reason",
        url: () => "/workspace/held",
        form: () => ({ versionId: UNKNOWN_ID, intent: "release", reason: "" }),
        expect: only(REFERENT),
      },
    ],
  },

  // Art. 5: pooled data for the members' analyses, never the readers'.
  "routes/explorer": {
    kind: "page",
    path: "explorer",
    probes: [
      { method: "GET", article: "Art. 5", url: (f) => `/explorer?indicator=${f.indicatorCode}`, expect: only(MEMBERS) },
      { method: "POST", article: "Art. 5", label: "freeze into a new publication, empty form", url: () => "/explorer", expect: only(AUTHORS) },
      {
        method: "POST",
        article: "Art. 5",
        label: "freeze into organisation B's publication",
        url: () => "/explorer",
        form: (f) => ({ query: `indicator=${f.indicatorCode}`, itemTitle: "Tableau figé", kind: "table", publicationId: f.publicationB }),
        expect: only(REFERENT),
      },
    ],
  },
  "routes/explorer.export": {
    kind: "page",
    path: "explorer/export",
    probes: [{ method: "GET", article: "Art. 5", url: (f) => `/explorer/export?format=csv&indicator=${f.indicatorCode}`, expect: only(MEMBERS) }],
  },

  // Art. 5: publications, approvals by each source, the referent's validation.
  "routes/publications._index": {
    kind: "page",
    path: "publications",
    probes: [
      { method: "GET", article: "Art. 5", url: () => "/publications", expect: only(MEMBERS) },
      { method: "POST", article: "Art. 5", label: "empty form", url: () => "/publications", expect: only(AUTHORS) },
    ],
  },
  "routes/publications.$id": {
    kind: "page",
    path: "publications/:id",
    probes: [
      { method: "GET", article: "Art. 5", label: "organisation A's publication", url: (f) => `/publications/${f.publicationA}`, expect: only(MEMBERS) },
      { method: "GET", article: "Art. 5", label: "organisation B's publication", url: (f) => `/publications/${f.publicationB}`, expect: only(MEMBERS) },
      { method: "GET", label: "malformed id", url: () => "/publications/abc", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "unknown id", url: () => `/publications/${UNKNOWN_ID}`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "POST", label: "unknown id", url: () => `/publications/${UNKNOWN_ID}?intent=text`, expect: { ...everyone("notFound"), anonymous: "login" } },
      { method: "POST", article: "Art. 5", label: "edit own organisation's publication, empty form", url: (f) => `/publications/${f.publicationA}?intent=text`, expect: only(AUTHORS) },
      { method: "POST", article: "Art. 5", label: "edit organisation B's publication", url: (f) => `/publications/${f.publicationB}?intent=text`, expect: only(REFERENT) },
      { method: "POST", article: "Art. 5", label: "validate (only the referent puts online)", url: (f) => `/publications/${f.publicationA}?intent=validate`, expect: only(REFERENT) },
      {
        method: "POST",
        article: "Art. 2",
        label: "comité de suivi comment on a production being prepared, empty form",
        url: (f) => `/publications/${f.publicationA}?intent=comment`,
        expect: only(["odpe_referent", "committee_member", "partner_correspondent"]),
      },
    ],
  },
  // Art. 5: the readers' (elected officials, directions) space of released productions.
  "routes/publications-diffusees._index": {
    kind: "page",
    path: "publications-diffusees",
    probes: [{ method: "GET", article: "Art. 5", url: () => "/publications-diffusees", expect: only(["reader"]) }],
  },
  "routes/publications-diffusees.$id": {
    kind: "page",
    path: "publications-diffusees/:id",
    probes: [
      { method: "GET", article: "Art. 5", label: "released publication", url: (f) => `/publications-diffusees/${f.publicationB}`, expect: only(["reader"]) },
      { method: "GET", article: "Art. 5", label: "publication awaiting approvals", url: (f) => `/publications-diffusees/${f.publicationA}`, expect: { ...only([]), reader: "notFound" } },
      { method: "GET", label: "malformed id", url: () => "/publications-diffusees/abc", expect: { ...only([]), reader: "notFound" } },
    ],
  },
  "routes/publications-diffusees.$id.attachments.$documentId": {
    kind: "page",
    path: "publications-diffusees/:id/attachments/:documentId",
    probes: [
      { method: "GET", article: "Art. 5", label: "released publication", url: (f) => `/publications-diffusees/${f.publicationB}/attachments/${f.documentB}`, expect: only(["reader"]) },
      {
        method: "GET",
        article: "Art. 5",
        label: "publication awaiting approvals",
        url: (f) => `/publications-diffusees/${f.publicationA}/attachments/${f.documentA}`,
        expect: { ...only([]), reader: "notFound" },
      },
      {
        method: "GET",
        label: "document not attached to it",
        url: (f) => `/publications-diffusees/${f.publicationB}/attachments/${f.documentA}`,
        expect: { ...only([]), reader: "notFound" },
      },
    ],
  },
  "routes/publications.$id.attachments.$documentId": {
    kind: "page",
    path: "publications/:id/attachments/:documentId",
    probes: [
      { method: "GET", article: "Art. 5", url: (f) => `/publications/${f.publicationA}/attachments/${f.documentA}`, expect: only(MEMBERS) },
      { method: "GET", label: "document not attached to it", url: (f) => `/publications/${f.publicationA}/attachments/${f.documentB}`, expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
      { method: "GET", label: "malformed ids", url: () => "/publications/abc/attachments/def", expect: { ...only(MEMBERS), ...notFoundFor(MEMBERS) } },
    ],
  },
  "routes/approvals._index": {
    kind: "page",
    path: "approvals",
    probes: [
      {
        method: "GET",
        article: "Art. 5",
        label: "kept after a withdrawal",
        url: () => "/approvals",
        expect: only([...VALIDATOR, "withdrawn_validator"]),
        conceals: { from: ["partner_validator", "withdrawn_validator"], values: (f) => [f.approvalB] },
      },
    ],
  },
  "routes/approvals.$id": {
    kind: "page",
    path: "approvals/:id",
    probes: [
      { method: "GET", article: "Art. 5", label: "own organisation's approval", url: (f) => `/approvals/${f.approvalA}`, expect: only(VALIDATOR) },
      { method: "GET", article: "Art. 5", label: "organisation B's approval", url: (f) => `/approvals/${f.approvalB}`, expect: { ...only([]), partner_validator: "hidden" } },
      { method: "GET", label: "unknown id", url: () => `/approvals/${UNKNOWN_ID}`, expect: { ...everyone("notFound"), anonymous: "login" } },
      { method: "GET", label: "malformed id", url: () => "/approvals/abc", expect: { ...everyone("notFound"), anonymous: "login" } },
      { method: "POST", label: "unknown id", url: () => `/approvals/${UNKNOWN_ID}`, expect: { ...everyone("notFound"), anonymous: "login" } },
      { method: "POST", article: "Art. 5", label: "decide own organisation's approval, empty form", url: (f) => `/approvals/${f.approvalA}`, expect: only(VALIDATOR) },
      { method: "POST", article: "Art. 5", label: "decide organisation B's approval", url: (f) => `/approvals/${f.approvalB}`, expect: { ...only([]), partner_validator: "hidden" } },
    ],
  },
  "routes/approvals.$id.attachments.$documentId": {
    kind: "page",
    path: "approvals/:id/attachments/:documentId",
    probes: [
      { method: "GET", article: "Art. 5", label: "own organisation's approval", url: (f) => `/approvals/${f.approvalA}/attachments/${f.documentA}`, expect: only(VALIDATOR) },
      {
        method: "GET",
        article: "Art. 5",
        label: "organisation B's approval",
        url: (f) => `/approvals/${f.approvalB}/attachments/${f.documentA}`,
        expect: { ...only([]), partner_validator: "hidden" },
      },
      { method: "GET", label: "malformed ids", url: () => "/approvals/abc/attachments/def", expect: { ...everyone("notFound"), anonymous: "login" } },
      { method: "GET", label: "document not attached to it", url: (f) => `/approvals/${f.approvalA}/attachments/${f.documentB}`, expect: { ...only(VALIDATOR), partner_validator: "notFound" } },
    ],
  },

  // Art. 3, 5: the annual dashboard.
  "routes/dashboard._index": { kind: "page", path: "dashboard", probes: [{ method: "GET", article: "Art. 5", url: () => "/dashboard", expect: only(DASHBOARD_READERS) }] },
  "routes/dashboard.$year": {
    kind: "page",
    path: "dashboard/:year",
    probes: [
      { method: "GET", article: "Art. 5", url: (f) => `/dashboard/${f.closedYear}`, expect: only(DASHBOARD_READERS) },
      {
        method: "GET",
        article: "Art. 5",
        label: "unpublished edition",
        url: (f) => `/dashboard/${f.closedYear}?edition=${f.draftEdition.number}`,
        expect: { ...only(DASHBOARD_READERS), ...notFoundFor(DASHBOARD_READERS) },
      },
      { method: "GET", label: "malformed year", url: () => "/dashboard/abc", expect: { ...only(DASHBOARD_READERS), ...notFoundFor(DASHBOARD_READERS) } },
      { method: "GET", label: "year without a published edition", url: (f) => `/dashboard/${f.year}`, expect: { ...only(DASHBOARD_READERS), ...notFoundFor(DASHBOARD_READERS) } },
    ],
  },
  "routes/dashboard.logos.$fileId": {
    kind: "page",
    path: "dashboard/logos/:fileId",
    probes: [
      { method: "GET", article: "Art. 5", label: "a contributor's logo", url: (f) => `/dashboard/logos/${f.logoFileA}`, expect: only(DASHBOARD_READERS) },
      { method: "GET", article: "Art. 6", label: "organisation B's stored workbook", url: (f) => `/dashboard/logos/${f.workbookFileB}`, expect: { ...only(DASHBOARD_READERS), ...notFoundFor(DASHBOARD_READERS) } },
    ],
  },
  "routes/dashboard.editions._index": {
    kind: "page",
    path: "dashboard/editions",
    probes: [
      { method: "GET", url: () => "/dashboard/editions", expect: only(REFERENT) },
      { method: "POST", label: "empty form", url: () => "/dashboard/editions", expect: only(REFERENT) },
    ],
  },
  "routes/dashboard.editions.$id": {
    kind: "page",
    path: "dashboard/editions/:id",
    probes: [
      { method: "GET", url: (f) => `/dashboard/editions/${f.edition.id}`, expect: only(REFERENT) },
      { method: "GET", label: "malformed id", url: () => "/dashboard/editions/abc", expect: { ...only(REFERENT), odpe_referent: "notFound" } },
      { method: "GET", label: "unknown id", url: () => `/dashboard/editions/${UNKNOWN_ID}`, expect: { ...only(REFERENT), odpe_referent: "notFound" } },
      { method: "POST", label: "no intent", url: (f) => `/dashboard/editions/${f.edition.id}`, expect: only(REFERENT) },
    ],
  },
  "routes/dashboard.editions.$id_.apercu": {
    kind: "page",
    path: "dashboard/editions/:id/apercu",
    probes: [
      { method: "GET", url: (f) => `/dashboard/editions/${f.edition.id}/apercu`, expect: only(REFERENT) },
      { method: "GET", label: "unknown id", url: () => `/dashboard/editions/${UNKNOWN_ID}/apercu`, expect: { ...only(REFERENT), odpe_referent: "notFound" } },
    ],
  },
  "routes/dashboard.editions.$id_.fichiers.$file": {
    kind: "page",
    path: "dashboard/editions/:id/fichiers/:file",
    probes: [
      { method: "GET", article: "Art. 5", label: "public PDF", url: (f) => `/dashboard/editions/${f.edition.id}/fichiers/${slug.pdfPublic}`, expect: only(DASHBOARD_READERS) },
      { method: "GET", article: "Art. 5", label: "internal PDF", url: (f) => `/dashboard/editions/${f.edition.id}/fichiers/${slug.pdfInternal}`, expect: only(MEMBERS) },
      { method: "GET", article: "Art. 5", label: "ONPE package", url: (f) => `/dashboard/editions/${f.edition.id}/fichiers/${slug.package}`, expect: only(REFERENT) },
      { method: "GET", label: "unknown file name", url: (f) => `/dashboard/editions/${f.edition.id}/fichiers/inconnu.pdf`, expect: { ...everyone("notFound"), anonymous: "login" } },
      {
        method: "GET",
        article: "Art. 5",
        label: "unpublished edition: a preview for the referent only",
        url: (f) => `/dashboard/editions/${f.draftEdition.id}/fichiers/${slug.pdfPublic}`,
        expect: { ...only(DASHBOARD_READERS), ...notFoundFor(DASHBOARD_READERS), odpe_referent: "allowed" },
      },
      { method: "GET", label: "unknown edition", url: () => `/dashboard/editions/${UNKNOWN_ID}/fichiers/${slug.pdfPublic}`, expect: { ...only(DASHBOARD_READERS), ...notFoundFor(DASHBOARD_READERS) } },
    ],
  },
  "routes/diffusions._index": {
    kind: "page",
    path: "diffusions",
    probes: [{ method: "GET", article: "Art. 5", label: "disclosure ledger", url: () => "/diffusions", expect: only(REFERENT) }],
  },
  "routes/diffusions.$id": {
    kind: "page",
    path: "diffusions/:id",
    probes: [
      { method: "GET", label: "malformed id", url: () => "/diffusions/abc", expect: { ...only(REFERENT), odpe_referent: "notFound" } },
      { method: "GET", label: "unknown id", url: () => `/diffusions/${UNKNOWN_ID}`, expect: { ...only(REFERENT), odpe_referent: "notFound" } },
    ],
  },
  "routes/dashboard.settings": {
    kind: "page",
    path: "dashboard/settings",
    probes: [
      { method: "GET", url: () => "/dashboard/settings", expect: only(REFERENT) },
      { method: "POST", label: "no intent", url: () => "/dashboard/settings", expect: only(REFERENT) },
    ],
  },

  // The partner API (its tokens are managed by the correspondent).
  "routes/api-tokens": {
    kind: "page",
    path: "api-tokens",
    probes: [
      { method: "GET", url: () => "/api-tokens", expect: only(SUBMITTER), conceals: { from: SUBMITTER, values: (f) => [f.tokenBId] } },
      { method: "POST", label: "create, empty form", url: () => "/api-tokens?intent=create", expect: only(SUBMITTER) },
      {
        method: "POST",
        label: "revoke organisation B's token",
        url: () => "/api-tokens?intent=revoke",
        form: (f) => ({ tokenId: f.tokenBId }),
        expect: { ...only([]), partner_correspondent: "hidden" },
      },
    ],
  },
  "routes/api.v1.openapi[.]json": { kind: "api", path: "api/v1/openapi.json", probes: [{ method: "GET", url: () => "/api/v1/openapi.json", expect: api("allowed", "allowed") }] },
  "routes/api.v1.$": {
    kind: "api",
    path: "api/v1/*",
    probes: [
      { method: "GET", label: "unknown address", url: () => "/api/v1/inconnu", expect: api("notFound", "notFound") },
      { method: "POST", label: "unknown address", url: () => "/api/v1/inconnu", expect: api("notFound", "notFound") },
    ],
  },
  "routes/api.v1.campaigns._index": {
    kind: "api",
    path: "api/v1/campaigns",
    probes: [
      { method: "GET", article: "Art. 4", url: () => "/api/v1/campaigns", expect: api("allowed") },
      { method: "POST", url: () => "/api/v1/campaigns", expect: api("methodNotAllowed", "methodNotAllowed") },
    ],
  },
  "routes/api.v1.campaigns.$year.template": {
    kind: "api",
    path: "api/v1/campaigns/:year/template",
    probes: [
      { method: "GET", article: "Art. 4", label: "campaign the organisation is expected in", url: (f) => `/api/v1/campaigns/${f.year}/template`, expect: api("allowed") },
      { method: "GET", label: "year without campaign", url: () => "/api/v1/campaigns/2031/template", expect: api("notFound") },
      { method: "GET", label: "malformed year", url: () => "/api/v1/campaigns/abc/template", expect: api("notFound") },
      { method: "POST", url: (f) => `/api/v1/campaigns/${f.year}/template`, expect: api("methodNotAllowed", "methodNotAllowed") },
    ],
  },
  "routes/api.v1.campaigns.$year.uploads": {
    kind: "api",
    path: "api/v1/campaigns/:year/uploads",
    probes: [
      { method: "GET", article: "Art. 4", url: (f) => `/api/v1/campaigns/${f.closedYear}/uploads`, expect: api("allowed"), conceals: { from: ["token"], values: (f) => [f.versionB] } },
      { method: "GET", label: "year without campaign", url: () => "/api/v1/campaigns/2031/uploads", expect: api("notFound") },
      { method: "POST", label: "year without campaign", url: () => "/api/v1/campaigns/2031/uploads", expect: api("notFound") },
      { method: "POST", article: "Art. 4", label: "empty body", url: (f) => `/api/v1/campaigns/${f.year}/uploads`, expect: api("allowed") },
    ],
  },
  "routes/api.v1.uploads.$id._index": {
    kind: "api",
    path: "api/v1/uploads/:id",
    probes: [
      { method: "GET", article: "Art. 6", label: "own organisation's version", url: (f) => `/api/v1/uploads/${f.versionA}`, expect: api("allowed") },
      { method: "GET", article: "Art. 6", label: "organisation B's version", url: (f) => `/api/v1/uploads/${f.versionB}`, expect: api("notFound") },
      { method: "GET", label: "malformed id", url: () => "/api/v1/uploads/abc", expect: api("notFound") },
      { method: "POST", url: (f) => `/api/v1/uploads/${f.versionA}`, expect: api("methodNotAllowed", "methodNotAllowed") },
    ],
  },
  "routes/api.v1.uploads.$id.submit": {
    kind: "api",
    path: "api/v1/uploads/:id/submit",
    probes: [
      { method: "GET", url: (f) => `/api/v1/uploads/${f.versionA}/submit`, expect: api("methodNotAllowed", "methodNotAllowed") },
      { method: "POST", article: "Art. 4", label: "own organisation's version, invalid body", url: (f) => `/api/v1/uploads/${f.versionA}/submit`, json: { comment: 42 }, expect: api("allowed") },
      { method: "POST", article: "Art. 4", label: "organisation B's version", url: (f) => `/api/v1/uploads/${f.versionB}/submit`, json: {}, expect: api("notFound") },
      { method: "POST", label: "malformed id", url: () => "/api/v1/uploads/abc/submit", json: {}, expect: api("notFound") },
    ],
  },
};

