import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import busboy from "busboy";
import { ApiProblem } from "./problem.server";
import { formatBytes } from "~/domain/files";

/**
 * Reading request bodies without trusting their size: the declared
 * Content-Length is checked first, then the stream is counted as it arrives
 * and abandoned as soon as it passes the limit (413). Nothing is ever
 * buffered beyond the limit.
 *
 * A body abandoned early is not cut at once: closing a connection whose
 * client is still sending resets it, and the client never reads the 413.
 * Like a web server's "lingering close", the rest is read and discarded for
 * a short, bounded while (LINGER_MS, LINGER_BYTES) in the background while
 * the answer (with `Connection: close`) goes out; then the stream is cancelled.
 */

const LINGER_MS = 5_000;
const LINGER_BYTES = 32 * 1024 * 1024;

/** Reads and discards what is left of an abandoned body, within bounds, then cancels it. Never awaited. */
function linger(stream: ReadableStream<Uint8Array> | null) {
  if (!stream || stream.locked) return;
  const reader = stream.getReader();
  const deadline = Date.now() + LINGER_MS;
  let discarded = 0;
  const stop = setTimeout(() => void reader.cancel().catch(() => {}), LINGER_MS);
  void (async () => {
    try {
      while (Date.now() < deadline && discarded < LINGER_BYTES) {
        const { done, value } = await reader.read();
        if (done) return;
        discarded += value.byteLength;
      }
      await reader.cancel();
    } catch {
      /* the client went away: nothing left to discard */
    } finally {
      clearTimeout(stop);
    }
  })();
}

/** The too-large error, telling the HTTP layer to close the connection after answering. */
function closing(error: Error): Error {
  if (error instanceof ApiProblem) error.options.headers = { ...error.options.headers, Connection: "close" };
  return error;
}

/** What to throw when a body is too large; the default is a generic 413 problem. */
export type TooLarge = (maxBytes: number) => Error;

const genericTooLarge: TooLarge = (maxBytes) =>
  new ApiProblem("payload-too-large", {
    detail: `Le corps de la requête dépasse ${formatBytes(maxBytes)}, la taille maximale acceptée : envoyez un fichier plus petit.`,
    extra: { limitBytes: maxBytes },
  });

function checkDeclaredLength(request: Request, limit: number, tooLarge: () => Error) {
  const declared = Number(request.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > limit) {
    linger(request.body);
    throw closing(tooLarge());
  }
}

/** The whole body, at most `maxBytes` (413 beyond, without reading the rest). */
export async function readBodyCapped(request: Request, maxBytes: number, tooLarge: TooLarge = genericTooLarge): Promise<Uint8Array> {
  checkDeclaredLength(request, maxBytes, () => tooLarge(maxBytes));
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      reader.releaseLock();
      linger(request.body);
      throw closing(tooLarge(maxBytes));
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The body as a stream that errors with `tooLarge()` once more than `limit`
 * bytes went through. If reading stops early (too large, or the reader gave
 * up), what is left of the body lingers instead of being cut.
 */
function cappedStream(body: ReadableStream<Uint8Array>, limit: number, tooLarge: () => Error): ReadableStream<Uint8Array> {
  let total = 0;
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > limit) controller.error(tooLarge());
      else controller.enqueue(chunk);
    },
  });
  body.pipeTo(writable, { preventCancel: true }).catch(() => linger(body));
  return readable;
}

/**
 * The request with its body capped at `limit` bytes, for code that reads it
 * with `request.formData()` and the like: a declared Content-Length above the
 * limit is refused before anything is read; otherwise the stream errors as
 * soon as the limit is passed (the rest is not read, only discarded for a
 * bounded while: see `linger`). `passed()` tells whether the limit was hit,
 * whatever the reader made of the error.
 */
export function boundRequestBody(request: Request, limit: number, tooLarge: () => Error): { request: Request; passed: () => boolean } {
  let passed = false;
  const refuse = () => {
    passed = true;
    return closing(tooLarge());
  };
  checkDeclaredLength(request, limit, refuse);
  if (!request.body) return { request, passed: () => passed };
  const bounded = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: cappedStream(request.body, limit, refuse),
    signal: request.signal,
    duplex: "half",
  } as RequestInit);
  return { request: bounded, passed: () => passed };
}

/** Room for the multipart envelope (boundaries, part headers, small fields) around the files themselves. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export interface ReceivedFile {
  /** The multipart field that carried it. */
  field: string;
  /** The file name as sent (RFC 7578 `filename`, or RFC 5987 `filename*=UTF-8''…`), UTF-8 decoded; "" when absent. */
  filename: string;
  /** The part's declared type, if any. */
  contentType: string | null;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface MultipartContent {
  fields: [name: string, value: string][];
  files: ReceivedFile[];
}

export interface MultipartOptions {
  /** Largest file accepted; the whole body is capped at `maxFiles × maxFileBytes` plus the envelope. */
  maxFileBytes: number;
  /** Files kept (the others are drained and dropped); 1 by default. */
  maxFiles?: number;
  /** Only files of these fields are kept (all fields when absent). */
  fileFields?: readonly string[];
  /** The error for a file (or the body) above the limit; `field` is null when the body as a whole passed it. */
  tooLarge: (maxFileBytes: number, field: string | null) => Error;
  /** The error for a body that is not readable multipart. */
  unreadable: () => Error;
}

const FIELD_MAX_BYTES = 64 * 1024;
const MAX_PARTS = 100;

/**
 * The one multipart/form-data reader (web forms and API), streamed through
 * busboy: RFC 7578 headers parsed properly (`;`, `=` and quotes in a quoted
 * file name), RFC 5987 `filename*=UTF-8''…`, raw UTF-8 names as browsers
 * send them. Each file is capped at `maxFileBytes` (busboy stops reading it),
 * the body as a whole at the files plus the envelope; nothing is buffered
 * beyond. Text fields above 64 Kio or more than 100 parts are refused.
 */
export async function readMultipart(request: Request, options: MultipartOptions): Promise<MultipartContent> {
  const maxFiles = options.maxFiles ?? 1;
  const limit = maxFiles * options.maxFileBytes + MULTIPART_OVERHEAD_BYTES;
  let failure: Error | null = null;
  const bodyTooLarge = () => (failure ??= closing(options.tooLarge(options.maxFileBytes, null)));
  checkDeclaredLength(request, limit, bodyTooLarge);
  const content: MultipartContent = { fields: [], files: [] };
  if (!request.body) return content;
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": request.headers.get("Content-Type") ?? "" },
      defParamCharset: "utf8",
      limits: { fileSize: options.maxFileBytes, fieldSize: FIELD_MAX_BYTES, parts: MAX_PARTS },
    });
  } catch {
    linger(request.body);
    throw options.unreadable();
  }
  const source = Readable.fromWeb(cappedStream(request.body, limit, bodyTooLarge) as NodeReadableStream<Uint8Array>);
  // Stopping is deferred to the next turn: busboy emits its limit events mid-step and must finish that step first.
  const fail = (error: Error) => {
    failure ??= error;
    source.unpipe(parser);
    setImmediate(() => {
      source.destroy();
      parser.destroy();
    });
  };
  const pending: Promise<void>[] = [];
  parser.on("file", (field, stream, info) => {
    // A file cut short (limit, client gone) errors its stream; the outcome is decided by `failure` / the parser.
    stream.on("error", () => {});
    if (pending.length >= maxFiles || (options.fileFields && !options.fileFields.includes(field))) {
      stream.resume();
      return;
    }
    pending.push(
      new Promise<void>((resolve) => {
        const chunks: Buffer[] = [];
        let total = 0;
        stream.on("data", (chunk: Buffer) => {
          total += chunk.byteLength;
          chunks.push(chunk);
        });
        stream.on("limit", () => fail(closing(options.tooLarge(options.maxFileBytes, field))));
        stream.on("close", () => {
          if (!stream.truncated) {
            const bytes = new Uint8Array(total);
            let offset = 0;
            for (const chunk of chunks) {
              bytes.set(chunk, offset);
              offset += chunk.byteLength;
            }
            content.files.push({ field, filename: info.filename ?? "", contentType: info.mimeType || null, bytes });
          }
          resolve();
        });
      }),
    );
  });
  parser.on("field", (name, value, info) => {
    if (info.valueTruncated) fail(options.unreadable());
    else content.fields.push([name, value]);
  });
  parser.on("partsLimit", () => fail(options.unreadable()));
  parser.on("error", () => {});
  let broken = false;
  try {
    await new Promise<void>((resolve, reject) => {
      parser.on("close", resolve);
      parser.on("error", reject);
      source.on("error", reject);
      source.pipe(parser);
    });
    await Promise.all(pending);
  } catch {
    // The cause is in `failure` when it is ours (a limit); otherwise the body is not well-formed multipart.
    broken = true;
  }
  if (failure || broken) {
    source.destroy();
    linger(request.body);
    throw failure ?? options.unreadable();
  }
  return content;
}

/**
 * The file sent in multipart field `field` (the first one), within
 * `maxBytes`; every other part is drained and dropped. Null when the field is absent.
 */
export async function readMultipartFile(
  request: Request,
  field: string,
  maxBytes: number,
  tooLarge: TooLarge = genericTooLarge,
): Promise<ReceivedFile | null> {
  const content = await readMultipart(request, {
    maxFileBytes: maxBytes,
    fileFields: [field],
    tooLarge: (limit) => tooLarge(limit),
    unreadable: () =>
      new ApiProblem("bad-request", {
        detail: "Le corps multipart est illisible : envoyez le classeur dans un champ « file » (multipart/form-data) ou brut avec son type de contenu.",
      }),
  });
  return content.files[0] ?? null;
}

/** A small JSON body (optional: an empty body gives `{}`); 400 when it is not JSON, 413 beyond `maxBytes`. */
export async function readJsonBody(request: Request, maxBytes = 16 * 1024): Promise<unknown> {
  const bytes = await readBodyCapped(request, maxBytes);
  const text = new TextDecoder().decode(bytes).trim();
  if (!text) return {};
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiProblem("unsupported-media-type", { detail: "Envoyez le corps en JSON, avec l'en-tête « Content-Type: application/json »." });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiProblem("bad-request", { detail: "Le corps de la requête n'est pas un JSON valide." });
  }
}
