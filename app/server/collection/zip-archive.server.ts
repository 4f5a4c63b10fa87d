import type { Readable } from "node:stream";
import yauzl, { type Entry, type LocalFileHeader, type ZipFile } from "yauzl";

/**
 * A zip archive held in memory, read through yauzl: the central directory
 * first (names, sizes, flags — nothing inflated), then entries one at a time
 * as streams. Both the upload guard and the workbook reader go through this
 * one view of the archive, so what the reader reads is exactly what the guard
 * checked. Not a zip parser: yauzl parses; this adds the few facts the guard
 * needs (offsets, raw names) with honest types.
 */

/** General purpose bit flags (APPNOTE 4.4.4). */
export const ZIP_FLAG_ENCRYPTED = 0x0001;
export const ZIP_FLAG_DATA_DESCRIPTOR = 0x0008;
export const ZIP_FLAG_STRONG_ENCRYPTION = 0x0040;
export const ZIP_FLAG_UTF8 = 0x0800;
export const ZIP_METHOD_STORED = 0;
export const ZIP_METHOD_DEFLATED = 8;
/** Extra field id of the Zip64 extended information. */
export const ZIP64_EXTRA_FIELD = 0x0001;
const ZIP32_MAX = 0xffffffff;

/** One central directory record, names decoded (UTF-8 when flagged, else Latin-1 as a stand-in for CP437). */
export interface ZipEntryInfo {
  /** The entry name exactly as stored (decoded), used for checks and messages. */
  readonly name: string;
  readonly rawName: Buffer;
  readonly flags: number;
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
  /** The record used a Zip64 extra field or 0xFFFFFFFF markers. */
  readonly zip64: boolean;
  readonly entry: Entry;
}

export class ZipArchive {
  private constructor(
    private readonly zip: ZipFile,
    /** Where the central directory starts, as the end-of-central-directory record says. */
    readonly centralDirectoryOffset: number,
    readonly entryCount: number,
    readonly fileSize: number,
    /** Length of the archive comment at the very end of the file. */
    readonly commentLength: number,
  ) {}

  /** Opens the archive: finds and checks the end-of-central-directory record. Throws yauzl's errors (not a zip, truncated…). */
  static async open(bytes: Buffer): Promise<ZipArchive> {
    const zip = await yauzl.fromBufferPromise(bytes, {
      lazyEntries: true,
      // Names are decoded and validated by the guard itself, with its own codes.
      decodeStrings: false,
      // Sizes are counted by the guard while inflating, with its own codes.
      validateEntrySizes: false,
      strictFileNames: true,
    });
    // yauzl keeps the central directory offset as its read cursor (mistyped as boolean in @types/yauzl).
    const cursor = (zip as unknown as { readEntryCursor: number }).readEntryCursor;
    const comment = zip.comment as unknown as Buffer | string;
    return new ZipArchive(zip, cursor, zip.entryCount, zip.fileSize, typeof comment === "string" ? comment.length : comment.byteLength);
  }

  /** Where the central directory ended once every record has been read. */
  get centralDirectoryEnd(): number {
    return (this.zip as unknown as { readEntryCursor: number }).readEntryCursor;
  }

  /** The central directory records, one at a time, nothing inflated. Stops after `max` records. */
  async *entries(max = Number.POSITIVE_INFINITY): AsyncGenerator<ZipEntryInfo> {
    let n = 0;
    for await (const entry of this.zip.eachEntry()) {
      yield describe(entry);
      n += 1;
      if (n >= max) return;
    }
  }

  /** The local file header of an entry (name, flags, sizes as repeated before the data). */
  localHeader(info: ZipEntryInfo): Promise<LocalFileHeader> {
    return this.zip.readLocalFileHeaderPromise(info.entry);
  }

  /** The entry's content, inflated when deflated. Encrypted entries are refused before this is called. */
  openStream(info: ZipEntryInfo): Promise<Readable> {
    return this.zip.openReadStreamPromise(info.entry);
  }
}

function describe(entry: Entry): ZipEntryInfo {
  const raw = entry.fileNameRaw;
  const flags = entry.generalPurposeBitFlag;
  const zip64 =
    entry.extraFields.some((f) => f.id === ZIP64_EXTRA_FIELD) ||
    entry.compressedSize === ZIP32_MAX ||
    entry.uncompressedSize === ZIP32_MAX ||
    entry.relativeOffsetOfLocalHeader === ZIP32_MAX;
  return {
    name: raw.toString(flags & ZIP_FLAG_UTF8 ? "utf8" : "latin1"),
    rawName: raw,
    flags,
    method: entry.compressionMethod,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    crc32: entry.crc32,
    localHeaderOffset: entry.relativeOffsetOfLocalHeader,
    zip64,
    entry,
  };
}
