import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The production build (`build/`, rebuilt by scripts/build-if-stale.mjs when
 * older than the sources) served by `server.mjs` in a child process on a free
 * port of 127.0.0.1, ready once /healthz answers. Shared by the e2e global
 * setup and the benchmarks (bench/dashboard.ts, bench/load.ts).
 */
export interface ProductionServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The environment `npm run serve` gives the production server (package.json, through cross-env; ADR 059):
 * glibc's mmap threshold fixed at its default of 128 KiB, so that the megabyte buffers of an upload are mapped
 * and unmapped rather than left in the allocator's arenas once freed. Servers started here get it too, so that
 * the tests and benchmarks run the portal as it is deployed. A unit test keeps package.json in step.
 */
export const PRODUCTION_SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "131072" };

/**
 * The environment of a server started here: this process's, then PRODUCTION_SERVER_ENV, 127.0.0.1 and warnings
 * only, then `overlay` (a key set to undefined is removed), and NODE_ENV=production whatever the rest says.
 */
export function productionServerEnvironment(overlay: Record<string, string | undefined>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const merged: Record<string, string | undefined> = { ...base, ...PRODUCTION_SERVER_ENV, HOST: "127.0.0.1", LOG_LEVEL: "warn", ...overlay, NODE_ENV: "production" };
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined)) as NodeJS.ProcessEnv;
}

/** Builds the portal if build/ is missing or stale; throws if the build fails. */
export function buildIfStale() {
  const built = spawnSync(process.execPath, [path.join(root, "scripts/build-if-stale.mjs")], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) throw new Error("build failed");
}

/** A port nothing listens on (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `server.mjs` with NODE_ENV=production on 127.0.0.1 and a free port.
 * `env` is laid over this process's environment; a key set to undefined is
 * removed (e.g. `DATABASE_URL: undefined` for the embedded database).
 */
export async function startProductionServer(options: {
  env: Record<string, string | undefined>;
  timeoutMs?: number;
  /** false: serve build/ as it is (already built by an earlier start). */
  build?: boolean;
  /** Options for node itself, e.g. ["--cpu-prof"]. */
  nodeArgs?: string[];
}): Promise<ProductionServer> {
  if (options.build !== false) buildIfStale();
  const port = await freePort();
  const env = productionServerEnvironment({ PORT: String(port), ...options.env });
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(root, "server.mjs")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, child, output: () => output, stop };
}
