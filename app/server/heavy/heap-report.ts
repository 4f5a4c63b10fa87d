import { parentPort } from "node:worker_threads";
import { getHeapStatistics } from "node:v8";

/**
 * A heavy-work thread's report, after a task that may grow its heap, of the heap it ended with (ADR 057).
 * Posted on the thread's parentPort, which piscina relays to the pool's `message` event; pool.server.ts
 * retires the pool once idle when a report passes HEAVY_WORK_RETIRE_HEAP_MB.
 */
export const HEAP_REPORT = "heavy-heap";

export interface HeapReport {
  kind: typeof HEAP_REPORT;
  /** V8's heap of the thread as the task ended, garbage included (`total_heap_size`): what the process keeps for it. */
  heapBytes: number;
}

/** Reports this thread's heap to the pool; a no-op outside a worker thread (a task called directly). */
export function reportHeap(): void {
  const report: HeapReport = { kind: HEAP_REPORT, heapBytes: getHeapStatistics().total_heap_size };
  parentPort?.postMessage(report);
}
