/**
 * bench/partner-upload.ts — a partner-sized upload, warm (ADR 031:
 * « a real partner file, a filled template of ~21 KB, keeps p50 < 100 ms »).
 * Run: `npx tsx bench/partner-upload.ts [--lines 300] [--runs 30]`
 * (DATABASE_URL for PostgreSQL, else embedded).
 *
 * In one process, after a warm-up: `receiveUpload` — everything the API's
 * upload does but HTTP, the token check and multipart — `--runs` times one
 * after the other, and, alternating with it, the anchor of the same run:
 * exceljs's streaming reader over the same bytes. Prints medians and p90.
 */
import os from "node:os";
import { Readable } from "node:stream";
import { performance } from "node:perf_hooks";
import fs from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import { systemActor } from "~/server/command.server";
import { receiveUpload, XLSX_CONTENT_TYPE } from "~/server/collection/submissions.server";
import { closeHeavyPool } from "~/server/heavy/pool.server";
import { openBenchDb, seededWorkbook } from "./import-fixture";

process.env.APP_MODE ??= "demo";
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const LINES = Number(arg("lines", "300"));
const RUNS = Number(arg("runs", "30"));

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

async function floor(bytes: Buffer) {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), { worksheets: "emit", sharedStrings: "cache", styles: "cache", hyperlinks: "ignore", entries: "ignore" });
  let rows = 0;
  for await (const worksheet of reader) for await (const _row of worksheet) rows += 1;
  return rows;
}

async function main() {
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const loadStart = load();
  const handle = await openBenchDb();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-partner-"));
  try {
    const { ref, bytes } = await seededWorkbook(handle.db, LINES, dir, "partenaire.xlsx", "template");
    const upload = () =>
      receiveUpload(handle.db, systemActor("bench:partner-upload"), { year: ref.year, organisationId: ref.organisationId, uploadedBy: null, via: "api", filename: "partenaire.xlsx", bytes, contentType: XLSX_CONTENT_TYPE });
    for (let i = 0; i < 5; i++) {
      await upload();
      await floor(bytes);
    }
    const pipeline: number[] = [];
    const anchor: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let started = performance.now();
      const result = await upload();
      pipeline.push(performance.now() - started);
      if (result.kind !== "stored" || result.errors) throw new Error(`upload: ${result.kind}`);
      started = performance.now();
      await floor(bytes);
      anchor.push(performance.now() - started);
    }
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    console.log(`\nbench:partner-upload — ${handle.label}, ${os.availableParallelism()} vCPU, ${new Date().toISOString()}, load average ${loadStart} → ${load()}`);
    console.log(`file: ${LINES} lines, ${(bytes.length / 1024).toFixed(1)} KiB; ${RUNS} warm runs each, alternating\n`);
    console.log("| measure | p50 | p90 |\n| --- | --- | --- |");
    console.log(`| receiveUpload (guard, read, validate in a worker; store by COPY; audit) | ${ms(quantile(pipeline, 0.5))} | ${ms(quantile(pipeline, 0.9))} |`);
    console.log(`| anchor: exceljs stream read of the same bytes | ${ms(quantile(anchor, 0.5))} | ${ms(quantile(anchor, 0.9))} |`);
    console.log(`\nratio p50: ${(quantile(pipeline, 0.5) / quantile(anchor, 0.5)).toFixed(1)}×`);
  } finally {
    await closeHeavyPool();
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
