import path from "node:path";
import { describe, expect, it } from "vitest";
import { flatRouteFilePattern, isKnownRoutePath, safeRedirectTarget } from "~/server/http/redirect-target.server";

/**
 * ADR 017 — no open redirect after login: the target is parsed with
 * the URL API against the portal's origin and must be a known route of that origin.
 */
const ORIGIN = "https://odpe.example.fr";

interface ConfigEntry {
  file: string;
  path?: string;
  children?: ConfigEntry[];
}

describe("post-login redirect target (ADR 017)", () => {
  it.each([
    // [value, expected]
    ["/admin/users?q=x", "/admin/users?q=x"],
    ["/collection/2025/ODPE#depot", "/collection/2025/ODPE#depot"],
    ["/", "/"],
    ["/extranet/tableau-de-bord/2025/1/rapport.pdf", "/extranet/tableau-de-bord/2025/1/rapport.pdf"],
    ["/workspace?q=é", "/workspace?q=%C3%A9"],
    ["/organisations/Ñandú", "/organisations/%C3%91and%C3%BA"],
    ["https://odpe.example.fr/audit", "/"],
    ["/%09/evil.example/", "/"],
    ["/\t/evil.example/", "/"],
    ["/\r\nSet-Cookie: x=1", "/"],
    ["/%0d%0aLocation:%20https://evil.example", "/"],
    ["/\\evil.example", "/"],
    ["\\\\evil.example", "/"],
    ["/\\/evil.example", "/"],
    ["//evil.example", "/"],
    ["///evil.example", "/"],
    ["/%2F/evil.example", "/"],
    ["/%2f%2fevil.example", "/"],
    ["/%5cevil.example", "/"],
    ["/%2e%2e/%2e%2e/evil", "/"],
    ["/audit/%2e%2e/%2e%2e/admin/users", "/admin/users"],
    ["/./audit", "/audit"],
    ["/．．/evil", "/"],
    ["／／evil.example", "/"],
    ["/／evil.example", "/"],
    ["javascript:alert(1)", "/"],
    ["/javascript:alert(1)", "/"],
    ["JaVaScRiPt:alert(1)", "/"],
    ["data:text/html,<script>alert(1)</script>", "/"],
    ["https://evil.example/audit", "/"],
    ["http://odpe.example.fr/audit", "/"],
    ["https://user:pw@odpe.example.fr/audit", "/"],
    ["evil.example", "/"],
    ["?x=1", "/"],
    ["/route/qui/nexiste/pas", "/"],
    ["/api/v1/campaigns", "/"],
    ["/audit/", "/"],
    ["/audit%00", "/"],
    ["/audit\u0000", "/"],
    ["/%C3%28", "/"],
    ["/audit?q=" + "a".repeat(5000), "/"],
    ["", "/"],
  ])("%# %j → %s", (value, expected) => {
    expect(safeRedirectTarget(value, ORIGIN)).toBe(expected);
  });

  it("answers home for anything that is not a string", () => {
    for (const value of [undefined, null, 42, ["/audit"], { toString: () => "/audit" }]) expect(safeRedirectTarget(value, ORIGIN)).toBe("/");
  });

  it("knows every page of the route manifest (app/routes.ts), but not the catch-all nor the API", async () => {
    (globalThis as { __remixAppDirectory?: string }).__remixAppDirectory = path.resolve(__dirname, "../../app");
    const config = (await (await import("~/routes")).default) as ConfigEntry[];
    const manifest: { file: string; path: string }[] = [];
    const walk = (entries: ConfigEntry[], parent: string) => {
      for (const entry of entries) {
        const full = [parent, entry.path ?? ""].filter(Boolean).join("/");
        manifest.push({ file: entry.file, path: full });
        walk(entry.children ?? [], full);
      }
    };
    walk(config, "");
    expect(manifest.length).toBeGreaterThan(50);
    for (const route of manifest) {
      const pattern = flatRouteFilePattern(route.file);
      expect([route.file, pattern]).toEqual([route.file, route.path]);
      const example = "/" + route.path.replace(/:[A-Za-z]+/g, "x1").replace("*", "a/b");
      expect([example, isKnownRoutePath(example)]).toEqual([example, route.path !== "*" && !route.path.startsWith("api/")]);
    }
  });
});
