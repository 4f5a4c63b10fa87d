import { isIsoDate, todayIso } from "~/domain/dates";
import type { Db } from "../db.server";
import { getEnv } from "../env.server";
import { logger } from "../logger.server";
import { openRuntimeDb } from "../runtime.server";
import { MAIL_SEND_JOB, MAIL_SWEEP_JOB, deliverOutboxMail, sweepOutbox, type MailSendJobData } from "../mail/outbox.server";
import { createMailTransport, type MailTransport } from "../mail/transport.server";
import { runDueReminders, type ReminderRule } from "../reminders/reminders.server";
import { reminderRules } from "../reminders/rules.server";
import { PURGE_JOB, purgeExpiredPersonalData, retentionSettingsFrom, type RetentionSettings } from "../personal-data/retention.server";
import { sendExportDigests } from "../explorer/export-notices.server";
import { AUDIT_ANCHOR_JOB, sendDailyAuditAnchor } from "../audit/anchor.server";
import { JobQueue } from "./queue.server";
import { getJobQueue, setJobQueue } from "./registry.server";

/** The portal's jobs and where their handlers live. */
export const REMINDERS_JOB = "reminders.run";
/** Art. 5: the daily digest of exports of each organisation's data. */
export const EXPORT_NOTICES_JOB = "exports.mutual-information";
export const JOBS_TIMEZONE = "Europe/Paris";

export interface AppJobDeps {
  db: Db;
  transport: MailTransport;
  /** Five-field cron of the daily reminders run (REMINDERS_CRON). */
  remindersCron: string;
  /** The reminder rules, read at each run (default: the registered ones). */
  reminderRules?: () => readonly ReminderRule[];
  /** Five-field cron of the daily personal-data purge (default RETENTION_PURGE_CRON). */
  purgeCron?: string;
  /** Retention periods (default: from the environment, app/server/env.server.ts). */
  retention?: RetentionSettings;
  /** Five-field cron of the daily export digest (Art. 5; default 07:00 Paris time). */
  exportNoticesCron?: string;
  /** Five-field cron of the daily signed anchor of the audit chain (ADR 024; default AUDIT_ANCHOR_CRON). */
  auditAnchorCron?: string;
}

export interface RemindersJobData {
  /** Run for this calendar date instead of today (operators, tests). */
  today?: string;
}

/** Defines the portal's jobs on `queue`: mail delivery, outbox sweep, daily reminders, daily personal-data purge, daily audit anchor. */
export function defineAppJobs(queue: JobQueue, deps: AppJobDeps): JobQueue {
  const rules = deps.reminderRules ?? (() => reminderRules.list());
  return queue
    .define<MailSendJobData>({
      name: MAIL_SEND_JOB,
      // ~8 retries with exponential backoff from 30 s: an SMTP relay down for a few hours loses nothing.
      // Up to 5 mails per poll (≈ 150 a minute instead of 30). Expiry covers a
      // whole batch against a hanging relay: 5 × (15 s connection + 15 s
      // greeting + 60 s socket, the transport's timeouts) = 450 s < 600 s.
      policy: { retryLimit: 8, retryDelay: 30, retryBackoff: true, expireInSeconds: 600 },
      pollingIntervalSeconds: 2,
      batchSize: 5,
      handler: async (job) => ({
        outcome: await deliverOutboxMail(deps.db, deps.transport, job.data.outboxId, { finalAttempt: job.isLastAttempt }),
      }),
    })
    .define({
      name: MAIL_SWEEP_JOB,
      cron: { expression: "*/5 * * * *", timezone: JOBS_TIMEZONE },
      policy: { retryLimit: 0, expireInSeconds: 300 },
      pollingIntervalSeconds: 30,
      handler: async () => ({ scheduled: await sweepOutbox(deps.db, queue) }),
    })
    .define<RemindersJobData>({
      name: REMINDERS_JOB,
      cron: { expression: deps.remindersCron, timezone: JOBS_TIMEZONE },
      policy: { retryLimit: 5, retryDelay: 600, expireInSeconds: 3_600 },
      pollingIntervalSeconds: 30,
      handler: async (job) => {
        const today = job.data.today && isIsoDate(job.data.today) ? job.data.today : todayIso();
        return runDueReminders(deps.db, today, rules());
      },
    })
    .define({
      // Art. 5: each organisation is told once a day of the exports of its data (app/server/explorer/export-notices.server.ts).
      name: EXPORT_NOTICES_JOB,
      cron: { expression: deps.exportNoticesCron ?? "0 7 * * *", timezone: JOBS_TIMEZONE },
      policy: { retryLimit: 3, retryDelay: 600, expireInSeconds: 3_600 },
      pollingIntervalSeconds: 60,
      handler: async () => sendExportDigests(deps.db),
    })
    .define({
      name: PURGE_JOB,
      cron: { expression: deps.purgeCron ?? getEnv().RETENTION_PURGE_CRON, timezone: JOBS_TIMEZONE },
      policy: { retryLimit: 3, retryDelay: 600, expireInSeconds: 3_600 },
      pollingIntervalSeconds: 60,
      handler: async () => purgeExpiredPersonalData(deps.db, deps.retention ?? retentionSettingsFrom(getEnv())),
    })
    .define({
      // ADR 024: the chain's head, signed, written and mailed to the holders of read:audit once a day.
      name: AUDIT_ANCHOR_JOB,
      cron: { expression: deps.auditAnchorCron ?? getEnv().AUDIT_ANCHOR_CRON, timezone: JOBS_TIMEZONE },
      policy: { retryLimit: 3, retryDelay: 600, expireInSeconds: 3_600 },
      pollingIntervalSeconds: 60,
      handler: async () => sendDailyAuditAnchor(deps.db),
    });
}

let running: { queue: JobQueue; transport: MailTransport } | undefined;

/**
 * At process start (platform.start): opens pg-boss on the portal's database
 * (creating or migrating its schema), defines the jobs, and — unless
 * JOBS_ENABLED=false — runs the workers in this process. The queue is always
 * attached so that this process's use cases schedule their jobs; with the
 * workers off, another instance delivers them.
 */
export async function startJobs(): Promise<JobQueue> {
  if (running) return running.queue;
  const env = getEnv();
  const handle = await openRuntimeDb();
  const transport = createMailTransport(env);
  const queue = JobQueue.create(handle, {
    schema: env.JOBS_SCHEMA,
    workers: env.JOBS_ENABLED,
    databaseUrl: env.DATABASE_URL,
    poolMax: env.JOBS_POOL_MAX,
  });
  defineAppJobs(queue, { db: handle.db, transport, remindersCron: env.REMINDERS_CRON });
  await queue.start();
  setJobQueue(queue);
  running = { queue, transport };
  if (env.JOBS_ENABLED) {
    // Mails written while no worker ran (a CLI, a stop) go out now rather than at the next sweep.
    const scheduled = await sweepOutbox(handle.db, queue, { olderThanSeconds: 0 });
    if (scheduled) logger.info({ scheduled }, "pending mails scheduled");
  }
  if (env.mailTransport === "capture" && env.APP_MODE === "production") {
    logger.warn("SMTP_HOST is not set: mails are kept in the outbox and shown at /demo/mailbox, not sent");
  }
  logger.info({ workers: env.JOBS_ENABLED, mail: transport.kind, schema: env.JOBS_SCHEMA }, "job queue started");
  return queue;
}

/** At shutdown, before the database closes: stop polling, let running jobs finish (up to `timeoutMs`, 10 s by default). */
export async function stopJobs(timeoutMs?: number): Promise<void> {
  const current = running;
  running = undefined;
  if (getJobQueue() === current?.queue) setJobQueue(undefined);
  if (!current) return;
  await current.queue.stop(timeoutMs);
  current.transport.close();
}
