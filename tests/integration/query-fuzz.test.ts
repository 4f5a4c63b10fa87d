import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { runRoute } from "../factories/referential";
import { guardDataFunction } from "~/server/http/outage.server";
import { DomainError } from "~/server/errors.server";
import { flatRouteFilePattern } from "~/server/http/redirect-target.server";

/**
 * ADR 017 — no 500 on bad input. Every loader of app/routes, through
 * the guard every loader and action of the production build goes through
 * (outage.server.ts), is called by a signed-in admin and a partner
 * correspondent with hostile values in every query parameter any loader reads
 * and in every path parameter: NUL bytes, huge numbers, invalid UTF-8,
 * overlong values, non-UUIDs. The answer is never a 5xx.
 */
const t = useTestDb();

type Loader = (args: unknown) => Promise<unknown>;
const modules = import.meta.glob<{ loader?: Loader }>("../../app/routes/*.{ts,tsx}", { eager: true });

/** Every query parameter a loader reads (searchParams.get / zod query schemas of app/routes). */
const QUERY_KEYS = [
  "q", "organisation", "status", "action", "actor", "entity", "from", "to", "before", "after", "page", "cursor", "verify",
  "filtre", "version", "affichage", "vue", "year", "annee", "domain", "domaine", "indicator", "indicateur", "kind", "type",
  "owner", "proprietaire", "mailbox", "to", "read", "lu", "campaign", "breakdown", "intent", "redirectTo", "format", "limit",
];

const HOSTILE = ["%00", "a%00b", "99999999999999999999", "-1", "1e400", "%C3%28", "%FF%FE", "x".repeat(20_000), "not-a-uuid", "%27%3B--", "%E2%80%AE"];

function routes() {
  return Object.entries(modules)
    .filter(([, m]) => typeof m.loader === "function")
    .map(([file, m]) => ({ file, pattern: flatRouteFilePattern(file), loader: m.loader! }));
}

const fill = (pattern: string, value: string) =>
  "/" + pattern.split("/").map((s) => (s.startsWith(":") ? value : s === "*" ? value : s)).join("/");

async function call(loader: Loader, path: string, cookie: string, params: Record<string, string>) {
  const result = await runRoute(guardDataFunction(loader as never) as never, makeRequest(path, { cookie }), params);
  return result.status;
}

const paramsOf = (pattern: string, value: string) => {
  const params: Record<string, string> = {};
  for (const s of pattern.split("/")) {
    if (s.startsWith(":")) params[s.slice(1)] = safeDecode(value);
    if (s === "*") params["*"] = safeDecode(value);
  }
  return params;
};
const safeDecode = (v: string) => {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
};

describe("no 5xx on hostile query strings and path parameters (ADR 017)", () => {
  it("every loader, every query parameter, every hostile value: never a 5xx", { timeout: 600_000 }, async () => {
    const org = await makeOrganisation(t.db);
    const actors = await Promise.all((["admin", "partner_correspondent"] as const).map(async (role) => sessionCookie((await makeUser(t.db, role, org.id)).id)));
    const failures: string[] = [];
    const list = routes();
    expect(list.length).toBeGreaterThan(40);
    for (const route of list) {
      for (const value of HOSTILE) {
        const query = QUERY_KEYS.map((k) => `${k}=${value}`).join("&");
        const concrete = fill(route.pattern, route.pattern.includes(":year") ? "2025" : "x");
        const urls: [string, Record<string, string>][] = [
          [`${concrete}?${query}`, paramsOf(route.pattern, route.pattern.includes(":year") ? "2025" : "x")],
          [fill(route.pattern, value), paramsOf(route.pattern, value)],
        ];
        for (const [url, params] of urls) {
          for (const cookie of actors) {
            let status: number;
            try {
              status = await call(route.loader, url, cookie, params);
            } catch (error) {
              status = 500;
              failures.push(`${route.file} ${url.slice(0, 120)}: ${String(error).slice(0, 200)}`);
              continue;
            }
            if (status >= 500) failures.push(`${route.file} ${url.slice(0, 120)}: ${status}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it.each([
    ["/workspace?q=%00", "workspace._index", "admin"],
    ["/audit?action=%00", "audit", "admin"],
    ["/admin/users?q=%00", "admin.users._index", "admin"],
    ["/demo/mailbox?q=%00", "demo.mailbox", "admin"],
    ["/admin/users?organisation=pas-un-uuid", "admin.users._index", "admin"],
    ["/completeness/99999999999999999999", "completeness.$year", "odpe_referent"],
    ["/collection/2025/%00", "collection.$year.$org", "odpe_referent"],
  ] as const)("%s answers 400 or 404 with a French message (%s, as %s)", async (url, name, role) => {
    const org = await makeOrganisation(t.db);
    const cookie = await sessionCookie((await makeUser(t.db, role, org.id)).id);
    const route = routes().find((r) => r.file.endsWith(`/${name}.tsx`) || r.file.endsWith(`/${name}.ts`))!;
    const path = url.split("?")[0]!;
    const params: Record<string, string> = {};
    route.pattern.split("/").forEach((s, i) => {
      if (s.startsWith(":")) params[s.slice(1)] = safeDecode(path.split("/")[i + 1] ?? "");
    });
    const result = await runRoute(guardDataFunction(route.loader as never) as never, makeRequest(url, { cookie }), params);
    expect([400, 404]).toContain(result.status);
    if (result.response) expect(await result.response.text()).toMatch(/[éèàç]|introuvable|invalide|n'existe/);
  });

  it("a domain refusal inside a loader (the ONPE package of a draft edition) answers its status and French message, not a 500", async () => {
    const loader = guardDataFunction(async () => {
      throw new DomainError("conflict", "Le paquet ONPE est constitué à la publication de l'édition.");
    });
    const result = await runRoute(loader as never, makeRequest("/dashboard/editions/x/fichiers/paquet-onpe"));
    expect(result.status).toBe(409);
    expect(await result.response!.text()).toBe("Le paquet ONPE est constitué à la publication de l'édition.");
  });
});
