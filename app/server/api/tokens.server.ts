import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Db, Executor } from "../db.server";
import { run, type Actor } from "../command.server";
import { DomainError, notFound } from "../errors.server";
import { isWithdrawn } from "~/domain/organisations";
import { todayIso } from "~/domain/dates";
import {
  API_TOKEN_PATTERN,
  API_TOKEN_PREFIX_LENGTH,
  API_TOKEN_SCHEME,
  MAX_ACTIVE_TOKENS_PER_ORGANISATION,
  type ApiTokenFormInput,
} from "~/domain/api-tokens";

/** The stored form of a token: its sha256 (a token has 256 random bits, so no salt or slow hash is needed). */
export const hashApiToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

/** A new secret: the scheme, then 32 random bytes in base64url. */
export function generateApiToken(): { token: string; prefix: string; hash: string } {
  const token = `${API_TOKEN_SCHEME}${randomBytes(32).toString("base64url")}`;
  return { token, prefix: token.slice(0, API_TOKEN_PREFIX_LENGTH), hash: hashApiToken(token) };
}

/** How a token appears in the audit trail and in lists. */
export const tokenLabel = (token: { name: string; token_prefix: string }) => `jeton API « ${token.name} » (${token.token_prefix}…)`;

export interface CreateTokenInput extends ApiTokenFormInput {
  organisationId: string;
  /** The correspondent creating it; null from the command line. */
  createdBy: string | null;
}

/**
 * Creates a token for an organisation still in the convention. The secret
 * is returned once and never stored: only its sha256 and prefix are kept.
 */
export async function createApiToken(db: Db, actor: Actor, input: CreateTokenInput) {
  return run(db, actor, "manage:api_token", async (trx, command) => {
    command.require("manage:api_token", input.organisationId);
    const org = await trx
      .selectFrom("organisation")
      .select(["id", "code", "withdrawal_effective_date"])
      .where("id", "=", input.organisationId)
      .forUpdate()
      .executeTakeFirst();
    if (!org) throw notFound("Cet organisme");
    if (isWithdrawn(org, todayIso())) {
      throw new DomainError("conflict", `${org.code} s'est retiré de la convention (art. 7) : aucun jeton API ne peut plus être créé.`);
    }
    const active = await trx
      .selectFrom("api_token")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("organisation_id", "=", org.id)
      .where("revoked_at", "is", null)
      .executeTakeFirstOrThrow();
    if (Number(active.n) >= MAX_ACTIVE_TOKENS_PER_ORGANISATION) {
      throw new DomainError(
        "conflict",
        `Votre organisme a déjà ${MAX_ACTIVE_TOKENS_PER_ORGANISATION} jetons actifs : révoquez ceux qui ne servent plus avant d'en créer un autre.`,
      );
    }
    const secret = generateApiToken();
    const row = await trx
      .insertInto("api_token")
      .values({
        organisation_id: org.id,
        name: input.name,
        token_hash: secret.hash,
        token_prefix: secret.prefix,
        created_by: input.createdBy,
      })
      .returning(["id", "name", "token_prefix", "created_at"])
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "api_token.created",
      entityType: "api_token",
      entityId: row.id,
      organisationId: org.id,
      summary: `Jeton API « ${row.name} » (${row.token_prefix}…) créé pour ${org.code}.`,
      details: { name: row.name, prefix: row.token_prefix },
    });
    return { id: row.id, name: row.name, prefix: row.token_prefix, token: secret.token, createdAt: row.created_at };
  });
}

/** The organisation's tokens, active first, newest first; never the secret. */
export async function listApiTokens(db: Executor, organisationId: string) {
  return db
    .selectFrom("api_token as t")
    .leftJoin("app_user as u", "u.id", "t.created_by")
    .leftJoin("app_user as r", "r.id", "t.revoked_by")
    .select([
      "t.id",
      "t.name",
      "t.token_prefix",
      "t.created_at",
      "t.last_used_at",
      "t.revoked_at",
      "u.display_name as created_by_name",
      "r.display_name as revoked_by_name",
    ])
    .where("t.organisation_id", "=", organisationId)
    .orderBy(sql`t.revoked_at is not null`)
    .orderBy("t.created_at", "desc")
    .execute();
}

/** Revokes one of the organisation's tokens; another organisation's token is not even acknowledged (404). */
export async function revokeApiToken(db: Db, actor: Actor, input: { organisationId: string; tokenId: string; revokedBy: string | null }) {
  await run(db, actor, "manage:api_token", async (trx, command) => {
    command.require("manage:api_token", input.organisationId);
    const token = await trx
      .selectFrom("api_token as t")
      .innerJoin("organisation as o", "o.id", "t.organisation_id")
      .select(["t.id", "t.name", "t.token_prefix", "t.revoked_at", "t.organisation_id", "o.code"])
      .where("t.id", "=", input.tokenId)
      .forUpdate("t")
      .executeTakeFirst();
    if (!token || token.organisation_id !== input.organisationId) throw notFound("Ce jeton");
    if (token.revoked_at) throw new DomainError("conflict", `Le jeton « ${token.name} » est déjà révoqué.`);
    await trx.updateTable("api_token").set({ revoked_at: new Date(), revoked_by: input.revokedBy }).where("id", "=", token.id).execute();
    await command.audit({
      action: "api_token.revoked",
      entityType: "api_token",
      entityId: token.id,
      organisationId: token.organisation_id,
      summary: `Jeton API « ${token.name} » (${token.token_prefix}…) de ${token.code} révoqué : il ne donne plus accès à l'API.`,
      details: { name: token.name, prefix: token.token_prefix },
    });
  });
}

export interface AuthenticatedToken {
  id: string;
  name: string;
  prefix: string;
  organisationId: string;
  organisationCode: string;
  /** The correspondent who created it (null from the command line): the person accountable for what it does. */
  createdBy: string | null;
  withdrawalEffectiveDate: string | null;
}

/**
 * The active token matching `secret`, its last use stamped; null for a
 * malformed, unknown or revoked token (the caller answers 401 to all three alike).
 */
export async function authenticateApiToken(db: Db, secret: string): Promise<AuthenticatedToken | null> {
  if (!API_TOKEN_PATTERN.test(secret)) return null;
  const row = await db
    .updateTable("api_token as t")
    .from("organisation as o")
    .set({ last_used_at: new Date() })
    .whereRef("o.id", "=", "t.organisation_id")
    .where("t.token_hash", "=", hashApiToken(secret))
    .where("t.revoked_at", "is", null)
    .returning(["t.id", "t.name", "t.token_prefix", "t.organisation_id", "t.created_by", "o.code", "o.withdrawal_effective_date"])
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    prefix: row.token_prefix,
    organisationId: row.organisation_id,
    organisationCode: row.code,
    createdBy: row.created_by,
    withdrawalEffectiveDate: row.withdrawal_effective_date,
  };
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

/**
 * Counts one request of `tokenId` in the current one-minute window, in
 * PostgreSQL so that every portal instance shares the count (one atomic
 * upsert). The first request of a window also clears the token's old windows.
 */
export async function consumeRateLimit(db: Db, tokenId: string, limitPerMinute: number): Promise<RateDecision> {
  const row = await db
    .insertInto("api_rate_bucket")
    .values({ token_id: tokenId, window_start: sql<Date>`date_trunc('minute', now())`, count: 1 })
    .onConflict((oc) => oc.columns(["token_id", "window_start"]).doUpdateSet({ count: sql<number>`api_rate_bucket.count + 1` }))
    .returning(["count", sql<number>`ceil(extract(epoch from (window_start + interval '1 minute' - now())))::int`.as("reset_seconds")])
    .executeTakeFirstOrThrow();
  if (row.count === 1) {
    await db.deleteFrom("api_rate_bucket").where("token_id", "=", tokenId).where("window_start", "<", sql<Date>`date_trunc('minute', now())`).execute();
  }
  return {
    allowed: row.count <= limitPerMinute,
    limit: limitPerMinute,
    remaining: Math.max(0, limitPerMinute - row.count),
    resetSeconds: Math.min(60, Math.max(1, Number(row.reset_seconds))),
  };
}

/**
 * Unknown Bearer tokens, per client address (ADR 017): how many the
 * address presented in the current one-minute window. `peek` reads without
 * counting (checked before the token lookup); `count` adds one failure (one
 * atomic upsert, shared by every instance) and clears the address's older windows.
 */
export async function unknownTokenFailures(db: Db, ip: string, mode: "peek" | "count"): Promise<{ count: number; resetSeconds: number }> {
  const reset = sql<number>`ceil(extract(epoch from (date_trunc('minute', now()) + interval '1 minute' - now())))::int`;
  if (mode === "peek") {
    const row = await db
      .selectFrom("api_ip_failure_bucket")
      .select(["count", reset.as("reset_seconds")])
      .where("ip", "=", ip)
      .where("window_start", "=", sql<Date>`date_trunc('minute', now())`)
      .executeTakeFirst();
    return { count: row?.count ?? 0, resetSeconds: Math.min(60, Math.max(1, Number(row?.reset_seconds ?? 60))) };
  }
  const row = await db
    .insertInto("api_ip_failure_bucket")
    .values({ ip, window_start: sql<Date>`date_trunc('minute', now())`, count: 1 })
    .onConflict((oc) => oc.columns(["ip", "window_start"]).doUpdateSet({ count: sql<number>`api_ip_failure_bucket.count + 1` }))
    .returning(["count", reset.as("reset_seconds")])
    .executeTakeFirstOrThrow();
  if (row.count === 1) {
    await db.deleteFrom("api_ip_failure_bucket").where("ip", "=", ip).where("window_start", "<", sql<Date>`date_trunc('minute', now())`).execute();
  }
  return { count: row.count, resetSeconds: Math.min(60, Math.max(1, Number(row.reset_seconds))) };
}
