import type { AddressInfo } from "node:net";
import express from "express";
import helmet from "helmet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { responseHeaderDefaults } from "~/server/http/platform.server";

/**
 * ADR 017 — response headers of the HTTP layer: `Cache-Control:
 * private, no-store` by default (never over a route's own), and a single
 * X-Content-Type-Options although helmet and the file responses both set it
 * (the Remix Express adapter copies a route's headers with res.append).
 */
let server: { close(): void } | undefined;
let base = "";
beforeAll(async () => {
  const app = express();
  app.use(helmet());
  app.use(responseHeaderDefaults);
  app.get("/page", (_req, res) => {
    res.append("X-Content-Type-Options", "nosniff");
    res.status(200).type("html").send("<p>tableau</p>");
  });
  app.get("/public", (_req, res) => {
    res.append("Cache-Control", "public, max-age=300");
    res.status(200).type("html").send("<p>extranet</p>");
  });
  app.get("/file", (_req, res) => {
    res.append("Cache-Control", "private, max-age=0");
    res.append("X-Content-Type-Options", "nosniff");
    res.status(200).type("application/pdf").send(Buffer.from("%PDF-1.7"));
  });
  await new Promise<void>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => {
      base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
      resolve();
    });
    server = s;
  });
});
afterAll(() => server?.close());

describe("response headers (ADR 017)", () => {
  it("a page without its own Cache-Control is private, no-store, with one X-Content-Type-Options", async () => {
    const res = await fetch(`${base}/page`);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("a route's own Cache-Control is kept (public extranet pages, files)", async () => {
    expect((await fetch(`${base}/public`)).headers.get("cache-control")).toBe("public, max-age=300");
    const file = await fetch(`${base}/file`);
    expect(file.headers.get("cache-control")).toBe("private, max-age=0");
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
