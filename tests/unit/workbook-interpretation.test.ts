import { describe, expect, it } from "vitest";
import type { PlanLine, PlanLines, ReadLine } from "~/domain/validation";
import { DATA_SHEET, FIRST_DATA_ROW, META_SHEET, TEMPLATE_VERSION } from "~/domain/template-layout";
import { interpretWorkbook, type InterpretExpectation, type SheetRow } from "~/domain/workbook-interpretation";
import { PackedLinesView, packedPlanLines, packLines, packPlanLines } from "~/server/collection/packed-lines";
import { planLine } from "../factories/plan-line";

const lines = Array.from({ length: 6 }, (_, i) => planLine(i));
const expectation = (planLines: InterpretExpectation["lines"]): InterpretExpectation => ({
  organisationCode: "ORG",
  organisationName: "Organisme",
  year: 2025,
  planHash: "hash",
  lines: planLines,
});

/** The metadata sheet, then one data row per key given (row FIRST_DATA_ROW onwards), its value the key's number × 10. */
async function* sheetRows(keys: string[]): AsyncIterable<SheetRow> {
  const meta = { template_version: TEMPLATE_VERSION, organisation_code: "ORG", reference_year: "2025", plan_hash: "hash" };
  let row = 1;
  for (const [k, v] of Object.entries(meta)) yield { sheet: META_SHEET, row: row++, cells: { A: { value: k }, B: { value: v } } };
  for (let r = 0; r < keys.length; r++) {
    const key = keys[r]!;
    yield { sheet: DATA_SHEET, row: FIRST_DATA_ROW + r, cells: { E: { value: Number(key.replace(/\D/g, "")) * 10 }, H: { value: key } } };
  }
}

async function interpret(keys: string[], planLines: InterpretExpectation["lines"]) {
  const seen: [number, ReadLine][] = [];
  const { structural } = await interpretWorkbook(sheetRows(keys), expectation(planLines), (line, index) => seen.push([index, line]));
  return { structural, seen };
}

describe("interpretation of the data sheet against the plan (ADR 058: a line found at its own place needs no index)", () => {
  const inOrder = lines.map((l) => l.key);
  const moved = [inOrder[3]!, inOrder[0]!, inOrder[5]!, inOrder[1]!, inOrder[4]!, inOrder[2]!];

  for (const [name, planLines] of [
    ["the plan's array", lines],
    ["a view of the packed plan", new PackedLinesView<PlanLine>(packLines(lines))],
    ["the upload's plan, packed without its keys", packedPlanLines(packPlanLines(lines))],
  ] as const) {
    it(`Art. 4: rows in the template's order and rows moved by the partner give each value to its own line (${name})`, async () => {
      for (const keys of [inOrder, moved]) {
        const { structural, seen } = await interpret(keys, planLines);
        expect(structural).toEqual([]);
        expect(seen).toHaveLength(6);
        for (const [index, read] of seen) {
          expect(read.key).toBe(lines[index]!.key);
          expect(read.value).toBe(index * 10);
          expect(read.row).toBe(FIRST_DATA_ROW + keys.indexOf(read.key));
        }
      }
    });

    it(`Art. 4: a moved row copied over another line's place is a duplicate, and the line it replaced is missing (${name})`, async () => {
      const keys = [inOrder[0]!, inOrder[2]!, inOrder[2]!, inOrder[3]!, inOrder[4]!, inOrder[5]!];
      const { structural } = await interpret(keys, planLines);
      expect(structural.map((p) => [p.code, p.cell ?? p.indicator])).toEqual([
        ["duplicate_row", `A${FIRST_DATA_ROW + 2}`],
        ["missing_row", "I1"],
      ]);
    });
  }

  it("ADR 058: rows in the template's order are found at their own place, without indexing the plan; moved rows index it once", async () => {
    let reads = 0;
    const counted: PlanLines = { length: lines.length, at: (i) => (reads++, lines.at(i)) };
    await interpret(inOrder, counted);
    expect(reads).toBe(lines.length);
    reads = 0;
    await interpret(moved, counted);
    // Each row's place is looked at, and the index is built once (one read per line), at the first row out of place.
    expect(reads).toBe(2 * lines.length);
  });

  it("Art. 4: a row added below the table is unknown, or a duplicate when it repeats a line's key", async () => {
    const after = FIRST_DATA_ROW + lines.length;
    const unknown = await interpret([...inOrder, "I99#"], lines);
    expect(unknown.structural.map((p) => [p.code, p.cell])).toEqual([["unknown_row", `A${after}`]]);
    const repeated = await interpret([...inOrder, inOrder[2]!], lines);
    expect(repeated.structural.map((p) => [p.code, p.cell])).toEqual([["duplicate_row", `A${after}`]]);
    expect(repeated.seen).toHaveLength(lines.length);
  });
});
