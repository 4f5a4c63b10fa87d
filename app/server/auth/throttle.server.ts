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

export type Reservation = { blocked: false; attemptId: string } | { blocked: true; retryAfterMinutes: number };

/**
 * Decides and reserves atomically (ADR 017): under transaction-scoped
 * advisory locks on the account and on the IP address (always taken in that
 * order, so two attempts cannot deadlock), counts the failures and, when the
 * attempt is allowed, inserts it at once as a failure — the caller turns it
 * into a success (`markAttemptSucceeded`) only once the password is verified.
 * Concurrent attempts therefore see each other's reservations: however many
 * arrive together, at most `maxPerAccount` are processed per account (and
 * `maxPerIp` per address) in a window. The slow password check runs after the
 * commit, outside the locks. Works the same on PGlite (one connection: the
 * transactions are serialised anyway).
 */
export async function reserveLoginAttempt(
  db: Db,
  email: string,
  ip: string,
  settings: ThrottleSettings,
): Promise<Reservation> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`login:account:${email}`}, 0))`.execute(trx);
    await sql`select pg_advisory_xact_lock(hashtextextended(${`login:ip:${ip}`}, 0))`.execute(trx);
    // The clock of the database, read under the lock, orders the attempts.
    const { now } = (await sql<{ now: Date }>`select clock_timestamp() as now`.execute(trx)).rows[0]!;
    const verdict = await checkLoginThrottle(trx, email, ip, settings, new Date(now));
    if (verdict.blocked) return { blocked: true, retryAfterMinutes: verdict.retryAfterMinutes };
    const row = await trx
      .insertInto("login_attempt")
      .values({ email, ip, succeeded: false, attempted_at: new Date(now) })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { blocked: false, attemptId: row.id };
  });
}

/** The reserved attempt turned out to be a successful login. */
export async function markAttemptSucceeded(db: Db, attemptId: string) {
  await db.updateTable("login_attempt").set({ succeeded: true }).where("id", "=", attemptId).execute();
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
