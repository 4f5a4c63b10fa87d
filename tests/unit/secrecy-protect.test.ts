import { describe, expect, it } from "vitest";
import {
  auditIntervals,
  intervalPasses,
  outputJson,
  parseProtectInput,
  primaryCells,
  protect,
  ProtectInputError,
  type ProtectInput,
  type ProtectOutput,
} from "~/server/secrecy/protect.server";

async function protectOk(input: ProtectInput): Promise<ProtectOutput> {
  const result = await protect(input);
  if (!result.ok) throw new Error(`expected a protection, got: ${result.reason}`);
  return result.output;
}

const masked = (output: ProtectOutput) =>
  Object.entries(output.cells)
    .filter(([, c]) => c.published === null)
    .map(([id]) => id)
    .sort();

/** What the public knows after the release: its published values plus the earlier ones. */
function publicKnowledge(input: ProtectInput, output: ProtectOutput): ProtectInput {
  const released: Record<string, number> = { ...input.released };
  for (const [id, c] of Object.entries(output.cells)) if (c.published !== null) released[id] = c.published;
  return { ...input, released };
}

/**
 * Local minimality of the suppression: every secondary cell is needed —
 * publishing it too would make some primary cell fail the audit.
 */
async function everySecondaryIsNeeded(input: ProtectInput, output: ProtectOutput) {
  const primary = new Set(primaryCells(input));
  const base = publicKnowledge(input, output);
  for (const id of masked(output).filter((m) => !primary.has(m))) {
    const { failing } = await auditIntervals({ ...base, released: { ...base.released, [id]: input.cells[id]!.value } });
    expect(failing, `secondary cell ${id} could be published`).not.toEqual([]);
  }
}

/** Every relation has 0 or ≥ 2 masked cells: the old local rule. */
function passesLocalRule(input: ProtectInput, hidden: Set<string>) {
  return input.sums.every((s) => [s.total, ...s.parts].filter((id) => hidden.has(id)).length !== 1);
}

describe("D226-3-4 / Art. 5 — primary rule", () => {
  it("D226-3-4 : counts of 1 to threshold − 1 are primary-secret; 0 and the threshold itself are not", () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { zero: { value: 0 }, one: { value: 1 }, four: { value: 4 }, five: { value: 5 }, big: { value: 120 } },
      sums: [],
    });
    expect(primaryCells(input)).toEqual(["four", "one"]);
  });

  it("D226-3-4 : a cell's own threshold overrides the default; threshold 0 means never secret", () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { a: { value: 8, threshold: 11 }, b: { value: 8 }, c: { value: 2, threshold: 0 } },
      sums: [],
    });
    expect(primaryCells(input)).toEqual(["a"]);
  });

  it("Art. 5 : a primary cell outside every relation is masked and nothing bounds it from above", async () => {
    const input = parseProtectInput({ threshold: 5, cells: { lone: { value: 3 }, other: { value: 9 } }, sums: [] });
    const output = await protectOk(input);
    expect(output.cells).toEqual({ lone: { published: null }, other: { published: 9 } });
    expect(output.audit.lone).toEqual({ min: 0, max: Number.POSITIVE_INFINITY });
    expect(JSON.parse(outputJson(output)).audit.lone).toEqual({ min: 0, max: null });
  });
});

describe("D226-3-4 / Art. 5 — audit and secondary suppression", () => {
  it("D226-3-4 : the issue's example — tot = 6 released, f = 1 and m = 5 are both masked, f ∈ [0, 6]", async () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { tot: { value: 6 }, f: { value: 1 }, m: { value: 5, threshold: 5 } },
      sums: [{ total: "tot", parts: ["f", "m"] }],
      released: { tot: 6 },
    });
    const output = await protectOk(input);
    expect(output).toEqual({
      cells: { f: { published: null }, m: { published: null }, tot: { published: 6 } },
      audit: { f: { min: 0, max: 6 } },
    });
  });

  it("Art. 5 : one small cell in a breakdown is complemented by the cheapest cell that protects it (12, not 40), the total stays published", async () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { total: { value: 55 }, boys: { value: 3 }, girls: { value: 40 }, unknown: { value: 12 } },
      sums: [{ total: "total", parts: ["boys", "girls", "unknown"] }],
    });
    const output = await protectOk(input);
    expect(masked(output)).toEqual(["boys", "unknown"]);
    expect(output.audit.boys).toEqual({ min: 0, max: 15 });
    await everySecondaryIsNeeded(input, output);
  });

  it("Art. 5 : two small cells of one breakdown protect each other when together they reach the threshold", async () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { total: { value: 50 }, a: { value: 2 }, b: { value: 3 }, c: { value: 45 } },
      sums: [{ total: "total", parts: ["a", "b", "c"] }],
    });
    const output = await protectOk(input);
    expect(masked(output)).toEqual(["a", "b"]);
    expect(output.audit).toEqual({ a: { min: 0, max: 5 }, b: { min: 0, max: 5 } });
  });

  it("D226-3-4 : two small cells whose sum stays below the threshold need a third", async () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { total: { value: 50 }, a: { value: 1 }, b: { value: 2 }, c: { value: 47 } },
      sums: [{ total: "total", parts: ["a", "b", "c"] }],
    });
    const output = await protectOk(input);
    expect(masked(output)).toEqual(["a", "b", "c"]);
    for (const id of ["a", "b"]) expect(intervalPasses(output.audit[id]!, 5)).toBe(true);
  });

  it("D226-3-4 : the 3 × 3 attack — two blocks of small cells joined by one small cell pass the local 0-or-≥ 2 rule, yet the joining cell is recovered exactly; the audit catches it and protect() does not publish it", async () => {
    //            C1   C2   C3 |  T
    //   R1        2    3   40 |  45
    //   R2        3    2    1 |   6      ← R2·C3 = 1 joins the two blocks
    //   R3       30   25    2 |  57
    //   T        35   30   43 | 108
    const grid: Record<string, number> = {
      "R1.C1": 2, "R1.C2": 3, "R1.C3": 40, "R1.T": 45,
      "R2.C1": 3, "R2.C2": 2, "R2.C3": 1, "R2.T": 6,
      "R3.C1": 30, "R3.C2": 25, "R3.C3": 2, "R3.T": 57,
      "T.C1": 35, "T.C2": 30, "T.C3": 43, "T.T": 108,
    };
    const rows = ["R1", "R2", "R3", "T"];
    const cols = ["C1", "C2", "C3", "T"];
    const sums = [
      ...rows.map((r) => ({ total: `${r}.T`, parts: ["C1", "C2", "C3"].map((c) => `${r}.${c}`) })),
      ...cols.map((c) => ({ total: `T.${c}`, parts: ["R1", "R2", "R3"].map((r) => `${r}.${c}`) })),
    ];
    const input = parseProtectInput({ threshold: 5, cells: Object.fromEntries(Object.entries(grid).map(([id, value]) => [id, { value }])), sums });

    // Block A (R1–R2 × C1–C2), block B (R3.C3 with R3.T, T.C3, T.T), joined by R2.C3.
    const localMask = new Set(["R1.C1", "R1.C2", "R2.C1", "R2.C2", "R2.C3", "R3.C3", "R3.T", "T.C3", "T.T"]);
    expect(passesLocalRule(input, localMask)).toBe(true);
    const shown = Object.fromEntries(Object.entries(grid).filter(([id]) => !localMask.has(id)));
    const attack = await auditIntervals({ ...input, released: shown });
    expect(attack.audit["R2.C3"]).toEqual({ min: 1, max: 1 });
    expect(attack.failing).toContain("R2.C3");

    const output = await protectOk(input);
    for (const id of primaryCells(input)) {
      expect(output.cells[id]!.published).toBeNull();
      expect(intervalPasses(output.audit[id]!, 5), `${id} ${JSON.stringify(output.audit[id])}`).toBe(true);
    }
    const check = await auditIntervals(publicKnowledge(input, output));
    expect(check.failing).toEqual([]);
    expect(check.audit).toEqual(output.audit);
    await everySecondaryIsNeeded(input, output);
  });

  it("Art. 5 : tables are protected together — the total of 7 hospitals already released forbids publishing the 6 larger ones' total as is", async () => {
    const hospitals = { h1: 120, h2: 95, h3: 80, h4: 64, h5: 51, h6: 40, h7: 2 };
    const cells: Record<string, { value: number }> = Object.fromEntries(Object.entries(hospitals).map(([id, value]) => [id, { value }]));
    cells.all7 = { value: 452 };
    cells.larger6 = { value: 450 };
    const input = parseProtectInput({
      threshold: 5,
      cells,
      sums: [
        { total: "all7", parts: Object.keys(hospitals) },
        { total: "larger6", parts: ["h1", "h2", "h3", "h4", "h5", "h6"] },
      ],
      released: { all7: 452 },
    });
    const output = await protectOk(input);
    expect(output.cells.h7!.published).toBeNull();
    expect(output.cells.all7!.published).toBe(452);
    expect(intervalPasses(output.audit.h7!, 5)).toBe(true);
    expect((await auditIntervals(publicKnowledge(input, output))).failing).toEqual([]);
  });

  it("Art. 5 : a correction is protected against the edition already public — its published cells are fixed, other cells are masked to compensate", async () => {
    // Edition 1 published tot = 20 and c = 10, masking a = 2 and b = 8.
    const input = parseProtectInput({
      threshold: 5,
      cells: { tot: { value: 20 }, a: { value: 2 }, b: { value: 8 }, c: { value: 10 } },
      sums: [{ total: "tot", parts: ["a", "b", "c"] }],
      released: { tot: 20, c: 10 },
    });
    const output = await protectOk(input);
    expect(output.cells).toEqual({ a: { published: null }, b: { published: null }, c: { published: 10 }, tot: { published: 20 } });
    expect(output.audit.a).toEqual({ min: 0, max: 10 });
  });

  it("Art. 5 : a secret total is protected through the margin line of totals", async () => {
    const grid = { "a.x": 1, "a.y": 3, "a.T": 4, "b.x": 10, "b.y": 16, "b.T": 26, "T.x": 11, "T.y": 19, "T.T": 30 };
    const input = parseProtectInput({
      threshold: 5,
      cells: Object.fromEntries(Object.entries(grid).map(([id, value]) => [id, { value }])),
      sums: [
        { total: "a.T", parts: ["a.x", "a.y"] },
        { total: "b.T", parts: ["b.x", "b.y"] },
        { total: "T.T", parts: ["a.T", "b.T"] },
        { total: "T.x", parts: ["a.x", "b.x"] },
        { total: "T.y", parts: ["a.y", "b.y"] },
        { total: "T.T", parts: ["T.x", "T.y"] },
      ],
    });
    const output = await protectOk(input);
    for (const id of ["a.x", "a.y", "a.T"]) {
      expect(output.cells[id]!.published).toBeNull();
      expect(intervalPasses(output.audit[id]!, 5)).toBe(true);
    }
    expect((await auditIntervals(publicKnowledge(input, output))).failing).toEqual([]);
    await everySecondaryIsNeeded(input, output);
  });

  it("Art. 5 : ids used only in relations are unknown to the public (≥ 0), never published, never audited", async () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { f: { value: 2 }, m: { value: 30 } },
      sums: [{ total: "tot", parts: ["f", "m"] }],
    });
    const output = await protectOk(input);
    expect(output.cells).toEqual({ f: { published: null }, m: { published: 30 } });
    expect(output.audit.f).toEqual({ min: 0, max: Number.POSITIVE_INFINITY });
  });
});

describe("D226-3-4 — released values that already reveal a secret cell", () => {
  it("D226-3-4 : tot and m released by an earlier edition pin f = 1 — refused, naming f", async () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { tot: { value: 6 }, f: { value: 1 }, m: { value: 5 } },
      sums: [{ total: "tot", parts: ["f", "m"] }],
      released: { tot: 6, m: 5 },
    });
    const result = await protect(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.cells).toEqual(["f"]);
    expect(result.reason).toMatch(/^Secret statistique .*« f »/);
    expect(result.reason).toContain("[1 ; 1]");
  });

  it("D226-3-4 : a secret cell released earlier cannot be protected — refused, naming it; other components are still examined", async () => {
    const input = parseProtectInput({
      threshold: 5,
      cells: { x: { value: 3 }, t: { value: 10 }, a: { value: 4 }, b: { value: 6 } },
      sums: [{ total: "t", parts: ["a", "b"] }],
      released: { x: 3, t: 10, b: 6 },
    });
    const result = await protect(input);
    expect(result).toMatchObject({ ok: false, cells: ["a", "x"] });
  });

  it("D226-3-4 : released values that leave a secret cell a narrow interval (width < threshold) are refused", async () => {
    // t = 4 released (its own threshold 0: not secret itself): a, b ∈ [0, 4] at most — max < 5.
    const input = parseProtectInput({
      threshold: 5,
      cells: { t: { value: 4, threshold: 0 }, a: { value: 2 }, b: { value: 2 } },
      sums: [{ total: "t", parts: ["a", "b"] }],
      released: { t: 4 },
    });
    const result = await protect(input);
    expect(result).toMatchObject({ ok: false, cells: ["a", "b"] });
  });
});

describe("bad input is refused with a French message saying where", () => {
  const bad = (raw: unknown) => {
    try {
      parseProtectInput(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(ProtectInputError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  };

  it("rejects a wrong type, a negative count and an unknown field", () => {
    expect(bad({ threshold: 5, cells: { a: { value: "x" } }, sums: [] })).toMatch(/^Entrée invalide à « cells\.a\.value »/);
    expect(bad({ threshold: 5, cells: { a: { value: -1 } }, sums: [] })).toMatch(/cells\.a\.value.*positif ou nul/);
    expect(bad({ threshold: 5, cells: {}, sums: [], extra: 1 })).toMatch(/champ\(s\) inconnu\(s\) « extra »/);
    expect(bad({ cells: {}, sums: [] })).toMatch(/« threshold »/);
  });

  it("rejects a relation the values do not satisfy, naming it", () => {
    expect(bad({ threshold: 5, cells: { t: { value: 7 }, a: { value: 1 }, b: { value: 5 } }, sums: [{ total: "t", parts: ["a", "b"] }] })).toMatch(
      /somme n° 1 .*« t ».*7 ≠ 6/,
    );
  });

  it("rejects a released value that contradicts the cell's value", () => {
    expect(bad({ threshold: 5, cells: { a: { value: 3 } }, sums: [], released: { a: 4 } })).toMatch(/« a » vaut 3 mais « released » indique 4/);
  });

  it("protect() itself refuses an inconsistent input", async () => {
    await expect(protect({ threshold: 5, cells: { t: { value: 1 }, a: { value: 2 } }, sums: [{ total: "t", parts: ["a"] }] })).rejects.toBeInstanceOf(
      ProtectInputError,
    );
  });
});
