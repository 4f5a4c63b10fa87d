import { createHash } from "node:crypto";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { artefactReply, buildArtefact, etagMatches, pickEncoding } from "~/server/artefacts/artefacts.server";
import { parseBytea, serializeBytea } from "~/server/db.server";

describe("published artefacts (ADR 021)", () => {
  it("stores the bytes with gzip and brotli variants that decode to them, under the sha256 of the bytes as a strong ETag", async () => {
    const html = `<!DOCTYPE html><p>${"Tableau de bord — édition publique. ".repeat(200)}</p>`;
    const artefact = await buildArtefact(html, "text/html; charset=utf-8");
    expect(artefact.body.toString("utf8")).toBe(html);
    expect(gunzipSync(artefact.gzip).toString("utf8")).toBe(html);
    expect(brotliDecompressSync(artefact.br).toString("utf8")).toBe(html);
    expect(artefact.etag).toBe(`"${createHash("sha256").update(html).digest("base64url")}"`);
    expect(artefact.etag.startsWith("W/")).toBe(false);
  });

  it("sends brotli when accepted, else gzip, else the bytes as they are; q=0 refuses an encoding", () => {
    expect(pickEncoding("gzip, deflate, br")).toBe("br");
    expect(pickEncoding("gzip, br;q=0")).toBe("gzip");
    expect(pickEncoding("identity")).toBeNull();
    expect(pickEncoding(undefined)).toBeNull();
    expect(pickEncoding("*")).toBe("gzip");
  });

  it("answers 304 to an If-None-Match naming the ETag (also weak or in a list), with the caching headers and no body", async () => {
    const artefact = await buildArtefact("<p>x</p>", "text/html; charset=utf-8");
    expect(etagMatches(`"other", W/${artefact.etag}`, artefact.etag)).toBe(true);
    expect(etagMatches(`"other"`, artefact.etag)).toBe(false);
    const notModified = artefactReply(artefact, { ifNoneMatch: artefact.etag, acceptEncoding: "br" }, "public, max-age=300");
    expect(notModified).toMatchObject({ status: 304, body: null, headers: { ETag: artefact.etag, Vary: "Accept-Encoding", "Cache-Control": "public, max-age=300" } });
    const full = artefactReply(artefact, { ifNoneMatch: `"stale"`, acceptEncoding: "gzip" }, "public, max-age=300");
    expect(full.status).toBe(200);
    expect(full.headers["Content-Encoding"]).toBe("gzip");
    expect(full.headers["Content-Length"]).toBe(String(artefact.gzip.length));
  });
});

describe("bytea on the embedded driver", () => {
  it("serialises through Node's hex codec and parses back to the same bytes (views of a larger buffer too)", () => {
    const backing = Buffer.from([9, 0, 1, 254, 255, 7]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 1, 4);
    expect(serializeBytea(view)).toBe("\\x0001feff");
    expect(Buffer.compare(parseBytea("\\x0001feff"), Buffer.from([0, 1, 254, 255]))).toBe(0);
    expect(parseBytea("\\x")).toHaveLength(0);
    expect(() => serializeBytea("text")).toThrow(/bytea/);
  });
});
