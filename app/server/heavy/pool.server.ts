import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { getEnv } from "../env.server";

/**
 * Heavy work off the event loop (issue 11 item 1, issue 14 item 5, ADR 016):
 * tasks that parse or write whole workbooks run in worker threads, at most
 * `HEAVY_WORK_CONCURRENCY` at once per process (the rest wait in the pool's
 * queue), so that `/healthz` and every page keep answering meanwhile.
 *
 * The worker is a plain ESM file, `heavy-work.worker.mjs`: beside this module
 * in the source tree (vitest, dev server), and copied beside the server
 * bundle (build/server/) by vite.config.ts for production, where
 * `import.meta.url` is build/server/index.js.
 */
const WORKER_FILE = "heavy-work.worker.mjs";

export function heavyWorkerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, WORKER_FILE), path.join(here, "heavy", WORKER_FILE), path.resolve("app/server/heavy", WORKER_FILE)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`Heavy-work worker not found (looked for ${candidates.join(", ")}): run npm run build.`);
  return found;
}

let pool: Piscina | null = null;

function heavyPool(): Piscina {
  pool ??= new Piscina({
    filename: heavyWorkerFile(),
    maxThreads: getEnv().HEAVY_WORK_CONCURRENCY,
    minThreads: 0,
    idleTimeout: 30_000,
  });
  return pool;
}

/** The task names exported by the worker, with their input and output. */
export interface HeavyTasks {
  annotate: {
    input: { original: Uint8Array; problems: readonly { sheet: string; cell: string | null; severity: string; message: string; hint: string }[] };
    output: Uint8Array;
  };
  threadInfo: { input: Record<string, never>; output: { threadId: number; isMainThread: boolean } };
}

/** Runs `task` in a worker thread (waiting for a free one beyond `HEAVY_WORK_CONCURRENCY`). */
export async function runHeavy<K extends keyof HeavyTasks>(task: K, input: HeavyTasks[K]["input"]): Promise<HeavyTasks[K]["output"]> {
  return (await heavyPool().run(input, { name: task })) as HeavyTasks[K]["output"];
}

/** How many tasks run and wait now (for the benchmark and tests). */
export function heavyWorkLoad() {
  return { threads: pool?.threads.length ?? 0, queued: pool?.queueSize ?? 0, maxThreads: pool?.options.maxThreads ?? getEnv().HEAVY_WORK_CONCURRENCY };
}

/** Stops the worker threads (shutdown, tests). */
export async function closeHeavyPool() {
  const current = pool;
  pool = null;
  await current?.destroy();
}
