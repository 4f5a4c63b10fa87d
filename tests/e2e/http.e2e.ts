import { describe, expect, it } from "vitest";
import { baseUrl, DEMO_PASSWORD, demoEmail } from "./browser";

/** Real responses of the production server: headers, CSRF origin check, cookies, health. */
describe("HTTP layer of the production build", () => {
  it("sends the security headers with a per-response CSP nonce", async () => {
    const res = await fetch(`${baseUrl()}/login`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const html = await res.text();
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    // every inline script carries the nonce
    const scripts = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs] of scripts) expect(attrs).toContain(`nonce="${nonce}"`);
    const second = await fetch(`${baseUrl()}/login`);
    expect(second.headers.get("content-security-policy")).not.toBe(csp);
  });

  it("refuses a POST from another origin (403) and one without Origin", async () => {
    const body = new URLSearchParams({ email: demoEmail("referent"), password: DEMO_PASSWORD });
    const foreign = await fetch(`${baseUrl()}/login`, { method: "POST", body, headers: { Origin: "https://evil.example" }, redirect: "manual" });
    expect(foreign.status).toBe(403);
    const none = await fetch(`${baseUrl()}/login`, { method: "POST", body, redirect: "manual" });
    expect(none.status).toBe(403);
    const same = await fetch(`${baseUrl()}/login`, { method: "POST", body, headers: { Origin: baseUrl() }, redirect: "manual" });
    expect(same.status).toBe(302);
    const cookie = same.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^odpe_session=[a-z0-9]{24}\.[a-z0-9]{24}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
  });

  it("answers /healthz with the database status", async () => {
    const res = await fetch(`${baseUrl()}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: "ok", driver: "pglite" });
  });
});
