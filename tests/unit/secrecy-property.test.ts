/**
 * Property-based test of the statistical-secrecy engine (CASF D226-3-4,
 * convention Art. 5): random linked tables (one-way breakdowns, two-way
 * tables with margins, overlapping partial sums, aggregates across tables)
 * and random ledgers of released values. Every output of protect() is
 * attacked with an INDEPENDENT linear program written here on GLPK
 * (glpk.js) — not HiGHS, not the engine's code.
 *
 * 100 runs with a fixed seed; more with FUZZ_RUNS=n (FUZZ_SEED=s to vary).
 */
import fc from "fast-check";
import GLPK, { type LP } from "glpk.js/node";
import { beforeAll, describe, expect, it } from "vitest";
import { protect, type ProtectInput, type ProtectOutput } from "~/server/secrecy/protect.server";

type Glpk = Awaited<ReturnType<typeof GLPK>>;
let glpk: Glpk;
beforeAll(async () => {
  glpk = await GLPK();
});

// ---------------------------------------------------------------------------
// The intruder, independently: min and max of a cell over x ≥ 0, every
// relation, every public value fixed.

interface Interval {
  min: number;
  max: number;
}

function intruder(input: ProtectInput, publicValues: Record<string, number>, target: string): Interval {
  const ids = new Set<string>([...Object.keys(input.cells), ...Object.keys(publicValues)]);
  for (const s of input.sums) for (const id of [s.total, ...s.parts]) ids.add(id);
  const name = new Map([...ids].map((id, i) => [id, `x${i}`]));
  const subjectTo: LP["subjectTo"] = input.sums.map((s, i) => {
    const coef = new Map<string, number>();
    coef.set(s.total, 1);
    for (const p of s.parts) coef.set(p, (coef.get(p) ?? 0) - 1);
    return {
      name: `r${i}`,
      vars: [...coef].filter(([, c]) => c !== 0).map(([id, c]) => ({ name: name.get(id)!, coef: c })),
      bnds: { type: glpk.GLP_FX, lb: 0, ub: 0 },
    };
  });
  const bounds: NonNullable<LP["bounds"]> = [...ids].map((id) =>
    id in publicValues
      ? { name: name.get(id)!, type: glpk.GLP_FX, lb: publicValues[id]!, ub: publicValues[id]! }
      : { name: name.get(id)!, type: glpk.GLP_LO, lb: 0, ub: 0 },
  );
  const solve = (direction: number) => {
    const r = glpk.solve(
      { name: "attack", objective: { direction, name: "z", vars: [{ name: name.get(target)!, coef: 1 }] }, subjectTo, bounds },
      { msglev: glpk.GLP_MSG_OFF, presol: false },
    );
    if (r.result.status === glpk.GLP_UNBND) return Number.POSITIVE_INFINITY;
    if (r.result.status !== glpk.GLP_OPT) throw new Error(`GLPK status ${r.result.status}`);
    return r.result.z;
  };
  return { min: solve(glpk.GLP_MIN), max: solve(glpk.GLP_MAX) };
}

const TOL = 1e-5;
const passes = (i: Interval, t: number) => i.max >= t - TOL && i.max - i.min >= t - TOL;

// ---------------------------------------------------------------------------
// Random linked tables and ledgers

const count = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 }) });

const oneWay = fc.record({
  kind: fc.constant("one" as const),
  values: fc.array(count, { minLength: 2, maxLength: 5 }),
  // an overlapping partial sum over some parts (e.g. "the 6 larger hospitals")
  subset: fc.option(fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), { nil: undefined }),
});

const twoWay = fc
  .record({ rows: fc.integer({ min: 2, max: 3 }), cols: fc.integer({ min: 2, max: 4 }) })
  .chain(({ rows, cols }) =>
    fc.record({
      kind: fc.constant("two" as const),
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      values: fc.array(count, { minLength: rows * cols, maxLength: rows * cols }),
    }),
  );

const scenario = fc.record({
  threshold: fc.integer({ min: 2, max: 6 }),
  tables: fc.array(fc.oneof(oneWay, twoWay), { minLength: 1, maxLength: 3 }),
  aggregate: fc.boolean(),
  // per cell: 0 nothing, 1 released (ledger), 2 released only (an earlier table's cell), 3 unknown to the public and absent
  fate: fc.array(fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3), { minLength: 60, maxLength: 60 }),
  ownThreshold: fc.array(fc.constantFrom(undefined, undefined, undefined, undefined, 0, 3, 8), { minLength: 60, maxLength: 60 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario): ProtectInput {
  const values = new Map<string, number>();
  const sums: ProtectInput["sums"] = [];
  const grandTotals: string[] = [];
  s.tables.forEach((table, k) => {
    const T = `t${k}`;
    if (table.kind === "one") {
      const parts = table.values.map((v, i) => {
        values.set(`${T}.${i}`, v);
        return `${T}.${i}`;
      });
      values.set(`${T}.all`, table.values.reduce((a, b) => a + b, 0));
      sums.push({ total: `${T}.all`, parts });
      const chosen = table.subset ? parts.filter((_, i) => table.subset![i]) : [];
      if (chosen.length >= 2 && chosen.length < parts.length) {
        values.set(`${T}.sub`, chosen.reduce((a, id) => a + values.get(id)!, 0));
        sums.push({ total: `${T}.sub`, parts: chosen });
      }
      grandTotals.push(`${T}.all`);
    } else {
      const at = (r: number, c: number) => table.values[r * table.cols + c]!;
      let grand = 0;
      for (let r = 0; r < table.rows; r++) {
        const parts = [];
        let sum = 0;
        for (let c = 0; c < table.cols; c++) {
          values.set(`${T}.${r}.${c}`, at(r, c));
          parts.push(`${T}.${r}.${c}`);
          sum += at(r, c);
        }
        values.set(`${T}.${r}.*`, sum);
        sums.push({ total: `${T}.${r}.*`, parts });
        grand += sum;
      }
      for (let c = 0; c < table.cols; c++) {
        let sum = 0;
        const parts = [];
        for (let r = 0; r < table.rows; r++) {
          parts.push(`${T}.${r}.${c}`);
          sum += at(r, c);
        }
        values.set(`${T}.*.${c}`, sum);
        sums.push({ total: `${T}.*.${c}`, parts });
      }
      values.set(`${T}.*.*`, grand);
      sums.push({ total: `${T}.*.*`, parts: Array.from({ length: table.rows }, (_, r) => `${T}.${r}.*`) });
      sums.push({ total: `${T}.*.*`, parts: Array.from({ length: table.cols }, (_, c) => `${T}.*.${c}`) });
      grandTotals.push(`${T}.*.*`);
    }
  });
  if (s.aggregate && grandTotals.length >= 2) {
    values.set("all", grandTotals.reduce((a, id) => a + values.get(id)!, 0));
    sums.push({ total: "all", parts: grandTotals });
  }
  const cells: ProtectInput["cells"] = {};
  const released: Record<string, number> = {};
  [...values.keys()].forEach((id, i) => {
    const fate = s.fate[i % s.fate.length]!;
    const own = s.ownThreshold[i % s.ownThreshold.length];
    const value = values.get(id)!;
    if (fate !== 2 && fate !== 3) cells[id] = own === undefined ? { value } : { value, threshold: own };
    if (fate === 1 || fate === 2) released[id] = value;
  });
  return { threshold: s.threshold, cells, sums, released };
}

const primary = (input: ProtectInput, id: string) => {
  const t = input.cells[id]!.threshold ?? input.threshold;
  const v = input.cells[id]!.value;
  return t > 0 && v >= 1 && v < t;
};


/** The output keeps released values, publishes true values only, and every primary cell resists the GLPK intruder. */
function checkProtected(input: ProtectInput, output: ProtectOutput) {
  const released = input.released ?? {};
  const primaries = Object.keys(input.cells).filter((id) => primary(input, id));
  expect(Object.keys(output.cells).sort()).toEqual(Object.keys(input.cells).sort());
  const publicValues: Record<string, number> = { ...released };
  for (const [id, cell] of Object.entries(output.cells)) {
    if (id in released) expect(cell.published, `released ${id} must stay published`).toBe(released[id]);
    if (cell.published !== null) {
      expect(cell.published).toBe(input.cells[id]!.value);
      publicValues[id] = cell.published;
    }
  }
  expect(Object.keys(output.audit).sort()).toEqual(primaries.sort());
  for (const id of primaries) {
    expect(output.cells[id]!.published, `primary ${id} must be secret`).toBeNull();
    const t = input.cells[id]!.threshold ?? input.threshold;
    const attack = intruder(input, publicValues, id);
    expect(passes(attack, t), `${id} (t = ${t}) narrowed to [${attack.min}, ${attack.max}]`).toBe(true);
    expect(output.audit[id]!.min).toBeCloseTo(attack.min, 4);
    if (Number.isFinite(attack.max)) expect(output.audit[id]!.max).toBeCloseTo(attack.max, 4);
    else expect(output.audit[id]!.max).toBe(Number.POSITIVE_INFINITY);
  }
  return publicValues;
}

// ---------------------------------------------------------------------------

describe("D226-3-4 / Art. 5 — property: no output of protect() lets an independent LP intruder narrow a secret cell", () => {
  it("D226-3-4 : random linked tables and ledgers — every primary cell passes the audit under GLPK, or the refusal is justified", async () => {
    let protectedRuns = 0;
    let refusedRuns = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const input = build(s);
        const result = await protect(input);
        const released = input.released ?? {};
        const primaries = Object.keys(input.cells).filter((id) => primary(input, id));

        if (!result.ok) {
          refusedRuns++;
          // Justified: even with every unreleased cell secret, each named cell fails.
          expect(result.cells.length).toBeGreaterThan(0);
          for (const id of result.cells) {
            expect(primaries).toContain(id);
            const t = input.cells[id]!.threshold ?? input.threshold;
            expect(passes(intruder(input, released, id), t), `${id} is refused but could be protected`).toBe(false);
          }
          return;
        }
        protectedRuns++;
        checkProtected(input, result.output);
      }),
      { seed: Number(process.env.FUZZ_SEED ?? 20261204), numRuns: Number(process.env.FUZZ_RUNS ?? 100), endOnFailure: true },
    );
    // The generator must exercise both outcomes, or the property says little.
    expect(protectedRuns).toBeGreaterThan(0);
    expect(refusedRuns).toBeGreaterThan(0);
    if (process.env.FUZZ_RUNS) console.info(`secrecy property: ${protectedRuns} protected, ${refusedRuns} refused`);
  });

  it("Art. 5 : successive releases — a new table built on cells an earlier protected edition made public (a partial total across tables) is protected against that ledger, never refused, and the union resists GLPK", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), async (s, pick) => {
        // One threshold for all cells here: a partial total is then secret exactly when its cells' sum is small.
        const full = build({ ...s, fate: s.fate.map(() => 0), ownThreshold: s.ownThreshold.map(() => undefined) });
        const first = await protect({ ...full, released: {} });
        if (!first.ok) throw new Error(first.reason);
        const ledger = Object.fromEntries(Object.entries(first.output.cells).flatMap(([id, c]) => (c.published === null ? [] : [[id, c.published]])));
        // Edition 2: the same cells plus a partial total over some elementary cells (across tables) and their complement.
        const elementary = Object.keys(full.cells).filter((id) => !full.sums.some((x) => x.total === id));
        const chosen = elementary.filter((_, i) => pick[i % pick.length]);
        if (chosen.length < 1 || chosen.length === elementary.length) return;
        const cells = { ...full.cells, "new.part": { value: chosen.reduce((a, id) => a + full.cells[id]!.value, 0) } };
        const second: ProtectInput = { ...full, cells, sums: [...full.sums, { total: "new.part", parts: chosen }], released: ledger };
        const result = await protect(second);
        if (!result.ok) throw new Error(`refused although the first edition passed: ${result.reason}`);
        checkProtected(second, result.output);
      }),
      { seed: Number(process.env.FUZZ_SEED ?? 20261204) + 1, numRuns: Number(process.env.FUZZ_RUNS ?? 100), endOnFailure: true },
    );
  });
});
