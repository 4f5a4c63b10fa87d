import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { getEnv, type Env } from "../env.server";
import { logger } from "../logger.server";

/**
 * The audit chain's HMAC keys (ADR 024). The key lives outside the database:
 * someone who can rewrite `audit_event` cannot recompute a hash without it.
 *
 * - `AUDIT_HMAC_KEY` (required when APP_MODE=production) computes every new
 *   event's hash and signs the anchors;
 * - `AUDIT_HMAC_PREVIOUS_KEYS` (comma-separated) only verify: events and
 *   anchors written before a rotation name their key by `key_id`;
 * - without `AUDIT_HMAC_KEY` (demo, development): the embedded database gets a
 *   random key generated once into `DATA_DIR/audit-hmac.key` (mode 0600); a
 *   PostgreSQL database in demo mode uses `DEV_AUDIT_HMAC_KEY`, public and
 *   documented, so that several demo instances agree.
 */
export interface AuditKey {
  /** Fingerprint stored with each event and anchor: never the key itself. */
  id: string;
  secret: Buffer;
}

export interface AuditKeyring {
  current: AuditKey;
  byId: ReadonlyMap<string, AuditKey>;
  /** Where the current key came from (for the logs and the verification report). */
  source: "environment" | "data-dir" | "dev-default";
}

/** The demo key of a PostgreSQL database without AUDIT_HMAC_KEY: public, so it protects nothing (docs/operations.md). */
export const DEV_AUDIT_HMAC_KEY = "odpe-demo-audit-hmac-key-public-never-use-in-production";
export const AUDIT_KEY_FILE = "audit-hmac.key";

/** A key's fingerprint: 16 hex digits of a domain-separated sha256. */
export function auditKeyId(secret: string | Buffer): string {
  return createHash("sha256").update("odpe-audit-key-id\0").update(secret).digest("hex").slice(0, 16);
}

function toKey(secret: string): AuditKey {
  const bytes = Buffer.from(secret, "utf8");
  return { id: auditKeyId(bytes), secret: bytes };
}

export function keyringFrom(current: string, previous: readonly string[] = [], source: AuditKeyring["source"] = "environment"): AuditKeyring {
  const key = toKey(current);
  const byId = new Map<string, AuditKey>([[key.id, key]]);
  for (const p of previous) {
    const k = toKey(p);
    if (!byId.has(k.id)) byId.set(k.id, k);
  }
  return { current: key, byId, source };
}

export function hmacHex(key: AuditKey, message: string): string {
  return createHmac("sha256", key.secret).update(message).digest("hex");
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads `DATA_DIR/audit-hmac.key`, creating it (random, mode 0600) on first use. */
function dataDirKey(dataDir: string): string {
  const file = path.join(dataDir, AUDIT_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    logger.info({ file }, "audit HMAC key generated (demo): keep this file with the database");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const key = fs.readFileSync(file, "utf8").trim();
  if (key.length < 32) throw new Error(`Clé d'audit illisible ou trop courte : ${file}. / Audit HMAC key file unreadable or too short: ${file}.`);
  return key;
}

export function keyringFromEnv(env: Env): AuditKeyring {
  const previous = env.AUDIT_HMAC_PREVIOUS_KEYS ?? [];
  if (env.AUDIT_HMAC_KEY) return keyringFrom(env.AUDIT_HMAC_KEY, previous, "environment");
  // APP_MODE=production without a key is refused by env.server.ts; this is demo or development.
  if (!env.DATABASE_URL) return keyringFrom(dataDirKey(env.DATA_DIR), previous, "data-dir");
  logger.warn("AUDIT_HMAC_KEY is not set: the audit chain uses the public demo key (set it outside demo mode)");
  return keyringFrom(DEV_AUDIT_HMAC_KEY, previous, "dev-default");
}

let cached: { env: Env; keyring: AuditKeyring } | undefined;
let override: AuditKeyring | undefined;

/** This process's keyring, from its configuration (recomputed when the configuration is reset). */
export function getAuditKeyring(): AuditKeyring {
  if (override) return override;
  const env = getEnv();
  if (cached?.env !== env) cached = { env, keyring: keyringFromEnv(env) };
  return cached.keyring;
}

/** Tests only: use this keyring instead of the configuration's (undefined: back to the configuration). */
export function setAuditKeyringForTests(keyring: AuditKeyring | undefined) {
  override = keyring;
}
