/**
 * bench/eventloop.ts — event-loop delay while heavy workbook work runs
 * (ADR 016, ADR 021). Run: `npx tsx bench/eventloop.ts`
 * (options: `--lines 5000`, `--inline` to annotate on the main thread as
 * before ADR 016; DATABASE_URL for PostgreSQL, else embedded).
 *
 * In one process, as the server runs them: upload a big valid workbook
 * (three versions one after the other, then three at once), then fetch the three annotated workbooks concurrently
 * (built in worker threads, at most HEAVY_WORK_CONCURRENCY at once), then
 * fetch them again (served from storage); meanwhile a /healthz server in
 * the same process is polled every 100 ms and the event-loop delay is
 * sampled (perf_hooks.monitorEventLoopDelay). Also uploads the attack of
 * ADR 017 (a valid template padded with numeric cells) and reports how long
 * its refusal took.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import ExcelJS from "exceljs";
import { systemActor } from "~/server/command.server";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { receiveUpload, XLSX_CONTENT_TYPE } from "~/server/collection/submissions.server";
import { storedAnnotatedWorkbook, type VersionToAnnotate } from "~/server/collection/annotated.server";
import { closeHeavyPool, runHeavy } from "~/server/heavy/pool.server";
import { getFile } from "~/server/storage/files.server";
import { DATA_SHEET } from "~/domain/template-layout";
import type { Problem } from "~/domain/problems";
import { openBenchDb, seedReferential, writeFilledWorkbook } from "./import-fixture";

// The portal's settings (heavy-work pool) default to production mode with DATABASE_URL, which needs secrets; a bench is not production.
process.env.APP_MODE ??= "demo";

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const LINES = Number(arg("lines", "5000"));
const INLINE = process.argv.includes("--inline");
const PAD_CELLS = Number(arg("pad", "200000"));
const actor = systemActor("bench:eventloop");
const ms = (n: number) => `${n.toFixed(0)} ms`;

interface Phase {
  name: string;
  wallMs: number;
  loopP99Ms: number;
  loopMaxMs: number;
  healthzMaxMs: number;
  healthzOver1s: number;
  healthzCount: number;
}

/** A /healthz server in this process, polled every 100 ms: the slowest answer tells how long the loop was blocked. */
async function startHealthz() {
  const server = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  let latencies: number[] = [];
  let stop = false;
  const agent = new http.Agent({ keepAlive: true });
  const poll = async () => {
    while (!stop) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        http.get({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => res.resume().on("end", resolve)).on("error", () => resolve());
      });
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const loop = poll();
  return {
    take() {
      const taken = latencies;
      latencies = [];
      return taken;
    },
    async close() {
      stop = true;
      await loop;
      agent.destroy();
      server.close();
    },
  };
}

async function phase<T>(name: string, healthz: Awaited<ReturnType<typeof startHealthz>>, work: () => Promise<T>): Promise<{ phase: Phase; value: T }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  healthz.take();
  histogram.enable();
  const started = performance.now();
  const value = await work();
  const wallMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 150));
  histogram.disable();
  const latencies = healthz.take();
  return {
    value,
    phase: {
      name,
      wallMs,
      loopP99Ms: histogram.percentile(99) / 1e6,
      loopMaxMs: histogram.max / 1e6,
      healthzMaxMs: Math.max(0, ...latencies),
      healthzOver1s: latencies.filter((l) => l > 1000).length,
      healthzCount: latencies.length,
    },
  };
}

async function padded(bytes: Buffer, cells: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const ws = wb.getWorksheet(DATA_SHEET)!;
  const start = ws.rowCount + 100;
  for (let i = 0; i < cells; i++) ws.getCell(start + Math.floor(i / 20), 1 + (i % 20)).value = i;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function main() {
  const handle = await openBenchDb();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-eventloop-"));
  const healthz = await startHealthz();
  const phases: Phase[] = [];
  try {
    const ref = await seedReferential(handle.db, LINES);
    const plan = await buildCollectionPlan(handle.db, ref.year, ref.organisationId);
    const file = path.join(dir, "big.xlsx");
    await writeFilledWorkbook(plan, file, "stream");
    // One faulty cell per indicator, so that the annotated workbook has notes to write.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.getWorksheet(DATA_SHEET)!;
    for (let r = 6; r <= ws.rowCount; r += 25) ws.getCell(`E${r}`).value = 0.5;
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const attack = await padded(bytes, PAD_CELLS);
    const upload = (b: Buffer) =>
      receiveUpload(handle.db, actor, { year: ref.year, organisationId: ref.organisationId, uploadedBy: null, via: "web", filename: "big.xlsx", bytes: b, contentType: XLSX_CONTENT_TYPE });

    // Anchor of the same run: the loop's delay with no work at all (on a shared machine, the scheduler's share of the figures).
    phases.push((await phase("idle, no work (anchor: the machine's own scheduling delay)", healthz, () => new Promise((r) => setTimeout(r, 3000)))).phase);
    // Second anchor: two worker threads computing while the main thread does nothing — what CPU contention alone costs the loop.
    phases.push((await phase("two worker threads busy, main thread idle (anchor)", healthz, () => Promise.all([runHeavy("spin", { ms: 3000 }), runHeavy("spin", { ms: 3000 })]))).phase);
    const refused = await phase(`upload of the padded template (+${PAD_CELLS.toLocaleString("en")} cells, ${(attack.length / 1e6).toFixed(1)} MB)`, healthz, () => upload(attack));
    phases.push(refused.phase);
    const uploads = await phase(`3 uploads of the valid workbook (${LINES} lines, ${(bytes.length / 1e6).toFixed(1)} MB)`, healthz, async () => [await upload(bytes), await upload(bytes), await upload(bytes)]);
    phases.push(uploads.phase);
    // The same three at once, as three partners sending at the same moment would (ADR 031).
    const concurrent = await phase(`3 uploads of the valid workbook at once (${LINES} lines each)`, healthz, () => Promise.all([upload(bytes), upload(bytes), upload(bytes)]));
    phases.push(concurrent.phase);
    if (concurrent.value.some((r) => r.kind !== "stored")) throw new Error(`concurrent upload: ${concurrent.value.map((r) => r.kind).join(", ")}`);
    const versions: VersionToAnnotate[] = [];
    for (const result of uploads.value) {
      if (result.kind !== "stored") throw new Error(`upload ${result.kind}`);
      const row = await handle.db
        .selectFrom("submission_version as v")
        .innerJoin("submission as s", "s.id", "v.submission_id")
        .innerJoin("organisation as o", "o.id", "s.organisation_id")
        .select(["v.id", "v.file_id", "v.problems", "v.number", "o.code"])
        .where("v.id", "=", result.versionId)
        .executeTakeFirstOrThrow();
      versions.push({ ...row, reference_year: ref.year });
    }
    const annotate = async () => {
      if (!INLINE) return Promise.all(versions.map((v) => storedAnnotatedWorkbook(handle.db, v)));
      // Before ADR 016: each download re-parsed the upload with exceljs on the main thread.
      const { annotate: inline } = (await import("~/server/heavy/heavy-work.worker.mjs" as string)) as {
        annotate: (input: { original: Uint8Array; problems: Problem[] }) => Promise<Uint8Array>;
      };
      return Promise.all(versions.map(async (v) => inline({ original: (await getFile(handle.db, v.file_id))!.content, problems: v.problems as Problem[] })));
    };
    phases.push((await phase(`3 annotated workbooks fetched at once (${INLINE ? "main thread, as before" : "worker threads"})`, healthz, annotate)).phase);
    phases.push((await phase(`the same 3 again (${INLINE ? "re-parsed, as before" : "served from storage"})`, healthz, annotate)).phase);
    console.log(`refusal of the padded template: ${refused.value.kind === "refused" ? refused.value.refusal.message.slice(0, 160) : refused.value.kind}`);
  } finally {
    await healthz.close();
    await closeHeavyPool();
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nbench:eventloop — ${handle.label}, ${os.cpus().length} vCPU, ${new Date().toISOString()}${INLINE ? " (--inline)" : ""}\n`);
  console.log("| phase | wall | event-loop delay p99 | max | /healthz slowest | /healthz > 1 s |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const p of phases) {
    console.log(`| ${p.name} | ${ms(p.wallMs)} | ${ms(p.loopP99Ms)} | ${ms(p.loopMaxMs)} | ${ms(p.healthzMaxMs)} | ${p.healthzOver1s} of ${p.healthzCount} |`);
  }
}

await main();
