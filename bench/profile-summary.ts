// npx tsx bench/profile-summary.ts <file.cpuprofile | directory> [--top N] [--by function|file|package]
// Self time of a V8 CPU profile (node --cpu-prof, e.g. `npm run bench:pages -- --cpu-prof D`)
// summed by function (default), by file or by package, top N (default 30), and the
// inclusive time of a few frames worth knowing (Remix's handler, React's render,
// the database drivers). Writes nothing.
import fs from "node:fs";
import path from "node:path";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const target = process.argv[2];
if (!target) throw new Error("usage: profile-summary <file|dir> [--top N] [--by function|file|package]");
const TOP = Number(arg("--top") ?? 30);
const BY = arg("--by") ?? "function";
// --window a-b: only the samples between a and b seconds after the profile's start (see --timeline).
const WINDOW = arg("--window")?.split("-").map(Number) as [number, number] | undefined;
const TIMELINE = process.argv.includes("--timeline");
const files = fs.statSync(target).isDirectory()
  ? fs.readdirSync(target).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(target, f))
  : [target];

function short(url: string): string {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + 13);
  return url.replace(/^file:\/\//, "").replace(/^.*\/(build|app|bench|node:)/, "$1");
}
function pkg(url: string): string {
  if (!url) return "(native/GC/idle)";
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return short(url);
}

for (const file of files) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let clock = 0;
  const perSecond: number[] = [];
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    clock += delta;
    const second = Math.floor(clock / 1e6);
    if (byId.get(id)!.callFrame.functionName !== "(idle)") perSecond[second] = (perSecond[second] ?? 0) + delta;
    if (WINDOW && (clock < WINDOW[0] * 1e6 || clock > WINDOW[1] * 1e6)) return;
    self.set(id, (self.get(id) ?? 0) + delta);
  });
  if (TIMELINE) console.log(perSecond.map((t, s) => `${s}s:${((t ?? 0) / 1000).toFixed(0)}`).join(" "));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const groups = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") continue;
    const key = BY === "file" ? short(url) : BY === "package" ? pkg(url) : `${functionName || "(anonymous)"} ${short(url)}:${lineNumber + 1}`;
    groups.set(key, (groups.get(key) ?? 0) + t);
  }
  // Inclusive time of frames matched by name (each sample counted once per pattern).
  const patterns: [string, RegExp][] = [
    ["Remix requestHandler", /^requestHandler$/],
    ["route matching (@remix-run/router)", /^(matchRoutes|matchRoutesImpl|flattenRoutes|rankRouteBranches)$/],
    ["Mantine", /node_modules\/@mantine\//],
    ["express.static (serve-static/send)", /node_modules\/(serve-static|send)\//],
    ["helmet", /node_modules\/helmet\//],
    ["compression/zlib", /node_modules\/compression\/|node:zlib/],
    ["React renderToPipeableStream work", /^(performWork|renderNodeDestructive|renderElement|retryRenderTask)$/],
    // react-dom's server renderer is minified: any frame of its files (the components it calls included).
    ["React server render (react-dom/server, components included)", /node_modules\/react-dom\/cjs\/react-dom-server/],
    ["pg / kysely", /node_modules\/(pg|pg-protocol|kysely)\//],
    ["express/helmet/compression", /node_modules\/(express|helmet|compression|router|send|serve-static)\//],
    ["GC", /^\(garbage collector\)$/],
    // --inclusive a,b: more frames by exact function name
    ...(arg("--inclusive")?.split(",") ?? []).map((name): [string, RegExp] => [name, new RegExp(`^${name}$`)]),
  ];
  const inclusive = new Map<string, number>();
  for (const [id, t] of self) {
    const hit = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      for (const [name, re] of patterns) if (re.test(f.functionName) || re.test(f.url)) hit.add(name);
    }
    for (const name of hit) inclusive.set(name, (inclusive.get(name) ?? 0) + t);
  }
  console.log(`\n## ${path.basename(file)}: ${(busy / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms sampled`);
  console.log(`| self ms | % busy | ${BY} |\n| ---: | ---: | --- |`);
  for (const [key, t] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`| ${(t / 1000).toFixed(0)} | ${((100 * t) / busy).toFixed(1)} | ${key} |`);
  console.log(`\nInclusive: ${[...inclusive].map(([k, t]) => `${k} ${((100 * t) / busy).toFixed(1)}%`).join("; ")}`);
}
