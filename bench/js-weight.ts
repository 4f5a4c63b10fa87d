// npm run bench:js — issue 14 item 6: the JavaScript a browser downloads for
// a page's first load, computed from the production build (run `npm run build`
// first); no server, no database.
//
// What a page loads is what Remix puts in its HTML as <script type="module">
// and <link rel="modulepreload">: the client entry and its imports, then for
// each route of the match (root, then the page's route) its module and its
// imports. The Remix browser manifest (build/client/assets/manifest-*.js)
// lists exactly these per route id. Chunks imported with import() (charts,
// loaded when a page draws one) are not in that list: the script finds them in
// the Vite manifest (build/.vite/client-manifest.json, vite.config.ts's
// build.manifest) and prints them apart.
//
// Sizes: raw bytes on disk and gzip (zlib, default level, as the compression
// middleware sends them). "charts" says whether a chunk of the first load
// contains recharts (its class name "recharts-surface" survives minification);
// "zod" whether one contains zod ("ZodError" is a string in zod's code).
//   --json  print the rows as JSON instead of a Markdown table
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const client = path.resolve(process.argv.find((a) => a.startsWith("--dir="))?.slice(6) ?? "build/client");

/** The pages measured: a label, an example address, the route id of the page (its parents come from the manifest). */
const pages: { label: string; url: string; route: string }[] = [
  { label: "Extranet, home (publications, dashboards, contributors)", url: "/extranet", route: "routes/extranet._index" },
  { label: "Extranet, a publication", url: "/extranet/publications/:id", route: "routes/extranet.publications.$id" },
  { label: "Login", url: "/login", route: "routes/login" },
  { label: "Portal home (every role)", url: "/", route: "routes/_index" },
  { label: "Publications (list)", url: "/publications", route: "routes/publications._index" },
  { label: "A publication (editing)", url: "/publications/:id", route: "routes/publications.$id" },
  { label: "Published publications (list)", url: "/publications-diffusees", route: "routes/publications-diffusees._index" },
  { label: "A published publication", url: "/publications-diffusees/:id", route: "routes/publications-diffusees.$id" },
  { label: "Approvals (list)", url: "/approvals", route: "routes/approvals._index" },
  { label: "An approval", url: "/approvals/:id", route: "routes/approvals.$id" },
  { label: "Explorer", url: "/explorer", route: "routes/explorer" },
  { label: "Collection (a partner's upload)", url: "/collection/:year/:org", route: "routes/collection.$year.$org" },
  { label: "Dashboard editions", url: "/dashboard/editions/:id", route: "routes/dashboard.editions.$id" },
  { label: "Workspace (list)", url: "/workspace", route: "routes/workspace._index" },
];

interface RemixManifest {
  entry: { module: string; imports: string[] };
  routes: Record<string, { id: string; parentId?: string; module: string; imports?: string[] }>;
}
interface ViteChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
}

function readRemixManifest(): RemixManifest {
  const assets = path.join(client, "assets");
  const file = fs.readdirSync(assets).find((f) => /^manifest-[\w-]+\.js$/.test(f));
  if (!file) throw new Error(`No Remix manifest in ${assets}: run npm run build first.`);
  const text = fs.readFileSync(path.join(assets, file), "utf8");
  return JSON.parse(text.slice(text.indexOf("=") + 1).replace(/;\s*$/, "")) as RemixManifest;
}

function readViteManifest(): Record<string, ViteChunk> | null {
  const file = path.join(client, "..", ".vite", "client-manifest.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, ViteChunk>) : null;
}

const sizes = new Map<string, { raw: number; gzip: number; charts: boolean; zod: boolean }>();
function sizeOf(url: string) {
  let s = sizes.get(url);
  if (!s) {
    const bytes = fs.readFileSync(path.join(client, url.replace(/^\//, "")));
    const text = bytes.toString("utf8");
    s = { raw: bytes.length, gzip: zlib.gzipSync(bytes).length, charts: text.includes("recharts-surface"), zod: text.includes('"ZodError"') };
    sizes.set(url, s);
  }
  return s;
}

/** The first-load files of a route, in the order Remix lists them (deduplicated). */
function firstLoad(manifest: RemixManifest, routeId: string): string[] {
  const chain: string[] = [];
  for (let id: string | undefined = routeId; id; id = manifest.routes[id]?.parentId) {
    if (!manifest.routes[id]) throw new Error(`Unknown route id ${id}`);
    chain.unshift(id);
  }
  const files = [manifest.entry.module, ...manifest.entry.imports];
  for (const id of chain) files.push(manifest.routes[id]!.module, ...(manifest.routes[id]!.imports ?? []));
  return [...new Set(files)];
}

/** Files loaded later by import() from the first-load files, with what they import in turn, minus the first load. */
function lazyLoad(vite: Record<string, ViteChunk> | null, first: string[]): string[] {
  if (!vite) return [];
  const byFile = new Map(Object.entries(vite).map(([key, c]) => ["/" + c.file, { key, ...c }]));
  const out = new Set<string>();
  const visit = (key: string) => {
    const c = vite[key];
    if (!c || out.has("/" + c.file)) return;
    out.add("/" + c.file);
    for (const i of [...(c.imports ?? []), ...(c.dynamicImports ?? [])]) visit(i);
  };
  for (const f of first) for (const d of byFile.get(f)?.dynamicImports ?? []) visit(d);
  return [...out].filter((f) => !first.includes(f));
}

const manifest = readRemixManifest();
const vite = readViteManifest();
const kib = (n: number) => (n / 1024).toFixed(1);
const rows = pages.map((p) => {
  const first = firstLoad(manifest, p.route);
  const lazy = lazyLoad(vite, first);
  const sum = (files: string[]) => files.map(sizeOf).reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }), { raw: 0, gzip: 0 });
  return {
    ...p,
    files: first.length,
    ...sum(first),
    charts: first.some((f) => sizeOf(f).charts),
    zod: first.some((f) => sizeOf(f).zod),
    lazyFiles: lazy.length,
    lazy: sum(lazy),
  };
});

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`Client JavaScript per page, first load (${path.relative(process.cwd(), client) || "."}; KiB = 1,024 bytes; gzip at zlib's default level)\n`);
  console.log("| Page | Address | Files | Raw KiB | Gzip KiB | recharts | zod | Loaded later by import(): files, raw / gzip KiB |");
  console.log("|---|---|---:|---:|---:|---|---|---|");
  for (const r of rows) {
    const later = vite ? (r.lazyFiles ? `${r.lazyFiles}, ${kib(r.lazy.raw)} / ${kib(r.lazy.gzip)}` : "—") : "(no Vite manifest)";
    console.log(`| ${r.label} | \`${r.url}\` | ${r.files} | ${kib(r.raw)} | ${kib(r.gzip)} | ${r.charts ? "yes" : "no"} | ${r.zod ? "yes" : "no"} | ${later} |`);
  }
}
