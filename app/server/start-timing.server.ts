/**
 * Start-step timings (ADR 032): with `ODPE_DEBUG_START=1` in the
 * environment, each step of the process start prints one line on stderr —
 * the step, its duration, the time since the process began and the RSS —
 * so that where start time and memory go can be read without a profiler.
 * Off by default: nothing is measured or printed.
 */
const enabled = process.env.ODPE_DEBUG_START === "1";

export function startStep(name: string): () => void {
  if (!enabled) return () => {};
  const t0 = performance.now();
  return () => {
    const ms = performance.now() - t0;
    const rss = process.memoryUsage().rss / 1048576;
    process.stderr.write(`[start] ${name}: ${ms.toFixed(0)} ms (at ${performance.now().toFixed(0)} ms, RSS ${rss.toFixed(0)} MiB)\n`);
  };
}

/** Times an async step (see startStep). */
export async function timedStep<T>(name: string, run: () => Promise<T>): Promise<T> {
  const done = startStep(name);
  try {
    return await run();
  } finally {
    done();
  }
}
