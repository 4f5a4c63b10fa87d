/**
 * bench/start.ts — start time and memory of the production server
 * (`npm run bench:start`; needs a build: `npm run build`).
 *
 * Spawns `node --max-semi-space-size=2 server.mjs`, with the flag `npm start` runs the portal with (ADR 039, ADR 042; NODE_ENV=production, a free PORT, a temporary
 * DATA_DIR) twice on the embedded database — (a) empty DATA_DIR, (b) the same
 * DATA_DIR again — then once on PostgreSQL (a fresh database created and
 * dropped on postgres://postgres@127.0.0.1:5432, skipped if unreachable), and
 * as an anchor a bare Node HTTP server. For each: time from spawn to the first
 * /healthz 200, RSS of the process tree (/proc/<pid>/status VmRSS, summed over
 * children) right after start and after 10 s idle. Prints a markdown table
 * and rewrites the "## Start (bench:start)" section of docs/benchmarks.md.
 * BENCH_START_TIMEOUT_MS (default 180000) bounds each wait for /healthz.
 */
import { spawn, execSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DOC = path.join(root, "docs", "benchmarks.md");
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10_000);
const PG_ADMIN = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

interface Run {
  name: string;
  startMs: number;
  rssStartMiB: number;
  rssIdleMiB: number;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });

/** Pids of the process and all its descendants (from /proc). */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]!) ?? []));
  return all;
}

function rssMiB(pid: number): number {
  let kb = 0;
  for (const p of tree(pid)) {
    try {
      const match = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, "utf8"));
      kb += Number(match?.[1] ?? 0);
    } catch {
      // ended
    }
  }
  return kb / 1024;
}

async function waitHealthy(port: number, child: ChildProcess, t0: number, timeoutMs = Number(process.env.BENCH_START_TIMEOUT_MS ?? 180_000)): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no /healthz 200 in time");
}

async function measure(name: string, command: string[], env: NodeJS.ProcessEnv, port: number): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(command[0]!, command.slice(1), { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  try {
    const startMs = await waitHealthy(port, child, t0);
    const rssStartMiB = rssMiB(child.pid!);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const rssIdleMiB = rssMiB(child.pid!);
    const run = { name, startMs, rssStartMiB, rssIdleMiB };
    console.log(`${name}: ${(startMs / 1000).toFixed(2)} s, RSS ${rssStartMiB.toFixed(0)} → ${rssIdleMiB.toFixed(0)} MiB`);
    return run;
  } catch (error) {
    console.error(stderr);
    throw error;
  } finally {
    child.kill("SIGTERM");
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve();
      }, 15_000);
      child.on("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

const baseEnv = (port: number, dataDir: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
  };
  delete env.DATABASE_URL;
  return env;
};

async function main() {
  if (!fs.existsSync(path.join(root, "build", "server", "index.js"))) {
    throw new Error("no production build: run `npm run build` first");
  }
  const runs: Run[] = [];
  // As `npm start` runs it (package.json; `npm run serve` no longer passes the flag, ADR 042): V8's young generation capped at 2 MB
  // per semi-space (ADR 039).
  const server = ["node", "--max-semi-space-size=2", "server.mjs"];

  const anchorPort = await freePort();
  runs.push(
    await measure(
      "anchor: bare node http server",
      ["node", "-e", `require('http').createServer((q,s)=>s.end('ok')).listen(${anchorPort},'127.0.0.1')`],
      { ...process.env },
      anchorPort,
    ),
  );

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-bench-start-"));
  try {
    let port = await freePort();
    runs.push(await measure("embedded, empty DATA_DIR", server, baseEnv(port, dataDir), port));
    port = await freePort();
    runs.push(await measure("embedded, existing DATA_DIR", server, baseEnv(port, dataDir), port));
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const dbName = `bench_start_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  let pgAvailable = true;
  try {
    await admin.connect();
    await admin.query(`create database ${dbName}`);
  } catch (error) {
    pgAvailable = false;
    console.warn(`PostgreSQL skipped: ${(error as Error).message}`);
  }
  if (pgAvailable) {
    const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-bench-start-pg-"));
    try {
      const url = new URL(PG_ADMIN);
      url.pathname = `/${dbName}`;
      for (const label of ["empty database", "existing database"]) {
        const port = await freePort();
        runs.push(
          await measure(`PostgreSQL, ${label}`, server, { ...baseEnv(port, pgDir), DATABASE_URL: url.toString(), APP_MODE: "demo" }, port),
        );
      }
    } finally {
      fs.rmSync(pgDir, { recursive: true, force: true });
      await admin.query(`drop database if exists ${dbName} with (force)`);
    }
  }
  await admin.end().catch(() => {});

  const load = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const machine = `${os.cpus().length} vCPU (nproc ${execSync("nproc").toString().trim()}), load average ${load}, Node ${process.version}`;
  const table = [
    "| Run | first /healthz 200 | RSS after start | RSS after 10 s idle |",
    "|---|---:|---:|---:|",
    ...runs.map(
      (r) => `| ${r.name} | ${(r.startMs / 1000).toFixed(2)} s | ${r.rssStartMiB.toFixed(0)} MiB | ${r.rssIdleMiB.toFixed(0)} MiB |`,
    ),
  ].join("\n");
  const block = `### Latest run (written by the script)\n\n${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC — ${machine}.\n\n${table}\n`;
  console.log(`\n${block}`);
  writeSection(block);
}

/** Rewrites the script's block of the "## Start (bench:start)" section; the hand-written rest is kept. */
function writeSection(block: string) {
  const doc = fs.readFileSync(DOC, "utf8");
  const heading = "## Start (bench:start)";
  const intro =
    `${heading}\n\n` +
    "`npm run bench:start` (bench/start.ts, needs `npm run build`): `node server.mjs` in production mode, time from spawn to the first\n" +
    "`/healthz` 200 and RSS of the process tree (VmRSS), on an empty then the same DATA_DIR (embedded PGlite), on PostgreSQL, and a bare\n" +
    "Node HTTP server as the anchor.\n\n";
  const start = doc.indexOf(heading);
  if (start < 0) {
    fs.writeFileSync(DOC, `${doc.trimEnd()}\n\n${intro}${block}`);
    return;
  }
  const next = doc.indexOf("\n## ", start + heading.length);
  const section = next < 0 ? doc.slice(start) : doc.slice(start, next + 1);
  const latest = section.indexOf("### Latest run (written by the script)");
  const after = latest < 0 ? -1 : section.indexOf("\n### ", latest + 10);
  const rebuilt =
    latest < 0
      ? `${section.trimEnd()}\n\n${block}`
      : `${section.slice(0, latest)}${block}${after < 0 ? "" : section.slice(after)}`;
  fs.writeFileSync(DOC, doc.slice(0, start) + rebuilt.trimEnd() + "\n" + (next < 0 ? "" : "\n" + doc.slice(next + 1)));
}

await main();
