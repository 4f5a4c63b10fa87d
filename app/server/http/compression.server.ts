import zlib from "node:zlib";
import compression, { type CompressionOptions } from "compression";
import type { RequestHandler } from "express";

/**
 * Compression levels by kind of response (ADR 037).
 *
 * A page is compressed again for every request (it is rendered for its user),
 * so its level is a CPU cost per page view. Measured on the portal's own
 * signed-in pages (bench:pages, « Compression » table: reader home 31 KB,
 * `/extranet` 57 KB of HTML), gzip level 1 takes about a third to a half of
 * level 6's CPU for 11–13 % more bytes (≈ 0.7–1.2 KB per page), and brotli
 * quality 3 about half of quality 4's for 4–5 % more: on pages of this size
 * the bytes saved by the higher levels are worth less than the CPU they cost.
 *
 * The client build's files (/assets, immutable, cached a year by the browser)
 * are fetched once per browser and version: they keep the library's defaults
 * (gzip 6, brotli 4), where the bytes matter more.
 */
const PAGE_COMPRESSION: CompressionOptions = {
  level: 1,
  brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 3 } },
};
const STATIC_COMPRESSION: CompressionOptions = {
  level: zlib.constants.Z_DEFAULT_COMPRESSION,
  brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } },
};

/**
 * compression() for pages and for static files, one middleware: a path with a
 * file extension (the client build's files all have one; a page's path has
 * none, ADR 035) gets the static levels. Bodies under 1 KiB, bodies already
 * encoded (a stored report) and incompressible types are left alone, as before.
 */
export function compressionByKind(): RequestHandler {
  const pages = compression(PAGE_COMPRESSION);
  const files = compression(STATIC_COMPRESSION);
  return (req, res, next) => (isFilePath(req.path) ? files : pages)(req, res, next);
}

/** A path naming a file (`/assets/root-x.js`, `/favicon.svg`), as opposed to a page (`/dashboard/2023`). */
export function isFilePath(path: string): boolean {
  return /\.[A-Za-z0-9]+$/.test(path);
}
