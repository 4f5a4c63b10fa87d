import { describe, expect, it } from "vitest";
import type { ServerBuild } from "@remix-run/node";
import { isDatabaseUnavailable } from "~/server/db.server";
import { withOutageResponses } from "~/server/http/outage.server";
import { toProblemResponse } from "~/server/http/problem.server";

/**
 * Database outages answer 503 (docs/operations.md, « Database outage »); the
 * end-to-end proof against a real PostgreSQL is tests/e2e/faults.e2e.ts.
 */
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable: which errors mean « the database cannot be reached »", () => {
  it.each([
    ["connection refused", withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
    ["connection reset", withCode("read ECONNRESET", "ECONNRESET")],
    ["server shutting down (57P01)", withCode("terminating connection due to administrator command", "57P01")],
    ["server starting up (57P03)", withCode("the database system is starting up", "57P03")],
    ["connection exception class 08", withCode("connection failure", "08006")],
    ["pg: connection lost", new Error("Connection terminated unexpectedly")],
    ["pg: pool timeout", new Error("timeout exceeded when trying to connect")],
    ["pg: broken client", new Error("Client has encountered a connection error and is not queryable")],
    ["wrapped in a cause", new Error("session lookup failed", { cause: withCode("connect ECONNREFUSED ::1:5432", "ECONNREFUSED") })],
    ["inside an AggregateError (IPv4 + IPv6)", new AggregateError([withCode("connect ECONNREFUSED ::1:5432", "ECONNREFUSED")], "")],
  ])("%s → unavailable", (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ["unique violation (23505)", withCode('duplicate key value violates unique constraint "x"', "23505")],
    ["syntax error (42601)", withCode("syntax error at or near", "42601")],
    ["a programming error", new TypeError("Cannot read properties of undefined")],
    ["not an error", "ECONNREFUSED"],
    ["nothing", undefined],
  ])("%s → not an outage (stays a 500 or its own status)", (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

function buildWith(loader: () => Promise<unknown>): ServerBuild {
  return {
    routes: { "routes/x": { id: "routes/x", path: "x", module: { loader, default: () => null } } },
  } as unknown as ServerBuild;
}

async function thrownBy(build: ServerBuild, url: string): Promise<unknown> {
  const loader = build.routes["routes/x"]!.module.loader as (args: unknown) => Promise<unknown>;
  try {
    await loader({ request: new Request(url), context: { requestId: "req-42" }, params: {} });
  } catch (error) {
    return error;
  }
  throw new Error("the loader did not throw");
}

describe("withOutageResponses: every loader and action of the build", () => {
  const refused = () => Promise.reject(withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"));

  it("a page whose loader cannot reach the database throws a 503 carrying the French message and the request id", async () => {
    const thrown = await thrownBy(withOutageResponses(buildWith(refused)), "http://localhost/collection/2025/CAF42");
    expect(thrown).toBeInstanceOf(Response);
    const response = thrown as Response;
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: false, status: 503, requestId: "req-42" });
    expect(String(body.message)).toContain("base de données");
    expect(JSON.stringify(body)).not.toContain("ECONNREFUSED");
  });

  it("under /api/ the 503 is application/problem+json of type unavailable", async () => {
    const response = (await thrownBy(withOutageResponses(buildWith(refused)), "http://localhost/api/v1/campaigns")) as Response;
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ type: "/api/docs#unavailable", status: 503, requestId: "req-42" });
  });

  it("leaves other errors and thrown responses as they are", async () => {
    const bug = new TypeError("oops");
    expect(await thrownBy(withOutageResponses(buildWith(() => Promise.reject(bug))), "http://localhost/x")).toBe(bug);
    const notFound = new Response("Page introuvable", { status: 404 });
    expect(await thrownBy(withOutageResponses(buildWith(() => Promise.reject(notFound))), "http://localhost/x")).toBe(notFound);
  });

  it("the API's mapper answers 503 unavailable for an outage and 500 internal for a bug", async () => {
    const outage = toProblemResponse(withCode("Connection terminated unexpectedly", "57P01"), { requestId: "r1" });
    expect([outage.status, ((await outage.json()) as { type: string }).type]).toEqual([503, "/api/docs#unavailable"]);
    const bug = toProblemResponse(new TypeError("oops"), { requestId: "r2" });
    expect([bug.status, ((await bug.json()) as { type: string }).type]).toEqual([500, "/api/docs#internal"]);
  });
});
