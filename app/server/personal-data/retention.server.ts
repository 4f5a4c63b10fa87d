import { sql } from "kysely";
import { affectedRows, type Db } from "../db.server";
import type { Env } from "../env.server";
import { recordAudit, systemContext } from "../audit/audit.server";

/**
 * Retention of personal data (docs/operations.md, « Données personnelles et
 * durées de conservation »). Run daily by the `personal_data.purge` job;
 * idempotent, so a retried or doubled run does no harm.
 */
export const PURGE_JOB = "personal_data.purge";
export const RETENTION_REDACTED_MAIL_BODY = "[Contenu effacé à l'expiration de la durée de conservation.]";
export const RETENTION_REDACTED_ADDRESS = "destinataire-efface@compte-efface.invalid";

export interface RetentionSettings {
  /** Sessions: deleted once expired (idle) or past their absolute lifetime. */
  sessionAbsoluteHours: number;
  loginAttemptDays: number;
  /** Used or expired password reset links. */
  passwordResetDays: number;
  notificationReadDays: number;
  notificationUnreadDays: number;
  /** Sent or failed mails: addresses and body blanked (subject, dates and status kept as proof of sending). */
  outboxMailDays: number;
}

export function retentionSettingsFrom(env: Env): RetentionSettings {
  return {
    sessionAbsoluteHours: env.SESSION_ABSOLUTE_HOURS,
    loginAttemptDays: env.RETENTION_LOGIN_ATTEMPT_DAYS,
    passwordResetDays: env.RETENTION_PASSWORD_RESET_DAYS,
    notificationReadDays: env.RETENTION_NOTIFICATION_READ_DAYS,
    notificationUnreadDays: env.RETENTION_NOTIFICATION_UNREAD_DAYS,
    outboxMailDays: env.RETENTION_OUTBOX_MAIL_DAYS,
  };
}

export interface PurgeResult {
  sessions: number;
  loginAttempts: number;
  passwordResets: number;
  notifications: number;
  redactedMails: number;
}

const DAY = 86_400_000;
const before = (now: Date, days: number) => new Date(now.getTime() - days * DAY);

/** What a purge did, in French (audit summary, command output). */
export function describePurge(r: PurgeResult): string {
  return `${r.sessions} session(s), ${r.loginAttempts} tentative(s) de connexion, ${r.passwordResets} lien(s) de mot de passe, ${r.notifications} notification(s) supprimés ; ${r.redactedMails} courriel(s) caviardé(s).`;
}

/** Deletes or blanks what has outlived its retention period; one audit event when anything went. */
export async function purgeExpiredPersonalData(db: Db, settings: RetentionSettings, now = new Date()): Promise<PurgeResult> {
  return db.transaction().execute(async (trx) => {
    const sessions = affectedRows(
      await trx
        .deleteFrom("user_session")
        .where((eb) => eb.or([eb("expires_at", "<", now), eb("created_at", "<", new Date(now.getTime() - settings.sessionAbsoluteHours * 3_600_000))]))
        .executeTakeFirst(),
    );
    const loginAttempts = affectedRows(await trx.deleteFrom("login_attempt").where("attempted_at", "<", before(now, settings.loginAttemptDays)).executeTakeFirst());
    const resetLimit = before(now, settings.passwordResetDays);
    const passwordResets = affectedRows(
      await trx
        .deleteFrom("password_reset")
        .where((eb) => eb.or([eb("used_at", "<", resetLimit), eb("expires_at", "<", resetLimit)]))
        .executeTakeFirst(),
    );
    const notifications = affectedRows(
      await trx
        .deleteFrom("notification")
        .where((eb) =>
          eb.or([
            eb("read_at", "<", before(now, settings.notificationReadDays)),
            eb.and([eb("read_at", "is", null), eb("created_at", "<", before(now, settings.notificationUnreadDays))]),
          ]),
        )
        .executeTakeFirst(),
    );
    // A pending mail is never blanked: it has still to go out.
    const redactedMails = affectedRows(
      await trx
        .updateTable("outbox_mail")
        .set({
          to_addresses: [RETENTION_REDACTED_ADDRESS],
          reply_to: null,
          text_body: RETENTION_REDACTED_MAIL_BODY,
          html_body: null,
          redacted_at: now,
        })
        .where("status", "in", ["sent", "failed"])
        .where("redacted_at", "is", null)
        .where(sql<boolean>`coalesce(sent_at, last_attempt_at, created_at) < ${before(now, settings.outboxMailDays)}`)
        .executeTakeFirst(),
    );
    const result: PurgeResult = { sessions, loginAttempts, passwordResets, notifications, redactedMails };
    if (Object.values(result).some((n) => n > 0)) {
      await recordAudit(trx, systemContext("purge des données personnelles"), {
        action: "personal_data.purged",
        entityType: "retention",
        summary: `Purge des données personnelles échues : ${describePurge(result)}`,
        details: { ...result, settings },
      });
    }
    return result;
  });
}
