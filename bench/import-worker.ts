import fs from "node:fs";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import type { UploadLimits } from "~/domain/upload-errors";
import type { GeneratorStyle } from "./import-fixture";
import { measure, type Mode, type WorkerResult } from "./import-measure";

/**
 * One measurement of the import benchmark, in a process of its own (forked
 * by bench/import.ts with `--import tsx --expose-gc`) so that its peak RSS is
 * its own:
 *
 *   generate <lines> <file> <template|stream>  write the filled workbook
 *   floor    <lines> <file>                    exceljs's streaming WorkbookReader alone
 *   pipeline <lines> <file> [limits-json]      receiveUpload: guard, read, interpret, validate, store
 *   profile  <lines> <file> [limits-json]      the pipeline's steps timed one by one
 *
 * The floor loads exceljs and nothing else; the other modes load the portal's
 * code (and the embedded database) only when they run. Everything is
 * prepared before the clock starts (database, referential, the file's bytes
 * in memory); only the phase is timed and watched. The result goes to the
 * parent over IPC, or to stdout when run by hand.
 */

/** The floor: exceljs's own streaming reader, every worksheet and every row, nothing else. */
async function floor(lines: number, file: string): Promise<WorkerResult> {
  const bytes = fs.readFileSync(file);
  const { value, ms, memory } = await measure(async () => {
    // The information the pipeline's reader uses too: values, shared strings, number formats (styles).
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([bytes]), {
      worksheets: "emit",
      sharedStrings: "cache",
      styles: "cache",
      hyperlinks: "ignore",
      entries: "ignore",
    });
    let sheets = 0;
    let rows = 0;
    let cells = 0;
    for await (const worksheet of reader) {
      sheets += 1;
      for await (const row of worksheet) {
        rows += 1;
        cells += row.cellCount;
      }
    }
    return { sheets, rows, cells };
  });
  return { mode: "floor", lines, driver: "-", ms, memory, detail: { ...value, bytes: bytes.length } };
}

async function run(mode: Mode, lines: number, file: string, extra: string | undefined): Promise<WorkerResult> {
  if (mode === "floor") return floor(lines, file);
  // The process before the portal's modules load (the baseline's first step, see import-pipeline.ts).
  gc?.();
  (globalThis as { benchRssAtStart?: number }).benchRssAtStart = process.memoryUsage.rss();
  const steps = await import("./import-pipeline");
  if (mode === "generate") return steps.generate(lines, file, (extra ?? "stream") as GeneratorStyle);
  const limits = extra ? (JSON.parse(extra) as Partial<UploadLimits>) : undefined;
  return mode === "pipeline" ? steps.pipeline(lines, file, limits) : steps.profile(lines, file, limits);
}

const gc = (globalThis as { gc?: () => void }).gc;
const modes: readonly Mode[] = ["generate", "floor", "pipeline", "profile"];

async function main() {
  const [mode, linesArg, file, extra] = process.argv.slice(2);
  if (!mode || !modes.includes(mode as Mode) || !linesArg || !file) {
    console.error("usage: node --import tsx --expose-gc bench/import-worker.ts <generate|floor|pipeline|profile> <lines> <file> [style | limits-json]");
    process.exit(2);
  }
  const result = await run(mode as Mode, Number(linesArg), file, extra);
  const send = process.send?.bind(process);
  if (send) {
    await new Promise<void>((resolve, reject) => send(result, undefined, {}, (error: Error | null) => (error ? reject(error) : resolve())));
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
