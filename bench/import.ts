import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { UploadLimits } from "~/domain/upload-errors";
import type { GeneratorStyle } from "./import-fixture";
import type { ProfileStep } from "./import-pipeline";
import type { MemoryFigures, Mode, WorkerResult } from "./import-measure";
import type { ServerReport } from "./import-server";

/**
 * `npm run bench:import` — docs/benchmarks.md.
 *
 * For each size (1k, 10k, 100k data lines): generate the organisation's
 * filled workbook, then on that same file, in the same run, alternately
 *  - the floor: exceljs's streaming reader alone (WorkbookReader, every
 *    worksheet and every row);
 *  - the pipeline: `receiveUpload` (upload guard, bounded streaming reader,
 *    interpretation against the plan, validation, storage in one
 *    transaction), checked to store every line with 0 errors.
 * Each measurement runs in a process of its own (bench/import-worker.ts),
 * so its peak RSS is its own. Then, for the largest size, the pipeline's
 * steps one by one (where the time and the memory go).
 *
 * Prints a table and rewrites this driver's part of the "## Import
 * (bench:import)" section of docs/benchmarks.md, leaving every other part
 * of the file as it is.
 *
 * Driver: embedded in-memory PGlite, or PostgreSQL when DATABASE_URL is set
 * (a fresh schema, dropped afterwards).
 *
 * Options: --sizes 1000,10000,100000   --runs 3   --generator auto|template|stream
 *          --no-profile   --no-write   --keep (keep the generated workbooks)
 *          --server: instead, the upload through the API of a production
 *            server (`server.mjs`, as `npm run serve`) on PostgreSQL
 *            (DATABASE_URL), the server process's RSS watched
 *            (bench/import-server.ts); prints, does not write the document.
 *          --server-node-args "…": node options of that server (default
 *            none, as `npm run serve`; e.g. --max-semi-space-size=2 as `npm start`).
 *          --server-env "K=V …": environment variables added to that server's;
 *            "K=" removes K, e.g. MALLOC_MMAP_THRESHOLD_= for glibc's default
 *            (dynamic) threshold instead of `npm run serve`'s (ADR 059).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const WORKER = path.join(here, "import-worker.ts");
const DOC = path.join(root, "docs", "benchmarks.md");
const SECTION = "## Import (bench:import)";
const MiB = 1024 * 1024;
/** ADR 031: within 1.5× exceljs's stream read on PostgreSQL, 2.5× on the embedded database. */
const TARGET_RATIO: Record<string, number> = { pg: 1.5, pglite: 2.5 };
const TARGET_RSS = 300 * MiB;
/** Used only if the default upload limits refuse a generated file (then said in the report). */
const RAISED_LIMITS: Partial<UploadLimits> = { maxFileBytes: 64 * MiB, maxTotalUncompressedBytes: 1024 * MiB, maxCachedPartBytes: 128 * MiB };

interface Options {
  sizes: number[];
  runs: number;
  generator: "auto" | GeneratorStyle;
  profile: boolean;
  write: boolean;
  keep: boolean;
  server: boolean;
  serverNodeArgs: string[] | undefined;
  serverEnv: Record<string, string | undefined>;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { sizes: [1_000, 10_000, 100_000], runs: 3, generator: "auto", profile: true, write: true, keep: false, server: false, serverNodeArgs: undefined, serverEnv: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--sizes") options.sizes = value().split(",").map((s) => Number(s.trim().replace(/k$/i, "000")));
    else if (arg === "--runs") options.runs = Number(value());
    else if (arg === "--generator") options.generator = value() as Options["generator"];
    else if (arg === "--no-profile") options.profile = false;
    else if (arg === "--no-write") options.write = false;
    else if (arg === "--keep") options.keep = true;
    else if (arg === "--server") options.server = true;
    else if (arg === "--server-node-args") options.serverNodeArgs = value().split(" ").filter(Boolean);
    else if (arg === "--server-env") options.serverEnv = Object.fromEntries(value().split(" ").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1) || undefined]));
    else throw new Error(`Unknown option ${arg}`);
  }
  if (!options.sizes.every((n) => Number.isInteger(n) && n > 0) || !(options.runs >= 1)) throw new Error("Invalid --sizes or --runs");
  if (!["auto", "template", "stream"].includes(options.generator)) throw new Error("--generator: auto, template or stream");
  return options;
}

/** Runs one worker process and returns its result. */
function runWorker(mode: Mode, lines: number, file: string, extra?: string): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [mode, String(lines), file, ...(extra ? [extra] : [])], {
      cwd: root,
      execArgv: ["--import", "tsx", "--expose-gc"],
      // The pipeline reads the portal's settings (heavy-work pool): with DATABASE_URL they would default to production mode, which needs secrets.
      env: { ...process.env, APP_MODE: process.env.APP_MODE ?? "demo" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: WorkerResult | undefined;
    child.on("message", (message) => {
      result = message as WorkerResult;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`worker ${mode} ${lines} exited with code ${code}`));
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MB`;
const mbFile = (bytes: number) => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} kB`);
const secs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1_000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const spread = (values: number[]) => (values.length > 1 ? ` (${secs(Math.min(...values))}–${secs(Math.max(...values))})` : "");
const sizeLabel = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

interface SizeResult {
  lines: number;
  style: GeneratorStyle;
  bytes: number;
  floor: WorkerResult[];
  pipeline: WorkerResult[];
  limitsNote: string | null;
}

function memoryOf(results: WorkerResult[]): MemoryFigures[] {
  return results.map((r) => r.memory!).filter(Boolean);
}

function machine() {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  return {
    nproc: os.availableParallelism(),
    cpu: model,
    ram: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const driver = process.env.DATABASE_URL ? "pg" : "pglite";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-bench-import-"));
  const started = new Date();
  const loadStart = load();
  const results: SizeResult[] = [];
  let profile: { lines: number; result: WorkerResult } | null = null;
  const log = (text: string) => console.log(`[bench:import ${new Date().toISOString().slice(11, 19)}] ${text}`);
  log(`driver ${driver}, sizes ${options.sizes.join(", ")}, ${options.runs} run(s) each, load average ${loadStart}`);

  if (options.server) {
    try {
      for (const lines of options.sizes) {
        const file = path.join(dir, `bench-${lines}.xlsx`);
        const generated = await runWorker("generate", lines, file, options.generator === "template" ? "template" : "stream");
        log(`${lines} lines: workbook generated (${mbFile(Number(generated.detail.bytes))})`);
        const { serverBench } = await import("./import-server");
        const report = await serverBench({ lines, file, runs: options.runs, log, floor: async () => (await runWorker("floor", lines, file)).ms, nodeArgs: options.serverNodeArgs, env: options.serverEnv });
        console.log(`\n${renderServerBlock(lines, Number(generated.detail.bytes), report, loadStart, load())}`);
      }
    } finally {
      if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
    }
    return;
  }

  try {
    for (const lines of options.sizes) {
      const style: GeneratorStyle = options.generator === "auto" ? (lines <= 10_000 ? "template" : "stream") : options.generator;
      const file = path.join(dir, `bench-${lines}.xlsx`);
      const generated = await runWorker("generate", lines, file, style);
      const bytes = Number(generated.detail.bytes);
      log(`${lines} lines: workbook generated (${style}, ${mbFile(bytes)}, ${secs(generated.ms)})`);
      const size: SizeResult = { lines, style, bytes, floor: [], pipeline: [], limitsNote: null };
      let limits: Partial<UploadLimits> | undefined;
      for (let run = 0; run < options.runs; run++) {
        const floor = await runWorker("floor", lines, file);
        size.floor.push(floor);
        log(`${lines} lines, run ${run + 1}: floor ${secs(floor.ms)}, peak RSS ${mb(floor.memory!.peak)}`);
        let pipeline = await runWorker("pipeline", lines, file, limits ? JSON.stringify(limits) : undefined);
        if (pipeline.detail.kind === "refused" && !limits) {
          size.limitsNote = `refused with the default limits (${String((pipeline.detail.problems as string[] | undefined)?.[0] ?? "")}); measured with ${JSON.stringify(RAISED_LIMITS)}`;
          log(`${lines} lines: ${size.limitsNote}`);
          limits = RAISED_LIMITS;
          pipeline = await runWorker("pipeline", lines, file, JSON.stringify(limits));
        }
        const d = pipeline.detail;
        if (d.kind !== "stored" || d.errors !== 0 || d.storedValues !== lines) {
          throw new Error(`The pipeline did not store the ${lines} lines cleanly: ${JSON.stringify(d)}`);
        }
        size.pipeline.push(pipeline);
        log(`${lines} lines, run ${run + 1}: pipeline ${secs(pipeline.ms)}, peak RSS ${mb(pipeline.memory!.peak)} (stored ${String(d.storedValues)} values, ${String(d.errors)} errors, ${String(d.warnings)} warnings)`);
      }
      results.push(size);
      if (options.profile && lines === Math.max(...options.sizes)) {
        const result = await runWorker("profile", lines, file, limits ? JSON.stringify(limits) : undefined);
        profile = { lines, result };
        log(`${lines} lines: profile done`);
      }
    }
  } finally {
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
    else log(`workbooks kept in ${dir}`);
  }

  const report = { driver, started, loadStart, loadEnd: load(), machine: machine(), options, results, profile };
  const markdown = renderDriverBlock(report);
  console.log(`\n${markdown}`);
  if (options.write) {
    writeSection(markdown, driver);
    log(`written to ${path.relative(root, DOC)}`);
  }
}

function renderServerBlock(lines: number, bytes: number, r: ServerReport, loadStart: string, loadEnd: string): string {
  const out = [
    `Production server (\`node ${r.nodeArgs.join(" ")} server.mjs\`, NODE_ENV=production, APP_MODE=production, ${Object.entries(r.env)
      .map(([k, v]) => (v === undefined ? `${k} unset` : `${k}=${v}`))
      .join(", ")}, PostgreSQL), ${sizeLabel(lines)} lines (${mbFile(bytes)}) uploaded through \`POST /api/v1/campaigns/{year}/uploads\` (bearer token); ` +
      `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, load average ${loadStart} at the start, ${loadEnd} at the end; server idle RSS after start ${mb(r.rssIdle)}.`,
    "",
    "| Run | Floor (exceljs stream read) | Upload (request → 201) | Ratio | Server RSS before → peak (Δ) | VmHWM / sampled peak | RSS 1 s after |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const u of r.uploads) {
    out.push(
      `| ${u.run} | ${secs(u.floorMs)} | ${secs(u.uploadMs)} | ${(u.uploadMs / u.floorMs).toFixed(1)}× | ${mb(u.rssBefore)} → ${mb(u.peak)} (+${mb(u.peak - u.rssBefore)}) | ` +
        `${u.hwm === null ? "n/a" : mb(u.hwm)} / ${mb(u.rssSampledPeak)} | ${mb(u.rssAfter)} |`,
    );
  }
  const ratio = median(r.uploads.map((u) => u.uploadMs)) / median(r.uploads.map((u) => u.floorMs));
  const peak = Math.max(...r.uploads.map((u) => u.peak));
  out.push(
    "",
    `Medians: floor ${secs(median(r.uploads.map((u) => u.floorMs)))}, upload ${secs(median(r.uploads.map((u) => u.uploadMs)))} (${ratio.toFixed(1)}×, target ≤ ${TARGET_RATIO.pg}×: ${ratio <= TARGET_RATIO.pg! ? "met" : "missed"}); ` +
      `highest server peak ${mb(peak)} (target ≤ ${mb(TARGET_RSS)}: ${peak <= TARGET_RSS ? "met" : "missed"}). Every upload stored all ${lines} values (counted).`,
  );
  return out.join("\n");
}

interface Report {
  driver: string;
  started: Date;
  loadStart: string;
  loadEnd: string;
  machine: ReturnType<typeof machine>;
  options: Options;
  results: SizeResult[];
  profile: { lines: number; result: WorkerResult } | null;
}

const driverHeading = (driver: string) =>
  driver === "pg" ? "### Driver `pg` (PostgreSQL server, DATABASE_URL)" : "### Driver `pglite` (embedded PostgreSQL, in memory, in the process)";

function renderDriverBlock(r: Report): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(driverHeading(r.driver), "");
  out.push(
    `Run ${r.started.toISOString().slice(0, 16).replace("T", " ")} UTC — ${m.nproc} CPU (${m.cpu}), ${m.ram} RAM, Node ${m.node}, ${m.platform}; ` +
      `load average (1/5/15 min) ${r.loadStart} at the start, ${r.loadEnd} at the end. ` +
      `${r.options.runs} run(s) per size, floor and pipeline alternating; times are medians (min–max); peaks are the highest of the runs (for the pipeline, that run's RSS before → peak).`,
    "",
  );
  out.push(
    "| Lines | File | Floor: time | Pipeline: time | Ratio | Floor: peak RSS | Pipeline: RSS before → peak (Δ) |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const s of r.results) {
    const floorMs = s.floor.map((f) => f.ms);
    const pipeMs = s.pipeline.map((p) => p.ms);
    const ratio = median(pipeMs) / median(floorMs);
    const floorMem = memoryOf(s.floor);
    const pipeMem = memoryOf(s.pipeline);
    const floorPeak = Math.max(...floorMem.map((x) => x.peak));
    // Before, peak and Δ of one run (the one with the highest peak), so that they add up.
    const worst = pipeMem.reduce((a, b) => (b.peak > a.peak ? b : a));
    out.push(
      `| ${sizeLabel(s.lines)} | ${mbFile(s.bytes)} | ${secs(median(floorMs))}${spread(floorMs)} | ${secs(median(pipeMs))}${spread(pipeMs)} | ${ratio.toFixed(1)}× | ` +
        `${mb(floorPeak)} | ${mb(worst.rssBefore)} → ${mb(worst.peak)} (+${mb(worst.peak - worst.rssBefore)}) |`,
    );
  }
  out.push("");
  out.push(
    "Every pipeline run stored all the lines (`submission_value` rows counted) with 0 errors and 0 warnings. " +
      `Files: ${r.results.map((s) => `${sizeLabel(s.lines)} ${s.style === "template" ? "`buildTemplate` + filled" : "streaming `WorkbookWriter`, same layout"}`).join(", ")}.` +
      (r.results.some((s) => s.limitsNote) ? "" : " The default upload limits accepted every file."),
  );
  for (const s of r.results) if (s.limitsNote) out.push("", `Limits, ${sizeLabel(s.lines)}: ${s.limitsNote}.`);

  const largest = r.results.find((s) => s.lines === 100_000);
  for (const s of r.results) {
    const worst = s.pipeline.reduce((a, b) => (b.memory!.peak > a.memory!.peak ? b : a));
    const baseline = worst.detail.baseline as Record<string, number> | undefined;
    if (!baseline) continue;
    out.push(
      "",
      `Before the upload (${sizeLabel(s.lines)}, the run with the highest peak; RSS after a full GC, each step adding to the previous): ` +
        Object.entries(baseline)
          .map(([step, bytes]) => `${step} ${mb(bytes)}`)
          .join(" → ") +
        `; then the upload: ${mb(worst.memory!.rssBefore)} → ${mb(worst.memory!.peak)}.`,
    );
  }
  out.push("");
  if (!largest) {
    out.push("The targets concern 100k lines, not measured in this run.");
  } else {
    const ratio = median(largest.pipeline.map((p) => p.ms)) / median(largest.floor.map((f) => f.ms));
    const target = TARGET_RATIO[r.driver] ?? 2;
    const worst = memoryOf(largest.pipeline).reduce((a, b) => (b.peak > a.peak ? b : a));
    const delta = worst.peak - worst.rssBefore;
    out.push(
      `**Targets at 100k lines:** time ${ratio.toFixed(1)}× the floor (target ≤ ${target}×): **${ratio <= target ? "met" : "missed"}**; ` +
        `peak RSS ${mb(worst.peak)} (target ≤ ${mb(TARGET_RSS)}${r.driver === "pg" ? "" : ", set for PostgreSQL"}): **${worst.peak <= TARGET_RSS ? "met" : "missed"}**` +
        (r.driver === "pglite"
          ? ` — the embedded database lives in the same process and already holds ${mb(worst.rssBefore)} before the upload starts; the import itself adds ${mb(delta)} (${delta < TARGET_RSS ? "under" : "over"} ${mb(TARGET_RSS)}).`
          : ` (${mb(worst.rssBefore)} before the upload, +${mb(delta)} during it).`),
    );
  }

  if (r.profile) {
    const steps = r.profile.result.detail.steps as ProfileStep[];
    const measured = r.results.find((s) => s.lines === r.profile!.lines);
    out.push("", `#### Where it goes (${sizeLabel(r.profile.lines)} lines, one process, steps called one after the other)`, "");
    out.push("| Step | Time | Live heap before | RSS before → peak |", "|---|---:|---:|---:|");
    for (const step of steps) {
      out.push(`| ${step.name} | ${step.ms ? secs(step.ms) : ""} | ${mb(step.heapBefore)} | ${mb(step.rssBefore)} → ${mb(step.peak)} |`);
    }
    out.push(
      "",
      "plan = `assertSubmissionOpen` + `buildCollectionPlan`; the plan's lines to the worker = `packPlanLines` (without their keys), a structured clone moving its typed arrays, `packedPlanLines` (what the trip to the worker costs them; each line is built later, when read: ADR 058); " +
        "guard = `guardUpload`; reader = `readSheetRows`, rows collected in an array (which the pipeline never does; released after interpret); " +
        "interpret = `interpretWorkbook` over those rows; validate = `validateLines`; encode = `encodeUploadRows` (the COPY text); the store line replays `receiveUpload`'s statements " +
        "(stored_file, submission_version, the values and comments by COPY) in a transaction rolled back. These steps run one after the other on the main thread; " +
        "the next line is the same work as one heavy task in a worker thread, as receiveUpload runs it (without the plan and the store). " +
        `Live heap: V8 heap in use after a full GC. Sum of the steps on the main thread: ${secs(r.profile.result.ms)}` +
        (measured ? `; the whole pipeline measured above: ${secs(median(measured.pipeline.map((p) => p.ms)))}.` : "."),
    );
  }
  return out.join("\n");
}

function sectionIntro(): string {
  return [
    SECTION,
    "",
    "`npm run bench:import` (bench/import.ts; docs/benchmarks.md). For 1k, 10k and 100k data lines: an organisation whose agreement lists",
    "lines ÷ 25 indicators, each broken down by sex (2) × age band (12), i.e. 1 total + 24 cells; its filled workbook (every value given,",
    "cells summing to totals); then, on that same file, alternately:",
    "",
    "- **floor** — exceljs's streaming reader alone: `new ExcelJS.stream.xlsx.WorkbookReader(stream, { sharedStrings: \"cache\", styles: \"cache\", worksheets: \"emit\" })`,",
    "  every worksheet and every row iterated, nothing else (exceljs loaded, not the portal);",
    "- **pipeline** — `receiveUpload(db, actor, { year, organisationId, uploadedBy: null, via: \"web\", filename, bytes })`: upload guard (zip/XML checks),",
    "  bounded streaming reader, interpretation against the organisation's plan and validation in a worker thread (ADR 016, ADR 031), storage in one",
    "  transaction (stored_file + submission_version, submission_value and submission_line_comment rows by COPY) and its audit event.",
    "",
    "Each measurement runs in a child process of its own; the database, the referential, the file's bytes and (for the pipeline) one heavy-work thread are ready before the clock starts.",
    "Peak RSS: the kernel's high-water mark (VmHWM, reset through /proc/self/clear_refs when the phase starts; `process.resourceUsage().maxRSS` agrees)",
    "and a 5 ms `process.memoryUsage.rss()` sampler, whichever is higher. Targets (ADR 031): 100k lines within 1.5× the floor on PostgreSQL and 2.5× on the embedded database, peak RSS ≤ 300 MB on PostgreSQL.",
    "Re-running with one driver rewrites that driver's part only. `--server` (PostgreSQL) instead uploads the file through `POST /api/v1/campaigns/{year}/uploads` to a production server",
    "(`server.mjs`, as `npm run serve`) and reports the server process's RSS before, its VmHWM and sampled peak, and the request's time beside the floor; it prints, it does not rewrite this section.",
  ].join("\n");
}

/** Rewrites this driver's block (and the section's introduction) in docs/benchmarks.md; everything else is kept. */
function writeSection(driverBlock: string, driver: string) {
  const header = "# Benchmarks\n\nFigures measured by the repository's benchmark scripts (`npm run bench:*`). Each section is rewritten by its own script; hand-written `###` parts of a section are kept.\n";
  const text = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : header;
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === SECTION);
  let before: string[];
  let after: string[];
  let existing: string[] = [];
  if (start === -1) {
    before = lines;
    after = [];
  } else {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end === -1) end = lines.length;
    before = lines.slice(0, start);
    existing = lines.slice(start + 1, end);
    after = lines.slice(end);
  }
  // Split the existing section into its ### parts; keep every part but this driver's.
  const parts: { heading: string; body: string[] }[] = [];
  for (const line of existing) {
    if (/^### /.test(line)) parts.push({ heading: line, body: [] });
    else parts[parts.length - 1]?.body.push(line);
  }
  const ownHeading = driverHeading(driver);
  const kept = parts.filter((p) => p.heading !== ownHeading);
  const blocks = [...kept.map((p) => ({ heading: p.heading, text: [p.heading, ...p.body].join("\n").trim() })), { heading: ownHeading, text: driverBlock.trim() }];
  // Driver blocks first (pglite, then pg), then any other part in its existing order.
  const rank = (heading: string) => (heading === driverHeading("pglite") ? 0 : heading === driverHeading("pg") ? 1 : 2);
  blocks.sort((a, b) => rank(a.heading) - rank(b.heading));
  const section = [sectionIntro(), ...blocks.map((b) => b.text)].join("\n\n");
  const head = before.join("\n").replace(/\s*$/, "");
  const tail = after.join("\n").replace(/^\s*/, "");
  const output = `${head ? `${head}\n\n` : ""}${section}\n${tail ? `\n${tail.replace(/\s*$/, "")}\n` : ""}`;
  fs.mkdirSync(path.dirname(DOC), { recursive: true });
  fs.writeFileSync(DOC, output);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
