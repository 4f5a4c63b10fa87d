import fs from "node:fs";
import { performance } from "node:perf_hooks";

/** Memory figures of one measured phase (bytes). */
export interface MemoryFigures {
  /** RSS just before the phase: runtime, loaded modules, the file's bytes, and the embedded database when there is one. */
  rssBefore: number;
  /** V8 heap in use just before the phase, after a full GC: what the process holds live. */
  heapBefore: number;
  /** Highest `process.memoryUsage.rss()` seen by a 5 ms sampler during the phase. */
  rssSampledPeak: number;
  /** Kernel high-water mark of the phase: VmHWM, reset through /proc/self/clear_refs when the phase starts; null where unavailable. */
  rssHighWater: number | null;
  /** `process.resourceUsage().maxRSS` when the phase ends (Linux resets it with VmHWM; elsewhere it is the process's lifetime peak). */
  maxRss: number;
  /** The figure reported: max(sampled peak, kernel high-water mark). */
  peak: number;
}

export type Mode = "generate" | "floor" | "pipeline" | "profile";

export interface WorkerResult {
  mode: Mode;
  lines: number;
  driver: string;
  ms: number;
  memory: MemoryFigures | null;
  detail: Record<string, unknown>;
}

const gc = (globalThis as { gc?: () => void }).gc;

function resetHighWater(): boolean {
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

function highWater(): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Times `phase` and watches the process's RSS while it runs: a 5 ms sampler
 * (which cannot fire while synchronous code holds the event loop) and, on
 * Linux, the kernel's own high-water mark reset at the start (which misses
 * nothing).
 */
export async function measure<T>(phase: () => Promise<T>): Promise<{ value: T; ms: number; memory: MemoryFigures }> {
  gc?.();
  gc?.();
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  const canReset = resetHighWater();
  let sampled = rssBefore;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > sampled) sampled = rss;
  }, 5);
  const started = performance.now();
  let value: T;
  try {
    value = await phase();
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - started;
  sampled = Math.max(sampled, process.memoryUsage.rss());
  const hwm = canReset ? highWater() : null;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  return { value, ms, memory: { rssBefore, heapBefore, rssSampledPeak: sampled, rssHighWater: hwm, maxRss, peak: Math.max(sampled, hwm ?? 0) } };
}
