import v8 from "node:v8";
import vm from "node:vm";

/**
 * A full garbage collection of the calling thread's heap, on demand (ADR 053).
 *
 * Reading a large upload in a heavy-work thread allocates hundreds of MiB of
 * short-lived objects; V8 promotes tens of MiB of them and, with a thread's
 * default limits, lets the old generation grow to twice or more its live size
 * before a full collection — then keeps that heap until the thread ends
 * (Piscina's idle timeout). Measured through the server (ADR 053): the
 * thread's heap reached 124–129 MiB for ~50 MiB live.
 *
 * Node exposes no API to ask for a collection without `--expose-gc`, a V8
 * flag of the whole process. The collector is taken once from a fresh vm
 * context created while the flag is set, then the flag is cleared again (as
 * jest-leak-detector does): no other context of the process gets a `gc`
 * global. Returns false when no collector could be had (nothing collected).
 */
let collector: (() => void) | null | undefined;

function gcFunction(): (() => void) | null {
  if (collector !== undefined) return collector;
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return (collector = exposed as () => void);
  try {
    v8.setFlagsFromString("--expose-gc");
    const fn: unknown = vm.runInNewContext("gc");
    collector = typeof fn === "function" ? (fn as () => void) : null;
  } catch {
    collector = null;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
  return collector;
}

export function collectGarbage(): boolean {
  const gc = gcFunction();
  gc?.();
  return gc !== null;
}

const usedHeap = () => v8.getHeapStatistics().used_heap_size;

/**
 * Bounds a long task's heap to its live size plus `slackBytes`: `tick()`,
 * called once per unit of work (a line read), looks at the heap every
 * `every` calls and collects when it has grown by more than the slack since
 * the last collection (or since the budget was made: the first measure is
 * taken at construction, so what the task loads afterwards counts against
 * the first slack).
 */
export class HeapBudget {
  private calls = 0;
  private base: number;
  /** Collections made (for tests and probes). */
  collections = 0;

  constructor(
    private readonly slackBytes: number,
    private readonly every = 1024,
    /** The used heap, in bytes (V8's; tests give their own). */
    private readonly measure: () => number = usedHeap,
  ) {
    this.base = measure();
  }

  tick(): void {
    if (++this.calls % this.every !== 0) return;
    if (this.measure() <= this.base + this.slackBytes) return;
    if (!collectGarbage()) return;
    this.collections += 1;
    this.base = this.measure();
  }

  /**
   * The task is over: after a read that already needed collections (a large file), collects what grew
   * since the last one beyond a quarter of the slack, so that the thread does not keep a large task's
   * garbage while idle. A task that needed none is left to V8 unless it grew past the whole slack: a full
   * collection of the thread's heap costs ~60 ms, which a partner's 21 KB file answered in ~45 ms cannot
   * carry (collecting past a quarter of the slack made its p50 105–111 ms against 43–46 ms, ADR 053).
   */
  release(): void {
    const allowance = this.collections > 0 ? this.slackBytes / 4 : this.slackBytes;
    if (this.measure() <= this.base + allowance) return;
    if (collectGarbage()) this.collections += 1;
  }
}
