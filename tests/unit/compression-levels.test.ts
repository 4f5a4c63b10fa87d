import type { AddressInfo } from "node:net";
import http from "node:http";
import zlib from "node:zlib";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compressionByKind, isFilePath } from "~/server/http/compression.server";

/**
 * ADR 037 — a page (rendered per request) is compressed at a low level, a
 * static file at the library's defaults: the bytes on the wire are those of
 * zlib at that level.
 */
const html = Buffer.from(
  Array.from({ length: 400 }, (_, i) => `<tr><td class="cell-${i % 7}">Indicateur ${i}</td><td>${(i * 7919) % 1000} enfants</td></tr>`).join("\n"),
);
let server: http.Server | undefined;
let base = "";
beforeAll(async () => {
  const app = express();
  app.use(compressionByKind());
  app.get("/dashboard/2023", (_req, res) => void res.type("html").send(html));
  app.get("/assets/root-abc.js", (_req, res) => void res.type("js").send(html));
  app.get("/small", (_req, res) => void res.type("html").send("<p>court</p>"));
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => {
      base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
      resolve();
    });
  });
});
afterAll(() => server?.close());

/** The raw (still encoded) body and its Content-Encoding: fetch would decode it. */
function get(path: string, acceptEncoding: string): Promise<{ encoding: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, { headers: { "Accept-Encoding": acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ encoding: res.headers["content-encoding"], body: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

const gzipBody = (level: number) => zlib.gzipSync(html, { level }).subarray(10); // past gzip's header (its OS byte may differ)
const brotli = (quality: number) => zlib.brotliCompressSync(html, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality } });

describe("compression level by kind of response", () => {
  it("compresses a page with gzip level 1 and brotli quality 3", async () => {
    const gz = await get("/dashboard/2023", "gzip");
    expect(gz.encoding).toBe("gzip");
    expect(zlib.gunzipSync(gz.body).equals(html)).toBe(true);
    expect(gz.body.subarray(10).equals(gzipBody(1))).toBe(true);
    expect(gz.body.subarray(10).equals(gzipBody(6))).toBe(false);
    const br = await get("/dashboard/2023", "gzip, deflate, br");
    expect(br.encoding).toBe("br");
    expect(br.body.equals(brotli(3))).toBe(true);
  });

  it("compresses a static file with the library's defaults (gzip 6, brotli 4)", async () => {
    const gz = await get("/assets/root-abc.js", "gzip");
    expect(gz.encoding).toBe("gzip");
    expect(gz.body.subarray(10).equals(gzipBody(6))).toBe(true);
    expect(gz.body.subarray(10).equals(gzipBody(1))).toBe(false);
    const br = await get("/assets/root-abc.js", "br");
    expect(br.body.equals(brotli(4))).toBe(true);
  });

  it("leaves a body under 1 KiB uncompressed", async () => {
    expect((await get("/small", "gzip, br")).encoding).toBeUndefined();
  });

  it("tells a file's path from a page's by its extension", () => {
    expect(["/assets/root-abc.js", "/favicon.svg", "/api/v1/openapi.json"].map(isFilePath)).toEqual([true, true, true]);
    expect(["/", "/extranet", "/dashboard/2023", "/organisations/caf.77/"].map(isFilePath)).toEqual([false, false, false, false]);
  });
});
