import { describe, expect, it } from "vitest";
import { cspDirectives, isOriginAllowed, requestIdFrom } from "~/server/http/security.server";

describe("CSRF origin check on non-GET requests", () => {
  const base = { path: "/login", host: "portail.example:3000" };
  it("lets safe methods through whatever the origin", () => {
    expect(isOriginAllowed({ ...base, method: "GET", origin: "https://evil.example" })).toBe(true);
    expect(isOriginAllowed({ ...base, method: "HEAD", origin: undefined })).toBe(true);
  });
  it("accepts a POST from the portal's own origin", () => {
    expect(isOriginAllowed({ ...base, method: "POST", origin: "http://portail.example:3000" })).toBe(true);
  });
  it("refuses a POST from another origin, a missing or opaque origin", () => {
    expect(isOriginAllowed({ ...base, method: "POST", origin: "https://evil.example" })).toBe(false);
    expect(isOriginAllowed({ ...base, method: "POST", origin: "http://portail.example:3001" })).toBe(false);
    expect(isOriginAllowed({ ...base, method: "POST", origin: undefined })).toBe(false);
    expect(isOriginAllowed({ ...base, method: "DELETE", origin: "null" })).toBe(false);
    expect(isOriginAllowed({ ...base, method: "POST", origin: "not a url" })).toBe(false);
  });
  it("compares with PUBLIC_URL when configured (behind a TLS proxy)", () => {
    const input = { ...base, method: "POST", publicUrl: "https://odpe.departement.fr" };
    expect(isOriginAllowed({ ...input, origin: "https://odpe.departement.fr" })).toBe(true);
    expect(isOriginAllowed({ ...input, origin: "http://odpe.departement.fr" })).toBe(false);
  });
  it("lets token-authenticated API calls without Origin through, but not a foreign Origin", () => {
    expect(isOriginAllowed({ method: "POST", path: "/api/v1/uploads", host: base.host, origin: undefined })).toBe(true);
    expect(isOriginAllowed({ method: "POST", path: "/api/v1/uploads", host: base.host, origin: "https://evil.example" })).toBe(false);
  });
});

describe("request ids and CSP", () => {
  it("keeps a sane proxy request id and replaces a hostile one", () => {
    expect(requestIdFrom("abc-123-def-456")).toBe("abc-123-def-456");
    expect(requestIdFrom("<script>")).not.toBe("<script>");
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
  it("allows scripts only with the response nonce and forbids framing", () => {
    const csp = cspDirectives("N0NCE", false);
    expect(csp.scriptSrc).toEqual(["'self'", "'nonce-N0NCE'"]);
    expect(csp.frameAncestors).toEqual(["'none'"]);
    expect(csp.objectSrc).toEqual(["'none'"]);
  });
});
