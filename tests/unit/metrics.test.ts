import { afterEach, describe, expect, it } from "vitest";
import { EnvError, parseEnv, resetEnvForTests } from "~/server/env.server";
import { metricsResponse } from "~/server/http/metrics.server";
import { loader } from "~/routes/metrics";

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
});
