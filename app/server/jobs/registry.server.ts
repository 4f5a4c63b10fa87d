import type { JobQueue } from "./queue.server";

/**
 * The job queue of this process, once started (app/server/jobs/worker.server.ts).
 * Kept on globalThis so the dev server's module reloads see the same one.
 * Absent in a CLI or a test that did not start one: jobs are then not sent,
 * and what must happen anyway is caught up by the sweeps (e.g. the outbox).
 */
const key = Symbol.for("odpe.jobQueue");
const slot = ((globalThis as Record<symbol, unknown>)[key] as { queue?: JobQueue } | undefined) ?? {};
(globalThis as Record<symbol, unknown>)[key] = slot;

export function getJobQueue(): JobQueue | undefined {
  return slot.queue;
}

export function setJobQueue(queue: JobQueue | undefined) {
  slot.queue = queue;
}
