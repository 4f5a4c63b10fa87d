import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { matchPath, matchRoutes } from "@remix-run/react";
import { useTestDb } from "../support/db";
import { runRoute } from "../factories/referential";
import { buildAccessFixtures, type AccessFixtures } from "../support/access-fixtures";
import { accessMatrix, apiActors, pageActors, type ApiActor, type Outcome, type PageActor, type Probe, type RouteEntry } from "../support/access-matrix";
import { apiOperations } from "~/server/api/openapi.server";
import { authenticateApiToken } from "~/server/api/tokens.server";
import { sessionCookie } from "../factories";

/**
 * The access matrix (tests/support/access-matrix.ts) against the real app:
 * every route of the manifest app/routes.ts builds, every loader and action,
 * every actor — real Requests, real session cookies and API tokens, one
 * database with organisation A's users and organisation B's objects.
 */

const t = useTestDb();
let f: AccessFixtures;
/** The last audit event written by the fixtures: what the probes record comes after it. */
let auditMark = "0";

interface ManifestRoute {
  id: string;
  file: string;
  /** The full URL pattern, without the leading slash ("collection/:year/:org"). */
  path: string;
}

interface ConfigEntry {
  id?: string;
  file: string;
  path?: string;
  index?: boolean;
  children?: ConfigEntry[];
}

/** The route manifest as the app builds it: app/routes.ts (flatRoutes over app/routes), nested routes flattened. */
async function loadManifest(): Promise<ManifestRoute[]> {
  // @remix-run/route-config reads the app directory from this global (the Remix Vite plugin sets it).
  (globalThis as { __remixAppDirectory?: string }).__remixAppDirectory = path.resolve(__dirname, "../../app");
  const config = (await (await import("~/routes")).default) as ConfigEntry[];
  const routes: ManifestRoute[] = [];
  const walk = (entries: ConfigEntry[], parent: string) => {
    for (const entry of entries) {
      const full = [parent, entry.path ?? ""].filter(Boolean).join("/");
      routes.push({ id: entry.id ?? entry.file.replace(/\.[jt]sx?$/, ""), file: entry.file, path: full });
      walk(entry.children ?? [], full);
    }
  };
  walk(config, "");
  return routes;
}

const manifest = await loadManifest();
const manifestById = new Map(manifest.map((r) => [r.id, r]));
/** The manifest as a flat route table, to ask which route Remix would pick for a URL. */
const routeTable = manifest.map((r) => ({ id: r.id, path: `/${r.path}` }));

type RouteModule = { loader?: unknown; action?: unknown };
const modules = new Map<string, Promise<RouteModule>>();
function routeModule(route: ManifestRoute): Promise<RouteModule> {
  let pending = modules.get(route.id);
  if (!pending) {
    pending = import(/* @vite-ignore */ path.resolve(__dirname, "../../app", route.file)) as Promise<RouteModule>;
    modules.set(route.id, pending);
  }
  return pending;
}

beforeAll(async () => {
  f = await buildAccessFixtures(t.db);
  const last = await t.db.selectFrom("audit_event").select((eb) => eb.fn.max("id").as("id")).executeTakeFirst();
  auditMark = String(last?.id ?? "0");
}, 120_000);

// ── The matrix covers the app ───────────────────────────────────────────────

describe("the access matrix declares every route of the app", () => {
  it("every route of the manifest (app/routes.ts) has an entry in tests/support/access-matrix.ts", () => {
    expect(manifest.length, "the manifest could not be read").toBeGreaterThan(50);
    expect(manifestById.get("routes/_index")?.path).toBe("");
    const missing = manifest.filter((r) => !(r.id in accessMatrix)).map((r) => `${r.id} (/${r.path})`);
    expect(missing, `Routes without an access-matrix entry — declare who may use them in tests/support/access-matrix.ts: ${missing.join(", ")}`).toEqual([]);
  });

  it("every entry of the matrix names a route that exists, with the manifest's URL pattern", () => {
    const stale = Object.keys(accessMatrix).filter((id) => !manifestById.has(id));
    expect(stale, `Access-matrix entries whose route no longer exists — remove or rename them: ${stale.join(", ")}`).toEqual([]);
    const moved = Object.entries(accessMatrix)
      .filter(([id, entry]) => manifestById.has(id) && manifestById.get(id)!.path !== entry.path)
      .map(([id, entry]) => `${id}: matrix says /${entry.path}, manifest says /${manifestById.get(id)!.path}`);
    expect(moved, "Access-matrix entries with a stale URL pattern").toEqual([]);
  });

  it("routes under /api/v1 are probed as the partner API (tokens), the others as pages (sessions)", () => {
    const wrong = Object.entries(accessMatrix)
      .filter(([, entry]) => (entry.path === "api/v1" || entry.path.startsWith("api/v1/")) !== (entry.kind === "api"))
      .map(([id]) => id);
    expect(wrong).toEqual([]);
  });

  it("every exported loader has a GET probe and every exported action a POST probe (and no probe calls a missing one)", async () => {
    const problems: string[] = [];
    for (const route of manifest) {
      const entry = accessMatrix[route.id];
      if (!entry) continue;
      const mod = await routeModule(route);
      const methods = new Set(entry.probes.map((p) => p.method));
      if (mod.loader && !methods.has("GET")) problems.push(`${route.id}: its loader has no GET probe`);
      if (mod.action && !methods.has("POST")) problems.push(`${route.id}: its action has no POST probe`);
      if (!mod.loader && methods.has("GET")) problems.push(`${route.id}: GET probe but no loader`);
      if (!mod.action && methods.has("POST")) problems.push(`${route.id}: POST probe but no action`);
    }
    expect(problems).toEqual([]);
  });

  it("every operation of the OpenAPI document is probed", () => {
    const missing = apiOperations
      .filter((op) => {
        const pattern = op.path.replace(/^\//, "").replace(/\{(\w+)\}/g, ":$1");
        return !Object.values(accessMatrix).some((entry) => entry.kind === "api" && entry.path === pattern && entry.probes.some((p) => p.method === op.method.toUpperCase()));
      })
      .map((op) => `${op.method.toUpperCase()} ${op.path}`);
    expect(missing, "OpenAPI operations without a probe in the access matrix").toEqual([]);
  });
});

// ── Sending each probe as each actor ────────────────────────────────────────

const UNKNOWN_TOKEN = "odpe_inconnu0000000000000000000000000000000";

async function buildRequest(entry: RouteEntry, probe: Probe<string>, actor: string): Promise<Request> {
  const url = `http://localhost${probe.url(f)}`;
  const headers = new Headers({ "User-Agent": "vitest" });
  if (entry.kind === "page") {
    headers.set("Origin", "http://localhost");
    if (actor !== "anonymous") {
      const user = f.users[actor as Exclude<PageActor, "anonymous">];
      headers.set("Cookie", probe.freshSession ? await sessionCookie(user.id) : user.cookie);
    }
  } else {
    const bearer: Record<ApiActor, string | null> = {
      no_token: null,
      unknown_token: UNKNOWN_TOKEN,
      revoked_token: f.revokedToken,
      session_cookie: null,
      token: f.tokenA,
      withdrawn_token: f.withdrawnToken,
    };
    const token = bearer[actor as ApiActor];
    if (token) headers.set("Authorization", `Bearer ${token}`);
    if (actor === "session_cookie") headers.set("Cookie", f.users.odpe_referent.cookie);
  }
  let body: BodyInit | undefined;
  if (probe.method === "POST") {
    if (probe.multipart) {
      const form = new FormData();
      for (const [key, value] of Object.entries(probe.form?.(f) ?? {})) form.append(key, value);
      form.append("note", "");
      body = form;
    } else if (probe.json !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(probe.json);
    } else if (entry.kind === "page" || probe.form) {
      body = new URLSearchParams(probe.form?.(f) ?? {});
    }
  }
  return new Request(url, { method: probe.method, headers, body });
}

const POST_INPUT_REFUSALS = [400, 409, 413, 415, 422];

/** Why `result` does not match `outcome` (null when it does). */
function mismatch(outcome: Outcome, method: "GET" | "POST", status: number, location: string | null): string | null {
  const isLogin = status === 302 && /^\/login(\?|$)/.test(location ?? "");
  switch (outcome) {
    case "allowed":
      if (method === "GET") return (status >= 200 && status < 300) || status === 304 ? null : "expected a 2xx answer";
      if (status >= 200 && status < 300) return null;
      if (status >= 300 && status < 400 && !isLogin && location !== "/my-data") return null;
      return POST_INPUT_REFUSALS.includes(status) ? null : "expected the guard to let it through (2xx, redirect, or an input refusal)";
    case "login":
      return isLogin ? null : "expected a redirect to /login";
    case "forbidden":
      return status === 403 ? null : "expected 403";
    case "notFound":
      return status === 404 ? null : "expected 404";
    case "hidden":
      return status === 403 || status === 404 ? null : "expected 403 or 404";
    case "withdrawn":
      if (method === "GET") return status === 302 && location === "/my-data" ? null : "expected a redirect to /my-data (Art. 7)";
      return status === 403 ? null : "expected 403 (Art. 7)";
    case "unauthorized":
      return status === 401 ? null : "expected 401";
    case "conflict":
      return status === 409 ? null : "expected 409 (Art. 7)";
    case "methodNotAllowed":
      return status === 405 ? null : "expected 405";
    default: {
      const target = outcome.slice("redirect:".length);
      return status >= 300 && status < 400 && location === target ? null : `expected a redirect to ${target}`;
    }
  }
}

async function bodyText(result: { response?: Response; data?: unknown }): Promise<string> {
  if (result.response) return result.response.clone().text();
  return result.data === undefined ? "" : JSON.stringify(result.data);
}

async function check(routeId: string, entry: RouteEntry, probe: Probe<string>, actor: string, outcome: Outcome) {
  const route = manifestById.get(routeId);
  expect(route, `${routeId} is not in the manifest`).toBeDefined();
  const request = await buildRequest(entry, probe, actor);
  const pathname = new URL(request.url).pathname;
  const match = matchPath({ path: `/${route!.path}`, end: true }, pathname);
  expect(match, `probe URL ${pathname} does not match /${route!.path}`).not.toBeNull();
  expect(matchRoutes(routeTable, pathname)?.at(-1)?.route.id, `Remix would route ${pathname} elsewhere`).toBe(routeId);
  const mod = await routeModule(route!);
  const handler = probe.method === "GET" ? mod.loader : mod.action;
  expect(handler, `${routeId} exports no ${probe.method === "GET" ? "loader" : "action"}`).toBeTypeOf("function");
  const result = await runRoute(handler as never, request, match!.params as Record<string, string>);
  const location = result.response?.headers.get("Location") ?? null;
  const problem = mismatch(outcome, probe.method, result.status, location);
  const text = await bodyText(result);
  expect(problem, `${probe.method} ${pathname} as ${actor}: ${problem} — got ${result.status}${location ? ` → ${location}` : ""}: ${text.slice(0, 300)}`).toBeNull();
  if (outcome !== "allowed" && !outcome.startsWith("redirect:")) {
    // A refusal never carries the data: not organisation B's name, nor anything beyond a short message.
    expect(text).not.toContain(f.orgB.name);
    expect(text.length).toBeLessThan(2_000);
  }
  if (outcome === "allowed" && probe.conceals && (probe.conceals.from as string[]).includes(actor)) {
    // Scoped to the actor's organisation: organisation B's objects do not appear (a JSON or page answer, so the check can fail).
    expect(result.response?.headers.get("Content-Type") ?? "application/json").toMatch(/json|html|text/);
    expect(text.length).toBeGreaterThan(0);
    for (const value of probe.conceals.values(f)) expect(text, `answer to ${actor} shows organisation B's ${value}`).not.toContain(value);
  }
  if (outcome === "unauthorized") expect(result.response?.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
  if (outcome === "methodNotAllowed") expect(result.response?.headers.get("Allow")).toBeTruthy();
}

for (const [routeId, entry] of Object.entries(accessMatrix)) {
  describe(`/${entry.path}`, () => {
    for (const probe of entry.probes as Probe<string>[]) {
      const actors: readonly string[] = entry.kind === "page" ? pageActors : apiActors;
      for (const actor of actors) {
        const outcome = (probe.expect as Record<string, Outcome>)[actor]!;
        // Art. 7 rules the withdrawn organisation's actors, beside the probe's own article.
        const articles = [...new Set([probe.article, actor.startsWith("withdrawn_") ? "Art. 7" : undefined].filter(Boolean))];
        const name = `${articles.length ? `${articles.join(", ")}: ` : ""}${probe.method} /${entry.path}${probe.label ? ` (${probe.label})` : ""} as ${actor} → ${outcome}`;
        it(name, () => check(routeId, entry, probe, actor, outcome));
      }
    }
  });
}

describe("refusals leave no trace", () => {
  it("the probes changed nothing: the audit log gained only exports and sign-outs", async () => {
    const events = await t.db.selectFrom("audit_event").select(["action"]).where("id", ">", auditMark).execute();
    expect(events.length).toBeGreaterThan(0);
    const actions = [...new Set(events.map((e) => e.action))].sort();
    expect(actions.filter((a) => a !== "auth.logout" && !/export/.test(a))).toEqual([]);
  });

  it("Art. 6: only the referent exported organisation B's data", async () => {
    const exports = await t.db
      .selectFrom("audit_event")
      .select(["actor_user_id"])
      .where("id", ">", auditMark)
      .where("action", "=", "organisation.data_exported")
      .where("entity_id", "=", f.orgB.id)
      .execute();
    expect(exports.map((e) => e.actor_user_id)).toEqual([f.users.odpe_referent.id]);
  });

  it("organisation B's API token still works after organisation A's correspondent tried to revoke it", async () => {
    expect(await authenticateApiToken(t.db, f.tokenB)).toMatchObject({ organisationId: f.orgB.id });
  });
});
