// npm run bench:pdscan — the workspace's personal-data scan (convention Art. 4,
// ADR 025): an xlsx of ~350,000 filled cells (an indicator table: codes,
// labels, years, counts, rates) and a 16 MiB CSV, both clean so that every
// cell and line is read (a held file is decided no faster). The scan runs on
// the request's thread, before the upload's transaction.
// Replaces its section of docs/benchmarks.md with the figures, machine and date.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ExcelJS from "exceljs";
import { scanWorkspaceFile } from "~/server/workspace/personal-data-scan.server";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ROWS = 35_000;
const COLUMNS = 10;
const CSV_BYTES = 16 * 1024 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0)} ms`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function workbook(): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Données");
  ws.addRow(["Code", "Nom de l'indicateur", "Domaine", "Commune (INSEE)", "2020", "2021", "2022", "2023", "2024", "Taux pour 1 000"]);
  for (let i = 1; i < ROWS; i++) {
    ws.addRow([`IND-${String(i % 400).padStart(3, "0")}`, `Mesures de protection ${i % 77}`, "Protection judiciaire", 42000 + (i % 330), i, i + 1, i + 2, i * 3, 2000 + (i % 25), (i % 1000) / 7]);
  }
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

function csv(): Uint8Array {
  const lines = ["code;indicateur;commune;annee;valeur;taux"];
  let size = lines[0]!.length + 1;
  for (let i = 0; size < CSV_BYTES; i++) {
    const line = `IND-${i % 400};Mesures de protection ${i % 77};${42000 + (i % 330)};${2015 + (i % 10)};${i % 9973};${((i % 1000) / 7).toFixed(2)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return new TextEncoder().encode(lines.join("\n"));
}

function measure(contentType: string, bytes: Uint8Array) {
  const wall: number[] = [];
  const cpu: number[] = [];
  let result = scanWorkspaceFile(contentType, bytes)!;
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    result = scanWorkspaceFile(contentType, bytes)!;
    wall.push(performance.now() - t);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  if (result.status !== "clean") throw new Error(`unexpected findings: ${JSON.stringify(result.findings)}`);
  return { wall, cpu };
}

async function main() {
  const startedAt = new Date();
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const xlsx = await workbook();
  const text = csv();
  const rssBefore = process.memoryUsage().rss;
  const x = measure(XLSX, xlsx);
  const t = measure("text/csv", text);
  const rssAfter = process.memoryUsage().rss;
  const loadAtEnd = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const lines = [
    `Measured ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC on ${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}; load average ${loadAtStart} at the start, ${loadAtEnd} at the end${os.loadavg()[0]! > os.cpus().length ? " — **the machine was loaded by parallel work** (other sessions' tests), so times are pessimistic" : ""}.`,
    "",
    `Inputs: an xlsx of ${ROWS.toLocaleString("en")} rows × ${COLUMNS} columns = **${(ROWS * COLUMNS).toLocaleString("en")} filled cells** (${mib(xlsx.byteLength)} zipped), an indicator table with no personal data, so every cell is read; a CSV of **${mib(text.byteLength)}** (the text path: line patterns). Bounds: 32 MiB inflated, 500,000 cells, 20 MB of text (beyond: « analyse incomplète », version held).`,
    "",
    "| Measure | Figure |",
    "|---|---:|",
    `| xlsx scan, wall clock, median of ${RUNS} | **${ms(median(x.wall))}** (${x.wall.map(ms).join(", ")}) |`,
    `| xlsx scan, CPU time, median | ${ms(median(x.cpu))} |`,
    `| CSV scan, wall clock, median of ${RUNS} | **${ms(median(t.wall))}** (${t.wall.map(ms).join(", ")}) |`,
    `| CSV scan, CPU time, median | ${ms(median(t.cpu))} |`,
    `| RSS before / after the runs | ${mib(rssBefore)} / ${mib(rssAfter)} |`,
  ];
  const markdown = lines.join("\n");
  console.log(markdown);
  const file = path.join(root, "docs/benchmarks.md");
  const heading = "## Personal-data scan of workspace uploads (`npm run bench:pdscan`)";
  let doc = fs.readFileSync(file, "utf8");
  const start = doc.indexOf(heading);
  if (start >= 0) {
    const next = doc.indexOf("\n## ", start + heading.length);
    doc = doc.slice(0, start) + doc.slice(next >= 0 ? next + 1 : doc.length);
  }
  doc = `${doc.trimEnd()}\n\n${heading}\n\n${markdown.trim()}\n`;
  fs.writeFileSync(file, doc);
}

await main();
