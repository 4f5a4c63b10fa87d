/**
 * Statistical-secrecy protection over linked tables and the disclosure ledger
 * (convention Art. 3–5; CASF D226-3-4: no direct or indirect identification).
 * ADR 014 (docs/decisions/014-statistical-secrecy.md) explains the rule, what
 * is minimised, the method and its limits.
 *
 * Input: the cells of a release (true values, optional per-cell threshold),
 * additive relations between any ids (`total = Σ parts`), and the values
 * already public (`released`, the ledger). Output: which cells are published
 * and, for every primary-secret cell, the interval an intruder derives by
 * linear programming from everything public.
 *
 * - Primary: 1 ≤ value < threshold (the cell's own threshold overrides the
 *   default; threshold 0 = never secret; 0 is never primary-secret).
 * - Audit: for every primary cell p with threshold t, min and max of x_p over
 *   { x ≥ 0, every relation holds, every published or released value fixed }
 *   (integrality relaxed). Pass when max ≥ t and max − min ≥ t.
 * - Secondary suppression: per connected component of the relation graph,
 *   for each primary cell that is not yet certified, a perturbation LP finds
 *   the cheapest (weight = value + 1 per unit moved) way to move the cell up
 *   to its target and down to its target; every published cell it moves is
 *   masked. Then a pruning pass unmasks, heaviest first, every secondary cell
 *   whose return keeps every primary cell passing.
 *
 * The solver is HiGHS (npm `highs`, WebAssembly), loaded once per process.
 */
import highsLoader, { type Highs } from "highs";
import { z } from "zod";

// ---------------------------------------------------------------------------
// Contract

const cellId = z.string({ error: "un identifiant de cellule (texte) est attendu" }).min(1, { error: "un identifiant de cellule ne peut pas être vide" });
const count = (what: string) =>
  z
    .number({ error: `${what} : un nombre est attendu` })
    .min(0, { error: `${what} : un nombre positif ou nul est attendu` });

export const protectInputSchema = z.strictObject(
  {
    threshold: count("seuil"),
    cells: z.record(
      cellId,
      z.strictObject(
        { value: count("valeur"), threshold: count("seuil de la cellule").optional() },
        { error: "chaque cellule doit être un objet { \"value\": nombre, \"threshold\"?: nombre }" },
      ),
      { error: "« cells » doit être un objet { identifiant: { \"value\": nombre } }" },
    ),
    sums: z.array(
      z.strictObject(
        {
          total: cellId,
          parts: z.array(cellId, { error: "« parts » doit être une liste d'identifiants" }).min(1, { error: "« parts » ne peut pas être vide" }),
        },
        { error: "chaque somme doit être un objet { \"total\": identifiant, \"parts\": [identifiants] }" },
      ),
      { error: "« sums » doit être une liste de sommes" },
    ),
    released: z.record(cellId, count("valeur diffusée"), { error: "« released » doit être un objet { identifiant: nombre }" }).optional(),
  },
  { error: "l'entrée doit être un objet JSON { threshold, cells, sums, released? }" },
);

export type ProtectInput = z.infer<typeof protectInputSchema>;

export interface AuditInterval {
  min: number;
  /** `Infinity` when nothing public bounds the cell from above (serialised as `null` in JSON). */
  max: number;
}

export interface ProtectOutput {
  cells: Record<string, { published: number | null }>;
  audit: Record<string, AuditInterval>;
}

export type ProtectResult = { ok: true; output: ProtectOutput } | { ok: false; reason: string; cells: string[] };

/** Bad input (malformed or inconsistent): a one-line French message saying what and where. */
export class ProtectInputError extends Error {
  override name = "ProtectInputError";
}

/** Parses and checks an input; throws ProtectInputError with a French message. */
export function parseProtectInput(raw: unknown): ProtectInput {
  const parsed = protectInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.map(String).join(".") : "document";
    const what = issue.code === "unrecognized_keys" ? `champ(s) inconnu(s) ${issue.keys.map((k) => `« ${k} »`).join(", ")}` : issue.message;
    throw new ProtectInputError(`Entrée invalide à « ${where} » : ${what}.`);
  }
  checkConsistency(parsed.data);
  return parsed.data;
}

// ---------------------------------------------------------------------------
// Rule

/** Primary-secret: 1 ≤ value < threshold; threshold 0 means never. */
export function isPrimarySecret(value: number, threshold: number): boolean {
  return threshold > 0 && value >= 1 && value < threshold;
}

/** The audit criterion for a primary cell of threshold t. */
export function intervalPasses(interval: AuditInterval, threshold: number): boolean {
  return interval.max >= threshold - EPS && interval.max - interval.min >= threshold - EPS;
}

/** The ids of the input's primary-secret cells, sorted. */
export function primaryCells(input: ProtectInput): string[] {
  return Object.keys(input.cells)
    .filter((id) => isPrimarySecret(input.cells[id]!.value, thresholdOf(input, id)))
    .sort();
}

export function thresholdOf(input: ProtectInput, id: string): number {
  return input.cells[id]?.threshold ?? input.threshold;
}

const EPS = 1e-6;

function sameValue(a: number, b: number) {
  return Math.abs(a - b) <= EPS * Math.max(1, Math.abs(a), Math.abs(b));
}

function checkConsistency(input: ProtectInput) {
  const released = input.released ?? {};
  for (const [id, value] of Object.entries(released)) {
    const cell = input.cells[id];
    if (cell && !sameValue(cell.value, value))
      throw new ProtectInputError(
        `Entrée incohérente : la cellule « ${id} » vaut ${cell.value} mais « released » indique ${value} ; une valeur déjà diffusée dont la donnée a changé ne doit pas figurer dans « released ».`,
      );
  }
  const known = (id: string) => input.cells[id]?.value ?? released[id];
  input.sums.forEach((sum, i) => {
    const values = [sum.total, ...sum.parts].map(known);
    if (values.some((v) => v === undefined)) return;
    const [total, ...parts] = values as number[];
    const sumOfParts = parts.reduce((a, b) => a + b, 0);
    if (!sameValue(total!, sumOfParts))
      throw new ProtectInputError(
        `Entrée incohérente : la somme n° ${i + 1} (« ${sum.total} » = ${sum.parts.map((p) => `« ${p} »`).join(" + ")}) n'est pas vérifiée (${total} ≠ ${sumOfParts}).`,
      );
  });
}

// ---------------------------------------------------------------------------
// Solver

let highsPromise: Promise<Highs> | undefined;

/** HiGHS, loaded once per thread and reused. */
export function loadSolver(): Promise<Highs> {
  highsPromise ??= highsLoader();
  return highsPromise;
}

/** Whether this thread has loaded HiGHS (the portal's main thread never should: ADR 049). */
export function solverLoadedInThisThread(): boolean {
  return highsPromise !== undefined;
}

const SOLVER_OPTIONS = { output_flag: false, log_to_console: false } as const;

/** Columns per HiGHS model when independent LPs are batched (measured: bench/secrecy.ts). */
const CHUNK_COLUMNS = Number(process.env.SECRECY_CHUNK_COLUMNS ?? 3000);

// ---------------------------------------------------------------------------
// Problem

/** One connected component of the relation graph, as index-based arrays. */
interface Component {
  ids: string[];
  /** True value (cells, else released), NaN when unknown (id only in sums). */
  value: Float64Array;
  released: Uint8Array;
  /** In `cells` and not released: may be published or masked. */
  candidate: Uint8Array;
  threshold: Float64Array;
  /** Rows as sparse (index, coefficient) lists: Σ coef·x = 0. */
  rows: { index: number[]; coef: number[] }[];
  primaries: number[];
}

function components(input: ProtectInput): Component[] {
  const released = input.released ?? {};
  const ids = new Set<string>(Object.keys(input.cells));
  for (const s of input.sums) {
    ids.add(s.total);
    for (const p of s.parts) ids.add(p);
  }
  const sorted = [...ids].sort();
  const index = new Map(sorted.map((id, i) => [id, i]));
  const parent = sorted.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (const s of input.sums) {
    const t = find(index.get(s.total)!);
    for (const p of s.parts) {
      const r = find(index.get(p)!);
      if (r !== t) parent[r] = t;
    }
  }
  const groups = new Map<number, number[]>();
  sorted.forEach((_, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  });
  const sumsByRoot = new Map<number, ProtectInput["sums"]>();
  for (const s of input.sums) {
    const r = find(index.get(s.total)!);
    const list = sumsByRoot.get(r);
    if (list) list.push(s);
    else sumsByRoot.set(r, [s]);
  }

  const result: Component[] = [];
  for (const [root, members] of groups) {
    const compIds = members.map((i) => sorted[i]!);
    const local = new Map(compIds.map((id, i) => [id, i]));
    const n = compIds.length;
    const value = new Float64Array(n);
    const rel = new Uint8Array(n);
    const candidate = new Uint8Array(n);
    const threshold = new Float64Array(n);
    const primaries: number[] = [];
    compIds.forEach((id, i) => {
      const cell = input.cells[id];
      const r = released[id];
      value[i] = cell?.value ?? r ?? Number.NaN;
      rel[i] = r !== undefined ? 1 : 0;
      candidate[i] = cell && r === undefined ? 1 : 0;
      threshold[i] = thresholdOf(input, id);
      if (cell && isPrimarySecret(cell.value, threshold[i]!)) primaries.push(i);
    });
    const rows = (sumsByRoot.get(root) ?? []).map((s) => {
      const coef = new Map<number, number>();
      coef.set(local.get(s.total)!, 1);
      for (const p of s.parts) coef.set(local.get(p)!, (coef.get(local.get(p)!) ?? 0) - 1);
      const entries = [...coef].filter(([, c]) => c !== 0).sort((a, b) => a[0] - b[0]);
      return { index: entries.map(([i]) => i), coef: entries.map(([, c]) => c) };
    });
    result.push({ ids: compIds, value, released: rel, candidate, threshold, rows: rows.filter((r) => r.index.length > 0), primaries });
  }
  return result;
}

function isPublic(c: Component, masked: Uint8Array, j: number) {
  return c.released[j] === 1 || (c.candidate[j] === 1 && masked[j] === 0);
}

/** What masking a cell costs (ADR 014): its value + 1, so zeros are not free. */
export function weight(value: number): number {
  return value + 1;
}

/**
 * A batch of independent LPs solved as ONE block-diagonal HiGHS model (one
 * WebAssembly call instead of hundreds): every block is a minimisation with a
 * bounded objective, so the optimum of the batch is the optimum of each block.
 * - audit block: the intruder's LP of a component under a mask, objective
 *   +x_p (min) or −x_p (max, with x_p capped at the component's `cap`);
 * - perturbation block: the defender's LP (see `addPerturbation`).
 */
class Batch {
  private lower: number[] = [];
  private upper: number[] = [];
  private cost: number[] = [];
  private starts: number[] = [0];
  private index: number[] = [];
  private coef: number[] = [];
  private rowBound: number[] = [];
  /** Where each block's columns and rows start. */
  private marks: { col: number; row: number }[] = [];

  constructor(private readonly highs: Highs) {}

  /**
   * Columns for the ids of `c` that are not fixed (`fixed(j)` returns the
   * fixed value or undefined); fixed values are moved to the rows' right-hand
   * sides, rows left without a column are dropped (they hold: the input is
   * consistent). Returns the column of each id, −1 when fixed.
   */
  private addBlock(c: Component, fixed: (j: number) => number | undefined, bounds: (j: number) => [number, number, number]): Int32Array {
    this.marks.push({ col: this.lower.length, row: this.rowBound.length });
    const n = c.ids.length;
    const col = new Int32Array(n).fill(-1);
    for (let j = 0; j < n; j++) {
      if (fixed(j) !== undefined) continue;
      col[j] = this.lower.length;
      const [lower, upper, cost] = bounds(j);
      this.lower.push(lower);
      this.upper.push(upper);
      this.cost.push(cost);
    }
    for (const r of c.rows) {
      let rhs = 0;
      let free = 0;
      for (let k = 0; k < r.index.length; k++) {
        const j = r.index[k]!;
        const v = fixed(j);
        if (v === undefined) {
          this.index.push(col[j]!);
          this.coef.push(r.coef[k]!);
          free++;
        } else rhs -= r.coef[k]! * v;
      }
      if (!free) continue;
      this.starts.push(this.index.length);
      this.rowBound.push(rhs);
    }
    return col;
  }

  /** Intruder's LP for x_p: public values fixed, everything else ≥ 0. */
  addAudit(c: Component, masked: Uint8Array, p: number, sense: "min" | "max", cap: number): Int32Array {
    const inf = this.highs.infinity;
    return this.addBlock(
      c,
      (j) => (isPublic(c, masked, j) ? c.value[j]! : undefined),
      (j) => [0, j === p && sense === "max" ? cap : inf, j === p ? (sense === "min" ? 1 : -1) : 0],
    );
  }

  /**
   * Defender's LP: the cheapest move of the public point that takes x_p to
   * `target`. Columns: x (released values fixed), then for every published
   * candidate cell j an up and a down deviation (x_j − up_j + down_j = v_j)
   * costing weight(j) per unit; masked cells move for free.
   */
  addPerturbation(c: Component, masked: Uint8Array, p: number, target: number): Int32Array {
    const inf = this.highs.infinity;
    const col = this.addBlock(
      c,
      (j) => (c.released[j] ? c.value[j]! : undefined),
      (j) => (j === p ? [target, target, 0] : [0, inf, 0]),
    );
    for (let j = 0; j < c.ids.length; j++) {
      if (!c.candidate[j] || masked[j] || j === p) continue;
      const up = this.lower.length;
      const w = weight(c.value[j]!);
      this.lower.push(0, 0);
      this.upper.push(inf, inf);
      this.cost.push(w, w);
      this.index.push(col[j]!, up, up + 1);
      this.coef.push(1, -1, 1);
      this.starts.push(this.index.length);
      this.rowBound.push(c.value[j]!);
    }
    return col;
  }

  /** Solves the batch; the primal point (all blocks), or null when some block is infeasible. */
  solve(): Float64Array | null {
    const solution = new Float64Array(this.lower.length);
    const ends = [...this.marks.slice(1), { col: this.lower.length, row: this.rowBound.length }];
    // HiGHS's work grows faster than linearly with the model: solve the blocks
    // in groups of about CHUNK_COLUMNS columns.
    let first = 0;
    while (first < this.marks.length) {
      let last = first;
      while (last + 1 < this.marks.length && ends[last + 1]!.col - this.marks[first]!.col <= CHUNK_COLUMNS) last++;
      const from = this.marks[first]!;
      const to = ends[last]!;
      const part = this.solveRange(from.col, to.col, from.row, to.row);
      if (!part) return null;
      solution.set(part, from.col);
      first = last + 1;
    }
    return solution;
  }

  private solveRange(col0: number, col1: number, row0: number, row1: number): Float64Array | null {
    const { highs } = this;
    const numCols = col1 - col0;
    const numRows = row1 - row0;
    const base = this.starts[row0]!;
    const model = highs.createModel({
      numCols,
      numRows,
      colCost: Float64Array.from(this.cost.slice(col0, col1)),
      colLower: Float64Array.from(this.lower.slice(col0, col1)),
      colUpper: Float64Array.from(this.upper.slice(col0, col1)),
      rowLower: Float64Array.from(this.rowBound.slice(row0, row1)),
      rowUpper: Float64Array.from(this.rowBound.slice(row0, row1)),
      matrix: {
        format: "csr",
        numRows,
        numCols,
        starts: Int32Array.from(this.starts.slice(row0, row1 + 1), (x) => x - base),
        indices: Int32Array.from(this.index.slice(base, this.starts[row1]!), (x) => x - col0),
        values: Float64Array.from(this.coef.slice(base, this.starts[row1]!)),
      },
    });
    try {
      model.options.set(SOLVER_OPTIONS);
      model.run();
      const status = model.getModelStatus();
      if (status === highs.constants.modelStatus.optimal) return model.getSolution().colValue;
      if (status === highs.constants.modelStatus.infeasible) return null;
      throw new Error(`secrecy: HiGHS model status ${status} on a batch of LPs`);
    } finally {
      model.dispose();
    }
  }
}

/** A feasible point of the intruder's LP and the candidate cells where it differs from the truth. */
interface Witness {
  point: Float64Array;
  moved: number[];
}

function witness(c: Component, solution: Float64Array, col: Int32Array): Witness {
  const point = new Float64Array(c.ids.length);
  const moved: number[] = [];
  for (let j = 0; j < point.length; j++) {
    point[j] = col[j]! >= 0 ? solution[col[j]!]! : c.value[j]!;
    if (c.candidate[j] && !sameValue(point[j]!, c.value[j]!)) moved.push(j);
  }
  return { point, moved };
}

const validUnder = (w: Witness, masked: Uint8Array) => w.moved.every((j) => masked[j] === 1);

/** Does some valid witness (the truth included) take p low and high enough to pass? */
function certified(st: ComponentState, p: number): boolean {
  const { c, masked } = st;
  let lo = c.value[p]!;
  let hi = lo;
  for (const w of st.witnesses) {
    if (!validUnder(w, masked)) continue;
    const x = w.point[p]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return intervalPasses({ min: lo, max: hi }, c.threshold[p]!);
}

interface ComponentState {
  c: Component;
  masked: Uint8Array;
  witnesses: Witness[];
  /** Widest interval of each primary (every unreleased cell masked). */
  widest: Map<number, AuditInterval>;
  impossible: Map<number, AuditInterval>;
  audit: Map<number, AuditInterval>;
  /** Upper cap of a max block: far above any bounded maximum of the component. */
  cap: number;
}

function capOf(c: Component) {
  let sum = 0;
  for (const v of c.value) if (Number.isFinite(v)) sum += v;
  return 1000 * (1 + sum);
}

/** Reads a max block's value: reaching the cap means nothing bounds the cell. */
const maxValue = (x: number, cap: number) => (x >= cap / 2 ? Number.POSITIVE_INFINITY : x);

/**
 * Solves intruder LPs (min and max of each listed primary under each state's
 * current mask) in one batch; records the witnesses; returns the intervals.
 */
function auditBatch(highs: Highs, jobs: { st: ComponentState; p: number }[]): AuditInterval[] {
  if (!jobs.length) return [];
  const batch = new Batch(highs);
  const offsets = jobs.map(({ st, p }) => [batch.addAudit(st.c, st.masked, p, "min", st.cap), batch.addAudit(st.c, st.masked, p, "max", st.cap)] as const);
  const solution = batch.solve();
  if (!solution) throw new Error("secrecy audit: the intruder's LP is infeasible (inconsistent input)");
  return jobs.map(({ st, p }, k) => {
    const [lo, hi] = offsets[k]!;
    st.witnesses.push(witness(st.c, solution, lo), witness(st.c, solution, hi));
    return { min: Math.max(0, solution[lo[p]!]!), max: maxValue(solution[hi[p]!]!, st.cap) };
  });
}

/**
 * The engine over all components at once, in rounds: every round is ONE
 * HiGHS solve holding at most a few LPs per component, so the number of
 * solver calls grows with the largest component, not with the release.
 */
function protectComponents(highs: Highs, comps: Component[]): ComponentState[] {
  const states: ComponentState[] = comps
    .filter((c) => c.primaries.length > 0)
    .map((c) => {
      const masked = new Uint8Array(c.ids.length);
      for (const p of c.primaries) if (c.candidate[p]) masked[p] = 1;
      return { c, masked, witnesses: [], widest: new Map(), impossible: new Map(), audit: new Map(), cap: capOf(c) };
    });

  // Round 0: the widest interval of every primary cell (all unreleased cells
  // masked). A cell that fails there cannot be protected by any mask.
  const widestJobs: { st: ComponentState; p: number }[] = [];
  for (const st of states) {
    // Nothing fixed: the zero point and every multiple of the truth are
    // feasible, so every primary cell can reach 0 and grow without bound.
    const fixedSomewhere = st.c.released.some((r) => r === 1);
    for (const p of st.c.primaries) {
      if (st.c.released[p]) st.impossible.set(p, { min: st.c.value[p]!, max: st.c.value[p]! });
      else if (fixedSomewhere) widestJobs.push({ st, p });
      else st.widest.set(p, { min: 0, max: Number.POSITIVE_INFINITY });
    }
  }
  {
    const saved = states.map((st) => st.masked);
    for (const st of states) st.masked = st.c.candidate.slice();
    const intervals = auditBatch(highs, widestJobs);
    states.forEach((st, k) => {
      st.masked = saved[k]!;
      st.witnesses = []; // found under the full mask: not valid under the real one
    });
    widestJobs.forEach(({ st, p }, k) => {
      const i = intervals[k]!;
      st.widest.set(p, i);
      if (!intervalPasses(i, st.c.threshold[p]!)) st.impossible.set(p, i);
    });
  }
  if (states.some((st) => st.impossible.size)) return states;

  // Phase 1: per component, the next primary cell that no witness certifies
  // gets two perturbation LPs: up to max(t, lowest + t) and down to its
  // lowest reachable value. Every published cell they move is masked; the
  // two points then certify the cell.
  for (;;) {
    const batch = new Batch(highs);
    const jobs: { st: ComponentState; up: Int32Array; down: Int32Array }[] = [];
    for (const st of states) {
      const p = st.c.primaries.find((q) => !certified(st, q));
      if (p === undefined) continue;
      const widest = st.widest.get(p)!;
      const t = st.c.threshold[p]!;
      const down = widest.min;
      const up = Math.min(Math.max(t, down + t), widest.max);
      jobs.push({ st, up: batch.addPerturbation(st.c, st.masked, p, up), down: batch.addPerturbation(st.c, st.masked, p, down) });
    }
    if (!jobs.length) break;
    const solution = batch.solve();
    if (!solution) throw new Error("secrecy suppression: a perturbation LP is infeasible");
    for (const { st, up, down } of jobs)
      for (const w of [witness(st.c, solution, up), witness(st.c, solution, down)]) {
        for (const j of w.moved) st.masked[j] = 1;
        st.witnesses.push(w);
      }
  }

  // Phase 2: pruning. Per component, secondary cells are tried heaviest
  // first: published again when every primary cell still passes. Witnesses
  // decide without a solve when they can; otherwise the exact audit does.
  const queues = states.map((st) => {
    const primary = new Set(st.c.primaries);
    const secondary: number[] = [];
    st.masked.forEach((m, j) => {
      if (m && !primary.has(j)) secondary.push(j);
    });
    return secondary.sort((a, b) => st.c.value[b]! - st.c.value[a]! || a - b);
  });
  for (;;) {
    const pending: { st: ComponentState; j: number; jobs: number[] }[] = [];
    states.forEach((st, k) => {
      const queue = queues[k]!;
      while (queue.length) {
        const j = queue.shift()!;
        st.masked[j] = 0;
        const unsure = st.c.primaries.filter((p) => !certified(st, p));
        if (!unsure.length) continue; // published again
        pending.push({ st, j, jobs: unsure });
        break;
      }
    });
    if (!pending.length) break;
    const flat = pending.flatMap(({ st, jobs }) => jobs.map((p) => ({ st, p })));
    const intervals = auditBatch(highs, flat);
    let k = 0;
    for (const { st, j, jobs } of pending) {
      const mine = intervals.slice(k, (k += jobs.length));
      if (!jobs.every((p, i) => intervalPasses(mine[i]!, st.c.threshold[p]!))) st.masked[j] = 1;
    }
  }

  // Phase 3: the exact intervals under the final masks.
  const finalJobs = states.flatMap((st) => st.c.primaries.map((p) => ({ st, p })));
  auditBatch(highs, finalJobs).forEach((i, k) => {
    const { st, p } = finalJobs[k]!;
    if (!intervalPasses(i, st.c.threshold[p]!)) throw new Error(`secrecy audit: ${st.c.ids[p]} fails after suppression`);
    st.audit.set(p, i);
  });
  return states;
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 + 0 : x);

const list = (ids: string[]) => ids.map((id) => `« ${id} »`).join(", ");

const interval = (i: AuditInterval) => `[${round(i.min)} ; ${Number.isFinite(i.max) ? round(i.max) : "+∞"}]`;

const sortedRecord = <T>(record: Record<string, T>) => Object.fromEntries(Object.keys(record).sort().map((id) => [id, record[id]!]));

/**
 * Protects a release: decides which cells are published so that every
 * primary-secret cell passes the audit against everything public.
 * Throws ProtectInputError on an inconsistent input.
 */
export async function protect(input: ProtectInput): Promise<ProtectResult> {
  checkConsistency(input);
  const highs = await loadSolver();
  const comps = components(input);
  const states = new Map(protectComponents(highs, comps).map((st) => [st.c, st]));
  const impossible = [...states.values()]
    .flatMap((st) => [...st.impossible].map(([p, i]) => ({ id: st.c.ids[p]!, interval: i })))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  if (impossible.length) {
    const ids = impossible.map((i) => i.id);
    return {
      ok: false,
      cells: ids,
      reason:
        `Secret statistique (CASF D226-3-4, convention Art. 5) : aucun masquage ne protège ${ids.length > 1 ? "les cellules" : "la cellule"} ${list(ids)} ; ` +
        `les valeurs déjà diffusées et les relations d'additivité les encadrent trop étroitement (${impossible.map((i) => `« ${i.id} » ∈ ${interval(i.interval)}`).join(", ")}).`,
    };
  }
  const cells: ProtectOutput["cells"] = {};
  const audit: ProtectOutput["audit"] = {};
  for (const c of comps) {
    const st = states.get(c);
    c.ids.forEach((id, j) => {
      if (input.cells[id]) cells[id] = { published: st && !isPublic(c, st.masked, j) ? null : c.value[j]! };
    });
    if (st) for (const [p, i] of st.audit) audit[c.ids[p]!] = { min: round(i.min), max: round(i.max) };
  }
  return { ok: true, output: { cells: sortedRecord(cells), audit: sortedRecord(audit) } };
}

/**
 * The audit alone: what an intruder derives, for every primary-secret cell of
 * `input.cells`, from the `released` values only (every other cell counts as
 * secret). `failing` lists the cells that do not pass. Used to check what is
 * already public, e.g. a superseded edition together with its correction.
 */
export async function auditIntervals(input: ProtectInput): Promise<{ audit: Record<string, AuditInterval>; failing: string[] }> {
  checkConsistency(input);
  const highs = await loadSolver();
  const jobs = components(input)
    .filter((c) => c.primaries.length)
    .flatMap((c) => {
      const st: ComponentState = { c, masked: c.candidate.slice(), witnesses: [], widest: new Map(), impossible: new Map(), audit: new Map(), cap: capOf(c) };
      return c.primaries.map((p) => ({ st, p }));
    });
  const audit: Record<string, AuditInterval> = {};
  const failing: string[] = [];
  auditBatch(highs, jobs).forEach((i, k) => {
    const { st, p } = jobs[k]!;
    audit[st.c.ids[p]!] = { min: round(i.min), max: round(i.max) };
    if (!intervalPasses(i, st.c.threshold[p]!)) failing.push(st.c.ids[p]!);
  });
  return { audit: sortedRecord(audit), failing: failing.sort() };
}

/** The output as the command prints it: JSON with `null` for an unbounded max. */
export function outputJson(output: ProtectOutput): string {
  return JSON.stringify(output, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
}
