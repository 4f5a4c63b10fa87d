import PgBoss from "pg-boss";
import { CompiledQuery, type Kysely, type Transaction } from "kysely";
import type { PGlite } from "@electric-sql/pglite";
import type { Database } from "#db/schema";
import { isDatabaseUnavailable, type DbHandle, type Executor } from "../db.server";
import { logger } from "../logger.server";
import { installCronCheck } from "./cron-check.server";

// pg-boss's schedule check walks the calendar synchronously (ADR 049): replaced before any queue starts.
installCronCheck();

/**
 * The job queue: pg-boss on the portal's PostgreSQL, on both drivers
 * (docs/decisions/007-job-queue.md).
 *
 * - PostgreSQL (`DATABASE_URL`): pg-boss opens its own small pool with the
 *   same connection settings, its tables in their own schema.
 * - Embedded PGlite: pg-boss's bring-your-own `db` adapter runs every
 *   statement through the portal's Kysely handle, so it takes its turn on
 *   PGlite's single connection like any other query and never slips into an
 *   open transaction.
 *
 * Jobs are sent either on their own or inside the caller's transaction
 * (`sendInTransaction`), so a job exists iff the change that asked for it
 * committed. Workers poll (`workers: true`); tests and CLIs drive the same
 * handlers with `runOnce`.
 */

/** A job as handlers see it: its data and where it stands in its retries. */
export interface JobContext<T> {
  id: string;
  name: string;
  data: T;
  /** Retries already made (0 on the first run). */
  retryCount: number;
  retryLimit: number;
  /** No retry follows if this run fails. */
  isLastAttempt: boolean;
}

export interface JobDefinition<T extends object = object> {
  name: string;
  /** Retry and expiry policy of the queue (pg-boss queue options). */
  policy?: Pick<PgBoss.Queue, "retryLimit" | "retryDelay" | "retryBackoff" | "expireInSeconds" | "retentionMinutes">;
  /** Recurring run: a five-field cron expression, evaluated in `timezone`. */
  cron?: { expression: string; timezone: string; data?: object };
  /** Seconds between polls of this queue by the in-process worker. */
  pollingIntervalSeconds?: number;
  /**
   * Jobs taken per poll (default 1), run one after the other: pg-boss waits
   * the polling interval between polls even when work is waiting, so a queue
   * that may fill up (mails of a reminder round) takes several at once. Each
   * must finish well within the queue's `expireInSeconds`.
   */
  batchSize?: number;
  /** Must be idempotent: a job whose worker died runs again. */
  handler(job: JobContext<T>): Promise<unknown>;
}

export interface JobQueueOptions {
  /** Schema of pg-boss's tables (created and migrated by pg-boss at start). */
  schema: string;
  /** Poll the queues and run handlers in this process; false = only send, and run with `runOnce`. */
  workers: boolean;
  /** PostgreSQL driver: the size of pg-boss's own pool. */
  poolMax?: number;
  /** PostgreSQL driver: connection string for pg-boss's pool (the portal's DATABASE_URL). */
  databaseUrl?: string;
  /** Maintenance (expiring jobs of dead workers, archiving) every N seconds. */
  maintenanceIntervalSeconds?: number;
  /** Poll every queue this often instead of each job's own interval (tests). */
  pollingIntervalSeconds?: number;
  /** How often pg-boss looks for due schedules (default 30 s) and turns them into jobs (default 5 s); tests go faster. */
  cronMonitorIntervalSeconds?: number;
  cronWorkerIntervalSeconds?: number;
}

/** pg-boss's `db` interface (`PgBoss.Db`), with the parameters optional as pg-boss calls it. */
export interface JobDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** pg-boss's `db` interface over a Kysely database or transaction (statements with parameters). */
export function kyselyJobDb(executor: Executor): JobDb {
  return {
    async executeSql(text: string, values?: unknown[]) {
      const result = await executor.executeQuery(CompiledQuery.raw(text, normaliseValues(values)));
      return { rows: result.rows };
    },
  };
}

/** pg turns `undefined` parameters into NULL; PGlite needs it said. */
function normaliseValues(values: unknown[] | undefined): unknown[] {
  return (values ?? []).map((value) => (value === undefined ? null : value));
}

/**
 * pg-boss's `db` interface over the embedded database. A statement with
 * parameters goes through Kysely (extended protocol). Without parameters,
 * pg-boss may send a script of several statements (`BEGIN; …; COMMIT;`, its
 * schema creation, maintenance): `pg` runs those with the simple protocol,
 * and so does this adapter, with PGlite's `exec` while holding Kysely's one
 * connection, so no other query runs in between.
 */
export function pgliteJobDb(db: Kysely<Database>, pglite: PGlite, isClosed: () => boolean = () => false): JobDb {
  const viaKysely = kyselyJobDb(db);
  return {
    async executeSql(text: string, values?: unknown[]) {
      // After stop, late polls of pg-boss's loops find nothing instead of a closed database.
      if (isClosed()) return { rows: [] };
      if (values && values.length > 0) return viaKysely.executeSql(text, values);
      return db.connection().execute(async () => {
        try {
          const results = await pglite.exec(text);
          return { rows: results.at(-1)?.rows ?? [] };
        } catch (error) {
          // A failed script leaves its explicit transaction aborted: end it, as a dropped pg client would.
          if (/\bbegin\b/i.test(text)) await pglite.exec("rollback").catch(() => undefined);
          throw error;
        }
      });
    },
  };
}

const OUTAGE_LOG_INTERVAL_MS = 30_000;

export class JobQueue {
  readonly boss: PgBoss;
  private readonly definitions = new Map<string, JobDefinition<never>>();
  private started = false;
  private closed = false;

  private constructor(
    boss: PgBoss,
    private readonly options: JobQueueOptions,
    private readonly markClosed: () => void,
  ) {
    this.boss = boss;
    boss.on("error", (error: Error) => this.logError(error));
  }

  private lastOutageLog = 0;
  private outageErrorsSinceLog = 0;

  /**
   * pg-boss reports here what fails in its loops (polling, maintenance,
   * schedules); the loops go on and work again once the database is back.
   * While the database is unreachable every poll fails: one line every 30 s.
   */
  private logError(error: Error) {
    const details = { err: { message: error.message, code: (error as { code?: unknown }).code }, queue: (error as { queue?: string }).queue };
    if (!isDatabaseUnavailable(error)) {
      logger.error(details, "job queue error");
      return;
    }
    const now = Date.now();
    if (now - this.lastOutageLog < OUTAGE_LOG_INTERVAL_MS) {
      this.outageErrorsSinceLog++;
      return;
    }
    logger.error({ ...details, similarSinceLastLine: this.outageErrorsSinceLog }, "job queue error: database unreachable, retrying");
    this.lastOutageLog = now;
    this.outageErrorsSinceLog = 0;
  }

  /** A queue on the database of `handle` (pg: pg-boss's own pool; PGlite: the same handle). */
  static create(handle: DbHandle, options: JobQueueOptions): JobQueue {
    const common: PgBoss.ConstructorOptions = {
      schema: options.schema,
      migrate: true,
      supervise: options.workers,
      schedule: options.workers,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 120,
      cronMonitorIntervalSeconds: options.cronMonitorIntervalSeconds ?? 30,
      cronWorkerIntervalSeconds: options.cronWorkerIntervalSeconds ?? 5,
    };
    let closed = false;
    if (handle.driver === "pglite") {
      if (!handle.pglite) throw new Error("The embedded database handle does not expose PGlite");
      const boss = new PgBoss({ ...common, db: pgliteJobDb(handle.db, handle.pglite, () => closed) });
      return new JobQueue(boss, options, () => (closed = true));
    }
    if (!options.databaseUrl) throw new Error("JobQueue on PostgreSQL needs the connection string");
    const boss = new PgBoss({
      ...common,
      connectionString: options.databaseUrl,
      max: options.poolMax ?? 3,
      application_name: "odpe-jobs",
    });
    return new JobQueue(boss, options, () => (closed = true));
  }

  /** Registers a kind of job; call before `start`. */
  define<T extends object>(definition: JobDefinition<T>): this {
    if (this.definitions.has(definition.name)) throw new Error(`Job ${definition.name} defined twice`);
    this.definitions.set(definition.name, definition as unknown as JobDefinition<never>);
    return this;
  }

  get isStarted() {
    return this.started;
  }

  /**
   * Creates or migrates pg-boss's schema, the queues and their schedules;
   * with `workers`, starts polling every queue in this process.
   */
  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    for (const definition of this.definitions.values()) {
      const existing = await this.boss.getQueue(definition.name);
      if (existing) await this.boss.updateQueue(definition.name, { name: definition.name, ...definition.policy });
      else await this.boss.createQueue(definition.name, { name: definition.name, ...definition.policy });
      if (definition.cron) {
        await this.boss.schedule(definition.name, definition.cron.expression, definition.cron.data ?? {}, { tz: definition.cron.timezone });
      } else {
        await this.boss.unschedule(definition.name);
      }
    }
    if (this.options.workers) {
      for (const definition of this.definitions.values()) {
        await this.boss.work<object>(
          definition.name,
          { includeMetadata: true, batchSize: definition.batchSize ?? 1, pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? definition.pollingIntervalSeconds ?? 2 },
          async (jobs) => {
            for (const job of jobs) await this.execute(definition, job);
          },
        );
      }
    }
    this.started = true;
  }

  /** Stops polling, lets running jobs finish (up to `timeoutMs`), then releases pg-boss's pool. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.started) await this.boss.stop({ graceful: true, timeout: timeoutMs, wait: true, close: true });
    this.markClosed();
    this.started = false;
  }

  /** Sends a job on its own (outside any transaction). Returns its id, or null when one with this id exists. */
  async send(name: string, data: object, options: { id?: string; startAfterSeconds?: number } = {}): Promise<string | null> {
    this.assertDefined(name);
    return this.boss.send(name, data, { id: options.id, startAfter: options.startAfterSeconds });
  }

  /**
   * Sends a job inside the caller's transaction: it becomes visible to workers
   * when that transaction commits, and vanishes if it rolls back.
   */
  async sendInTransaction(trx: Transaction<Database>, name: string, data: object, options: { id?: string } = {}): Promise<string | null> {
    this.assertDefined(name);
    return this.boss.send(name, data, { id: options.id, db: kyselyJobDb(trx) });
  }

  /**
   * Takes up to `limit` due jobs of `name` and runs them here, exactly as the
   * polling worker would (complete on success, fail → retry on error). For
   * tests, CLIs and operators. Returns how many ran.
   */
  async runOnce(name: string, limit = 10): Promise<{ ran: number; failed: number }> {
    const definition = this.assertDefined(name);
    const jobs = await this.boss.fetch<object>(name, { batchSize: limit, includeMetadata: true });
    let failed = 0;
    for (const job of jobs) {
      try {
        const output = await this.execute(definition, job);
        await this.boss.complete(name, job.id, output && typeof output === "object" ? output : {});
      } catch (error) {
        failed++;
        await this.boss.fail(name, job.id, { message: error instanceof Error ? error.message : String(error) });
      }
    }
    return { ran: jobs.length, failed };
  }

  private assertDefined(name: string): JobDefinition<never> {
    const definition = this.definitions.get(name);
    if (!definition) throw new Error(`Unknown job ${name}`);
    return definition;
  }

  private async execute(definition: JobDefinition<never>, job: PgBoss.JobWithMetadata<object>): Promise<unknown> {
    const context: JobContext<never> = {
      id: job.id,
      name: job.name,
      data: (job.data ?? {}) as never,
      retryCount: job.retryCount,
      retryLimit: job.retryLimit,
      isLastAttempt: job.retryCount >= job.retryLimit,
    };
    const started = Date.now();
    try {
      const output = await definition.handler(context);
      logger.debug({ job: job.name, id: job.id, ms: Date.now() - started }, "job done");
      return output;
    } catch (error) {
      logger.warn(
        { job: job.name, id: job.id, retryCount: job.retryCount, err: { message: error instanceof Error ? error.message : String(error) } },
        context.isLastAttempt ? "job failed, no retry left" : "job failed, will be retried",
      );
      throw error;
    }
  }
}
