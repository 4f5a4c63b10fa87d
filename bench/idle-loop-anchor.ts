import { spawn, type ChildProcess } from "node:child_process";

/**
 * The event-loop anchor of `bench:load` (issue 14 item 5, ADR 049): a Node
 * process that does nothing but measure its own event-loop delay, the way the
 * portal's `/metrics` does (perf_hooks' histogram at a 10 ms resolution, as
 * prom-client's `eventLoopMonitoringPrecision: 10`). On a shared 2-core
 * machine a timer fires late also when the process waits for a core, so the
 * server's delay is read beside this one, measured over the same window: what
 * the anchor shows too is the machine, not the portal's code.
 */
const ANCHOR_SOURCE = `
const { monitorEventLoopDelay } = require("node:perf_hooks");
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on("message", () => {
  process.send({ p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 });
  histogram.reset();
});
process.on("disconnect", () => process.exit(0));
`;

export interface LoopDelay {
  p99: number;
  max: number;
}

export class IdleLoopAnchor {
  private constructor(private readonly child: ChildProcess) {}

  static start(): IdleLoopAnchor {
    return new IdleLoopAnchor(spawn(process.execPath, ["-e", ANCHOR_SOURCE], { stdio: ["ignore", "ignore", "inherit", "ipc"] }));
  }

  /** The delay since the previous read (the first read starts the window), in ms; null if the anchor is gone. */
  read(): Promise<LoopDelay | null> {
    if (!this.child.connected) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 5_000);
      this.child.once("message", (message) => {
        clearTimeout(timer);
        resolve(message as LoopDelay);
      });
      this.child.send("read");
    });
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
