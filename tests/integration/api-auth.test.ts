import { afterEach, describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { useTestDb } from "../support/db";
import { apiRequest, call, expectConforms, expectProblem } from "../support/api";
import { makeApiToken, setupApiPartner, withdrawOrganisation } from "../factories/collection";
import * as campaigns from "~/routes/api.v1.campaigns._index";
import * as uploads from "~/routes/api.v1.campaigns.$year.uploads";
import * as submit from "~/routes/api.v1.uploads.$id.submit";
import * as catchAll from "~/routes/api.v1.$";
import { revokeApiToken, hashApiToken } from "~/server/api/tokens.server";
import { systemContext } from "~/server/audit/audit.server";
import { resetEnvForTests } from "~/server/env.server";
import { testContext } from "../factories";

const t = useTestDb();
const LIST = "/api/v1/campaigns";

const unknownTokenDefault = process.env.API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE;
afterEach(() => {
  delete process.env.API_RATE_LIMIT_PER_MINUTE;
  process.env.API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE = unknownTokenDefault;
  resetEnvForTests();
});

describe("unknown tokens are rate-limited per client address (ADR 017)", () => {
  it("past API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE unknown tokens from one address: 429 with Retry-After, even for a valid token; other addresses unaffected", async () => {
    process.env.API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE = "3";
    resetEnvForTests();
    const { token } = await setupApiPartner(t.db);
    const from = (ip: string, secret: string) =>
      (campaigns.loader as unknown as (a: unknown) => Promise<Response>)({ request: apiRequest("/campaigns", { token: secret }), params: {}, context: { ...testContext(), ip } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await from("203.0.113.50", `odpe_inconnu_${i}_${"x".repeat(30)}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const blocked = await from("203.0.113.50", token);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { detail: string }).detail).toMatch(/jetons d'accès inconnus/);
    expect((await from("203.0.113.51", token)).status).toBe(200);
    expect((await from("203.0.113.51", "odpe_inconnu_autre_" + "y".repeat(30))).status).toBe(401);
  });
});

describe("bearer token (ADR 008: partner systems authenticate with a token, never a cookie)", () => {
  it("answers 401 problem+json with a Bearer challenge when the header is missing", async () => {
    const response = await call(campaigns.loader, apiRequest("/campaigns"));
    const body = await expectProblem(response, "get", LIST, 401, "unauthenticated");
    expect(response.headers.get("WWW-Authenticate")).toBe('Bearer realm="Portail ODPE"');
    expect(body.detail).toMatch(/Authorization: Bearer/);
    expect(body.requestId).toMatch(/^test-/);
  });

  it("answers the same 401 to a malformed, an unknown and a Basic credential", async () => {
    const unknown = `odpe_${"A".repeat(43)}`;
    for (const header of ["Bearer pas-un-jeton", `Bearer ${unknown}`, "Basic dXNlcjpwYXNz", "Bearer"]) {
      const response = await call(campaigns.loader, apiRequest("/campaigns", { headers: { Authorization: header } }));
      await expectProblem(response, "get", LIST, 401, "unauthenticated");
    }
  });

  it("accepts an active token, stamps its last use, and answers with rate-limit headers", async () => {
    const partner = await setupApiPartner(t.db);
    const before = await t.db.selectFrom("api_token").select("last_used_at").where("id", "=", partner.tokenId).executeTakeFirstOrThrow();
    expect(before.last_used_at).toBeNull();
    const response = await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token }));
    expect(response.status).toBe(200);
    await expectConforms(response, "get", LIST);
    expect(response.headers.get("RateLimit-Limit")).toBe("120");
    expect(Number(response.headers.get("RateLimit-Remaining"))).toBe(119);
    const after = await t.db.selectFrom("api_token").select("last_used_at").where("id", "=", partner.tokenId).executeTakeFirstOrThrow();
    expect(after.last_used_at).not.toBeNull();
  });

  it("stores only the token's sha256 and its prefix, never the secret", async () => {
    const partner = await setupApiPartner(t.db);
    const row = await t.db.selectFrom("api_token").selectAll().where("id", "=", partner.tokenId).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashApiToken(partner.token));
    expect(partner.token.startsWith(row.token_prefix)).toBe(true);
    expect(row.token_prefix.length).toBeLessThan(partner.token.length / 3);
    expect(JSON.stringify(row)).not.toContain(partner.token);
  });

  it("refuses a revoked token with 401 from the moment it is revoked", async () => {
    const partner = await setupApiPartner(t.db);
    expect((await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token }))).status).toBe(200);
    await revokeApiToken(t.db, system(systemContext("test")), { organisationId: partner.org.id, tokenId: partner.tokenId, revokedBy: partner.correspondent.id });
    const response = await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token }));
    await expectProblem(response, "get", LIST, 401, "unauthenticated");
    expect(response.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });

  it("Art. 7: a withdrawn organisation's token is refused (409) on every operation", async () => {
    const partner = await setupApiPartner(t.db);
    await withdrawOrganisation(t.db, partner.org.id);
    const list = await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token }));
    const body = await expectProblem(list, "get", LIST, 409, "conflict");
    expect(body.detail).toMatch(/retiré de la convention \(art\. 7\)/);
    const upload = await call(uploads.action, apiRequest(`/campaigns/${partner.year}/uploads`, { token: partner.token, body: new Uint8Array([1]) }), { year: String(partner.year) });
    await expectProblem(upload, "post", "/api/v1/campaigns/{year}/uploads", 409, "conflict");
  });

  it("never reads the session cookie: a cookie alone is 401", async () => {
    const response = await call(campaigns.loader, apiRequest("/campaigns", { headers: { Cookie: "odpe_session=anything" } }));
    await expectProblem(response, "get", LIST, 401, "unauthenticated");
  });
});

describe("rate limit per token, counted in PostgreSQL", () => {
  async function awayFromMinuteBoundary() {
    const seconds = new Date().getUTCSeconds();
    if (seconds >= 55) await new Promise((resolve) => setTimeout(resolve, (61 - seconds) * 1000));
  }

  it("answers 429 with Retry-After beyond the limit, for that token only", async () => {
    process.env.API_RATE_LIMIT_PER_MINUTE = "3";
    resetEnvForTests();
    const partner = await setupApiPartner(t.db);
    await awayFromMinuteBoundary();
    for (let i = 0; i < 3; i++) {
      const ok = await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token }));
      expect(ok.status).toBe(200);
      expect(ok.headers.get("RateLimit-Remaining")).toBe(String(2 - i));
    }
    const limited = await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token }));
    const body = await expectProblem(limited, "get", LIST, 429, "rate-limited");
    const retryAfter = Number(limited.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(body.detail).toMatch(/3 requêtes par minute/);

    // The count lives in the database (shared by every instance), one row per token and minute.
    const buckets = await t.db.selectFrom("api_rate_bucket").select(["count"]).where("token_id", "=", partner.tokenId).execute();
    expect(buckets).toEqual([{ count: 4 }]);

    // Another token of the same organisation has its own budget.
    const other = await makeApiToken(t.db, partner.org.id);
    expect((await call(campaigns.loader, apiRequest("/campaigns", { token: other.token }))).status).toBe(200);
  });

  it("does not count requests without a valid token against anyone", async () => {
    const before = await t.db.selectFrom("api_rate_bucket").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    await call(campaigns.loader, apiRequest("/campaigns", { token: `odpe_${"B".repeat(43)}` }));
    const after = await t.db.selectFrom("api_rate_bucket").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});

describe("HTTP surface", () => {
  it("answers 405 with Allow for a method a route does not have", async () => {
    const response = await call(campaigns.action, apiRequest("/campaigns", { method: "POST", body: "{}" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET");
    expect((await response.json()).type).toBe("/api/docs#method-not-allowed");
    const submitGet = await call(submit.loader, apiRequest(`/uploads/${crypto.randomUUID()}/submit`));
    expect(submitGet.status).toBe(405);
    expect(submitGet.headers.get("Allow")).toBe("POST");
  });

  it("answers a JSON 404 problem, not the HTML page, under /api/v1", async () => {
    const response = await call(catchAll.loader, apiRequest("/nope"));
    expect(response.status).toBe(404);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
    expect((await response.json()).detail).toMatch(/\/api\/v1\/nope/);
  });
});
