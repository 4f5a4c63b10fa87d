import { afterEach, describe, expect, it } from "vitest";
import { EnvError, parseEnv, resetEnvForTests } from "~/server/env.server";
import { metricsResponse } from "~/server/http/metrics.server";
import { loader } from "~/routes/metrics";
import type { Db } from "~/server/db.server";
import { heldPagesFor } from "~/server/http/held-pages.server";
import { heldPagesGeneration } from "~/server/http/held-generation.server";

const TOKEN = "metrics-token-0123456789abcdef0123456789abcdef";
const request = (authorization?: string) => new Request("http://localhost/metrics", { headers: authorization ? { Authorization: authorization } : {} });
const setToken = (value: string | undefined) => {
  if (value === undefined) delete process.env.METRICS_TOKEN;
  else process.env.METRICS_TOKEN = value;
  resetEnvForTests();
};
/** The value of a Prometheus sample line `name value` in seconds. */
const sample = (body: string, name: string) => {
  const line = body.split("\n").find((l) => l.startsWith(`${name} `));
  expect(line, name).toBeDefined();
  return Number(line!.split(" ")[1]);
};
const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* blocks the event loop on purpose */
  }
};

afterEach(() => setToken(undefined));

describe("GET /metrics (ADR 043, issue 14 item 5)", () => {
  it("does not exist unless METRICS_TOKEN is set", async () => {
    setToken(undefined);
    const response = await loader({ request: request(`Bearer ${TOKEN}`), params: {}, context: { requestId: "test", ip: "127.0.0.1", cspNonce: "test" } });
    expect(response.status).toBe(404);
  });

  it("refuses a request without the bearer token, or with another one, in French", async () => {
    setToken(TOKEN);
    for (const authorization of [undefined, `Bearer ${TOKEN.slice(0, -1)}x`, `Bearer ${TOKEN}${TOKEN}`, TOKEN, "Basic bWV0cmljczp4"]) {
      const response = await metricsResponse(request(authorization));
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
      expect(await response.text()).toContain("Jeton de supervision manquant ou invalide");
    }
  });

  it("reports the event loop's delay since the previous scrape: a 150 ms block shows in the next scrape's max, not in the one after", async () => {
    setToken(TOKEN);
    const first = await metricsResponse(request(`Bearer ${TOKEN}`));
    expect(first.status).toBe(200);
    expect(first.headers.get("Content-Type")).toContain("text/plain");
    expect(first.headers.get("Cache-Control")).toBe("no-store");
    const body = await first.text();
    for (const name of ["nodejs_eventloop_lag_p99_seconds", "nodejs_eventloop_lag_max_seconds", "process_resident_memory_bytes"]) sample(body, name);

    await new Promise((resolve) => setTimeout(resolve, 50));
    busy(150);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const blocked = sample(await (await metricsResponse(request(`Bearer ${TOKEN}`))).text(), "nodejs_eventloop_lag_max_seconds");
    expect(blocked).toBeGreaterThanOrEqual(0.13);

    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = sample(await (await metricsResponse(request(`Bearer ${TOKEN}`))).text(), "nodejs_eventloop_lag_max_seconds");
    expect(after).toBeLessThan(0.13);
  });

  it("refuses a METRICS_TOKEN shorter than 32 characters at start, saying so in French", () => {
    expect(() => parseEnv({ APP_MODE: "demo", METRICS_TOKEN: "court" })).toThrow(EnvError);
    expect(() => parseEnv({ APP_MODE: "demo", METRICS_TOKEN: "court" })).toThrow(/METRICS_TOKEN.*au moins 32 caractères/);
    expect(parseEnv({ APP_MODE: "demo", METRICS_TOKEN: TOKEN }).METRICS_TOKEN).toBe(TOKEN);
  });

  it("ADR 055: counts the pages served from a held copy and the renders held, and how many are held now", async () => {
    setToken(TOKEN);
    const scrape = async () => (await metricsResponse(request(`Bearer ${TOKEN}`))).text();
    const before = await scrape();
    const served = sample(before, "odpe_held_pages_served_total");
    const stored = sample(before, "odpe_held_pages_stored_total");
    // A database handle that is never queried here (the snapshot is given): only the store it keys, kept
    // reachable until the end (the count of pages held now follows it through a WeakRef).
    const db = {} as Db;
    const store = heldPagesFor(db);
    store.observe("1:1:");
    const nonce = "bm9uY2UtZGUtdGVzdC0xMjM0NQ==";
    const requestId = "7d4f1c2e-0b3a-4c5d-8e9f-0a1b2c3d4e5f";
    const capture = { key: "k", snapshot: "1:1:", generation: heldPagesGeneration(), day: "2026-12-07", userId: null, sessionId: null, tokens: [nonce, requestId] as [string, string] };
    expect(store.hold(capture, `<script nonce="${nonce}">"${requestId}"</script>`, new Headers())).toBe(true);
    expect(store.get("k", capture)).toBeDefined();
    const after = await scrape();
    expect(sample(after, "odpe_held_pages_served_total")).toBe(served + 1);
    expect(sample(after, "odpe_held_pages_stored_total")).toBe(stored + 1);
    expect(sample(after, "odpe_held_pages")).toBe(1);
    expect(heldPagesFor(db)).toBe(store);
  });
});
