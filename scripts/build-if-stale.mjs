// Builds the portal when build/ is missing or older than its sources.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { embeddedTemplateFile, schemaTemplateMarker } from "./embedded-template.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function newestMtime(entry) {
  if (!fs.existsSync(entry)) return 0;
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of fs.readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

export function buildIfStale() {
  buildServerIfStale();
  // The embedded database's templates (ADR 032, ADR 041): the empty cluster, once per PGlite version, and
  // the migrated one, once per build's migrations (the prepared demo template is left to the first new demo
  // folder, ADR 052); in a child process, whose initdb heap must not stay in the server's.
  if (!fs.existsSync(embeddedTemplateFile()) || !fs.existsSync(schemaTemplateMarker)) {
    const made = spawnSync(process.execPath, [path.join(root, "scripts/embedded-template.mjs"), "--no-demo"], { cwd: root, stdio: "inherit" });
    if (made.status !== 0) throw new Error("Le modèle de base embarquée n'a pas pu être écrit / embedded database template failed");
  }
}

function buildServerIfStale() {
  const buildEntry = path.join(root, "build/server/index.js");
  const sources = ["app", "db", "public", "vite.config.ts", "package.json", "postcss.config.cjs"].map((p) => path.join(root, p));
  const builtAt = fs.existsSync(buildEntry) ? fs.statSync(buildEntry).mtimeMs : 0;
  if (builtAt !== 0 && Math.max(...sources.map(newestMtime)) <= builtAt) return;
  // Vite prints ~240 lines (asset sizes, empty chunks, Rollup comment
  // warnings): kept for `--verbose`; otherwise one line with the outcome,
  // and the whole log only when the build fails.
  const verbose = process.argv.includes("--verbose");
  const started = Date.now();
  console.log("Construction du portail / building the portal…");
  const result = spawnSync(process.execPath, [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], {
    cwd: root,
    stdio: verbose ? "inherit" : ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    if (!verbose) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    throw new Error("La construction a échoué / build failed");
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Portail construit en ${seconds} s / built in ${seconds} s (build/; détails : npm start -- --verbose)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildIfStale();
