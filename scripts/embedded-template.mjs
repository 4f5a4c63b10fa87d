// Writes the embedded database's template (ADR 032): an empty PostgreSQL
// cluster made by PGlite's initdb, dumped as a gzipped tarball under .cache/
// so that a start on an empty DATA_DIR loads it (≈ 2 s) instead of running
// initdb in the portal's process (≈ 10 s, and ~450 MiB of WASM heap that is
// never given back). Keyed by the installed PGlite version: kept across
// builds (Vite empties build/), made again only when PGlite changes. Run by
// `npm run build` and `npm start`.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

export function embeddedTemplateFile() {
  const entry = require.resolve("@electric-sql/pglite");
  const { version } = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), "..", "package.json"), "utf8"));
  return path.join(root, ".cache", "embedded-template", `pglite-${version}.tar.gz`);
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

if (process.argv[1] === fileURLToPath(import.meta.url)) await writeEmbeddedTemplate();
