// npm run bench:pages — ADR 021 and ADR 033: the
// published report, the reader's report and signed-in portal pages against
// anchors measured in the same run: /healthz (same stack) and a bare Node
// server sending the same precompressed bytes. Production build on a fresh
// PostgreSQL database seeded with the demo data (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/test: a throw-away database is created
// and dropped). Prints a Markdown table; writes nothing.
//   --seconds N   autocannon duration per target (default 10)
//   --cpu-prof D  run the measured server under node --cpu-prof (profiles in D;
//                 summarise them with bench/profile-summary.ts)
//   --only a,b    measure only these targets besides the two anchors (names:
//                 public, public304, reader, reader304, home, extranet,
//                 home-render, extranet-render: rendered for every request, ADR 055)
//   --save-html D write the signed-in reader's `/` and `/extranet` HTML (identity) into D
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import autocannon from "autocannon";
import { startProductionServer, freePort } from "../tests/support/production-server";
import { login } from "./login";
import { withPgClient } from "./pg-client";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SECONDS = Number(arg("--seconds") ?? 10);
const CPU_PROF = arg("--cpu-prof");
const ONLY = arg("--only")?.split(",");
const SAVE_HTML = arg("--save-html");
const CONNECTIONS = 20;
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: string;
  cpu: number | null;
}

/**
 * `render`: every request carries a cookie of its own besides the session's, so that no request is answered
 * from a page the process holds (ADR 055): the cost of rendering the page, the holding's own work included.
 */
async function cannon(name: string, url: string, headers: Record<string, string>, pid: number | undefined, render = false): Promise<Row> {
  const cpu0 = cpuMs(pid);
  let n = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers,
    ...(render
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                headers: { ...(request.headers as Record<string, string> | undefined), cookie: `${headers.cookie}; bench=${n++}` },
              }),
            },
          ],
        }
      : {}),
  });
  const cpu = pid ? (cpuMs(pid) - cpu0) / Math.max(1, result.requests.total) : null;
  const statuses = ["1xx", "2xx", "3xx", "4xx", "5xx"].map((k) => [k, (result as unknown as Record<string, number>)[k]] as const).filter(([, n]) => (n ?? 0) > 0);
  const row = {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    statuses: statuses.map(([k, n]) => `${k}×${n}`).join(" "),
    cpu,
  };
  console.error(`${name}: ${row.rps.toFixed(0)} req/s, p99 ${row.p99} ms, ${row.statuses}, CPU ${cpu?.toFixed(2) ?? "?"} ms/req`);
  return row;
}

/** The anchor: a bare Node server (child process, no framework, no database) sending `bytes` as brotli. */
async function bareServer(bytes: Buffer) {
  const file = `${os.tmpdir()}/odpe-bench-bare-${process.pid}.br`;
  fs.writeFileSync(file, bytes);
  const port = await freePort();
  const code = `const b=require("fs").readFileSync(${JSON.stringify(file)});require("http").createServer((q,r)=>{r.writeHead(200,{"Content-Type":"text/html; charset=utf-8","Content-Encoding":"br","Content-Length":b.length,"Cache-Control":"public, max-age=300","Vary":"Accept-Encoding"});r.end(b)}).listen(${port},"127.0.0.1",()=>console.log("ready"))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  return { url: `http://127.0.0.1:${port}/`, pid: child.pid, stop: () => (child.kill(), fs.rmSync(file, { force: true })) };
}

/** Bytes of JavaScript a page loads: its module scripts and modulepreloads (build/client), and whether recharts is among them. */
async function pageScripts(url: string, cookie?: string) {
  const html = await (await fetch(url, { headers: cookie ? { cookie } : {} })).text();
  const srcs = new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!));
  let bytes = 0;
  let recharts = false;
  for (const src of srcs) {
    const body = fs.readFileSync(`build/client${src}`, "utf8");
    bytes += Buffer.byteLength(body);
    if (/recharts|ResponsiveContainer/.test(body)) recharts = true;
  }
  return { files: srcs.size, bytes, recharts };
}

async function main() {
  const loadStart = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const name = `odpe_bench_pages_${randomBytes(4).toString("hex")}`;
  const admin = (q: string) => withPgClient(adminUrl, (c) => c.query(q));
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const common = { DATABASE_URL: url.toString(), DATA_DIR: undefined, AUDIT_HMAC_KEY: randomBytes(32).toString("hex") };
  try {
    console.error("seeding the demo data…");
    const seeding = await startProductionServer({ env: { ...common, APP_MODE: "demo" }, timeoutMs: 600_000 });
    await seeding.stop();
    const server = await startProductionServer({
      build: false,
      env: { ...common, APP_MODE: "production", SESSION_SECRET: randomBytes(32).toString("hex"), LOGIN_MAX_FAILURES_PER_IP: "1000" },
      nodeArgs: CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF}`] : [],
    });
    const pid = server.child.pid;
    try {
      const { rows } = await withPgClient(url.toString(), (c) => c.query<{ y: number }>("select reference_year as y from dashboard_edition where published_at is not null order by reference_year desc limit 1"));
      const year = rows[0]!.y;
      const reader = await login(server.url, "elu@" + (await demoDomain(url.toString())));
      const report = `${server.url}/extranet/tableau-de-bord/${year}`;
      const first = await fetch(report, { headers: { "Accept-Encoding": "br" } });
      if (first.status !== 200) throw new Error(`public report ${first.status}`);
      const etag = first.headers.get("etag")!;
      const raw = await fetch(report, { headers: { "Accept-Encoding": "br" } });
      // fetch decodes brotli: recompress the identity bytes the same way for the anchor (quality 11, as stored).
      const zlib = await import("node:zlib");
      const br = zlib.brotliCompressSync(Buffer.from(await raw.arrayBuffer()), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } });
      const readerReport = `${server.url}/dashboard/${year}`;
      const rr = await fetch(readerReport, { headers: { cookie: reader, "Accept-Encoding": "br" } });
      const readerEtag = rr.headers.get("etag")!;
      // Three times: the first render teaches the process that the path may be held, the second that the key was
      // requested before, the third is held (ADR 055).
      const held = { home: false, extranet: false };
      for (const p of ["/", "/extranet", "/", "/extranet", "/", "/extranet"]) await fetch(`${server.url}${p}`, { headers: { cookie: reader } });
      for (const p of ["/", "/extranet"] as const) {
        const res = await fetch(`${server.url}${p}`, { headers: { cookie: reader } });
        await res.arrayBuffer();
        held[p === "/" ? "home" : "extranet"] = res.headers.get("server-timing") === "held";
      }
      // Warm-up
      await autocannon({ url: `${server.url}/`, connections: 4, duration: 3, headers: { cookie: reader, "Accept-Encoding": "gzip" } });
      const bare = await bareServer(br);
      const rowsOut: Row[] = [];
      try {
        const wanted = (target: string) => !ONLY || ONLY.includes(target);
        const measure = async (target: string, ...args: Parameters<typeof cannon>) => {
          if (wanted(target)) rowsOut.push(await cannon(...args));
        };
        rowsOut.push(await cannon("anchor: `/healthz` (same stack)", `${server.url}/healthz`, {}, pid));
        rowsOut.push(await cannon("anchor: bare Node server, same brotli bytes", bare.url, { "Accept-Encoding": "br" }, bare.pid));
        await measure("public", `public report \`/extranet/tableau-de-bord/${year}\` (br)`, report, { "Accept-Encoding": "gzip, deflate, br" }, pid);
        await measure("public304", "public report, `If-None-Match` hit (304)", report, { "If-None-Match": etag }, pid);
        await measure("reader", `reader's report \`/dashboard/${year}\` (br)`, readerReport, { cookie: reader, "Accept-Encoding": "gzip, deflate, br" }, pid);
        await measure("reader304", "reader's report, `If-None-Match` hit (304)", readerReport, { cookie: reader, "If-None-Match": readerEtag }, pid);
        await measure("home", "signed-in reader home `/` (gzip)", `${server.url}/`, { cookie: reader, "Accept-Encoding": "gzip" }, pid);
        await measure("extranet", "signed-in `/extranet` (gzip)", `${server.url}/extranet`, { cookie: reader, "Accept-Encoding": "gzip" }, pid);
        // The same pages rendered for every request (no held page, ADR 055): what a first visit, or any visit after a change, costs.
        await measure("home-render", "signed-in reader home `/`, rendered each time (gzip)", `${server.url}/`, { cookie: reader, "Accept-Encoding": "gzip" }, pid, true);
        await measure("extranet-render", "signed-in `/extranet`, rendered each time (gzip)", `${server.url}/extranet`, { cookie: reader, "Accept-Encoding": "gzip" }, pid, true);
        rowsOut.push(await cannon("anchor again: `/healthz`", `${server.url}/healthz`, {}, pid));
      } finally {
        bare.stop();
      }
      const compressionRows = await compressionLevels(server.url, reader);
      const scripts = await pageScripts(`${server.url}/extranet`, reader);
      const home = await pageScripts(`${server.url}/`, reader);
      const loadEnd = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
      console.log(`\nRun ${new Date().toISOString()} — ${os.cpus().length} CPU (${os.cpus()[0]?.model.trim()}), Node ${process.version}, PostgreSQL; ${CONNECTIONS} connections, ${SECONDS} s per target; load average ${loadStart} at start, ${loadEnd} at end.\n`);
      console.log("| target | req/s | p50 | p99 | errors | statuses | server CPU per request |\n| --- | ---: | ---: | ---: | ---: | --- | ---: |");
      for (const r of rowsOut) console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${r.errors} | ${r.statuses} | ${r.cpu === null ? "" : `${r.cpu.toFixed(2)} ms`} |`);
      const health = (rowsOut[0]!.rps + rowsOut[rowsOut.length - 1]!.rps) / 2;
      const rps = (prefix: string) => rowsOut.find((r) => r.name.startsWith(prefix))?.rps;
      const ratio = (a: number | undefined, b: number) => (a === undefined ? "not measured" : `×${(a / b).toFixed(2)}`);
      console.log(
        `\nRatios (same run): public report / bare Node ${ratio(rps("public report `"), rowsOut[1]!.rps)}; reader home / \`/healthz\` (mean of both) ${ratio(rps("signed-in reader home `/` (gzip)"), health)}; \`/extranet\` / \`/healthz\` ${ratio(rps("signed-in `/extranet` (gzip)"), health)}; rendered each time: reader home ${ratio(rps("signed-in reader home `/`, rendered"), health)}, \`/extranet\` ${ratio(rps("signed-in `/extranet`, rendered"), health)}.`,
      );
      console.log(`Held pages (ADR 055): \`/\` ${held.home ? "served from the held page" : "rendered"}, \`/extranet\` ${held.extranet ? "served from the held page" : "rendered"} (Server-Timing of a request before the measures).`);
      console.log(`JavaScript loaded: \`/extranet\` ${(scripts.bytes / 1024).toFixed(0)} KiB in ${scripts.files} files (recharts: ${scripts.recharts ? "yes" : "no"}); reader home \`/\` ${(home.bytes / 1024).toFixed(0)} KiB in ${home.files} files (recharts: ${home.recharts ? "yes" : "no"}). Uncompressed.`);
      console.log(`\nCompression of the signed-in pages' HTML (this process, one page at a time, median of ${COMPRESSION_RUNS / 10} batches of 10; ADR 037):\n`);
      console.log("| page | identity | encoding | bytes | CPU per page |\n| --- | ---: | --- | ---: | ---: |");
      for (const r of compressionRows) console.log(`| ${r.page} | ${r.identity} | ${r.encoding} | ${r.bytes} | ${r.ms.toFixed(3)} ms |`);
    } finally {
      await server.stop();
    }
  } finally {
    await admin(`drop database if exists ${name} with (force)`);
  }
}

const COMPRESSION_RUNS = 100;

/** Bytes and CPU time of each candidate encoding of the reader home's and `/extranet`'s HTML (the level the server uses is in platform.server.ts). */
async function compressionLevels(base: string, cookie: string) {
  const zlib = await import("node:zlib");
  const candidates: [string, (b: Buffer) => Buffer][] = [
    ...[1, 3, 4, 6, 9].map((level): [string, (b: Buffer) => Buffer] => [`gzip level ${level}`, (b) => zlib.gzipSync(b, { level })]),
    ...[1, 3, 4, 5].map((q): [string, (b: Buffer) => Buffer] => [`brotli quality ${q}`, (b) => zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: q, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length } })]),
  ];
  const rows: { page: string; identity: number; encoding: string; bytes: number; ms: number }[] = [];
  for (const page of ["/", "/extranet"]) {
    const html = Buffer.from(await (await fetch(`${base}${page}`, { headers: { cookie, "Accept-Encoding": "identity" } })).arrayBuffer());
    if (SAVE_HTML) fs.writeFileSync(`${SAVE_HTML}/${page === "/" ? "home" : page.slice(1)}.html`, html);
    for (const [encoding, compress] of candidates) {
      const times: number[] = [];
      let bytes = 0;
      // Batches of 10 (the process's CPU clock is coarse for one page), median batch.
      for (let i = 0; i < COMPRESSION_RUNS / 10; i++) {
        const t0 = process.cpuUsage();
        for (let j = 0; j < 10; j++) bytes = compress(html).length;
        const t = process.cpuUsage(t0);
        times.push((t.user + t.system) / 10_000);
      }
      times.sort((a, b) => a - b);
      rows.push({ page: `\`${page}\``, identity: html.length, encoding, bytes, ms: times[Math.floor(times.length / 2)]! });
    }
  }
  return rows;
}

async function demoDomain(dbUrl: string): Promise<string> {
  const { rows } = await withPgClient(dbUrl, (c) => c.query<{ email: string }>("select email from app_user where role = 'reader' and email like 'elu@%' limit 1"));
  if (!rows[0]) throw new Error("no demo reader");
  return rows[0].email.split("@")[1]!;
}

await main();
