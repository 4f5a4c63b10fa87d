import { describe, expect, it } from "vitest";
import { baseUrl, DEMO_PASSWORD, demoEmail, signInCookie } from "./browser";

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

  it("ADR 055: a signed-in page held by the process comes with this response's nonce and request id, and never outlives its session", async () => {
    const cookie = await signInCookie(baseUrl(), "elu");
    // The first render teaches the process that `/` may be held, the second that it was requested, the third is held, the fourth served from it.
    const pages: { res: Response; html: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${baseUrl()}/`, { headers: { Cookie: cookie } });
      expect(res.status).toBe(200);
      pages.push({ res, html: await res.text() });
      if (res.headers.get("server-timing") === "held") break;
    }
    const held = pages.at(-1)!;
    const rendered = pages.at(-2)!;
    expect(held.res.headers.get("server-timing"), "a held page after a few requests").toBe("held");
    expect(rendered.res.headers.get("server-timing")).toBeNull();
    const nonceOf = (res: Response) => /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")![1]!;
    const nonce = nonceOf(held.res);
    expect(nonce).not.toBe(nonceOf(rendered.res));
    const scripts = [...held.html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs] of scripts) expect(attrs).toContain(`nonce="${nonce}"`);
    expect(held.html).not.toContain(nonceOf(rendered.res));
    const requestId = held.res.headers.get("x-request-id")!;
    expect(held.html).toContain(requestId);
    expect(held.html).not.toContain(rendered.res.headers.get("x-request-id")!);
    // The same page otherwise: what was rendered, with the new values.
    expect(held.html).toBe(
      rendered.html.replaceAll(nonceOf(rendered.res), nonce).replaceAll(rendered.res.headers.get("x-request-id")!, requestId),
    );
    expect(held.res.headers.get("cache-control")).toBe(rendered.res.headers.get("cache-control"));
    expect(held.res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    // A request id chosen to match some text of the page (X-Request-Id is accepted from clients): the copies keep that text.
    const chosen = "data-mantine-color-scheme";
    for (let i = 0; i < 4; i++) await (await fetch(`${baseUrl()}/extranet`, { headers: { "X-Request-Id": chosen } })).text();
    const extranet = await fetch(`${baseUrl()}/extranet`);
    expect(await extranet.text()).toContain(`${chosen}="light"`);
    // Signed out: the held page is not served to the ended session, the route sends it to the login page.
    const logout = await fetch(`${baseUrl()}/logout`, { method: "POST", redirect: "manual", headers: { Cookie: cookie, Origin: baseUrl() } });
    expect(logout.status).toBe(302);
    const after = await fetch(`${baseUrl()}/`, { redirect: "manual", headers: { Cookie: cookie } });
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toMatch(/^\/login/);
  });

  it("ADR 055: every route that holds its pages gives, from a held copy, exactly the page a render gives (but the nonce and the request id)", async () => {
    const cookie = await signInCookie(baseUrl(), "referent");
    const paths = ["/", "/extranet", "/dashboard", "/indicators", "/organisations", "/publications", "/collection", "/convention", "/governance", "/workspace", "/campaigns"];
    const nonceOf = (res: Response) => /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")![1]!;
    for (const path of paths) {
      let rendered: { res: Response; html: string } | undefined;
      let held: { res: Response; html: string } | undefined;
      // The job queue's own transactions may make a copy useless now and then: a few more requests then.
      for (let i = 0; i < 10 && !held; i++) {
        const res = await fetch(`${baseUrl()}${path}`, { headers: { Cookie: cookie } });
        expect(res.status, path).toBe(200);
        const page = { res, html: await res.text() };
        if (res.headers.get("server-timing") === "held") held = page;
        else rendered = page;
      }
      expect(held, `${path}: served from a held copy`).toBeDefined();
      const expected = rendered!.html
        .replaceAll(nonceOf(rendered!.res), nonceOf(held!.res))
        .replaceAll(rendered!.res.headers.get("x-request-id")!, held!.res.headers.get("x-request-id")!);
      expect(held!.html, path).toBe(expected);
    }
  });
});
