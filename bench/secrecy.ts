// npm run bench:secrecy — statistical-secrecy protection (ADR 014) of a whole
// public dashboard edition: 77 indicators × 5 years, each with its sex ×
// age-band table and margins and its organisations' totals, protected against
// the ledger of the two earlier editions (values corrected since are left out
// of the ledger, as the release code does). Target: < 2 s per edition.
// Replaces its section of docs/benchmarks.md with the figures, machine and date.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSolver, primaryCells, protect, type ProtectInput } from "~/server/secrecy/protect.server";
import { editionInput, trueValues, AGE_BANDS, INDICATORS, ORGANISATIONS, SEXES, THRESHOLD } from "./secrecy-fixture";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_MS = 2000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0)} ms`;

async function protectOrDie(input: ProtectInput) {
  const result = await protect(input);
  if (!result.ok) throw new Error(result.reason);
  return result.output;
}

function published(output: Awaited<ReturnType<typeof protectOrDie>>) {
  return Object.fromEntries(Object.entries(output.cells).flatMap(([id, c]) => (c.published === null ? [] : [[id, c.published] as const])));
}

async function main() {
  const startedAt = new Date();
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const t0 = performance.now();
  await loadSolver();
  const solverLoad = performance.now() - t0;

  // Editions 2022 and 2023 build the ledger; 2024 is measured.
  let ledger: Record<string, number> = {};
  for (const [year, revision] of [
    [2022, 0],
    [2023, 1],
  ] as const) {
    const years = [year - 4, year - 3, year - 2, year - 1, year];
    const output = await protectOrDie(editionInput(year, trueValues(years, revision), ledger));
    ledger = { ...ledger, ...published(output) };
  }
  const input = editionInput(2024, trueValues([2020, 2021, 2022, 2023, 2024], 2), ledger);
  const cells = Object.keys(input.cells).length;
  const released = Object.keys(input.released ?? {}).filter((id) => id in input.cells).length;
  const primaries = primaryCells(input).length;

  const samples: number[] = [];
  const cpu: number[] = [];
  let output!: Awaited<ReturnType<typeof protectOrDie>>;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const c0 = process.cpuUsage();
    output = await protectOrDie(input);
    samples.push(performance.now() - t);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const maskedCells = Object.values(output.cells).filter((c) => c.published === null).length;
  const loadAtEnd = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const med = median(samples);

  const lines = [
    `Measured ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC on ${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}; load average ${loadAtStart} at the start, ${loadAtEnd} at the end${os.loadavg()[0]! > os.cpus().length ? " — **the machine was loaded by parallel work** (other engineers' tests and builds), so times are pessimistic and move from run to run" : ""}.`,
    "",
    `Release: ${INDICATORS} indicators × 5 years (2020–2024); per indicator and year the Département's ${SEXES.length} × ${AGE_BANDS.length} sex × age-band table with its margins and the totals of ${ORGANISATIONS} organisations (summing to the Département's total): **${cells.toLocaleString("en")} cells**, ${input.sums.length.toLocaleString("en")} additive relations, threshold ${THRESHOLD}; ${primaries} primary-secret cells; protected against the ledger of the 2022 and 2023 editions (${released.toLocaleString("en")} of the cells already public, values corrected since left out).`,
    "",
    "| Measure | Figure | Target |",
    "|---|---:|---:|",
    `| protect() of the whole edition, wall clock, median of ${RUNS} | **${ms(med)}** | < ${ms(TARGET_MS)} ${med < TARGET_MS ? "✓" : "✗"} |`,
    `| runs (wall clock) | ${samples.map(ms).join(", ")} | |`,
    `| CPU time of the process per run, median (what the run costs when the machine is not shared) | **${ms(median(cpu))}** (${cpu.map(ms).join(", ")}) | < ${ms(TARGET_MS)} ${median(cpu) < TARGET_MS ? "✓" : "✗"} |`,
    `| HiGHS WebAssembly load (once per process) | ${ms(solverLoad)} | |`,
    `| cells masked (primary + secondary) | ${maskedCells} (${primaries} + ${maskedCells - primaries}) | |`,
  ];
  const markdown = lines.join("\n");
  console.log(markdown);

  const file = path.join(root, "docs/benchmarks.md");
  const heading = "## Statistical secrecy (`npm run bench:secrecy`)";
  let text = fs.readFileSync(file, "utf8");
  const start = text.indexOf(heading);
  if (start >= 0) {
    const next = text.indexOf("\n## ", start + heading.length);
    text = text.slice(0, start) + text.slice(next >= 0 ? next + 1 : text.length);
  }
  text = `${text.trimEnd()}\n\n${heading}\n\n${markdown.trim()}\n`;
  fs.writeFileSync(file, text);
}

await main();
