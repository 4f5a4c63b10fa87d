// Writes the embedded database's templates under .cache/embedded-template/, so that a start on an
// empty DATA_DIR loads a cluster (≈ 2 s) instead of running initdb in the portal's process (≈ 10 s,
// and ~450 MiB of WASM heap that is never given back), then migrating it:
// - the empty cluster made by PGlite's initdb (ADR 032), keyed by the installed PGlite version;
// - the schema template (ADR 041): that cluster with every migration applied, written through the
//   server build (build/server/index.js) and keyed by PGlite's version and the build's migrations.
//   No demo data, no audit event, nothing signed, nothing dated but the migrations' own bookkeeping.
// - the prepared demo template (ADR 052): the schema template with the demo observatory seeded as far
//   as it does not depend on the day (history, values, logos, the 2022 and 2023 editions, publications), in a child
//   process (demo mode, no DATABASE_URL), keyed by PGlite's version, the build's code and the seeding's
//   environment; its audit chain is signed with a key that is never written, and each new folder
//   re-signs it with its own (app/server/observatory/demo-template.server.ts). `npm start` leaves it
//   to the first new demo folder of its build (--no-demo), which seeds it and then copies it.
// Kept across builds (Vite empties build/), made again only when their key changes. Run by
// `npm run build` and `npm start` (scripts/build-if-stale.mjs).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const templateDir = path.join(root, ".cache", "embedded-template");
const serverBuild = path.join(root, "build", "server", "index.js");
/** Written next to the server build once its schema template exists (build/ is emptied by every build). */
export const schemaTemplateMarker = path.join(root, "build", "server", "embedded-schema-template.json");
/** Written next to the server build once its prepared demo template exists (read by demo-template.server.ts). */
export const demoTemplateMarker = path.join(root, "build", "server", "embedded-demo-template.json");

export function embeddedTemplateFile() {
  const entry = require.resolve("@electric-sql/pglite");
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8"));
  return path.join(templateDir, `pglite-${version}.tar.gz`);
}

export async function writeEmbeddedTemplate() {
  const file = embeddedTemplateFile();
  if (fs.existsSync(file)) return file;
  const started = Date.now();
  const { PGlite } = await import("@electric-sql/pglite");
  const pglite = await PGlite.create();
  const blob = await pglite.dumpDataDir("gzip");
  await pglite.close();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
  fs.renameSync(partial, file);
  console.log(`Modèle de base embarquée écrit / embedded database template written in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.relative(root, file)}`);
  return file;
}

async function writeSchemaTemplate(emptyTemplate) {
  if (!fs.existsSync(serverBuild)) return;
  const started = Date.now();
  const build = await import(serverBuild);
  const file = await build.entry.module.platform.writeSchemaTemplate(templateDir, emptyTemplate);
  fs.writeFileSync(schemaTemplateMarker, JSON.stringify({ file: path.relative(root, file) }) + "\n");
  console.log(`Modèle de base embarquée migrée / migrated embedded database template ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.relative(root, file)}`);
}

/** Seeds the demo template in a child process (its heap, the renderers and the solver leave with it). */
function writeDemoTemplateInChild() {
  if (!fs.existsSync(serverBuild)) return;
  const started = Date.now();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-demo-template-"));
  const env = { ...process.env, APP_MODE: "demo", DATA_DIR: dataDir, NODE_ENV: "production", LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" };
  delete env.DATABASE_URL;
  delete env.ODPE_DEBUG_START;
  const made = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--demo"], { cwd: root, env, stdio: "inherit" });
  // The seeding signs with a key held in memory only; nothing is written into DATA_DIR.
  const left = fs.readdirSync(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (made.status !== 0) throw new Error("Le modèle de démonstration n'a pas pu être préparé / demo template failed");
  if (left.length) throw new Error(`demo template: the seeding wrote into DATA_DIR (${left.join(", ")})`);
  const marker = JSON.parse(fs.readFileSync(demoTemplateMarker, "utf8"));
  console.log(`Modèle de démonstration prêt / prepared demo template ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.relative(root, path.resolve(path.dirname(demoTemplateMarker), marker.file))}`);
}

async function writeDemoTemplate() {
  const build = await import(serverBuild);
  await build.entry.module.platform.writeDemoTemplate();
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes("--demo")) {
  await writeDemoTemplate();
  process.exit(0);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeSchemaTemplate(await writeEmbeddedTemplate());
  // `npm start` (build-if-stale.mjs) leaves the demo template to the first new demo folder (ADR 052).
  if (!process.argv.includes("--no-demo")) writeDemoTemplateInChild();
  // The server build may have started timers (its logger, caches): this script is done.
  process.exit(0);
}
