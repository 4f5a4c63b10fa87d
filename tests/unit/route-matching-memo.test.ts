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
const requireCjs = createRequire(import.meta.url);
const patched = requireCjs("@remix-run/router") as typeof Router;

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

describe("a path's matches memoised by the ranked branches (patched @remix-run/router, ADR 044)", () => {
  /** Calls of RegExp.prototype[Symbol.match] (matchPath's `pathname.match(matcher)`) while `fn` runs. */
  const regexMatches = (fn: () => unknown) => {
    const original = RegExp.prototype[Symbol.match];
    let calls = 0;
    RegExp.prototype[Symbol.match] = function (this: RegExp, s: string) {
      calls++;
      return original.call(this, s);
    };
    try {
      fn();
    } finally {
      RegExp.prototype[Symbol.match] = original;
    }
    return calls;
  };

  it("matches a path it matched before without trying the branches again", async () => {
    const routes = await portalRoutes();
    // The first time, every branch ranked above the reader home's is tried.
    expect(regexMatches(() => patched.matchRoutes(routes, "/"))).toBeGreaterThan(20);
    expect(regexMatches(() => patched.matchRoutes(routes, "/"))).toBe(0);
    expect(regexMatches(() => patched.matchRoutes(routes, "/extranet"))).toBeGreaterThan(0);
    expect(regexMatches(() => patched.matchRoutes(routes, "/extranet"))).toBe(0);
    // Keyed by the decoded path, the routes array and the partial flag: another array or a basename is matched again where needed.
    expect(regexMatches(() => patched.matchRoutes([...routes], "/extranet"))).toBeGreaterThan(0);
    expect(summary(patched.matchRoutes(routes, "/portail/extranet", "/portail"))).toEqual(summary(reference.matchRoutes(routes, "/portail/extranet", "/portail")));
    expect(summary(patched.matchRoutes(routes, "/ext%72anet"))).toEqual(summary(reference.matchRoutes(routes, "/ext%72anet")));
  });

  it("gives each caller its own matches: changing them changes nothing for the next caller", async () => {
    const routes = await portalRoutes();
    const expected = summary(reference.matchRoutes(routes, "/dashboard/2023"));
    const first = patched.matchRoutes(routes, "/dashboard/2023")!;
    const second = patched.matchRoutes(routes, "/dashboard/2023")!;
    expect(second).not.toBe(first);
    expect(second[0]).not.toBe(first[0]);
    expect(second.at(-1)!.params).not.toBe(first.at(-1)!.params);
    // As the unpatched router does, the matches of one answer share one params object, and the route objects are the array's own.
    expect(new Set(second.map((m) => m.params)).size).toBe(1);
    expect(new Set(reference.matchRoutes(routes, "/dashboard/2023")!.map((m) => m.params)).size).toBe(1);
    expect(second.map((m) => m.route)).toEqual(first.map((m) => m.route));
    (first.at(-1)!.params as Record<string, string>).year = "1999";
    first.pop();
    (second[0] as { pathname: string }).pathname = "/ailleurs";
    expect(summary(patched.matchRoutes(routes, "/dashboard/2023"))).toEqual(expected);
    expect(expected!.at(-1)!.params).toEqual({ year: "2023" });
  });

  it("holds a bounded number of paths (paths carry ids) and does not hold very long ones", async () => {
    const routes = await portalRoutes();
    for (let i = 0; i < 1200; i++) patched.matchRoutes(routes, `/dashboard/${i}`);
    // The memo was emptied on the way: the first paths are matched again.
    expect(regexMatches(() => patched.matchRoutes(routes, "/dashboard/0"))).toBeGreaterThan(0);
    const long = "/extranet/" + "a".repeat(600);
    patched.matchRoutes(routes, long);
    expect(regexMatches(() => patched.matchRoutes(routes, long))).toBeGreaterThan(0);
    expect(summary(patched.matchRoutes(routes, long))).toEqual(summary(reference.matchRoutes(routes, long)));
  });
});

/** The static router a render of RemixServer builds (patched @remix-run/react and react-router-dom, ADR 037). */
type StaticRouter = { routes: { id: string; children?: unknown[] }[] };
describe("the static router's routes are built once per build (patched @remix-run/react and react-router-dom, ADR 037)", () => {
  const { createStaticRouter } = requireCjs("react-router-dom/server") as { createStaticRouter: (routes: unknown[], context: unknown) => StaticRouter };
  const { RemixServer } = requireCjs("@remix-run/react") as { RemixServer: (props: { context: unknown; url: string }) => unknown };
  const handlerContext = () => ({ basename: "/", location: { pathname: "/", search: "", hash: "", state: null, key: "default" }, matches: [], loaderData: {}, actionData: null, errors: null, statusCode: 200, loaderHeaders: {}, actionHeaders: {}, activeDeferreds: null });

  it("converts a routes array to data routes once: the same array gives the same routes, another array new ones", () => {
    const routes = [{ id: "root", path: "", children: [{ id: "routes/_index", index: true }] }];
    const first = createStaticRouter(routes, handlerContext());
    expect(first.routes[0]!.id).toBe("root");
    expect(createStaticRouter(routes, handlerContext()).routes).toBe(first.routes);
    expect(createStaticRouter([...routes], handlerContext()).routes).not.toBe(first.routes);
  });

  it("creates a build's server routes once per manifest and set of route modules", () => {
    const manifestRoutes = { root: { id: "root", path: "", hasLoader: true, hasClientLoader: false, module: "/root.js" }, "routes/_index": { id: "routes/_index", parentId: "root", index: true, hasLoader: true, hasClientLoader: false, module: "/i.js" } };
    const modules = { root: { default: () => null }, "routes/_index": { default: () => null } };
    const future = { v3_singleFetch: true };
    /** The router given to StaticRouterProvider in the tree RemixServer returns. */
    const routerOf = (routeModules: object, manifest = manifestRoutes): StaticRouter => {
      const context = { manifest: { routes: manifest }, routeModules, future, isSpaMode: false, staticHandlerContext: handlerContext(), serverHandoffString: "" };
      const find = (node: unknown): StaticRouter | undefined => {
        if (!node || typeof node !== "object") return undefined;
        const props = (node as { props?: { router?: StaticRouter; children?: unknown } }).props;
        if (props?.router) return props.router;
        const children = props?.children;
        for (const child of Array.isArray(children) ? children : [children]) {
          const found = find(child);
          if (found) return found;
        }
        return undefined;
      };
      const router = find(RemixServer({ context, url: "http://localhost/" }));
      if (!router) throw new Error("no router in RemixServer's tree");
      return router;
    };
    const first = routerOf({ ...modules });
    expect(first.routes[0]!.id).toBe("root");
    // Each request gets a new routeModules object holding the same modules: same routes.
    expect(routerOf({ ...modules }).routes).toBe(first.routes);
    // Another module (a new build in development) or another manifest: new routes.
    expect(routerOf({ ...modules, "routes/_index": { default: () => null } }).routes).not.toBe(first.routes);
    expect(routerOf({ ...modules }, { ...manifestRoutes }).routes).not.toBe(first.routes);
  });
});
