// Writes the embedded database's templates under .cache/embedded-template/, so that a start on an
// empty DATA_DIR loads a cluster (≈ 2 s) instead of running initdb in the portal's process (≈ 10 s,
// and ~450 MiB of WASM heap that is never given back), then migrating it:
// - the empty cluster made by PGlite's initdb (ADR 032), keyed by the installed PGlite version;
// - the schema template (ADR 041): that cluster with every migration applied, written through the
//   server build (build/server/index.js) and keyed by PGlite's version and the build's migrations.
//   No demo data, no audit event, nothing signed, nothing dated but the migrations' own bookkeeping.
// Kept across builds (Vite empties build/), made again only when their key changes. Run by
// `npm run build` and `npm start` (scripts/build-if-stale.mjs).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const templateDir = path.join(root, ".cache", "embedded-template");
const serverBuild = path.join(root, "build", "server", "index.js");
/** Written next to the server build once its schema template exists (build/ is emptied by every build). */
export const schemaTemplateMarker = path.join(root, "build", "server", "embedded-schema-template.json");

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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeSchemaTemplate(await writeEmbeddedTemplate());
  // The server build may have started timers (its logger, caches): this script is done.
  process.exit(0);
}
