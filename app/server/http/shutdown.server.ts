import { logger } from "../logger.server";

/** One step of a shutdown: its name in the logs, and what it does. */
export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

export interface ShutdownOptions {
  /** A step still running after this long is named in a warning (it goes on). */
  slowStepMs: number;
  /** The whole shutdown's limit: past it, `onDeadline` is called with the step still running (the process then exits). */
  deadlineMs: number;
  onDeadline: (step: string) => void;
  /** Where the warnings go (the portal's logger by default). */
  warn?: (fields: Record<string, unknown>, message: string) => void;
}

/**
 * Runs a shutdown's steps one after the other (ADR 054): a step that fails is
 * logged and the next one runs (a queue that cannot stop must not keep the
 * database pool open); a step still running after `slowStepMs` is named in a
 * warning; past `deadlineMs` the caller is told which step never ended, so
 * that a stuck shutdown ends the process instead of hanging it (a deployment
 * would otherwise wait for its own kill).
 */
export async function runShutdown(steps: readonly ShutdownStep[], options: ShutdownOptions): Promise<void> {
  const warn = options.warn ?? ((fields, message) => logger.warn(fields, message));
  let current = "(none started)";
  const deadline = setTimeout(() => options.onDeadline(current), options.deadlineMs);
  deadline.unref();
  try {
    for (const step of steps) {
      current = step.name;
      const started = performance.now();
      const slow = setTimeout(() => warn({ step: step.name, ms: options.slowStepMs }, "shutdown step still running"), options.slowStepMs);
      slow.unref();
      try {
        await step.run();
      } catch (error) {
        warn({ step: step.name, error: error instanceof Error ? error.message : String(error) }, "shutdown step failed");
      } finally {
        clearTimeout(slow);
      }
      const ms = performance.now() - started;
      if (ms >= options.slowStepMs) warn({ step: step.name, ms: Math.round(ms) }, "shutdown step ended late");
    }
  } finally {
    clearTimeout(deadline);
  }
}
