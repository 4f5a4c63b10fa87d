import { createHash } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "#db/schema";

type Executor = Kysely<Database> | Transaction<Database>;

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

interface HashedFields {
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

/** The hash of one event: its fields in a fixed order, chained to the previous hash. */
export function computeAuditHash(prevHash: string, fields: HashedFields): string {
  const canonical = JSON.stringify([
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
  return createHash("sha256").update(canonical).digest("hex");
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
 */
export async function recordAudit(trx: Executor, context: AuditContext, input: AuditInput): Promise<void> {
  await sql`select pg_advisory_xact_lock(4242001)`.execute(trx);
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
      hash: computeAuditHash(prevHash, fields),
    })
    .execute();
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first event whose link is broken, when not ok. */
  brokenAt?: { id: string; reason: string };
}

/** Walks the whole chain in id order; reports the first broken link. */
export async function verifyAuditChain(db: Executor, batchSize = 5_000): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let lastId = "0";
  for (;;) {
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
      ])
      // The table's bigint id, not the text alias selected above (which sorts "10" before "2").
      .where("audit_event.id", ">", lastId)
      .orderBy("audit_event.id")
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return { ok: true, checked };
    for (const row of rows) {
      if (row.prev_hash !== prevHash) {
        return { ok: false, checked, brokenAt: { id: row.id, reason: "prev_hash does not match the previous event" } };
      }
      const details = row.details_text === null ? null : stableJson(JSON.parse(row.details_text));
      const expected = computeAuditHash(prevHash, {
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
        details,
      });
      if (expected !== row.hash) {
        return { ok: false, checked, brokenAt: { id: row.id, reason: "content does not match its hash" } };
      }
      prevHash = row.hash;
      lastId = row.id;
      checked++;
    }
  }
}

/**
 * `verifyAuditChain` for the /audit page's « Vérifier l'intégrité » (issue 11,
 * item 9): the result is kept, per database, for as long as the chain's head
 * (last id, its hash and the number of events) is unchanged, so repeated
 * clicks do not walk the whole trail again. A cache only: a new event (or any
 * change of the head) recomputes; `npm run audit:verify` never uses it.
 */
const verificationCache = new WeakMap<object, { head: string; result: AuditVerification }>();

export async function verifyAuditChainCached(db: Executor): Promise<AuditVerification & { cached: boolean }> {
  const head = await db
    .selectFrom("audit_event")
    .select([sql<string>`id::text`.as("id"), "hash", sql<string>`(select count(*) from audit_event)::text`.as("n")])
    .orderBy("audit_event.id", "desc")
    .limit(1)
    .executeTakeFirst();
  const key = head ? `${head.id}:${head.hash}:${head.n}` : "empty";
  const cached = verificationCache.get(db);
  if (cached && cached.head === key) return { ...cached.result, cached: true };
  const result = await verifyAuditChain(db);
  verificationCache.set(db, { head: key, result });
  return { ...result, cached: false };
}
