import path from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
// The package's ES module build is left unpatched (the browser's bundle uses it, and client-side route
// discovery changes route arrays in place): it is the reference the patched CommonJS build must agree with.
import * as esmBuild from "@remix-run/router/dist/router.js";
import type * as Router from "@remix-run/router";

const reference = esmBuild as unknown as typeof Router;

// What the server loads (@remix-run/server-runtime, react-router, @remix-run/react all require() it):
// the CommonJS build, patched by patches/@remix-run+router+1.23.3.patch (ADR 037).
const patched = createRequire(import.meta.url)("@remix-run/router") as typeof Router;

interface ConfigEntry {
  id?: string;
  file: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: ConfigEntry[];
}
interface RouteObject {
  id: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: RouteObject[];
}

/** The portal's route tree as Remix builds it on the server: app/routes.ts under the root route. */
async function portalRoutes(): Promise<Router.AgnosticRouteObject[]> {
  (globalThis as { __remixAppDirectory?: string }).__remixAppDirectory = path.resolve(__dirname, "../../app");
  const config = (await (await import("~/routes")).default) as ConfigEntry[];
  const convert = (entries: ConfigEntry[]): RouteObject[] =>
    entries.map((e) => ({
      id: e.id ?? e.file,
      ...(e.path !== undefined ? { path: e.path } : {}),
      ...(e.index ? { index: true } : {}),
      ...(e.caseSensitive ? { caseSensitive: true } : {}),
      ...(e.children?.length ? { children: convert(e.children) } : {}),
    }));
  const root: RouteObject = { id: "root", path: "", children: convert(config) };
  return [root] as Router.AgnosticRouteObject[];
}

/** One example URL path per route pattern, and the paths a visitor or a probe sends. */
function examplePaths(routes: Router.AgnosticRouteObject[]): string[] {
  const paths = new Set<string>(["/", "/extranet", "/extranet/", "/EXTRANET", "/dashboard/2023", "/dashboard/2023/", "/extranet/tableau-de-bord/2023",
    "/extranet/tableau-de-bord/2023/1/rapport.pdf", "/healthz", "/login", "/unknown/page", "/api/v1/unknown", "/organisations/caf%2077", "/organisations/%C3%A9t%C3%A9",
    "/organisations/%", "//double//slash", "/admin/users/42/export", "/api.docs", "/api/v1/openapi.json"]);
  const walk = (entries: RouteObject[], parent: string) => {
    for (const r of entries) {
      const full = [parent, r.path ?? ""].filter(Boolean).join("/");
      paths.add("/" + full.replace(/:[A-Za-z]+/g, "x1").replace("*", "a/b"));
      walk(r.children ?? [], full);
    }
  };
  walk(routes as RouteObject[], "");
  return [...paths];
}

const summary = (matches: ReturnType<typeof Router.matchRoutes>) =>
  matches?.map((m) => ({ id: (m.route as RouteObject).id, pathname: m.pathname, pathnameBase: m.pathnameBase, params: m.params })) ?? null;

describe("route matching memoised by the routes array (patched @remix-run/router, ADR 037)", () => {
  it("matches every path of the portal's route table exactly as the unpatched router does, on the first and later calls", async () => {
    const routes = await portalRoutes();
    const paths = examplePaths(routes);
    expect(paths.length).toBeGreaterThan(60);
    for (const pathname of paths) {
      const expected = summary(reference.matchRoutes(routes, pathname));
      expect([pathname, summary(patched.matchRoutes(routes, pathname))]).toEqual([pathname, expected]);
      expect([pathname, summary(patched.matchRoutes(routes, pathname))]).toEqual([pathname, expected]);
      expect([pathname, summary(patched.matchRoutes(routes, pathname, "/portail"))]).toEqual([pathname, summary(reference.matchRoutes(routes, pathname, "/portail"))]);
    }
    expect(paths.filter((p) => patched.matchRoutes(routes, p) !== null).length).toBeGreaterThan(60);
  });

  it("reuses a routes array's ranked branches: a route added in place afterwards is not seen, while a new array sees it", async () => {
    const routes = await portalRoutes();
    expect(summary(patched.matchRoutes(routes, "/ajoutee-apres"))?.at(-1)?.id).not.toBe("late");
    (routes[0] as RouteObject).children!.push({ id: "late", path: "ajoutee-apres" });
    // The unpatched router flattens again on every call and sees it; the patched one answers from its memo.
    expect(summary(reference.matchRoutes(routes, "/ajoutee-apres"))?.at(-1)?.id).toBe("late");
    expect(summary(patched.matchRoutes(routes, "/ajoutee-apres"))?.at(-1)?.id).not.toBe("late");
    expect(summary(patched.matchRoutes([...routes], "/ajoutee-apres"))?.at(-1)?.id).toBe("late");
  });

  it("compiles a pattern once per case sensitivity and end, with compilePath's own defaults", () => {
    expect(patched.matchPath("/a/:id", "/A/1")?.params).toEqual({ id: "1" });
    expect(patched.matchPath({ path: "/a/:id", caseSensitive: true }, "/A/1")).toBeNull();
    expect(patched.matchPath({ path: "/a/:id", caseSensitive: true, end: false }, "/a/1/more")?.pathname).toBe("/a/1");
    expect(patched.matchPath({ path: "/a/:id", caseSensitive: false }, "/a/1/more")).toBeNull();
    expect(patched.matchPath({ path: "/a/:id", caseSensitive: false, end: undefined as unknown as boolean }, "/a/1/more")).toBeNull();
    for (const [pattern, pathname] of [
      [{ path: "/a/*", end: true }, "/a/b/c"],
      [{ path: "/files/:name?", end: true }, "/files"],
      [{ path: "/x", end: false }, "/x/y"],
    ] as const) {
      expect(patched.matchPath(pattern, pathname)).toEqual(reference.matchPath(pattern, pathname));
    }
  });
});
