import type { IsoDate } from "~/domain/dates";
import type { Db } from "../db.server";
import { logger } from "../logger.server";

/**
 * Reminders: a daily `reminders.run` job (pg-boss cron, REMINDERS_CRON,
 * Europe/Paris) calls `runDueReminders(db, today)`, which runs every
 * registered rule for that calendar date.
 *
 * A rule decides what is due on `today` (e.g. campaigns whose reminder day it
 * is, organisations that have not transmitted yet) and, in its own
 * transaction(s), writes the mails (`enqueueMail`) and notifications
 * (`notify`) with dedupe keys that contain the date and the target, e.g.
 * `reminder:<campaignId>:<organisationId>:<today>`. A rerun for the same day
 * — a retried job, a second instance, an operator — then sends nothing twice.
 */
export interface ReminderRule {
  /** Unique, stable: appears in logs and job output. */
  name: string;
  run(db: Db, today: IsoDate): Promise<ReminderRuleResult | void>;
}

export interface ReminderRuleResult {
  mails?: number;
  notifications?: number;
}

export interface ReminderRunReport {
  today: IsoDate;
  rules: Array<{ name: string; ok: boolean; mails: number; notifications: number; error?: string }>;
}

/** A set of rules; the process-wide one is `reminderRules`. */
export class ReminderRegistry {
  private readonly rules = new Map<string, ReminderRule>();

  register(rule: ReminderRule): this {
    if (this.rules.has(rule.name)) throw new Error(`Reminder rule ${rule.name} registered twice`);
    this.rules.set(rule.name, rule);
    return this;
  }

  unregister(name: string): void {
    this.rules.delete(name);
  }

  list(): ReminderRule[] {
    return [...this.rules.values()];
  }
}

/**
 * The rules the daily job runs. A feature adds its rule by registering it
 * from app/server/reminders/rules.server.ts (imported by the worker), e.g.
 * `reminderRules.register({ name: "campaign-deadlines", run: campaignReminders })`.
 */
export const reminderRules = new ReminderRegistry();

/** One rule failed; the others ran. The job is retried, and rules are idempotent per day. */
export class ReminderRunError extends Error {
  constructor(readonly report: ReminderRunReport) {
    const failed = report.rules.filter((r) => !r.ok);
    super(`Reminder rules failed for ${report.today}: ${failed.map((r) => `${r.name} (${r.error})`).join("; ")}`);
    this.name = "ReminderRunError";
  }
}

/**
 * Runs every rule for `today`, each on its own: one failing rule does not
 * stop the others. Throws `ReminderRunError` (after all ran) if any failed.
 */
export async function runDueReminders(db: Db, today: IsoDate, rules: readonly ReminderRule[] = reminderRules.list()): Promise<ReminderRunReport> {
  const report: ReminderRunReport = { today, rules: [] };
  for (const rule of rules) {
    try {
      const result = (await rule.run(db, today)) ?? {};
      report.rules.push({ name: rule.name, ok: true, mails: result.mails ?? 0, notifications: result.notifications ?? 0 });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ rule: rule.name, today, err: { message } }, "reminder rule failed");
      report.rules.push({ name: rule.name, ok: false, mails: 0, notifications: 0, error: message });
    }
  }
  if (report.rules.some((r) => !r.ok)) throw new ReminderRunError(report);
  return report;
}
