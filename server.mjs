// Thin launcher: all HTTP behaviour lives in app/server/http/platform.server.ts
// (bundled into the server build and exported by app/entry.server.tsx).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";

const root = path.dirname(fileURLToPath(import.meta.url));
const production = process.env.NODE_ENV === "production";

const vite = production
  ? undefined
  : await import("vite").then((v) => v.createServer({ server: { middlewareMode: true }, appType: "custom" }));

const loadBuild = () =>
  vite ? vite.ssrLoadModule("virtual:remix/server-build") : import(path.join(root, "build/server/index.js"));

// ODPE_DEBUG_START=1 prints each start step's time and RSS (app/server/start-timing.server.ts).
const debugStart = process.env.ODPE_DEBUG_START === "1";
const step = (name, t0) =>
  debugStart &&
  process.stderr.write(`[start] ${name}: ${(performance.now() - t0).toFixed(0)} ms (at ${performance.now().toFixed(0)} ms, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB)\n`);
// A new embedded database is prepared by a child process (ADR 032, ADR 036): the memory its first
// start takes (demo editions' PDF and XLSX, the secrecy solver, PGlite's grown heap) leaves with it.
// The child is spawned before this process loads the server build, so that the two loads of the
// bundle run side by side instead of one after the other. The test mirrors env.server.ts: no
// DATABASE_URL (embedded database) and no cluster in DATA_DIR (default ./data) yet.
const preparing = process.env.ODPE_PREPARE_ONLY === "1";
const newEmbeddedDatabase = () =>
  !process.env.DATABASE_URL && !fs.existsSync(path.join(path.resolve(process.env.DATA_DIR || "./data"), "pgdata", "PG_VERSION"));
let prepared = Promise.resolve(0);
let tPrepare = 0;
if (production && !preparing && newEmbeddedDatabase()) {
  tPrepare = performance.now();
  prepared = new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { env: { ...process.env, ODPE_PREPARE_ONLY: "1" }, stdio: "inherit" });
    // Stopped while preparing: the child stops too (it holds DATA_DIR's lock).
    const forward = (signal) => child.kill(signal);
    process.on("SIGTERM", forward).on("SIGINT", forward);
    child.on("exit", (status, signal) => {
      process.off("SIGTERM", forward).off("SIGINT", forward);
      resolve(status ?? (signal ? 1 : 0));
    });
    child.on("error", () => resolve(1));
  });
}
let t0 = performance.now();
const build = await loadBuild();
step("load the server build", t0);
const platform = build.entry.module.platform;

let info;
const code = await prepared;
if (code !== 0) process.exit(code);
if (tPrepare) step("new database prepared (child process)", tPrepare);
t0 = performance.now();
try {
  // The embedded database's job queue starts once the portal answers (below); a preparing child
  // starts it here (its schema is part of a prepared database), as PostgreSQL does (under the startup lock).
  info = await platform.start({ deferJobs: !preparing });
  step("platform start (database, demo data)", t0);
  if (preparing) {
    await platform.shutdown();
    process.exit(0);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const app = express();
platform.install(app, {
  build: vite ? loadBuild : build,
  viteMiddlewares: vite?.middlewares,
  clientDir: path.join(root, "build/client"),
});

const { port, host, publicUrl, appMode } = platform.settings();
const server = app.listen(port, host, () => {
  step("listening", 0);
  const url = publicUrl ?? `http://localhost:${port}`;
  const lines = [
    "",
    `Portail ODPE prêt / ODPE portal ready: ${url}`,
    `Base de données / database: ${info.driver === "pglite" ? "PostgreSQL embarqué (PGlite)" : "PostgreSQL"} — mode ${appMode}`,
  ];
  if (info.demoLogins.length) {
    lines.push("", "Comptes de démonstration / demo logins (mot de passe / password: " + info.demoPassword + ")");
    for (const login of info.demoLogins) {
      lines.push(`  ${login.role.padEnd(22)} ${login.organisationCode.padEnd(8)} ${login.email}`);
    }
  }
  console.log(lines.join("\n") + "\n");
  // The embedded database's job queue starts once the portal answers (ADR 036): until then a use case
  // sends no job, and what must happen anyway is caught up by the sweeps (the outbox's runs when the
  // queue starts). Already started on PostgreSQL (a no-op here).
  const tJobs = performance.now();
  jobsStarted = platform.startJobs().then(
    () => step("job queue (pg-boss)", tJobs),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
});
// Slow requests are cut (headersTimeout, requestTimeout): see platform.server.ts.
platform.configureServer(server);

let jobsStarted;
let stopping = false;
/** Stops accepting connections and resolves once every open one has ended, or after `ms` with the rest cut. */
function drain(ms) {
  return new Promise((resolve) => {
    // A keep-alive connection whose request has just ended is closed at the next look, not after its idle timeout.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const timer = setTimeout(() => {
      clearInterval(idle);
      server.closeAllConnections();
      resolve();
    }, ms);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: arrêt du portail / shutting down`);
  // Bounded by SHUTDOWN_TIMEOUT_SECONDS; each step named in the logs when slow (ADR 054).
  await platform.shutdown({
    before: [
      // No new connection; idle ones closed; a request in flight (a publication, an upload) may end within half
      // the limit before its connection is cut, so that what it was doing is committed or rolled back whole.
      { name: "requests in flight", run: () => drain((platform.settings().shutdownTimeoutSeconds * 1000) / 2) },
      { name: "Vite dev server", run: async () => vite?.close() },
      { name: "job queue start", run: async () => jobsStarted?.catch(() => {}) },
    ],
  });
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
