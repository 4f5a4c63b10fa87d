import { sql, type Transaction } from "kysely";
import { z } from "zod";
import type { Database, OutboxMail, OutboxMailStatus } from "#db/schema";
import type { Db } from "../db.server";
import type { JobQueue } from "../jobs/queue.server";
import { getJobQueue } from "../jobs/registry.server";
import { senderDomain, type MailTransport, type OutgoingMail } from "./transport.server";

/**
 * The mail outbox (transactional outbox pattern).
 *
 * 1. `enqueueMail(trx, …)` writes the mail in the caller's transaction and,
 *    in the same transaction, the `mail.send` job that will deliver it: the
 *    mail exists iff the business change committed.
 * 2. The job calls `deliverOutboxMail`: it locks the row, skips it if already
 *    sent, hands the message to the transport and marks the row sent before
 *    the lock is released. A worker killed before that commit leaves the row
 *    pending (the retry sends it once); killed after it, the retry finds the
 *    row sent and sends nothing. See docs/decisions/007-job-queue.md for the
 *    one window no SMTP client can close.
 * 3. `sweepOutbox` schedules any pending mail without a live job (written by
 *    a process without a queue, e.g. a CLI).
 */

export const MAIL_SEND_JOB = "mail.send";
export const MAIL_SWEEP_JOB = "mail.sweep";

export interface MailSendJobData {
  outboxId: string;
}

const singleLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !/[\r\n]/.test(v), "must be one line (no header injection)");

export const mailInputSchema = z.object({
  to: z.union([z.email(), z.array(z.email()).min(1).max(50)]).transform((to) => (Array.isArray(to) ? to : [to])),
  subject: singleLine(300),
  text: z.string().min(1).max(200_000),
  html: z.string().max(500_000).nullish(),
  /** Same key, same mail: a retried use case or job never writes it twice (e.g. `submission-submitted:<id>:<userId>`). */
  dedupeKey: z.string().trim().min(1).max(300),
  /** What the mail is about, for filtering (e.g. `reminder`, `submission.returned`). */
  kind: z
    .string()
    .regex(/^[a-z0-9_.-]{1,60}$/)
    .default("generic"),
  replyTo: z.email().nullish(),
  organisationId: z.uuid().nullish(),
});

export type MailInput = z.input<typeof mailInputSchema>;

export interface EnqueuedMail {
  id: string;
  /** false when a mail with this dedupe key already existed (nothing written). */
  created: boolean;
  /** A `mail.send` job was written with it (false without a job queue in this process: the sweep sends it). */
  scheduled: boolean;
}

/**
 * Writes a mail to the outbox inside the caller's transaction and schedules
 * its delivery in that same transaction. Idempotent per `dedupeKey`.
 */
export async function enqueueMail(
  trx: Transaction<Database>,
  input: MailInput,
  options: { queue?: JobQueue | null } = {},
): Promise<EnqueuedMail> {
  if (!trx.isTransaction) throw new Error("enqueueMail must run inside the caller's transaction");
  const mail = mailInputSchema.parse(input);
  const inserted = await trx
    .insertInto("outbox_mail")
    .values({
      dedupe_key: mail.dedupeKey,
      kind: mail.kind,
      to_addresses: mail.to,
      reply_to: mail.replyTo ?? null,
      subject: mail.subject,
      text_body: mail.text,
      html_body: mail.html ?? null,
      organisation_id: mail.organisationId ?? null,
      last_error: null,
      transport: null,
      message_id: null,
    })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!inserted) {
    const existing = await trx.selectFrom("outbox_mail").select("id").where("dedupe_key", "=", mail.dedupeKey).executeTakeFirstOrThrow();
    return { id: existing.id, created: false, scheduled: false };
  }
  const queue = options.queue === undefined ? getJobQueue() : options.queue;
  if (queue) {
    // The job's id is the mail's: a mail never has two live delivery jobs.
    await queue.sendInTransaction(trx, MAIL_SEND_JOB, { outboxId: inserted.id } satisfies MailSendJobData, { id: inserted.id });
  }
  return { id: inserted.id, created: true, scheduled: Boolean(queue) };
}

/** Another worker holds the mail right now (PostgreSQL only): try again later. */
export class MailBusyError extends Error {
  constructor(outboxId: string) {
    super(`Mail ${outboxId} is being delivered by another worker`);
    this.name = "MailBusyError";
  }
}

/** The transport refused the mail; the job is retried unless it was the last attempt. */
export class MailDeliveryError extends Error {
  constructor(
    readonly outboxId: string,
    readonly reason: string,
    readonly final: boolean,
  ) {
    super(`Mail ${outboxId} not delivered${final ? " (gave up)" : ""}: ${reason}`);
    this.name = "MailDeliveryError";
  }
}

export type DeliveryOutcome = "sent" | "already_sent" | "already_failed" | "missing";

export interface DeliveryOptions {
  /** No retry will follow: a refusal marks the mail failed. */
  finalAttempt?: boolean;
  /**
   * Fault-injection point for crash tests (ADR 013): runs once the row is
   * locked, before the transport is called. Throwing here aborts the
   * transaction exactly as a killed worker's dropped connection would.
   */
  afterClaim?: () => void | Promise<void>;
}

/** The Message-ID of an outbox mail: stable, so every copy of it is the same message. */
export function outboxMessageId(outboxId: string, from: string): string {
  return `<${outboxId}@${senderDomain(from)}>`;
}

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1_000);

/**
 * Delivers one outbox mail at most once per successful commit: the row stays
 * locked while the transport takes the message, and is marked sent in that
 * same transaction. Safe to call again for the same mail (returns
 * `already_sent`). Throws `MailDeliveryError` when the transport refuses (the
 * refusal is recorded first), `MailBusyError` when another worker holds it.
 */
export async function deliverOutboxMail(db: Db, transport: MailTransport, outboxId: string, options: DeliveryOptions = {}): Promise<DeliveryOutcome> {
  let refusal: MailDeliveryError | undefined;
  const outcome = await db.transaction().execute(async (trx): Promise<DeliveryOutcome | "refused"> => {
    let row: OutboxMail | undefined;
    try {
      row = await trx.selectFrom("outbox_mail").selectAll().where("id", "=", outboxId).forUpdate().noWait().executeTakeFirst();
    } catch (error) {
      if ((error as { code?: string }).code === "55P03") throw new MailBusyError(outboxId);
      throw error;
    }
    if (!row) return "missing";
    if (row.status === "sent") return "already_sent";
    if (row.status === "failed") return "already_failed";

    await options.afterClaim?.();

    const message: OutgoingMail = {
      messageId: outboxMessageId(row.id, transport.from),
      to: row.to_addresses,
      replyTo: row.reply_to,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
    };
    let accepted: { messageId: string };
    try {
      accepted = await transport.send(message);
    } catch (error) {
      const final = options.finalAttempt ?? false;
      refusal = new MailDeliveryError(row.id, describeError(error), final);
      await trx
        .updateTable("outbox_mail")
        .set({
          status: final ? "failed" : "pending",
          attempts: sql<number>`attempts + 1`,
          last_attempt_at: sql<Date>`now()`,
          last_error: refusal.reason,
          transport: transport.kind,
        })
        .where("id", "=", row.id)
        .execute();
      return "refused";
    }
    await trx
      .updateTable("outbox_mail")
      .set({
        status: "sent",
        sent_at: sql<Date>`now()`,
        attempts: sql<number>`attempts + 1`,
        last_attempt_at: sql<Date>`now()`,
        last_error: null,
        transport: transport.kind,
        message_id: accepted.messageId || message.messageId,
      })
      .where("id", "=", row.id)
      .execute();
    return "sent";
  });
  // Thrown after the commit, so the refusal is on record and the job is retried (or failed when final).
  if (outcome === "refused") throw refusal ?? new Error(`Mail ${outboxId} refused`);
  return outcome;
}

/**
 * Schedules delivery of pending mails older than `olderThanSeconds` (written
 * without a job, or whose job was lost). The job id is the mail id, so a mail
 * whose job still exists is not scheduled twice. Returns how many were scheduled.
 */
export async function sweepOutbox(db: Db, queue: JobQueue, options: { olderThanSeconds?: number; limit?: number } = {}): Promise<number> {
  const rows = await db
    .selectFrom("outbox_mail")
    .select("id")
    .where("status", "=", "pending")
    .where("created_at", "<", sql<Date>`now() - make_interval(secs => ${options.olderThanSeconds ?? 60})`)
    .orderBy("created_at")
    .limit(options.limit ?? 500)
    .execute();
  let scheduled = 0;
  for (const { id } of rows) {
    if (await queue.send(MAIL_SEND_JOB, { outboxId: id } satisfies MailSendJobData, { id })) scheduled++;
  }
  return scheduled;
}

export interface OutboxFilter {
  status?: OutboxMailStatus;
  /** Part of a recipient address or of the subject. */
  search?: string;
  page: number;
}

export const OUTBOX_PAGE_SIZE = 50;

/** The outbox, newest first, for the mailbox screen. */
export async function listOutbox(db: Db, filter: OutboxFilter) {
  let query = db
    .selectFrom("outbox_mail")
    .select(["id", "kind", "to_addresses", "subject", "status", "attempts", "last_error", "created_at", "sent_at", "transport"]);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.search) {
    const pattern = `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([eb("subject", "ilike", pattern), eb(sql<string>`array_to_string(to_addresses, ' ')`, "ilike", pattern)]),
    );
  }
  const rows = await query
    .orderBy("created_at", "desc")
    .orderBy("id")
    .limit(OUTBOX_PAGE_SIZE + 1)
    .offset((filter.page - 1) * OUTBOX_PAGE_SIZE)
    .execute();
  return { mails: rows.slice(0, OUTBOX_PAGE_SIZE), hasMore: rows.length > OUTBOX_PAGE_SIZE };
}

export async function getOutboxMail(db: Db, id: string): Promise<OutboxMail | undefined> {
  return db.selectFrom("outbox_mail").selectAll().where("id", "=", id).executeTakeFirst();
}
