import { afterAll, beforeAll } from "vitest";
import { sql } from "kysely";
import type { DbHandle } from "~/server/db.server";
import { JobQueue } from "~/server/jobs/queue.server";
import { setJobQueue } from "~/server/jobs/registry.server";
import { defineAppJobs, type AppJobDeps } from "~/server/jobs/worker.server";
import { createMailTransport, type MailTransport, type OutgoingMail } from "~/server/mail/transport.server";
import type { ReminderRule } from "~/server/reminders/reminders.server";

/**
 * The pg-boss schema of a test file: `pgboss` inside the file's in-memory
 * PGlite, or `<test schema>_jobs` beside the file's PostgreSQL schema
 * (dropped afterwards).
 */
export function jobsSchemaFor(handle: DbHandle): string {
  const schema = (handle as DbHandle & { schema?: string }).schema;
  return schema ? `${schema}_jobs` : "pgboss";
}

/**
 * nodemailer's real JSON transport (what demo mode uses), recording each
 * message it accepted, and able to refuse the next N messages the way an SMTP
 * relay that is down would.
 */
export class RecordingTransport implements MailTransport {
  readonly kind = "capture" as const;
  readonly from = "Portail ODPE test <odpe@test.odpe.example>";
  readonly sent: Array<OutgoingMail & { json: string }> = [];
  private refusals = 0;
  private readonly inner = createMailTransport({
    mailTransport: "capture",
    MAIL_FROM: this.from,
    SMTP_HOST: undefined,
    SMTP_PORT: 587,
    SMTP_SECURE: false,
    SMTP_USER: undefined,
    SMTP_PASSWORD: undefined,
  });

  refuseNext(count: number) {
    this.refusals = count;
  }

  async send(mail: OutgoingMail) {
    if (this.refusals > 0) {
      this.refusals--;
      throw new Error("421 4.3.2 Service not available (test relay down)");
    }
    const result = await this.inner.send(mail);
    this.sent.push({ ...mail, json: JSON.stringify(mail) });
    return result;
  }

  close() {
    this.inner.close();
  }
}

export interface TestJobs {
  readonly queue: JobQueue;
  readonly transport: RecordingTransport;
  readonly schema: string;
  /** The rules the reminders job runs in this file. */
  rules: ReminderRule[];
}

/**
 * A started job queue with the portal's jobs on the test file's database,
 * without polling workers: tests drive it with `queue.runOnce(name)`.
 * Installed as the process's queue, so `enqueueMail` schedules on it.
 * Call after `useTestDb()` (hooks run in reverse: the queue stops before the database closes).
 */
export function useTestJobs(t: { readonly handle: DbHandle }, options: Partial<Pick<AppJobDeps, "remindersCron">> = {}): TestJobs {
  let queue: JobQueue | undefined;
  let schema = "pgboss";
  const transport = new RecordingTransport();
  const state: TestJobs = {
    get queue() {
      if (!queue) throw new Error("job queue not ready (use inside tests)");
      return queue;
    },
    transport,
    get schema() {
      return schema;
    },
    rules: [],
  };
  beforeAll(async () => {
    schema = jobsSchemaFor(t.handle);
    queue = JobQueue.create(t.handle, { schema, workers: false, databaseUrl: process.env.DATABASE_URL, poolMax: 2 });
    defineAppJobs(queue, {
      db: t.handle.db,
      transport,
      remindersCron: options.remindersCron ?? "0 7 * * *",
      reminderRules: () => state.rules,
    });
    await queue.start();
    setJobQueue(queue);
  });
  afterAll(async () => {
    setJobQueue(undefined);
    await queue?.stop();
    transport.close();
  });
  return state;
}

/**
 * What pg-boss's supervisor does once a dead worker's job has outlived its
 * expiry: backdate the active jobs of `name`, expire them (→ retry), and make
 * the retry due now instead of after its backoff delay.
 */
export async function expireAbandonedJobs(handle: DbHandle, jobs: TestJobs, name: string) {
  const table = sql.table(`${jobs.schema}.job`);
  await sql`update ${table} set started_on = now() - interval '2 days' where name = ${name} and state = 'active'`.execute(handle.db);
  await jobs.queue.boss.expire();
  await sql`update ${table} set start_after = now() - interval '1 second' where name = ${name} and state = 'retry'`.execute(handle.db);
}

/** Makes jobs of `name` waiting in retry due now (skips the backoff delay). */
export async function makeRetriesDue(handle: DbHandle, jobs: TestJobs, name: string) {
  const table = sql.table(`${jobs.schema}.job`);
  await sql`update ${table} set start_after = now() - interval '1 second' where name = ${name} and state = 'retry'`.execute(handle.db);
}

/** The pg-boss jobs of `name`, oldest first: id, state and retry count. */
export async function jobsOf(handle: DbHandle, jobs: TestJobs, name: string) {
  const table = sql.table(`${jobs.schema}.job`);
  const { rows } = await sql<{ id: string; state: string; retry_count: number; data: unknown }>`
    select id, state::text as state, retry_count, data from ${table} where name = ${name} order by created_on, id`.execute(handle.db);
  return rows;
}
