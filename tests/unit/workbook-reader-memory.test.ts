import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";
import { guardUpload, type GuardedWorkbook } from "~/server/collection/upload-guard.server";
import { readWorkbook, type WorkbookCell } from "~/server/collection/workbook-reader.server";
import { craftZip, largeWorkbookFast, minimalWorkbookEntries, worksheetXml } from "./upload-guard-corpus";

/**
 * Art. 4: "streaming parse; memory bounded whatever the file".
 * - The guard inflates a workbook holding 100 Mo of sheet XML: its memory
 *   grows by a fraction of that (heap + external buffers).
 * - The reader reads a 100 000-line workbook (≈ 19 Mo of sheet XML, 500 000
 *   cells) while the heap is sampled; the same measure with a consumer that
 *   keeps every row shows what holding the workbook would cost, so the bound
 *   is one this test can actually fail.
 */

const ROWS = 100_000;
const BOUND_MB = 48;

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const mb = (bytes: number) => bytes / (1024 * 1024);

/** Peak growth of heap + external memory while `work` runs, sampled by `sample()` and a timer. */
async function peakGrowth(work: (sample: () => void) => Promise<void>): Promise<number> {
  gc();
  gc();
  const base = used();
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, used() - base);
  };
  const timer = setInterval(sample, 2);
  try {
    await work(sample);
  } finally {
    clearInterval(timer);
  }
  sample();
  return peak;
}

describe("bounded memory on a large workbook", () => {
  let bytes: Buffer;
  let workbook: GuardedWorkbook;

  beforeAll(async () => {
    bytes = largeWorkbookFast(ROWS);
  });

  it("guards a workbook of 100 Mo of XML inflating it as a stream, never holding a part", async () => {
    const row = '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>';
    const body = row.repeat(Math.ceil((100 * 1024 * 1024) / row.length));
    const entries = minimalWorkbookEntries([{ name: "Données", xml: worksheetXml(body) }]);
    const big = craftZip(
      entries.map(([name, data]) => ({ name, data })),
      { level: 1 },
    );
    const growth = await peakGrowth(async () => {
      // Ratios raised: this repetitive XML would otherwise be refused as a zip bomb.
      const result = await guardUpload({ body: big }, { maxEntryCompressionRatio: 100_000, maxTotalCompressionRatio: 100_000 });
      if (!result.ok) throw new Error(result.refusal.message);
      expect(result.workbook.stats.uncompressedBytes).toBeGreaterThan(100 * 1024 * 1024);
    });
    expect(mb(growth)).toBeLessThan(64);
  });

  it(`guards the ${ROWS.toLocaleString("en")}-line workbook`, async () => {
    const result = await guardUpload({ body: bytes, filename: "benchmark.xlsx" });
    if (!result.ok) throw new Error(result.refusal.message);
    workbook = result.workbook;
    expect(workbook.stats.uncompressedBytes).toBeGreaterThan(15_000_000);
  });

  it(`reads it row by row with a peak heap growth under ${BOUND_MB} MB, where keeping the rows costs more`, async () => {
    let rows = 0;
    let last: WorkbookCell[] = [];
    const streaming = await peakGrowth(async (sample) => {
      const result = await readWorkbook(workbook, {
        onRow: ({ cells }) => {
          rows += 1;
          last = cells;
          if (rows % 250 === 0) sample();
        },
      });
      expect(result.ok).toBe(true);
    });
    expect(rows).toBe(ROWS);
    expect(last.map((c) => c.ref)).toEqual([`A${ROWS}`, `B${ROWS}`, `C${ROWS}`, `D${ROWS}`, `E${ROWS}`]);

    const kept: unknown[] = [];
    const retaining = await peakGrowth(async (sample) => {
      await readWorkbook(workbook, {
        onRow: (row) => {
          kept.push(row);
          if (kept.length % 250 === 0) sample();
        },
      });
    });
    expect(kept).toHaveLength(ROWS);

    expect(mb(streaming)).toBeLessThan(BOUND_MB);
    // The control: holding the rows goes well past the bound, so the bound measures streaming.
    expect(mb(retaining)).toBeGreaterThan(BOUND_MB);
  });
});
