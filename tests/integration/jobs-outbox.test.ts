import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { SMTPServer } from "smtp-server";
import { useTestDb, driverName } from "../support/db";
import { expireAbandonedJobs, jobsOf, makeRetriesDue, useTestJobs } from "../support/jobs";
import {
  MAIL_SEND_JOB,
  MAIL_SWEEP_JOB,
  deliverOutboxMail,
  enqueueMail,
  outboxMessageId,
  sweepOutbox,
  type MailInput,
} from "~/server/mail/outbox.server";
import { createMailTransport } from "~/server/mail/transport.server";
import { parseEnv } from "~/server/env.server";
import { makeOrganisation } from "../factories";

const t = useTestDb();
const jobs = useTestJobs(t);

let counter = 0;
const mail = (overrides: Partial<MailInput> = {}): MailInput => {
  counter++;
  return {
    to: `correspondant${counter}@partenaire.example`,
    subject: `Dépôt reçu n° ${counter}`,
    text: `Bonjour,\nvotre fichier n° ${counter} a bien été reçu.`,
    dedupeKey: `test:${driverName()}:${counter}:${Math.random()}`,
    kind: "submission.uploaded",
    ...overrides,
  };
};

const outboxRow = (id: string) => t.db.selectFrom("outbox_mail").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const sentTo = (address: string) => jobs.transport.sent.filter((m) => m.to.includes(address));

class SimulatedCrash extends Error {}

describe("the outbox is written in the caller's transaction", () => {
  it("a committed change leaves one pending mail and one delivery job whose id is the mail's", async () => {
    const org = await makeOrganisation(t.db);
    const enqueued = await t.db.transaction().execute(async (trx) => {
      await trx.updateTable("organisation").set({ note: "changé" }).where("id", "=", org.id).execute();
      return enqueueMail(trx, mail({ organisationId: org.id }));
    });
    expect(enqueued).toMatchObject({ created: true, scheduled: true });
    const row = await outboxRow(enqueued.id);
    expect(row).toMatchObject({ status: "pending", attempts: 0, organisation_id: org.id, sent_at: null });
    const job = await jobs.queue.boss.getJobById(MAIL_SEND_JOB, enqueued.id);
    expect(job).toMatchObject({ id: enqueued.id, state: "created", data: { outboxId: enqueued.id } });
  });

  it("a rolled-back change leaves neither mail nor job (no mail for a change that did not happen)", async () => {
    const input = mail();
    let id: string | undefined;
    await expect(
      t.db.transaction().execute(async (trx) => {
        id = (await enqueueMail(trx, input)).id;
        throw new Error("the use case failed after writing the mail");
      }),
    ).rejects.toThrow("the use case failed");
    expect(id).toBeDefined();
    expect(await t.db.selectFrom("outbox_mail").select("id").where("dedupe_key", "=", input.dedupeKey).execute()).toEqual([]);
    expect(await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id!)).toBeNull();
  });

  it("the same dedupe key writes one mail and schedules one job, even from a retried use case", async () => {
    const input = mail();
    const first = await t.db.transaction().execute((trx) => enqueueMail(trx, input));
    const second = await t.db.transaction().execute((trx) => enqueueMail(trx, { ...input, subject: "Autre objet" }));
    expect(second).toEqual({ id: first.id, created: false, scheduled: false });
    const rows = await t.db.selectFrom("outbox_mail").select(["id", "subject"]).where("dedupe_key", "=", input.dedupeKey).execute();
    expect(rows).toEqual([{ id: first.id, subject: input.subject }]);
    expect((await jobsOf(t.handle, jobs, MAIL_SEND_JOB)).filter((j) => j.id === first.id)).toHaveLength(1);
  });

  it("refuses a subject with a line break (header injection), a bad address, and a call outside a transaction", async () => {
    await expect(t.db.transaction().execute((trx) => enqueueMail(trx, mail({ subject: "Objet\r\nBcc: victime@example.org" })))).rejects.toThrow(
      /one line/,
    );
    await expect(t.db.transaction().execute((trx) => enqueueMail(trx, mail({ to: "pas-une-adresse" })))).rejects.toThrow();
    await expect(enqueueMail(t.db as never, mail())).rejects.toThrow(/inside the caller's transaction/);
  });
});

describe("the worker delivers each mail once", () => {
  it("sends a committed mail once, marks it sent with its Message-ID, and a second delivery sends nothing", async () => {
    const input = mail();
    const { id } = await t.db.transaction().execute((trx) => enqueueMail(trx, input));
    const result = await jobs.queue.runOnce(MAIL_SEND_JOB, 50);
    expect(result.failed).toBe(0);
    const address = input.to as string;
    expect(sentTo(address)).toHaveLength(1);
    expect(sentTo(address)[0]).toMatchObject({ subject: input.subject, messageId: outboxMessageId(id, jobs.transport.from) });
    const row = await outboxRow(id);
    expect(row).toMatchObject({ status: "sent", attempts: 1, transport: "capture", last_error: null });
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(row.message_id).toBe(`<${id}@test.odpe.example>`);
    expect((await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id))?.state).toBe("completed");

    expect(await deliverOutboxMail(t.db, jobs.transport, id)).toBe("already_sent");
    expect(await jobs.queue.runOnce(MAIL_SEND_JOB)).toEqual({ ran: 0, failed: 0 });
    expect(sentTo(address)).toHaveLength(1);
  });

  it("a worker killed after claiming the mail, before sending it: the retry sends it, exactly once", async () => {
    const input = mail();
    const { id } = await t.db.transaction().execute((trx) => enqueueMail(trx, input));
    // The worker takes the job (pg-boss: active) and locks the row, then dies.
    const [job] = await jobs.queue.boss.fetch<{ outboxId: string }>(MAIL_SEND_JOB, { batchSize: 1 });
    expect(job?.id).toBe(id);
    await expect(
      deliverOutboxMail(t.db, jobs.transport, id, {
        afterClaim: () => {
          throw new SimulatedCrash("killed after claiming");
        },
      }),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    // Its transaction died with it: nothing recorded, nothing sent, the job still active.
    expect(await outboxRow(id)).toMatchObject({ status: "pending", attempts: 0 });
    expect(sentTo(input.to as string)).toHaveLength(0);
    expect((await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id))?.state).toBe("active");

    await expireAbandonedJobs(t.handle, jobs, MAIL_SEND_JOB);
    expect((await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id))?.state).toBe("retry");
    await jobs.queue.runOnce(MAIL_SEND_JOB, 50);
    expect(sentTo(input.to as string)).toHaveLength(1);
    expect(await outboxRow(id)).toMatchObject({ status: "sent", attempts: 1 });
    const finished = await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id);
    expect(finished).toMatchObject({ state: "completed", retryCount: 1 });
  });

  it("a worker killed after sending, before completing its job: the retry finds the mail sent and sends nothing", async () => {
    const input = mail();
    const { id } = await t.db.transaction().execute((trx) => enqueueMail(trx, input));
    const [job] = await jobs.queue.boss.fetch<{ outboxId: string }>(MAIL_SEND_JOB, { batchSize: 1 });
    expect(job?.id).toBe(id);
    // The delivery commits (mail handed over and marked sent), then the worker dies before telling pg-boss.
    expect(await deliverOutboxMail(t.db, jobs.transport, id)).toBe("sent");
    expect((await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id))?.state).toBe("active");

    await expireAbandonedJobs(t.handle, jobs, MAIL_SEND_JOB);
    expect(await jobs.queue.runOnce(MAIL_SEND_JOB, 50)).toMatchObject({ failed: 0 });
    expect(sentTo(input.to as string)).toHaveLength(1);
    expect(await outboxRow(id)).toMatchObject({ status: "sent", attempts: 1 });
    expect((await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id))?.state).toBe("completed");
  });

  it("records a refusal by the relay and retries; the last refusal marks the mail failed", async () => {
    const input = mail();
    const { id } = await t.db.transaction().execute((trx) => enqueueMail(trx, input));
    jobs.transport.refuseNext(1);
    expect(await jobs.queue.runOnce(MAIL_SEND_JOB, 50)).toMatchObject({ failed: 1 });
    expect(await outboxRow(id)).toMatchObject({ status: "pending", attempts: 1, last_error: expect.stringContaining("421") });
    expect((await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id))?.state).toBe("retry");

    await makeRetriesDue(t.handle, jobs, MAIL_SEND_JOB);
    await jobs.queue.runOnce(MAIL_SEND_JOB, 50);
    expect(sentTo(input.to as string)).toHaveLength(1);
    expect(await outboxRow(id)).toMatchObject({ status: "sent", attempts: 2, last_error: null });

    // A mail refused on its last attempt is marked failed and never sent later.
    const doomed = mail();
    const failed = await t.db.transaction().execute((trx) => enqueueMail(trx, doomed, { queue: null }));
    jobs.transport.refuseNext(1);
    await expect(deliverOutboxMail(t.db, jobs.transport, failed.id, { finalAttempt: true })).rejects.toThrow(/gave up/);
    expect(await outboxRow(failed.id)).toMatchObject({ status: "failed", attempts: 1 });
    expect(await deliverOutboxMail(t.db, jobs.transport, failed.id)).toBe("already_failed");
    expect(sentTo(doomed.to as string)).toHaveLength(0);
  });

  it("the sweep schedules mails written without a queue (e.g. by a CLI), once, and they are delivered", async () => {
    const input = mail();
    const { id, scheduled } = await t.db.transaction().execute((trx) => enqueueMail(trx, input, { queue: null }));
    expect(scheduled).toBe(false);
    expect(await jobs.queue.boss.getJobById(MAIL_SEND_JOB, id)).toBeNull();
    // Too recent for the periodic sweep (it leaves a fresh mail to its own job)…
    expect(await sweepOutbox(t.db, jobs.queue)).toBe(0);
    // …then old enough: scheduled once, however many sweeps run.
    await sql`update outbox_mail set created_at = now() - interval '10 minutes' where id = ${id}`.execute(t.db);
    expect(await jobs.queue.send(MAIL_SWEEP_JOB, {})).not.toBeNull();
    expect(await jobs.queue.runOnce(MAIL_SWEEP_JOB)).toEqual({ ran: 1, failed: 0 });
    expect(await sweepOutbox(t.db, jobs.queue)).toBe(0);
    await jobs.queue.runOnce(MAIL_SEND_JOB, 50);
    expect(sentTo(input.to as string)).toHaveLength(1);
    expect(await outboxRow(id)).toMatchObject({ status: "sent" });
  });

  it("registers the sweep as a pg-boss schedule every five minutes (Europe/Paris)", async () => {
    const schedules = await jobs.queue.boss.getSchedules();
    expect(schedules.find((s) => s.name === MAIL_SWEEP_JOB)).toMatchObject({ cron: "*/5 * * * *", timezone: "Europe/Paris" });
  });
});

describe("mail transports", () => {
  it("demo mode uses nodemailer's JSON transport even with SMTP_HOST set: the mail is built, nothing leaves", async () => {
    const env = parseEnv({ APP_MODE: "demo", SMTP_HOST: "smtp.example.org", MAIL_FROM: "ODPE <odpe@example.org>" });
    expect(env.mailTransport).toBe("capture");
    const transport = createMailTransport(env);
    expect(transport.kind).toBe("capture");
    const result = await transport.send({ messageId: "<abc@example.org>", to: ["a@example.org"], subject: "Rappel", text: "Bonjour" });
    expect(result.messageId).toBe("<abc@example.org>");
    transport.close();
    expect(parseEnv({ APP_MODE: "production", SESSION_SECRET: "s".repeat(40), AUDIT_HMAC_KEY: "k".repeat(40) }).mailTransport).toBe("capture");
  });

  it("a production deployment with SMTP_HOST delivers through SMTP, with the mail's stable Message-ID", async () => {
    const received: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, _session, callback) {
        let raw = "";
        stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
        stream.on("end", () => {
          received.push(raw);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.server.address() as { port: number }).port;
    try {
      const env = parseEnv({
        APP_MODE: "production",
        SESSION_SECRET: "s".repeat(40),
        AUDIT_HMAC_KEY: "k".repeat(40),
        SMTP_HOST: "127.0.0.1",
        SMTP_PORT: String(port),
        MAIL_FROM: "Portail ODPE <odpe@departement.example>",
      });
      expect(env.mailTransport).toBe("smtp");
      const transport = createMailTransport(env);
      expect(transport.kind).toBe("smtp");
      const input = mail({ subject: "Rappel : dépôt attendu" });
      const { id } = await t.db.transaction().execute((trx) => enqueueMail(trx, input, { queue: null }));
      expect(await deliverOutboxMail(t.db, transport, id)).toBe("sent");
      expect(await deliverOutboxMail(t.db, transport, id)).toBe("already_sent");
      transport.close();
      expect(received).toHaveLength(1);
      expect(received[0]).toContain(`Message-ID: <${id}@departement.example>`);
      expect(received[0]).toContain("Auto-Submitted: auto-generated");
      expect(await outboxRow(id)).toMatchObject({ status: "sent", transport: "smtp", message_id: `<${id}@departement.example>` });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("an SMTP relay that refuses leaves the mail pending with the reason, for the retry", async () => {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onRcptTo(_address, _session, callback) {
        const error = new Error("Mailbox unavailable") as Error & { responseCode: number };
        error.responseCode = 450;
        callback(error);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.server.address() as { port: number }).port;
    try {
      const env = parseEnv({ APP_MODE: "production", SESSION_SECRET: "s".repeat(40), AUDIT_HMAC_KEY: "k".repeat(40), SMTP_HOST: "127.0.0.1", SMTP_PORT: String(port), MAIL_FROM: "odpe@departement.example" });
      const transport = createMailTransport(env);
      const { id } = await t.db.transaction().execute((trx) => enqueueMail(trx, mail(), { queue: null }));
      await expect(deliverOutboxMail(t.db, transport, id)).rejects.toThrow(/not delivered/);
      transport.close();
      expect(await outboxRow(id)).toMatchObject({ status: "pending", attempts: 1, last_error: expect.stringContaining("450") });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("configuration", () => {
  it("requires MAIL_FROM with SMTP_HOST in production, and SMTP_USER and SMTP_PASSWORD together, in French and English", () => {
    const base = { APP_MODE: "production", SESSION_SECRET: "s".repeat(40), AUDIT_HMAC_KEY: "k".repeat(40) };
    expect(() => parseEnv({ ...base, SMTP_HOST: "smtp.example.org" })).toThrow(/Configuration invalide : MAIL_FROM .+ \/ Invalid configuration: MAIL_FROM/);
    expect(() => parseEnv({ ...base, SMTP_HOST: "h", MAIL_FROM: "x@y.fr", SMTP_USER: "u" })).toThrow(/SMTP_PASSWORD est obligatoire/);
    expect(() => parseEnv({ ...base, MAIL_FROM: "Nom <pas une adresse>" })).toThrow(/MAIL_FROM/);
    expect(() => parseEnv({ REMINDERS_CRON: "tous les jours" })).toThrow(/REMINDERS_CRON doit être une expression cron/);
    expect(() => parseEnv({ JOBS_SCHEMA: "Drop;Table" })).toThrow(/JOBS_SCHEMA/);
    const env = parseEnv({});
    expect(env).toMatchObject({ JOBS_ENABLED: true, JOBS_SCHEMA: "pgboss", REMINDERS_CRON: "0 7 * * *", SMTP_PORT: 587, mailTransport: "capture" });
  });
});
