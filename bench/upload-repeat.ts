// npm run bench:upload-repeat -- [--lines 100000] [--tasks 6]   (docs/benchmarks.md, ADR 056)
//
// One heavy-work thread parsing the same generated workbook several times in a row, as a portal's thread
// does when uploads follow one another: the plan built once, then `parseUpload` run `--tasks` times through
// the pool (guard, read, interpretation, validation, COPY text), each task's time printed. A thread that gets
// slower from task to task (ADR 056: forced collections did this) shows here; one upload at a time does not.
// Database: embedded PGlite, or DATABASE_URL (a fresh schema, dropped afterwards).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { openBenchDb, seededWorkbook } from "./import-fixture";
import { packPlanLines } from "~/server/collection/packed-lines";
import { runHeavy } from "~/server/heavy/pool.server";
import { DEFAULT_VARIATION_THRESHOLD } from "~/server/collection/submissions.server";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const lines = arg("--lines", 100_000);
const tasks = arg("--tasks", 6);
process.env.APP_MODE ??= "demo";

const db = await openBenchDb();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-upload-repeat-"));
try {
  const { plan, bytes } = await seededWorkbook(db.db, lines, dir, "upload.xlsx", "stream");
  await runHeavy("threadInfo", {} as never);
  const times: number[] = [];
  for (let i = 1; i <= tasks; i++) {
    const expected = { organisationCode: plan.organisation.code, organisationName: plan.organisation.name, year: plan.campaign.year, planHash: plan.hash, lines: packPlanLines(plan.lines) };
    const started = performance.now();
    const out = await runHeavy("parseUpload", { bytes, filename: "upload.xlsx", contentType: null, expected, variationThreshold: DEFAULT_VARIATION_THRESHOLD, versionId: randomUUID() });
    if (out.kind !== "validated") throw new Error(`task ${i}: ${out.kind}`);
    times.push(performance.now() - started);
    console.log(`task ${i}: ${(times.at(-1)! / 1000).toFixed(2)} s`);
  }
  const first = times.slice(0, 2);
  const last = times.slice(-2);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`${lines} lines, ${tasks} tasks in one thread (${db.label}): first two ${(mean(first) / 1000).toFixed(2)} s, last two ${(mean(last) / 1000).toFixed(2)} s (×${(mean(last) / mean(first)).toFixed(2)}); load average ${os.loadavg().map((l) => l.toFixed(1)).join(" / ")}`);
} finally {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
