import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import type { ServerBuild } from "@remix-run/node";
import { afterEach, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { makeUser, makeOrganisation, testContext, TEST_PASSWORD } from "../factories";
import * as loginRoute from "~/routes/login";
import { boundAction, bodyLimitFor, FORM_MAX_BYTES, UPLOAD_ROUTE_FILE_LIMITS, withBodyLimits } from "~/server/http/body-limits.server";
import { MULTIPART_OVERHEAD_BYTES } from "~/server/http/body.server";
import { configureServer, serverTimeouts } from "~/server/http/platform.server";
import { resetEnvForTests } from "~/server/env.server";
import { WORKSPACE_MAX_BYTES } from "~/domain/workspace";

/**
 * Every page action reads its body within its route's limit (forms 1 Mio,
 * upload pages their file limit): 413 with a French message as soon as it
 * is passed, without reading the rest; slow bodies are cut by the server's
 * timeouts. The attack of ADR 017: 4 × 250 MB posts to /login.
 */
const t = useTestDb();
const MiB = 1024 * 1024;

/** A body of `total` bytes made only as it is read: `pulled()` tells how much the server asked for. */
function lazyBody(total: number, chunk = 64 * 1024) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk;
        controller.enqueue(new Uint8Array(chunk).fill(0x61));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

function loginPost(body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}) {
  return new Request("http://localhost/login", {
    method: "POST",
    headers: { Origin: "http://localhost", "User-Agent": "vitest", "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body,
    duplex: "half",
  } as RequestInit);
}

const boundedLogin = boundAction("routes/login", loginRoute.action as never);

async function thrownBy(promise: Promise<unknown>): Promise<Response> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(Response);
  return outcome as Response;
}

describe("bounded bodies on every page action", () => {
  it("a 250 MB POST to /login declared by its Content-Length gets 413 before anything is read", async () => {
    const body = lazyBody(250 * MiB);
    const response = await thrownBy(boundedLogin({ request: loginPost(body.stream, { "Content-Length": String(250 * MiB) }), params: {}, context: testContext() }));
    const pulledAtAnswer = body.pulled();
    expect(response.status).toBe(413);
    expect(response.headers.get("Connection")).toBe("close");
    const json = (await response.json()) as { message: string };
    expect(json.message).toMatch(/^Le formulaire envoyé dépasse 1,0 Mo, la taille maximale d'un formulaire/);
    // Only what lingers (discarded, so that the client reads the 413) may have been read: not the form.
    expect(pulledAtAnswer).toBeLessThan(FORM_MAX_BYTES);
  });

  it("a 250 MB chunked POST to /login (no length) gets 413 once 1 MB is passed: the rest is never read into memory", async () => {
    const body = lazyBody(250 * MiB);
    const heapBefore = process.memoryUsage().arrayBuffers;
    const response = await thrownBy(boundedLogin({ request: loginPost(body.stream), params: {}, context: testContext() }));
    const pulledAtAnswer = body.pulled();
    expect(response.status).toBe(413);
    // The answer comes once the limit is passed, a few chunks at most beyond it (stream buffers), not after 250 MB.
    expect(pulledAtAnswer).toBeGreaterThan(FORM_MAX_BYTES);
    expect(pulledAtAnswer).toBeLessThan(FORM_MAX_BYTES + 1 * MiB);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(32 * MiB);
  });

  it("a form within the limit goes through to the action as before (a wrong password: no 413)", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "partner_correspondent", org.id);
    const form = new URLSearchParams({ email: user.email, password: `${TEST_PASSWORD}-wrong` }).toString();
    const outcome: unknown = await boundedLogin({ request: loginPost(form), params: {}, context: testContext() }).catch((e: unknown) => e);
    const status = outcome instanceof Response ? outcome.status : (outcome as { init?: { status?: number } }).init?.status;
    expect(status).not.toBe(413);
    expect([400, 401, 422]).toContain(status);
  });

  it("an action that swallows the reading error still answers 413", async () => {
    const swallowing = boundAction("routes/indicators.new", async ({ request }: { request: Request }) => {
      await request.formData().catch(() => null);
      return { ok: true };
    });
    const body = lazyBody(5 * MiB);
    const response = await thrownBy(swallowing({ request: loginPost(body.stream), params: {}, context: testContext() } as never));
    expect(response.status).toBe(413);
  });

  it("the API keeps its own limits: an /api/ action is not wrapped", async () => {
    const apiAction = boundAction("routes/api.v1.campaigns.$year.uploads", async ({ request }: { request: Request }) => new Response(String((await request.arrayBuffer()).byteLength)));
    const request = new Request("http://localhost/api/v1/campaigns/2025/uploads", { method: "POST", body: new Uint8Array(2 * MiB) });
    const response = (await apiAction({ request, params: {}, context: testContext() } as never)) as Response;
    expect(await response.text()).toBe(String(2 * MiB));
  });

  it("withBodyLimits wraps every action of the build and leaves loaders alone", async () => {
    const loader = () => "loader";
    const action = async ({ request }: { request: Request }) => (await request.text()).length;
    const build = { routes: { "routes/x": { id: "routes/x", path: "x", module: { loader, action } } } } as unknown as ServerBuild;
    const wrapped = withBodyLimits(build);
    const route = wrapped.routes["routes/x"]!.module as unknown as { loader: unknown; action: typeof action };
    expect(route.loader).toBe(loader);
    const big = new Request("http://localhost/x", { method: "POST", body: "a".repeat(FORM_MAX_BYTES + 1) });
    expect((await thrownBy(route.action({ request: big }))).status).toBe(413);
    expect(await route.action({ request: new Request("http://localhost/x", { method: "POST", body: "abc" }) })).toBe(3);
  });
});

describe("route kinds", () => {
  it("upload pages get their file limit plus the multipart envelope; every other page action is a 1 MB form", () => {
    expect(bodyLimitFor("routes/workspace._index")).toEqual({ kind: "upload", maxBytes: WORKSPACE_MAX_BYTES + MULTIPART_OVERHEAD_BYTES });
    expect(bodyLimitFor("routes/login")).toEqual({ kind: "form", maxBytes: 1024 * 1024 });
  });

  it("every page that reads files is declared an upload route, and only those", () => {
    const dir = path.join(process.cwd(), "app/routes");
    const readingFiles = readdirSync(dir)
      .filter((file) => !file.startsWith("api."))
      .filter((file) => /readUploadForm|handleWebUpload/.test(readFileSync(path.join(dir, file), "utf8")))
      .map((file) => `routes/${file.replace(/\.tsx?$/, "")}`)
      .sort();
    expect(Object.keys(UPLOAD_ROUTE_FILE_LIMITS).sort()).toEqual(readingFiles);
  });
});

describe("server timeouts end a slow request in tens of seconds", () => {
  afterEach(() => {
    delete process.env.HTTP_HEADERS_TIMEOUT_SECONDS;
    delete process.env.HTTP_REQUEST_TIMEOUT_SECONDS;
    resetEnvForTests();
  });

  it("applies 20 s for the headers and 60 s for the whole request by default (Node's own: 60 s / 300 s)", () => {
    resetEnvForTests();
    const server = createServer();
    configureServer(server);
    expect([server.headersTimeout, server.requestTimeout]).toEqual([20_000, 60_000]);
    expect(server.keepAliveTimeout).toBeLessThan(server.headersTimeout);
  });

  it("takes HTTP_HEADERS_TIMEOUT_SECONDS and HTTP_REQUEST_TIMEOUT_SECONDS from the environment", () => {
    process.env.HTTP_HEADERS_TIMEOUT_SECONDS = "10";
    process.env.HTTP_REQUEST_TIMEOUT_SECONDS = "30";
    resetEnvForTests();
    expect(serverTimeouts()).toMatchObject({ headersTimeout: 10_000, requestTimeout: 30_000 });
  });
});
