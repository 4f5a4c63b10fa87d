import { sql } from "kysely";
import type { Db } from "../db.server";

export interface ThrottleSettings {
  maxPerAccount: number;
  maxPerIp: number;
  windowMinutes: number;
}

export interface ThrottleVerdict {
  blocked: boolean;
  /** Whole minutes to wait before the next attempt, when blocked. */
  retryAfterMinutes: number;
}

/**
 * Login throttling, stored in PostgreSQL so every instance sees the same
 * counters. An account is blocked after `maxPerAccount` failures within the
 * window (failures before its last successful login do not count); an IP
 * address after `maxPerIp` failures within the window, whatever the account.
 */
export async function checkLoginThrottle(
  db: Db,
  email: string,
  ip: string,
  settings: ThrottleSettings,
  now = new Date(),
): Promise<ThrottleVerdict> {
  const windowStart = new Date(now.getTime() - settings.windowMinutes * 60_000);
  const lastSuccess = await db
    .selectFrom("login_attempt")
    .select((eb) => eb.fn.max("attempted_at").as("at"))
    .where("email", "=", email)
    .where("succeeded", "=", true)
    .where("attempted_at", ">=", windowStart)
    .executeTakeFirst();
  const accountSince = lastSuccess?.at ? new Date(lastSuccess.at) : windowStart;

  const [account, byIp] = await Promise.all([
    db
      .selectFrom("login_attempt")
      .select([sql<number>`count(*)::int`.as("n"), sql<Date | null>`min(attempted_at)`.as("oldest")])
      .where("email", "=", email)
      .where("succeeded", "=", false)
      .where("attempted_at", ">", accountSince)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom("login_attempt")
      .select([sql<number>`count(*)::int`.as("n"), sql<Date | null>`min(attempted_at)`.as("oldest")])
      .where("ip", "=", ip)
      .where("succeeded", "=", false)
      .where("attempted_at", ">=", windowStart)
      .executeTakeFirstOrThrow(),
  ]);
  const blockedBy = [
    Number(account.n) >= settings.maxPerAccount ? account.oldest : null,
    Number(byIp.n) >= settings.maxPerIp ? byIp.oldest : null,
  ].filter((d): d is Date => d !== null);
  if (blockedBy.length === 0) return { blocked: false, retryAfterMinutes: 0 };
  const until = Math.max(...blockedBy.map((d) => new Date(d).getTime() + settings.windowMinutes * 60_000));
  return { blocked: true, retryAfterMinutes: Math.max(1, Math.ceil((until - now.getTime()) / 60_000)) };
}
