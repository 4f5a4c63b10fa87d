import { createHash } from "node:crypto";
import { getAuditKeyring, hmacHex, sameDigest, type AuditKey, type AuditKeyring } from "./keys.server";
import { anchorRecordOf, anchorSignatureProblem, listAnchors, type AnchorRecord, type AuditAnchorDocument } from "./anchor.server";
import { sql } from "kysely";
import type { Executor } from "../db.server";

/** Who did it and from where; built once per request (see request-context). */
export interface AuditContext {
  actorUserId: string | null;
  /**
   * Human-readable actor, e.g. "Claire Martin <claire@…>" or "système".
   * Stored in the audit trail only for actors that are not user accounts
   * (system, API token, anonymous): a user is stored by id (see `USER_ACTOR_LABEL`).
   */
  actorLabel: string;
  organisationId: string | null;
  ip: string | null;
  requestId: string | null;
}

export const systemContext = (label = "système"): AuditContext => ({
  actorUserId: null,
  actorLabel: label,
  organisationId: null,
  ip: null,
  requestId: null,
});

export interface AuditInput {
  action: string;
  entityType: string;
  entityId?: string | null;
  /** French, one sentence, for the audit screen. */
  summary: string;
  details?: Record<string, unknown>;
  /** Overrides the context's organisation (e.g. the organisation acted upon). */
  organisationId?: string | null;
}

export const GENESIS_HASH = "0".repeat(64);

/**
 * What `actor_label` holds for an event done by a user account (ADR 012):
 * no name, no e-mail. The audit screen shows the account's current name
 * through `actor_user_id`, so erasing the account (which pseudonymises the
 * `app_user` row) makes the actor unreadable without touching the hashed row.
 */
export const USER_ACTOR_LABEL = "compte utilisateur";

export interface HashedFields {
  occurredAt: string;
  actorUserId: string | null;
  actorLabel: string;
  organisationId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  summary: string;
  ip: string | null;
  requestId: string | null;
  details: string | null;
}

function canonicalEvent(prevHash: string, fields: HashedFields): string {
  return JSON.stringify([
    prevHash,
    fields.occurredAt,
    fields.actorUserId,
    fields.actorLabel,
    fields.organisationId,
    fields.action,
    fields.entityType,
    fields.entityId,
    fields.summary,
    fields.ip,
    fields.requestId,
    fields.details,
  ]);
}

/**
 * The sha256 hash of one event (ADR 005): the format of the events written
 * before ADR 024, "sealed" by migration 2026120411 and still verified this way.
 */
export function computeAuditHash(prevHash: string, fields: HashedFields): string {
  return createHash("sha256").update(canonicalEvent(prevHash, fields)).digest("hex");
}

/** The keyed hash of one event (ADR 024): HMAC-SHA256 of the same fields, chained to the previous hash. */
export function computeAuditHmac(key: AuditKey, prevHash: string, fields: HashedFields): string {
  return hmacHex(key, canonicalEvent(prevHash, fields));
}

/** JSON with sorted keys, so the stored text and the hash input never differ. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/**
 * Appends one event to the audit trail. Call it with the transaction that
 * makes the change, so the change and its trace commit (or fail) together.
 * A transaction-scoped advisory lock serialises writers so the chain stays linear.
 * The hash is an HMAC with the current key of the environment (ADR 024).
 */
export async function recordAudit(trx: Executor, context: AuditContext, input: AuditInput): Promise<void> {
  await sql`select pg_advisory_xact_lock(4242001)`.execute(trx);
  const key = getAuditKeyring().current;
  const last = await trx
    .selectFrom("audit_event")
    .select(["hash"])
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  const prevHash = last?.hash ?? GENESIS_HASH;
  const fields: HashedFields = {
    occurredAt: new Date().toISOString(),
    actorUserId: context.actorUserId,
    actorLabel: context.actorUserId ? USER_ACTOR_LABEL : context.actorLabel,
    organisationId: input.organisationId !== undefined ? input.organisationId : context.organisationId,
    action: input.action,
    entityType: input.entityType,
    entityId: input.entityId ?? null,
    summary: input.summary,
    ip: context.ip,
    requestId: context.requestId,
    details: input.details ? stableJson(input.details) : null,
  };
  await trx
    .insertInto("audit_event")
    .values({
      occurred_at: fields.occurredAt,
      actor_user_id: fields.actorUserId,
      actor_label: fields.actorLabel,
      organisation_id: fields.organisationId,
      action: fields.action,
      entity_type: fields.entityType,
      entity_id: fields.entityId,
      summary: fields.summary,
      ip: fields.ip,
      request_id: fields.requestId,
      details: fields.details,
      prev_hash: prevHash,
      hash: computeAuditHmac(key, prevHash, fields),
      key_id: key.id,
    })
    .execute();
}

/** An anchor as the verification report names it. */
export interface AnchorSummary {
  source: "database" | "file";
  kind: "seal" | "anchor";
  anchorId: string | null;
  createdAt: string;
  eventCount: number;
  headEventId: string | null;
}

export interface AuditVerification {
  ok: boolean;
  /** Events whose link and hash hold, in order, before the first bad one. */
  checked: number;
  /** Of them, sealed sha256 events written before ADR 024. */
  legacy: number;
  /** The first event whose link or hash is broken (rewritten, or an event before it deleted). */
  brokenAt?: { id: string; reason: string };
  /** The chain ends before an anchor's head: events were deleted at the end (or the anchored event removed). */
  truncated?: { anchor: AnchorSummary; found: number; lastId: string | null; reason: string };
  /** Anchors that disagree with the chain or whose signature fails. */
  anchorProblems: { anchor: AnchorSummary; reason: string }[];
  /** Anchors checked against the chain (the seal included). */
  anchorsChecked: number;
  /** The most recent anchor checked, database or file. */
  latestAnchor?: AnchorSummary;
}

export interface VerifyOptions {
  /** The keys to check with (default: this process's, from the environment). */
  keyring?: AuditKeyring;
  /** Anchors kept outside the database (`--anchor <file>`). */
  externalAnchors?: AuditAnchorDocument[];
  batchSize?: number;
}

const summaryOf = (a: AnchorRecord): AnchorSummary => ({
  source: a.source,
  kind: a.kind,
  anchorId: a.anchorId,
  createdAt: a.createdAt,
  eventCount: a.eventCount,
  headEventId: a.headEventId,
});

/** One stored event as the chain hashes it: the verification and a copied chain's re-signing (ADR 052) read it alike. */
export interface StoredAuditEvent {
  id: string;
  prev_hash: string;
  hash: string;
  key_id: string | null;
  fields: HashedFields;
}

/** Up to `limit` events after id `afterId`, in id order (the table's bigint, never its text). */
export async function readStoredEvents(db: Executor, afterId: string, limit: number): Promise<StoredAuditEvent[]> {
  const rows = await db
    .selectFrom("audit_event")
    .select([
      sql<string>`id::text`.as("id"),
      sql<string>`to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`.as("occurred_at_iso"),
      "actor_user_id",
      "actor_label",
      "organisation_id",
      "action",
      "entity_type",
      "entity_id",
      "summary",
      "ip",
      "request_id",
      sql<string | null>`details::text`.as("details_text"),
      "prev_hash",
      "hash",
      "key_id",
    ])
    // The table's bigint id, not the text alias selected above (which sorts "10" before "2").
    .where("audit_event.id", ">", afterId)
    .orderBy("audit_event.id")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    prev_hash: row.prev_hash,
    hash: row.hash,
    key_id: row.key_id,
    fields: {
      occurredAt: row.occurred_at_iso,
      actorUserId: row.actor_user_id,
      actorLabel: row.actor_label,
      organisationId: row.organisation_id,
      action: row.action,
      entityType: row.entity_type,
      entityId: row.entity_id,
      summary: row.summary,
      ip: row.ip,
      requestId: row.request_id,
      details: row.details_text === null ? null : stableJson(JSON.parse(row.details_text)),
    },
  }));
}

/**
 * Walks the whole chain in id order (the bigint, never its text) and checks
 * it against the anchors (ADR 024):
 * - each event's `prev_hash` is the previous event's hash and its hash is the
 *   HMAC of its fields with the key named by its `key_id` (sealed events, up
 *   to the migration's seal, with sha256) → the first bad event (rewriting,
 *   or deletion in the middle);
 * - each signed anchor (database, and files given) holds, and the chain has
 *   its head event with its hash after exactly its number of events →
 *   truncation (the tail deleted) or rewriting with the key.
 */
export async function verifyAuditChain(db: Executor, options: VerifyOptions | number = {}): Promise<AuditVerification> {
  const opts: VerifyOptions = typeof options === "number" ? { batchSize: options } : options;
  const keyring = opts.keyring ?? getAuditKeyring();
  const batchSize = opts.batchSize ?? 5_000;
  const anchorProblems: AuditVerification["anchorProblems"] = [];
  const all = [...(await listAnchors(db)), ...(opts.externalAnchors ?? []).map((d) => anchorRecordOf(d))];
  const anchors: AnchorRecord[] = [];
  for (const a of all) {
    const problem = anchorSignatureProblem(a, keyring);
    if (problem) anchorProblems.push({ anchor: summaryOf(a), reason: problem });
    else anchors.push(a);
  }
  const seal = anchors.find((a) => a.kind === "seal" && a.source === "database");
  // Sealed (sha256) events are accepted only up to the seal: after it, an unkeyed event is a rewrite.
  const sealHead = seal?.headEventId ? BigInt(seal.headEventId) : 0n;
  const pending = new Map<string, AnchorRecord[]>();
  for (const a of anchors) {
    if (a.headEventId === null) {
      if (a.eventCount !== 0) anchorProblems.push({ anchor: summaryOf(a), reason: "empty head with a non-zero count" });
      continue;
    }
    pending.set(a.headEventId, [...(pending.get(a.headEventId) ?? []), a]);
  }
  const matched = new Set<AnchorRecord>();
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let legacy = 0;
  let lastId = "0";
  let brokenAt: AuditVerification["brokenAt"];
  walk: for (;;) {
    const rows = await readStoredEvents(db, lastId, batchSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.prev_hash !== prevHash) {
        brokenAt = { id: row.id, reason: "prev_hash does not match the previous event (an event before it was deleted or altered)" };
        break walk;
      }
      const fields = row.fields;
      if (row.key_id === null) {
        if (BigInt(row.id) > sealHead) {
          brokenAt = { id: row.id, reason: "unkeyed (sha256) hash after the seal: the event was rewritten without the key" };
          break walk;
        }
        if (computeAuditHash(prevHash, fields) !== row.hash) {
          brokenAt = { id: row.id, reason: "content does not match its hash" };
          break walk;
        }
        legacy++;
      } else {
        const key = keyring.byId.get(row.key_id);
        if (!key) {
          brokenAt = { id: row.id, reason: `hashed with an unknown key (${row.key_id}): rewritten, or a previous key missing from AUDIT_HMAC_PREVIOUS_KEYS` };
          break walk;
        }
        if (!sameDigest(computeAuditHmac(key, prevHash, fields), row.hash)) {
          brokenAt = { id: row.id, reason: "content does not match its keyed hash (HMAC)" };
          break walk;
        }
      }
      prevHash = row.hash;
      lastId = row.id;
      checked++;
      for (const a of pending.get(row.id) ?? []) {
        matched.add(a);
        if (a.headHash !== row.hash) {
          anchorProblems.push({ anchor: summaryOf(a), reason: `event ${row.id} does not have the anchor's hash: the chain up to it was rewritten with the key` });
        } else if (a.eventCount !== checked) {
          anchorProblems.push({ anchor: summaryOf(a), reason: `the anchor counts ${a.eventCount} events up to ${row.id}, the chain has ${checked}` });
        }
      }
    }
  }
  const totals = await db
    .selectFrom("audit_event")
    .select([sql<string>`count(*)::text`.as("n"), sql<string | null>`max(id)::text`.as("last")])
    .executeTakeFirstOrThrow();
  const found = Number(totals.n);
  let truncated: AuditVerification["truncated"];
  const reached = brokenAt ? BigInt(brokenAt.id) : null;
  for (const a of anchors) {
    if (a.headEventId === null || matched.has(a)) continue;
    const head = BigInt(a.headEventId);
    // Past a break the chain is not trusted: its anchors say nothing more.
    if (reached !== null && head >= reached) continue;
    const last = totals.last === null ? null : BigInt(totals.last);
    const reason =
      last === null || head > last
        ? `the anchor says ${a.eventCount} events up to id ${a.headEventId}, found ${found} (last id ${totals.last ?? "none"})`
        : `event ${a.headEventId}, the anchor's head, is missing: deleted (later events were appended)`;
    if (!truncated || BigInt(truncated.anchor.headEventId ?? "0") < head) truncated = { anchor: summaryOf(a), found, lastId: totals.last, reason };
  }
  const latest = anchors.filter((a) => a.kind === "anchor").sort((x, y) => x.createdAt.localeCompare(y.createdAt)).at(-1);
  return {
    ok: !brokenAt && !truncated && anchorProblems.length === 0,
    checked,
    legacy,
    ...(brokenAt ? { brokenAt } : {}),
    ...(truncated ? { truncated } : {}),
    anchorProblems,
    anchorsChecked: anchors.length,
    ...(latest ? { latestAnchor: summaryOf(latest) } : {}),
  };
}

/**
 * One line per finding, for `npm run audit:verify` (French / English) and
 * the /audit page (`"fr"`: French only).
 */
export function describeVerification(result: AuditVerification, language: "fr" | "fr-en" = "fr-en"): string[] {
  const pairs: [string, string][] = [];
  const anchorName = (a: AnchorSummary) =>
    a.kind === "seal" ? "le scellement de la migration" : `l'ancre ${a.source === "file" ? "du fichier fourni" : `n° ${a.anchorId}`} du ${a.createdAt}`;
  if (result.ok) {
    pairs.push([
      `Journal d'audit intègre : ${result.checked} événement(s) vérifié(s) (dont ${result.legacy} scellé(s) avant la clé), ${result.anchorsChecked} ancre(s) concordante(s)` +
        (result.latestAnchor ? `, la plus récente du ${result.latestAnchor.createdAt}.` : "."),
      `Audit chain intact: ${result.checked} event(s), ${result.anchorsChecked} anchor(s) agree.`,
    ]);
  }
  if (result.brokenAt) {
    pairs.push([
      `Réécriture : premier événement altéré n° ${result.brokenAt.id} (${result.checked} événement(s) valides avant).`,
      `Rewritten: first bad event id ${result.brokenAt.id}: ${result.brokenAt.reason}.`,
    ]);
  }
  if (result.truncated) {
    const a = result.truncated.anchor;
    pairs.push([
      `Troncature : ${anchorName(a)} compte ${a.eventCount} événement(s) jusqu'au n° ${a.headEventId}, le journal en contient ${result.truncated.found} (dernier n° ${result.truncated.lastId ?? "aucun"}).`,
      `Truncated: ${result.truncated.reason}.`,
    ]);
  }
  for (const p of result.anchorProblems) {
    pairs.push([`Ancre en désaccord avec le journal : ${anchorName(p.anchor)}.`, `Anchor problem (${p.anchor.source} ${p.anchor.anchorId ?? ""}): ${p.reason}.`]);
  }
  return pairs.map(([fr, en]) => (language === "fr" ? fr : `${fr} / ${en}`));
}

/**
 * `verifyAuditChain` for the /audit page's « Vérifier l'intégrité » (ADR 017,
 * ADR 024): the result is kept, per database, for as long as the chain's head
 * (last id, its hash, the number of events and the latest anchor) is unchanged, so repeated
 * clicks do not walk the whole trail again. A cache only: a new event (or any
 * change of the head) recomputes; `npm run audit:verify` never uses it.
 */
const verificationCache = new WeakMap<object, { head: string; result: AuditVerification }>();

export async function verifyAuditChainCached(db: Executor): Promise<AuditVerification & { cached: boolean }> {
  const head = await db
    .selectFrom("audit_event")
    .select([
      sql<string>`id::text`.as("id"),
      "hash",
      sql<string>`(select count(*) from audit_event)::text`.as("n"),
      sql<string>`(select coalesce(max(id), 0) from audit_anchor)::text`.as("anchor"),
    ])
    .orderBy("audit_event.id", "desc")
    .limit(1)
    .executeTakeFirst();
  const key = head ? `${head.id}:${head.hash}:${head.n}:${head.anchor}` : "empty";
  const cached = verificationCache.get(db);
  if (cached && cached.head === key) return { ...cached.result, cached: true };
  const result = await verifyAuditChain(db);
  verificationCache.set(db, { head: key, result });
  return { ...result, cached: false };
}
