import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { useTestDb, driverName } from "../support/db";
import { RecordingTransport, jobsSchemaFor } from "../support/jobs";
import { createDb, migrateToLatest, type DbHandle } from "~/server/db.server";
import { JobQueue, pgliteJobDb } from "~/server/jobs/queue.server";
import { getJobQueue } from "~/server/jobs/registry.server";
import { REMINDERS_JOB, defineAppJobs, startJobs, stopJobs } from "~/server/jobs/worker.server";
import { enqueueMail } from "~/server/mail/outbox.server";
import { resetEnvForTests } from "~/server/env.server";
import type { ReminderRule } from "~/server/reminders/reminders.server";

const t = useTestDb();

/** Waits for `condition`, polling every 100 ms, failing after `timeoutMs` (the workers poll on their own clock). */
async function eventually<T>(read: () => Promise<T>, condition: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (condition(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last value: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const statusOf = (id: string) =>
  t.db
    .selectFrom("outbox_mail")
    .select("status")
    .where("id", "=", id)
    .executeTakeFirstOrThrow()
    .then((r) => r.status);

describe(`in-process workers (${driverName()})`, () => {
  it("the polling worker delivers a committed mail, and pg-boss's own schedule runs the reminders", async () => {
    const schema = jobsSchemaFor(t.handle);
    const transport = new RecordingTransport();
    const ran: string[] = [];
    const rule: ReminderRule = {
      name: "recorder",
      run: async (_db, today) => {
        ran.push(today);
      },
    };
    const queue = JobQueue.create(t.handle, {
      schema,
      workers: true,
      databaseUrl: process.env.DATABASE_URL,
      poolMax: 2,
      pollingIntervalSeconds: 0.5,
      cronMonitorIntervalSeconds: 1,
      cronWorkerIntervalSeconds: 1,
    });
    // Every minute: the previous slot is always less than a minute old, so pg-boss sends it at start.
    defineAppJobs(queue, { db: t.db, transport, remindersCron: "* * * * *", reminderRules: () => [rule] });
    await queue.start();
    try {
      const { id } = await t.db.transaction().execute((trx) =>
        enqueueMail(trx, { to: "worker@partenaire.example", subject: "Par le worker", text: "Bonjour", dedupeKey: `worker:${driverName()}` }, { queue }),
      );
      expect(await eventually(() => statusOf(id), (s) => s === "sent")).toBe("sent");
      expect(transport.sent.map((m) => m.subject)).toEqual(["Par le worker"]);

      await eventually(async () => ran.length, (n) => n >= 1);
      expect(ran[0]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const runs = await sql<{ n: string }>`select count(*) as n from ${sql.table(`${schema}.job`)} where name = ${REMINDERS_JOB}`.execute(t.db);
      expect(Number(runs.rows[0]!.n)).toBeGreaterThanOrEqual(1);
    } finally {
      await queue.stop(2_000);
      transport.close();
    }
  });

  it("mails waiting when the worker polls go out several per poll (a reminder round is not one mail per interval)", async () => {
    const schema = `${jobsSchemaFor(t.handle)}_batch`;
    const options = { schema, databaseUrl: process.env.DATABASE_URL, poolMax: 2 };
    const transport = new RecordingTransport();
    // Five mails written and scheduled while no worker runs…
    const sender = JobQueue.create(t.handle, { ...options, workers: false });
    defineAppJobs(sender, { db: t.db, transport, remindersCron: "0 7 * * *", reminderRules: () => [] });
    await sender.start();
    const ids = await t.db.transaction().execute(async (trx) => {
      const written: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const { id } = await enqueueMail(
          trx,
          { to: `tournee${i}@partenaire.example`, subject: `Relance ${i}`, text: "Bonjour", dedupeKey: `batch-${i}:${driverName()}` },
          { queue: sender },
        );
        written.push(id);
      }
      return written;
    });
    await sender.stop(2_000);
    // …then one worker starts: its first poll takes them all.
    const worker = JobQueue.create(t.handle, { ...options, workers: true, pollingIntervalSeconds: 1 });
    defineAppJobs(worker, { db: t.db, transport, remindersCron: "0 7 * * *", reminderRules: () => [] });
    await worker.start();
    try {
      for (const id of ids) expect(await eventually(() => statusOf(id), (s) => s === "sent")).toBe("sent");
      expect(transport.sent.map((m) => m.subject).sort()).toEqual(["Relance 1", "Relance 2", "Relance 3", "Relance 4", "Relance 5"]);
      const started = await sql<{ started_on: string }>`
        select distinct started_on::text from ${sql.table(`${schema}.job`)} where name = 'mail.send'`.execute(t.db);
      expect(started.rows).toHaveLength(1); // fetched together, in one poll
    } finally {
      await worker.stop(2_000);
      transport.close();
    }
  });

  it("platform start attaches the queue with its workers and shutdown detaches it; mails go out through the JSON transport in demo mode", async () => {
    const schema = `${jobsSchemaFor(t.handle)}_platform`.replace(/^pgboss_platform$/, "pgboss");
    process.env.JOBS_SCHEMA = schema;
    resetEnvForTests();
    try {
      const queue = await startJobs();
      expect(getJobQueue()).toBe(queue);
      expect(queue.isStarted).toBe(true);
      expect(await startJobs()).toBe(queue);
      const { id } = await t.db.transaction().execute((trx) =>
        enqueueMail(trx, { to: "demo@partenaire.example", subject: "Démonstration", text: "Bonjour", dedupeKey: `platform:${driverName()}` }),
      );
      const row = await eventually(
        () => t.db.selectFrom("outbox_mail").select(["status", "transport"]).where("id", "=", id).executeTakeFirstOrThrow(),
        (r) => r.status === "sent",
      );
      expect(row).toEqual({ status: "sent", transport: "capture" });
      await stopJobs();
      expect(getJobQueue()).toBeUndefined();
      // Without a queue, a mail is still written (the sweep of the next start sends it).
      const later = await t.db.transaction().execute((trx) =>
        enqueueMail(trx, { to: "demo@partenaire.example", subject: "Après l'arrêt", text: "Bonjour", dedupeKey: `platform-after:${driverName()}` }),
      );
      expect(later).toMatchObject({ created: true, scheduled: false });
    } finally {
      await stopJobs();
      delete process.env.JOBS_SCHEMA;
      resetEnvForTests();
    }
  });
});

describe("pg-boss on the embedded database (PGlite adapter)", () => {
  // Its own in-memory PGlite, so this part runs whichever driver the suite uses.
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await createDb({});
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it("runs pg-boss's multi-statement scripts, and never inside another open transaction", async () => {
    const adapter = pgliteJobDb(handle.db, handle.pglite!);
    // A script with an explicit transaction, as pg-boss sends for its schema and maintenance.
    await adapter.executeSql("BEGIN; CREATE TABLE probe (n int); INSERT INTO probe VALUES (1); COMMIT;");
    expect((await adapter.executeSql("SELECT n FROM probe")).rows).toEqual([{ n: 1 }]);
    expect((await adapter.executeSql("SELECT n + $1::int AS m FROM probe", [41])).rows).toEqual([{ m: 42 }]);

    // While a portal transaction is open, a script waits for it instead of running inside it.
    let releaseTrx!: () => void;
    const held = new Promise<void>((resolve) => (releaseTrx = resolve));
    const trx = handle.db.transaction().execute(async (tx) => {
      await sql`insert into probe values (2)`.execute(tx);
      await held;
      throw new Error("roll back the portal transaction");
    });
    const script = adapter.executeSql("BEGIN; INSERT INTO probe VALUES (3); COMMIT;");
    await new Promise((resolve) => setTimeout(resolve, 50));
    releaseTrx();
    await expect(trx).rejects.toThrow("roll back");
    await script;
    expect((await adapter.executeSql("SELECT n FROM probe ORDER BY n")).rows).toEqual([{ n: 1 }, { n: 3 }]);

    // A failing script leaves no aborted transaction behind.
    await expect(adapter.executeSql("BEGIN; INSERT INTO probe VALUES ('x'); COMMIT;")).rejects.toThrow();
    await sql`insert into probe values (4)`.execute(handle.db);
    expect((await adapter.executeSql("SELECT count(*)::int AS c FROM probe")).rows).toEqual([{ c: 3 }]);
  });

  it("creates pg-boss's schema and queues in a fresh embedded database, and a stopped queue touches it no more", async () => {
    const queue = JobQueue.create(handle, { schema: "pgboss", workers: false });
    defineAppJobs(queue, { db: handle.db, transport: new RecordingTransport(), remindersCron: "0 7 * * *" });
    await queue.start();
    expect(await queue.boss.isInstalled()).toBe(true);
    expect((await queue.boss.getQueues()).map((q) => q.name).sort()).toEqual(["audit.anchor", "exports.mutual-information", "mail.send", "mail.sweep", "personal_data.purge", "reminders.run"]);
    await queue.stop();
    // Late polls after stop find nothing rather than failing on a closing database.
    expect(await queue.boss.getDb().executeSql("select 1 as one", [])).toEqual({ rows: [] });
  });
});
