import { describe, expect, it } from "vitest";
import { applySecrecy, breakdownConstraint, crossTableConstraints, type SecrecyCell } from "~/domain/secrecy";

const cells = (values: Record<string, number | null>, threshold = 5): SecrecyCell[] =>
  Object.entries(values).map(([id, value]) => ({ id, value, threshold }));

/** Checks the invariant by brute force: no constraint has exactly one masked cell. */
function recomputable(masked: Map<string, unknown>, constraints: { total: string; members: readonly string[] }[]) {
  return constraints.filter((c) => [c.total, ...c.members].filter((id) => masked.has(id)).length === 1);
}

describe("statistical secrecy (convention Art. 3 and 5, CASF D226-3-4)", () => {
  it("primary: counts of 1 to threshold−1 are masked; 0 and the threshold itself are not", () => {
    const masked = applySecrecy(cells({ a: 0, b: 1, c: 4, d: 5, e: 120, f: null }), []);
    expect([...masked.entries()].sort()).toEqual([
      ["b", "primary"],
      ["c", "primary"],
    ]);
  });

  it("the threshold is per indicator", () => {
    const masked = applySecrecy([{ id: "x", value: 8, threshold: 11 }, { id: "y", value: 8, threshold: 5 }], []);
    expect(masked.get("x")).toBe("primary");
    expect(masked.has("y")).toBe(false);
  });

  it("only counts get primary suppression (rates and amounts do not)", () => {
    expect(applySecrecy([{ id: "rate", value: 2.5, threshold: 5, isCount: false }], []).size).toBe(0);
  });

  it("secondary: one masked cell in a breakdown forces a second one (the smallest other cell)", () => {
    // Boys 3 (secret), girls 40, unknown 12, total 55: 3 = 55 − 40 − 12 unless another cell is masked.
    const table = cells({ total: 55, boys: 3, girls: 40, unknown: 12 });
    const constraints = breakdownConstraint("total", ["boys", "girls", "unknown"]);
    const masked = applySecrecy(table, constraints);
    expect(masked.get("boys")).toBe("primary");
    expect(masked.get("unknown")).toBe("secondary");
    expect(masked.has("girls")).toBe(false);
    expect(masked.has("total")).toBe(false);
    expect(recomputable(masked, constraints)).toEqual([]);
  });

  it("secondary: two secret cells in a line need nothing more", () => {
    const masked = applySecrecy(cells({ total: 50, a: 2, b: 3, c: 45 }), breakdownConstraint("total", ["a", "b", "c"]));
    expect([...masked.values()]).toEqual(["primary", "primary"]);
  });

  it("secondary: a two-cell breakdown masks both cells", () => {
    const masked = applySecrecy(cells({ total: 30, f: 2, m: 28 }), breakdownConstraint("total", ["f", "m"]));
    expect(masked.get("m")).toBe("secondary");
    expect(masked.has("total")).toBe(false);
  });

  it("secondary prefers a non-zero cell over a zero", () => {
    const masked = applySecrecy(cells({ total: 26, a: 3, z: 0, b: 23 }), breakdownConstraint("total", ["a", "z", "b"]));
    expect(masked.get("b")).toBe("secondary");
    expect(masked.has("z")).toBe(false);
  });

  it("secondary in a cross table propagates until no row or column total reveals a masked cell", () => {
    // Hand-worked 3 × 3 table (age × territory) with margins:
    //            T1   T2   T3 | row
    //   0-5       2   30   25 |  57
    //   6-10     40   35   20 |  95
    //   11-17    50   45   60 | 155
    //   col      92  110  105 | 307
    const data: Record<string, number> = {
      "0-5|T1": 2, "0-5|T2": 30, "0-5|T3": 25, "0-5|*": 57,
      "6-10|T1": 40, "6-10|T2": 35, "6-10|T3": 20, "6-10|*": 95,
      "11-17|T1": 50, "11-17|T2": 45, "11-17|T3": 60, "11-17|*": 155,
      "*|T1": 92, "*|T2": 110, "*|T3": 105, "*|*": 307,
    };
    const id = (r: string, c: string) => `${r}|${c}`;
    const constraints = crossTableConstraints(["0-5", "6-10", "11-17"], ["T1", "T2", "T3"], id);
    const masked = applySecrecy(cells(data), constraints);
    // 2 is primary; row 0-5 masks its smallest other cell (25, T3); column T1 masks 40 (6-10);
    // then row 6-10 has one masked (40) → masks 20 (T3); column T3 now has 25 and 20 masked: fine.
    expect(Object.fromEntries(masked)).toEqual({
      "0-5|T1": "primary",
      "0-5|T3": "secondary",
      "6-10|T1": "secondary",
      "6-10|T3": "secondary",
    });
    expect(recomputable(masked, constraints)).toEqual([]);
    // margins stay published
    for (const margin of ["0-5|*", "*|T1", "*|*"]) expect(masked.has(margin)).toBe(false);
  });

  it("a secret total is protected by masking a second total in its margin line", () => {
    // Two age bands where the 0-5 row total is itself 4 (secret): 4 = 30 − 26 from the column of row totals.
    const data = { "a|x": 1, "a|y": 3, "a|*": 4, "b|x": 10, "b|y": 16, "b|*": 26, "*|x": 11, "*|y": 19, "*|*": 30 };
    const id = (r: string, c: string) => `${r}|${c}`;
    const constraints = crossTableConstraints(["a", "b"], ["x", "y"], id);
    const masked = applySecrecy(cells(data), constraints);
    expect(masked.get("a|*")).toBe("primary");
    expect(recomputable(masked, constraints)).toEqual([]);
    expect(masked.has("b|*")).toBe(true);
  });
});
