import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import { sql, type Transaction } from "kysely";
import type { Database } from "#db/schema";
import type { Db, Executor } from "../db.server";

/**
 * Published outputs as immutable artefacts (ADR 021).
 *
 * A published page (the public report of a year, a reader's view of it) is
 * rendered once and stored in `published_artefact` with its gzip and brotli
 * variants and a strong ETag, the hash of its bytes. Serving it is one
 * primary-key lookup of the ETag (a 304 stops there) and a write of bytes
 * kept in this process by ETag: content-addressed, so several instances stay
 * coherent without any invalidation message — the lookup says which bytes
 * are current. Publishing or correcting deletes the artefacts of its scope
 * in its own transaction; the next request (or the publication right after
 * its commit) renders them again. What is stored is whatever the renderer
 * produces: this layer knows nothing of the report's content.
 */

export interface Artefact {
  etag: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Compresses once, at publication: the best ratios, since the cost is paid once. */
export async function buildArtefact(content: string | Buffer, contentType: string): Promise<Artefact> {
  const body = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const [gz, br] = await Promise.all([
    gzipAsync(body, { level: 9 }),
    brotliAsync(body, {
      params: {
        [zlibConstants.BROTLI_PARAM_QUALITY]: 11,
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
        [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  ]);
  const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
  return { etag, contentType, body, gzip: gz, br };
}

/** Bytes by ETag (immutable by construction): at most CACHE_SIZE artefacts per process. */
const bytesByEtag = new Map<string, Artefact>();
const CACHE_SIZE = 64;

function remember(artefact: Artefact) {
  bytesByEtag.delete(artefact.etag);
  bytesByEtag.set(artefact.etag, artefact);
  if (bytesByEtag.size > CACHE_SIZE) bytesByEtag.delete(bytesByEtag.keys().next().value!);
}

/** The current ETag of `key` (one primary-key lookup), or undefined when nothing is stored. */
export async function artefactEtag(db: Executor, key: string): Promise<string | undefined> {
  const row = await db.selectFrom("published_artefact").select("etag").where("key", "=", key).executeTakeFirst();
  return row?.etag;
}

/** The artefact whose ETag is `etag`, from this process or (once) from the database. */
export async function artefactBytes(db: Executor, key: string, etag: string): Promise<Artefact | undefined> {
  const hit = bytesByEtag.get(etag);
  if (hit) return hit;
  const row = await db
    .selectFrom("published_artefact")
    .select(["etag", "content_type", "body", "body_gzip", "body_br"])
    .where("key", "=", key)
    .executeTakeFirst();
  if (!row) return undefined;
  const artefact: Artefact = { etag: row.etag, contentType: row.content_type, body: row.body, gzip: row.body_gzip, br: row.body_br };
  remember(artefact);
  return artefact;
}

/**
 * The artefact of `key`, rendered and stored when missing. `lock` takes, in
 * the rendering transaction, the row locks a publication of the scope also
 * takes (FOR SHARE on the published editions), so a render that raced a
 * correction cannot store the superseded state after the correction deleted it.
 */
export async function storedArtefact(
  db: Db,
  key: string,
  scope: string,
  render: (trx: Transaction<Database>) => Promise<{ content: string | Buffer; contentType: string }>,
  lock: (trx: Transaction<Database>) => Promise<unknown>,
): Promise<Artefact> {
  const etag = await artefactEtag(db, key);
  if (etag) {
    const found = await artefactBytes(db, key, etag);
    if (found) return found;
  }
  return db.transaction().execute(async (trx) => {
    await lock(trx);
    const rendered = await render(trx);
    const artefact = await buildArtefact(rendered.content, rendered.contentType);
    await trx
      .insertInto("published_artefact")
      .values({ key, scope, etag: artefact.etag, content_type: artefact.contentType, body: artefact.body, body_gzip: artefact.gzip, body_br: artefact.br })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({
          scope,
          etag: artefact.etag,
          content_type: artefact.contentType,
          body: artefact.body,
          body_gzip: artefact.gzip,
          body_br: artefact.br,
          created_at: sql`now()`,
        }),
      )
      .execute();
    remember(artefact);
    return artefact;
  });
}

/** The channel on which a change of stored artefacts is announced to every instance (artefact-cache.server.ts, ADR 033). */
export const ARTEFACT_CHANNEL = "odpe_artefacts";

/**
 * In the transaction that publishes, corrects or otherwise changes what a
 * scope shows: its artefacts go, and every instance's in-process cache is
 * emptied when the transaction commits (NOTIFY is delivered at commit, and
 * not at all on rollback).
 */
export async function invalidateArtefacts(trx: Transaction<Database>, scope: string): Promise<void> {
  await trx.deleteFrom("published_artefact").where("scope", "=", scope).execute();
  // The schema is named: listeners of other schemas of the same database ignore it (notificationScope).
  await sql`select pg_notify(${ARTEFACT_CHANNEL}, 'schema=' || current_schema() || ';' || ${scope})`.execute(trx);
  // This process's caches are emptied now too: what the transaction's own process does right after its
  // commit (render the public page) must not wait for the notification to come back.
  invalidateLocally(scope);
}

/**
 * This process's caches forget what `scope` shows now, before the commit
 * whose notification (sent by a trigger, ADR 040) will reach the other
 * instances: what this process does right after its commit never reads the
 * old read model.
 */
export function invalidateLocally(scope: string): void {
  for (const hook of localInvalidationHooks) hook(scope);
}

const localInvalidationHooks = new Set<(scope: string) => void>();

/** Called by invalidateArtefacts in this process (artefact caches register here); returns the unregistration. */
export function onLocalInvalidation(hook: (scope: string) => void): () => void {
  localInvalidationHooks.add(hook);
  return () => localInvalidationHooks.delete(hook);
}

/** The encoding to send for an Accept-Encoding header: brotli, gzip, else the bytes as they are. */
export function pickEncoding(acceptEncoding: string | null | undefined): "br" | "gzip" | null {
  if (!acceptEncoding) return null;
  const accepted = new Set<string>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  if (accepted.has("br")) return "br";
  if (accepted.has("gzip") || accepted.has("*")) return "gzip";
  return null;
}

/** True when an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === bare);
}

export interface ArtefactHeaders {
  status: 200 | 304;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** Status, headers and bytes for a request of an artefact (shared by the Express fast path and Remix routes). */
export function artefactReply(
  artefact: Pick<Artefact, "etag"> & Partial<Artefact>,
  request: { ifNoneMatch: string | null | undefined; acceptEncoding: string | null | undefined },
  cacheControl: string,
): ArtefactHeaders {
  const headers: Record<string, string> = { "Cache-Control": cacheControl, ETag: artefact.etag, Vary: "Accept-Encoding" };
  if (etagMatches(request.ifNoneMatch, artefact.etag)) return { status: 304, headers, body: null };
  const encoding = pickEncoding(request.acceptEncoding);
  const body = encoding === "br" ? artefact.br! : encoding === "gzip" ? artefact.gzip! : artefact.body!;
  headers["Content-Type"] = artefact.contentType!;
  headers["Content-Length"] = String(body.length);
  if (encoding) headers["Content-Encoding"] = encoding;
  return { status: 200, headers, body };
}

/** The artefact as a Remix response (already encoded: the global compression leaves it alone). */
export function artefactResponse(request: Request, artefact: Artefact, cacheControl: string, extraVary?: string): Response {
  const reply = artefactReply(
    artefact,
    { ifNoneMatch: request.headers.get("If-None-Match"), acceptEncoding: request.headers.get("Accept-Encoding") },
    cacheControl,
  );
  if (extraVary) reply.headers.Vary = `${reply.headers.Vary}, ${extraVary}`;
  const body = reply.body ? new Uint8Array(reply.body.buffer as ArrayBuffer, reply.body.byteOffset, reply.body.byteLength) : null;
  return new Response(body, { status: reply.status, headers: reply.headers });
}
