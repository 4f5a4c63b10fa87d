import { createHash, getRandomValues, timingSafeEqual } from "node:crypto";
import type { Db } from "../db.server";
import type { Role } from "~/domain/permissions";
import type { IsoDate } from "~/domain/dates";
import type { HeldSession, SessionCache } from "./session-cache.server";

/**
 * Sessions: the project's own module, written after lucia's guide
 * ("Basic session API", lucia-auth.com) once lucia v3 was deprecated (ADR 028).
 * - token: `<id>.<secret>`, two random strings of 24 characters (120 bits each);
 *   the row is found by its id and the secret is checked against the stored
 *   `secret_hash` = sha256(secret), compared in constant time. The database never
 *   holds what the cookie holds, like API tokens and reset links.
 * - idle expiry: sliding, `SESSION_IDLE_MINUTES`; the expiry is pushed back once
 *   less than half of the idle period remains (as lucia did);
 * - absolute expiry: `SESSION_ABSOLUTE_HOURS` after creation, whatever the activity;
 * - cookie: HttpOnly, SameSite=Lax, Path=/, Secure in production, no persistent expiry.
 * With a `SessionCache` (the process's, ADR 035), the row is read from the
 * process while no change to sessions, users or organisations was announced;
 * the secret, the expiry and the user's status are checked the same way.
 */

export interface SessionSettings {
  idleMinutes: number;
  absoluteHours: number;
  secureCookies: boolean;
}

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  organisationId: string;
  organisationName: string;
  organisationWithdrawalEffectiveDate: IsoDate | null;
}

export interface ValidatedSession {
  user: SessionUser;
  /** The session's id (the row's key, not a secret: it authenticates nothing alone). */
  sessionId: string;
  /** Set-Cookie to send back (sliding expiry refreshed), if any. */
  setCookie?: string;
}

export const SESSION_COOKIE = "odpe_session";

/** lucia's guide: 24 characters of a 32-letter alphabet without look-alikes, 120 random bits. */
const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
function randomString(): string {
  const bytes = getRandomValues(new Uint8Array(24));
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte >> 3];
  return out;
}

const TOKEN_PART = /^[a-z0-9]{24}$/;
const hashSecret = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");

/** Splits `<id>.<secret>`; null for anything else. */
function parseToken(token: string): { id: string; secret: string } | null {
  const [id, secret, ...rest] = token.split(".");
  if (rest.length || !id || !secret || !TOKEN_PART.test(id) || !TOKEN_PART.test(secret)) return null;
  return { id, secret };
}

function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return given.length === stored.length && timingSafeEqual(given, stored);
}

export class SessionManager {
  constructor(
    private readonly db: Db,
    private readonly settings: SessionSettings,
    private readonly cache?: () => SessionCache | undefined,
  ) {}

  private get idleMs() {
    return this.settings.idleMinutes * 60_000;
  }

  /** A browser-session cookie (no Max-Age): closing the browser ends it; the server enforces expiry. */
  private cookie(value: string, extra: string[] = []): string {
    const parts = [`${SESSION_COOKIE}=${value}`, ...extra, "HttpOnly", "Path=/", "SameSite=Lax"];
    if (this.settings.secureCookies) parts.push("Secure");
    return parts.join("; ");
  }

  /** The session token carried by a Cookie header, or null. */
  readSessionToken(cookieHeader: string | null): string | null {
    if (!cookieHeader) return null;
    for (const item of cookieHeader.split(";")) {
      const eq = item.indexOf("=");
      if (eq < 0 || item.slice(0, eq).trim() !== SESSION_COOKIE) continue;
      const value = item.slice(eq + 1).trim();
      return value || null;
    }
    return null;
  }

  /** Creates a new session (a new id and secret: rotation at every login) and its cookie. */
  async create(userId: string, meta: { ip: string | null; userAgent: string | null }, now = new Date()) {
    const id = randomString();
    const secret = randomString();
    await this.db
      .insertInto("user_session")
      .values({
        id,
        secret_hash: hashSecret(secret),
        user_id: userId,
        created_at: now,
        expires_at: new Date(now.getTime() + this.idleMs),
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 300) ?? null,
      })
      .execute();
    const token = `${id}.${secret}`;
    return { sessionId: id, token, setCookie: this.cookie(token) };
  }

  /**
   * The session and its user for a token, or null. An expired session (idle or
   * absolute limit) or one whose user is disabled is deleted; a wrong secret
   * leaves the row alone (whoever guessed an id cannot end someone's session).
   */
  async validate(token: string, now = new Date()): Promise<ValidatedSession | null> {
    const parsed = parseToken(token);
    if (!parsed) return null;
    const cache = this.cache?.();
    const generation = cache?.currentGeneration ?? 0;
    const held = cache?.held(parsed.id);
    const row: HeldSession | undefined = held ?? (await this.lookup(parsed.id));
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
    const expiresAt = new Date(row.expires_at).getTime();
    const absoluteLimit = new Date(row.created_at).getTime() + this.settings.absoluteHours * 3_600_000;
    if (now.getTime() >= expiresAt || now.getTime() >= absoluteLimit || row.status !== "active") {
      await this.invalidate(row.id);
      return null;
    }
    let setCookie: string | undefined;
    if (expiresAt - now.getTime() < this.idleMs / 2) {
      await this.db
        .updateTable("user_session")
        .set({ expires_at: new Date(now.getTime() + this.idleMs) })
        .where("id", "=", row.id)
        .execute();
      setCookie = this.cookie(token);
    } else if (!held) {
      // Held only as read, valid and not due for its sliding refresh (which announces a change anyway).
      cache?.put(row, generation);
    }
    return {
      sessionId: row.id,
      user: {
        id: row.user_id,
        email: row.email,
        displayName: row.display_name,
        role: row.role as Role,
        organisationId: row.organisation_id,
        organisationName: row.organisation_name,
        organisationWithdrawalEffectiveDate: row.withdrawal_effective_date as IsoDate | null,
      },
      setCookie,
    };
  }

  /** The session row with its user and organisation, as the check reads it. */
  private lookup(id: string): Promise<HeldSession | undefined> {
    return this.db
      .selectFrom("user_session as s")
      .innerJoin("app_user as u", "u.id", "s.user_id")
      .innerJoin("organisation as o", "o.id", "u.organisation_id")
      .select([
        "s.id",
        "s.secret_hash",
        "s.user_id",
        "s.expires_at",
        "s.created_at",
        "u.email",
        "u.display_name",
        "u.role",
        "u.organisation_id",
        "u.status",
        "o.name as organisation_name",
        "o.withdrawal_effective_date",
      ])
      .where("s.id", "=", id)
      .executeTakeFirst();
  }

  /** Ends a session by its id (the signed-in user's own, already validated). */
  async invalidate(sessionId: string) {
    this.cache?.()?.forget((row) => row.id === sessionId);
    await this.db.deleteFrom("user_session").where("id", "=", sessionId).execute();
  }

  /** Ends the session a token names, only if the token's secret is right (login rotation). */
  async invalidateToken(token: string) {
    const validated = await this.validate(token);
    if (validated) await this.invalidate(validated.sessionId);
  }

  async invalidateUser(userId: string) {
    this.cache?.()?.forget((row) => row.user_id === userId);
    await this.db.deleteFrom("user_session").where("user_id", "=", userId).execute();
  }

  /** The Set-Cookie that clears the session cookie. */
  blankCookie(): string {
    return this.cookie("", ["Max-Age=0"]);
  }

  async purgeExpired(now = new Date()) {
    await this.db.deleteFrom("user_session").where("expires_at", "<=", now).execute();
  }
}
