import { zipSync, type DeflateOptions } from "fflate";

export interface ZipFilesInput {
  /** In archive order; `level` as fflate's (0 stores, 6 by default). */
  files: { name: string; bytes: Uint8Array; level?: DeflateOptions["level"] }[];
  mtime: Date;
}

/**
 * A ZIP archive of `files`, every entry dated `mtime`: the same bytes for the
 * same input. Run in the heavy-work pool when a request may be waiting (the
 * `zipFiles` task, ADR 049), in place at a folder's making (ADR 052).
 */
export function zipFilesSync(input: ZipFilesInput): Uint8Array {
  const { files, mtime } = input;
  return zipSync(Object.fromEntries(files.map((f) => [f.name, [f.bytes, { mtime, ...(f.level === undefined ? {} : { level: f.level }) }]])), { mtime });
}
