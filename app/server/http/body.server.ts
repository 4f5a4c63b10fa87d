import { unstable_parseMultipartFormData, type UploadHandler } from "@remix-run/node";
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

/** Room for the multipart envelope (boundaries, part headers) around the file itself. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export interface ReceivedFile {
  filename: string;
  /** The part's declared type, if any. */
  contentType: string | null;
  bytes: Uint8Array;
}

/**
 * The file sent in multipart field `field`, streamed: the body as a whole is
 * capped at `maxBytes` plus the envelope, the file part at `maxBytes`; every
 * other part is drained and dropped. Null when the field is absent.
 */
export async function readMultipartFile(
  request: Request,
  field: string,
  maxBytes: number,
  tooLarge: TooLarge = genericTooLarge,
): Promise<ReceivedFile | null> {
  const limit = maxBytes + MULTIPART_OVERHEAD_BYTES;
  let overLimit: Error | null = null;
  const refuse = () => (overLimit ??= tooLarge(maxBytes));
  checkDeclaredLength(request, limit, refuse);
  if (!request.body) return null;
  const capped = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: cappedStream(request.body, limit, refuse),
    duplex: "half",
  } as RequestInit);
  let received: ReceivedFile | null = null;
  const handler: UploadHandler = async ({ name, filename, contentType, data }) => {
    if (name !== field || received) {
      for await (const _chunk of data) {
        /* drained: only the first `field` part is kept */
      }
      return undefined;
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of data) {
      total += chunk.byteLength;
      if (total > maxBytes) throw refuse();
      chunks.push(chunk);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    received = { filename: filename ?? "", contentType: contentType || null, bytes };
    return undefined;
  };
  try {
    await unstable_parseMultipartFormData(capped, handler);
  } catch (error) {
    if (overLimit) throw closing(overLimit);
    if (error instanceof ApiProblem) throw error;
    throw new ApiProblem("bad-request", {
      detail: "Le corps multipart est illisible : envoyez le classeur dans un champ « file » (multipart/form-data) ou brut avec son type de contenu.",
    });
  }
  return received;
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
