import { describe, expect, it } from "vitest";
import { LineValidator, validateLines, type PlanLine, type ReadLine } from "~/domain/validation";
import { PackedLinesView, packLines } from "~/server/collection/packed-lines";
import { planLine } from "../factories/plan-line";

/** Three indicators, each a total and two cells; the first has last year's value. */
const line = (indicator: number, breakdownKey: string, over: Partial<PlanLine> = {}): PlanLine => planLine(indicator, breakdownKey, { notAvailableAllowed: indicator === 3, ...over });
const plan: PlanLine[] = [1, 2, 3].flatMap((i) => [line(i, "", i === 1 ? { previous: 10 } : {}), line(i, "S=F"), line(i, "S=M")]);
/** Values in plan order: I1 varies by +100 % and its cells do not add up; I2 has an empty cell and a decimal; I3 is declared ND with a reason. */
const cells: [unknown, string?][] = [[20], [5], [5], [10], [null], [2.5], ["ND", "logiciel en migration"], [4], [6]];
const readLines: ReadLine[] = plan.map((l, i) => ({ key: l.key, row: 8 + i, value: cells[i]![0], reason: cells[i]![1] ?? null }));
const options = { sheet: "Données", variationThreshold: 0.3 };

describe("validation line by line, as the import streams the lines (ADR 031)", () => {
  it("Art. 4: lines checked as they are read, in any order, give the problems and values of the whole-file check", () => {
    const whole = validateLines(plan, new Map(readLines.map((r) => [r.key, r])), options);
    expect(whole.problems.map((p) => p.code).sort()).toEqual(["breakdown_sum", "not_integer", "required", "variation"]);

    const validator = new LineValidator(plan, options);
    const order = [8, 3, 0, 5, 1, 7, 2, 6, 4];
    const values = new Map(order.map((i) => [plan[i]!.key, validator.line(i, readLines[i]!)]));
    expect(validator.finish()).toEqual(whole.problems);
    expect(new Map([...values].sort(([a], [b]) => a.localeCompare(b)))).toEqual(new Map([...whole.values].sort(([a], [b]) => a.localeCompare(b))));
  });

  it("Art. 4: the problems come sorted by row, errors before warnings on the same row", () => {
    const validator = new LineValidator(plan, options);
    for (let i = plan.length - 1; i >= 0; i--) validator.line(i, readLines[i]!);
    const problems = validator.finish();
    const rows = problems.map((p) => Number(p.cell!.slice(1)));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(problems.filter((p) => p.cell === "E8").map((p) => p.severity)).toEqual(["error", "warning"]);
  });

  it("ADR 026: a line declared ND is stored as missing with its reason, and its indicator's sum is not checked", () => {
    const validator = new LineValidator(plan, options);
    const declared = validator.line(6, readLines[6]!);
    expect(declared).toMatchObject({ value: null, notAvailableCode: "ND", notAvailableReason: "logiciel en migration" });
    validator.line(7, readLines[7]!);
    validator.line(8, readLines[8]!);
    expect(validator.finish()).toEqual([]);
  });

  it("Art. 4, ADR 058: the plan viewed from its packed columns gives the problems and values of the plan's array", () => {
    const whole = validateLines(plan, new Map(readLines.map((r) => [r.key, r])), options);
    const view = new PackedLinesView<PlanLine>(packLines(plan));
    const validator = new LineValidator(view, options);
    const values = plan.map((_, i) => validator.line(i, readLines[i]!));
    expect(validator.finish()).toEqual(whole.problems);
    expect(values).toEqual(plan.map((l) => whole.values.get(l.key)));
  });

  it("Art. 4: the year-over-year variation is checked on totals only: a breakdown cell with last year's value and a large change gets no warning", () => {
    const withPrevious = [line(1, "", { previous: 10 }), line(1, "S=F", { previous: 1 }), line(1, "S=M", { previous: 6 })];
    const validator = new LineValidator(withPrevious, options);
    [12, 5, 7].forEach((value, i) => validator.line(i, { key: withPrevious[i]!.key, row: 8 + i, value }));
    expect(validator.finish()).toEqual([]);
    // The same total moved by +100 % is warned about, on its own row.
    const moved = new LineValidator(withPrevious, options);
    [20, 13, 7].forEach((value, i) => moved.line(i, { key: withPrevious[i]!.key, row: 8 + i, value }));
    expect(moved.finish().map((p) => [p.code, p.cell])).toEqual([["variation", "E8"]]);
  });
});
