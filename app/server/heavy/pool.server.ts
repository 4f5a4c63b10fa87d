import { existsSync } from "node:fs";
import path from "node:path";
import type { MessagePort } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { getEnv } from "../env.server";
import { DomainError } from "../errors.server";
import { logger } from "../logger.server";
import { HEAP_REPORT, type HeapReport } from "./heap-report";
import type * as Tasks from "./tasks.server";

/**
 * Heavy work off the event loop (ADR 016): tasks that parse or write whole
 * workbooks or draw PDFs run in worker threads, at most
 * `HEAVY_WORK_CONCURRENCY` at once per process (the rest wait in the pool's
 * queue), so that `/healthz` and every page keep answering meanwhile. Each
 * worker's heap is capped (`HEAVY_WORK_MAX_MEMORY_MB`) and each task timed
 * (`HEAVY_WORK_TIMEOUT_SECONDS`): a task beyond either is abandoned, its
 * worker replaced, and the request answered 503 with Retry-After.
 *
 * The tasks are tasks.server.ts. Workers load them from the bundle
 * `heavy-tasks.mjs` beside the server bundle in production (build/server/,
 * written by vite.config.ts), and only from it (heavyWorkerCandidates,
 * ADR 051); from the source tree through heavy-work.worker.mjs (tsx).
 */
const BUNDLE_FILE = "heavy-tasks.mjs";
const SOURCE_WORKER_FILE = "heavy-work.worker.mjs";

/** Seconds a client is asked to wait (Retry-After) when heavy work was abandoned. */
export const HEAVY_WORK_RETRY_AFTER_SECONDS = 30;

/**
 * Where the pool's worker may be, from the directory of this module as it runs (`here`). From the server
 * bundle (production: build/server/index.js and its chunks in build/server/assets/, ADR 036) only the
 * worker bundle heavy-tasks.mjs counts, beside the chunk or one level up: a bundled server must never fall
 * back to the TypeScript sources through tsx (each thread would compile them: seconds and tens of MiB,
 * ADR 051). From the source tree (tests, `npm run dev`, tsx scripts) the source worker.
 */
export function heavyWorkerCandidates(here: string): string[] {
  const fromSources = path.basename(here) === "heavy" && path.basename(path.dirname(here)) === "server";
  return fromSources
    ? [path.join(here, SOURCE_WORKER_FILE)]
    : [path.join(here, BUNDLE_FILE), path.join(here, "..", BUNDLE_FILE)];
}

export function heavyWorkerFile(): string {
  const candidates = heavyWorkerCandidates(path.dirname(fileURLToPath(import.meta.url)));
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`Heavy-work worker not found (looked for ${candidates.join(", ")}): run npm run build.`);
  return found;
}

let pool: Piscina | null = null;
/** Tasks given to the pool and not yet settled (runHeavy). */
let inFlight = 0;
/** A thread ended a task with a heap above HEAVY_WORK_RETIRE_HEAP_MB: the pool is retired once idle. */
let retireWhenIdle = false;
/** The retirement waiting for the pool to stay idle RETIRE_DELAY_MS. */
let retireTimer: NodeJS.Timeout | null = null;
/** Retired pools still stopping their threads (closeHeavyPool waits for them). */
const retiring = new Set<Promise<void>>();
let retiredPools = 0;

function heavyPool(): Piscina {
  const env = getEnv();
  if (!pool) {
    const created = new Piscina({
      filename: heavyWorkerFile(),
      maxThreads: env.HEAVY_WORK_CONCURRENCY,
      minThreads: 0,
      idleTimeout: 30_000,
      resourceLimits: { maxOldGenerationSizeMb: env.HEAVY_WORK_MAX_MEMORY_MB },
    });
    created.on("message", (message: unknown) => {
      if (created === pool && isHeapReport(message) && message.heapBytes > getEnv().HEAVY_WORK_RETIRE_HEAP_MB * 2 ** 20) {
        retireWhenIdle = true;
        scheduleRetirement();
      }
    });
    pool = created;
  }
  return pool;
}

const isHeapReport = (message: unknown): message is HeapReport =>
  typeof message === "object" && message !== null && (message as HeapReport).kind === HEAP_REPORT && typeof (message as HeapReport).heapBytes === "number";

/**
 * How long the pool must stay idle after a large task before it is retired: tasks that follow one another
 * (an edition's protection, PDF, XLSX and archive) keep their warm threads (ADR 041).
 */
export const RETIRE_DELAY_MS = 2_000;

/**
 * Retires the pool once no task has been given to it for RETIRE_DELAY_MS (ADR 057): its threads stop, and with
 * them the heaps that a large task grew — V8 keeps a thread's heap at its high-water mark, ~130 MiB after a
 * 100,000-line upload, until the thread ends. The next task starts a new pool, and a new thread (~0.2 s), as
 * after start-up. A retired pool has no task: none is lost.
 */
function scheduleRetirement() {
  cancelRetirementTimer();
  if (!retireWhenIdle || inFlight > 0 || !pool) return;
  retireTimer = setTimeout(retire, RETIRE_DELAY_MS);
  retireTimer.unref();
}

function cancelRetirementTimer() {
  if (retireTimer) clearTimeout(retireTimer);
  retireTimer = null;
}

function retire() {
  cancelRetirementTimer();
  if (!retireWhenIdle || inFlight > 0 || !pool) return;
  retireWhenIdle = false;
  const retired = pool;
  pool = null;
  retiredPools += 1;
  const stopping: Promise<void> = retired.destroy().then(
    () => undefined,
    (error: unknown) => logger.warn({ err: { message: String((error as Error | null)?.message ?? error) } }, "heavy work: a retired pool did not stop cleanly"),
  );
  retiring.add(stopping);
  void stopping.finally(() => retiring.delete(stopping));
}

type TaskName = keyof typeof Tasks;
type TaskOf<K extends TaskName> = (typeof Tasks)[K] extends (...args: infer A) => Promise<infer R> ? { input: A extends [infer I, ...unknown[]] ? I : Record<string, never>; output: R } : never;

/** The task was abandoned: out of time, or its worker out of memory. */
export class HeavyWorkUnavailableError extends DomainError {
  constructor(
    readonly reason: "timeout" | "out_of_memory",
    readonly task: string,
  ) {
    super(
      "unavailable",
      reason === "timeout"
        ? `Le traitement a dépassé le temps permis (${getEnv().HEAVY_WORK_TIMEOUT_SECONDS} s) : il a été interrompu et rien n'a été enregistré. Le portail est peut-être très sollicité : réessayez dans quelques minutes ; si cela se reproduit, prévenez le référent de l'ODPE.`
        : "Le traitement a demandé plus de mémoire que le portail n'en accorde : il a été interrompu et rien n'a été enregistré. Réessayez dans quelques minutes ; si cela se reproduit avec ce fichier, prévenez le référent de l'ODPE.",
      {},
      { "Retry-After": String(HEAVY_WORK_RETRY_AFTER_SECONDS) },
    );
  }
}

const isOutOfMemory = (error: unknown) =>
  (error as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY" || /out of memory|heap limit/i.test(String((error as Error | null)?.message ?? ""));
const isAbort = (error: unknown) => (error as { name?: unknown } | null)?.name === "AbortError" || (error as { code?: unknown } | null)?.code === "ABORT_ERR";

/**
 * Runs `task` in a worker thread (waiting for a free one beyond
 * `HEAVY_WORK_CONCURRENCY`). Throws HeavyWorkUnavailableError (503) when it
 * runs out of time or memory; any other error of the task is rethrown.
 */
export async function runHeavy<K extends TaskName>(task: K, input: TaskOf<K>["input"], transferList?: (ArrayBuffer | MessagePort)[]): Promise<TaskOf<K>["output"]> {
  const timeoutMs = Math.round(getEnv().HEAVY_WORK_TIMEOUT_SECONDS * 1000);
  inFlight += 1;
  cancelRetirementTimer();
  try {
    // `transferList`: buffers and ports of the input moved to the worker rather than copied (they become unusable here).
    return (await heavyPool().run(input, { name: task, signal: AbortSignal.timeout(timeoutMs), ...(transferList?.length ? { transferList } : {}) })) as TaskOf<K>["output"];
  } catch (error) {
    if (isAbort(error) || isOutOfMemory(error)) {
      const reason = isOutOfMemory(error) ? "out_of_memory" : "timeout";
      logger.warn({ task, reason, timeoutMs, maxMemoryMb: getEnv().HEAVY_WORK_MAX_MEMORY_MB, err: { message: String((error as Error)?.message ?? error) } }, "heavy work abandoned: answered 503");
      throw new HeavyWorkUnavailableError(reason, task);
    }
    throw error;
  } finally {
    inFlight -= 1;
    scheduleRetirement();
  }
}

export const isHeavyWorkUnavailable = (error: unknown): error is HeavyWorkUnavailableError => error instanceof HeavyWorkUnavailableError;

/**
 * Starts the pool's threads ahead of work known to come (ADR 041): each loads
 * the heavy-work bundle, then the renderers' libraries (pdfkit, exceljs; the
 * bundle loads them on first use since ADR 047) on another core while the
 * caller's thread does something else. Never fails: the work itself will
 * report any problem.
 */
export function warmHeavyPool(): Promise<void> {
  // A pool waiting to be retired goes now: the warm threads are new ones, kept for the work to come (ADR 057).
  retire();
  const threads = getEnv().HEAVY_WORK_CONCURRENCY;
  return Promise.all(Array.from({ length: threads }, () => runHeavy("loadRenderers", {}))).then(
    () => undefined,
    () => undefined,
  );
}

/** How many tasks run and wait now (for the benchmark and tests). */
export function heavyWorkLoad() {
  return {
    threads: pool?.threads.length ?? 0,
    queued: pool?.queueSize ?? 0,
    maxThreads: pool?.options.maxThreads ?? getEnv().HEAVY_WORK_CONCURRENCY,
    /** Pools retired after a large task since start-up (ADR 057). */
    retiredPools,
  };
}

/** Stops the worker threads (shutdown, tests: after resetEnvForTests, the next task starts a pool with the new settings). */
export async function closeHeavyPool() {
  const current = pool;
  pool = null;
  retireWhenIdle = false;
  cancelRetirementTimer();
  await Promise.all([current?.destroy(), ...retiring]);
}
