import type { Actor } from "../command.server";
import type { Db } from "../db.server";
import { recordAudit, type AuditContext } from "../audit/audit.server";
import { DomainError } from "../errors.server";
import { dummyPasswordHash, verifyPassword } from "./password.server";
import { markAttemptSucceeded, reserveLoginAttempt, type ThrottleSettings } from "./throttle.server";
import type { SessionManager } from "./session.server";

export const LOGIN_FAILED_MESSAGE = "Adresse e-mail ou mot de passe incorrect.";

export interface LoginInput {
  email: string;
  password: string;
  ip: string;
  userAgent: string | null;
  /** The session token presented with the login request, if any: its session is ended (rotation). */
  previousSessionToken: string | null;
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/**
 * Signs a user in. The same message answers an unknown address, a wrong
 * password and a disabled account; failures are throttled per account and per IP.
 */
export async function login(
  db: Db,
  sessions: SessionManager,
  throttle: ThrottleSettings,
  context: AuditContext,
  input: LoginInput,
): Promise<{ userId: string; setCookie: string }> {
  const email = normaliseEmail(input.email);
  const verdict = await reserveLoginAttempt(db, email, input.ip, throttle);
  if (verdict.blocked) {
    // A known account is named by its id, never its e-mail; a typed address stays out of the trail, which
    // is never rewritten (ADR 012): login_attempt keeps it for the retention period.
    const known = await db.selectFrom("app_user").select(["id", "organisation_id"]).where("email", "=", email).executeTakeFirst();
    await db.transaction().execute((trx) =>
      recordAudit(trx, { ...context, organisationId: known?.organisation_id ?? context.organisationId }, {
        action: "auth.login_throttled",
        entityType: "user",
        entityId: known?.id ?? null,
        summary: "Connexion bloquée temporairement (trop d'échecs).",
        details: { knownAccount: Boolean(known) },
      }),
    );
    const minutes = verdict.retryAfterMinutes;
    throw new DomainError(
      "throttled",
      `Trop de tentatives de connexion. Par sécurité, attendez ${minutes} minute${minutes > 1 ? "s" : ""} avant de réessayer.`,
      {},
      { "Retry-After": String(minutes * 60) },
    );
  }

  const user = await db
    .selectFrom("app_user")
    .select(["id", "password_hash", "status", "organisation_id", "display_name"])
    .where("email", "=", email)
    .executeTakeFirst();
  const passwordOk = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), input.password);

  if (!user || !passwordOk || user.status !== "active") {
    // The attempt was reserved as a failure by reserveLoginAttempt: only the audit event remains.
    await db.transaction().execute(async (trx) => {
      await recordAudit(trx, { ...context, organisationId: user?.organisation_id ?? null }, {
        action: "auth.login_failed",
        entityType: "user",
        entityId: user?.id ?? null,
        summary: "Échec de connexion.",
        details: { reason: !user ? "unknown_user" : user.status !== "active" ? "disabled" : "wrong_password" },
      });
    });
    throw new DomainError("unauthenticated", LOGIN_FAILED_MESSAGE);
  }

  if (input.previousSessionToken) await sessions.invalidateToken(input.previousSessionToken);
  const created = await sessions.create(user.id, { ip: input.ip, userAgent: input.userAgent });
  await db.transaction().execute(async (trx) => {
    await markAttemptSucceeded(trx, verdict.attemptId);
    await trx.updateTable("app_user").set({ last_login_at: new Date() }).where("id", "=", user.id).execute();
    await recordAudit(
      trx,
      { ...context, actorUserId: user.id, actorLabel: `${user.display_name} <${email}>`, organisationId: user.organisation_id },
      { action: "auth.login", entityType: "user", entityId: user.id, summary: "Connexion." },
    );
  });
  return { userId: user.id, setCookie: created.setCookie };
}

export async function logout(db: Db, sessions: SessionManager, actor: Actor, sessionId: string) {
  const context = actor.audit;
  await sessions.invalidate(sessionId);
  await db.transaction().execute((trx) =>
    recordAudit(trx, context, {
      action: "auth.logout",
      entityType: "user",
      entityId: context.actorUserId,
      summary: "Déconnexion.",
    }),
  );
  return sessions.blankCookie();
}
