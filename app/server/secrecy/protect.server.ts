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
import highsLoader, { type Highs, type Model } from "highs";
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

/** HiGHS, loaded once per process and reused. */
export function loadSolver(): Promise<Highs> {
  highsPromise ??= highsLoader();
  return highsPromise;
}

const SOLVER_OPTIONS = { output_flag: false, log_to_console: false } as const;

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

function csr(rows: { index: number[]; coef: number[] }[], numCols: number) {
  const starts = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const r of rows) {
    indices.push(...r.index);
    values.push(...r.coef);
    starts.push(indices.length);
  }
  return { format: "csr" as const, numRows: rows.length, numCols, starts, indices, values };
}

/**
 * The intruder's LP over one component: one column per id, one equality row
 * per relation. Bounds encode what is public: a published or released value
 * is fixed, anything else is only known to be ≥ 0.
 */
class AuditModel {
  private readonly model: Model;
  private costCol = -1;

  constructor(
    private readonly highs: Highs,
    private readonly c: Component,
    masked: Uint8Array,
  ) {
    const n = c.ids.length;
    const lower = new Float64Array(n);
    const upper = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const fixed = isPublic(c, masked, j);
      lower[j] = fixed ? c.value[j]! : 0;
      upper[j] = fixed ? c.value[j]! : highs.infinity;
    }
    this.model = highs.createModel({
      numCols: n,
      numRows: c.rows.length,
      colCost: new Float64Array(n),
      colLower: lower,
      colUpper: upper,
      rowLower: new Float64Array(c.rows.length),
      rowUpper: new Float64Array(c.rows.length),
      matrix: csr(c.rows, n),
    });
    this.model.options.set(SOLVER_OPTIONS);
  }

  setPublic(j: number, isPublicNow: boolean) {
    const v = this.c.value[j]!;
    this.model.changeColBounds(j, isPublicNow ? v : 0, isPublicNow ? v : this.highs.infinity);
  }

  /**
   * Min (or max) of x_p. `cap` bounds x_p from above for a max (a yes/no
   * question "can x_p reach cap?" that is never unbounded). Returns the value
   * (Infinity when unbounded) and the optimal point.
   */
  optimise(p: number, sense: "min" | "max", cap?: number): { value: number; point: Float64Array | null } {
    const { highs, model } = this;
    if (this.costCol !== p) {
      if (this.costCol >= 0) model.changeColCost(this.costCol, 0);
      model.changeColCost(p, 1);
      this.costCol = p;
    }
    model.changeObjectiveSense(sense === "min" ? highs.constants.objectiveSense.minimize : highs.constants.objectiveSense.maximize);
    if (cap !== undefined) model.changeColBounds(p, 0, cap);
    try {
      model.run();
      const status = model.getModelStatus();
      if (status === highs.constants.modelStatus.unbounded || status === highs.constants.modelStatus.unboundedOrInfeasible) {
        if (sense === "max") return { value: Number.POSITIVE_INFINITY, point: null };
      }
      if (status !== highs.constants.modelStatus.optimal)
        throw new Error(`secrecy audit: solver status ${status} for ${this.c.ids[p]} (${sense})`);
      return { value: model.getObjectiveValue(), point: model.getSolution().colValue.slice(0, this.c.ids.length) };
    } finally {
      if (cap !== undefined) model.changeColBounds(p, 0, highs.infinity);
    }
  }

  dispose() {
    this.model.dispose();
  }
}

function isPublic(c: Component, masked: Uint8Array, j: number) {
  return c.released[j] === 1 || (c.candidate[j] === 1 && masked[j] === 0);
}

/**
 * The defender's LP: find the cheapest move of the public point that takes
 * x_p to a target. Columns: x (one per id), then for every candidate cell j
 * an up and a down deviation (x_j − up_j + down_j = v_j). A deviation costs
 * weight(j) = v_j + 1 per unit while j is published, nothing once masked.
 */
class PerturbationModel {
  private readonly model: Model;
  private readonly devCol = new Map<number, number>();

  constructor(
    private readonly highs: Highs,
    private readonly c: Component,
    masked: Uint8Array,
  ) {
    const n = c.ids.length;
    const cand: number[] = [];
    for (let j = 0; j < n; j++) if (c.candidate[j]) cand.push(j);
    const numCols = n + 2 * cand.length;
    const lower = new Float64Array(numCols);
    const upper = new Float64Array(numCols).fill(highs.infinity);
    const cost = new Float64Array(numCols);
    for (let j = 0; j < n; j++) {
      if (c.released[j]) lower[j] = upper[j] = c.value[j]!;
    }
    const rows = [...c.rows];
    const rowLower: number[] = c.rows.map(() => 0);
    cand.forEach((j, k) => {
      const up = n + 2 * k;
      this.devCol.set(j, up);
      const w = masked[j] ? 0 : weight(c.value[j]!);
      cost[up] = w;
      cost[up + 1] = w;
      rows.push({ index: [j, up, up + 1], coef: [1, -1, 1] });
      rowLower.push(c.value[j]!);
    });
    this.model = highs.createModel({
      numCols,
      numRows: rows.length,
      colCost: cost,
      colLower: lower,
      colUpper: upper,
      rowLower,
      rowUpper: rowLower,
      matrix: csr(rows, numCols),
    });
    this.model.options.set(SOLVER_OPTIONS);
  }

  mask(j: number) {
    const up = this.devCol.get(j);
    if (up === undefined) return;
    this.model.changeColCost(up, 0);
    this.model.changeColCost(up + 1, 0);
  }

  /** The cheapest feasible point with x_p = target, or null when none exists. */
  moveTo(p: number, target: number): Float64Array | null {
    const { highs, model } = this;
    model.changeColBounds(p, target, target);
    try {
      model.run();
      const status = model.getModelStatus();
      if (status === highs.constants.modelStatus.infeasible || status === highs.constants.modelStatus.unboundedOrInfeasible) return null;
      if (status !== highs.constants.modelStatus.optimal) throw new Error(`secrecy suppression: solver status ${status} for ${this.c.ids[p]}`);
      return model.getSolution().colValue.slice(0, this.c.ids.length);
    } finally {
      model.changeColBounds(p, 0, highs.infinity);
    }
  }

  dispose() {
    this.model.dispose();
  }
}

/** What masking a cell costs (ADR 014): its value + 1, so zeros are not free. */
export function weight(value: number): number {
  return value + 1;
}

/** A feasible point of the intruder's LP and the candidate cells where it differs from the truth. */
interface Witness {
  point: Float64Array;
  moved: number[];
}

function witness(c: Component, point: Float64Array): Witness {
  const moved: number[] = [];
  for (let j = 0; j < point.length; j++) if (c.candidate[j] && !sameValue(point[j]!, c.value[j]!)) moved.push(j);
  return { point, moved };
}

const validUnder = (w: Witness, masked: Uint8Array) => w.moved.every((j) => masked[j] === 1);

/** Targets for a primary cell: reach `down` and `up`, with up ≥ t and up − down ≥ t. */
function targets(t: number, lowest: number) {
  return { down: lowest, up: Math.max(t, lowest + t) };
}

/** Does some pair of valid witnesses (the truth included) certify the criterion for p? */
function certified(c: Component, p: number, masked: Uint8Array, witnesses: Witness[]): boolean {
  let lo = c.value[p]!;
  let hi = lo;
  for (const w of witnesses) {
    if (!validUnder(w, masked)) continue;
    const x = w.point[p]!;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return intervalPasses({ min: lo, max: hi }, c.threshold[p]!);
}

interface ComponentResult {
  masked: Uint8Array;
  audit: Map<number, AuditInterval>;
  impossible: Map<number, AuditInterval>;
}

function protectComponent(highs: Highs, c: Component): ComponentResult {
  const n = c.ids.length;
  const masked = new Uint8Array(n);
  const audit = new Map<number, AuditInterval>();
  const impossible = new Map<number, AuditInterval>();
  if (c.primaries.length === 0) return { masked, audit, impossible };

  for (const p of c.primaries) if (c.candidate[p]) masked[p] = 1;
  const pert = new PerturbationModel(highs, c, masked);
  const auditor = new AuditModel(highs, c, masked);
  try {
    const witnesses: Witness[] = [];
    const addMasks = (w: Witness) => {
      for (const j of w.moved)
        if (!masked[j]) {
          masked[j] = 1;
          pert.mask(j);
          auditor.setPublic(j, false);
        }
      witnesses.push(w);
    };

    // Phase 1: mask until every primary cell is certified by witnesses.
    for (const p of c.primaries) {
      if (c.released[p]) {
        impossible.set(p, { min: c.value[p]!, max: c.value[p]! });
        continue;
      }
      let goal = targets(c.threshold[p]!, 0);
      let knowsLowest = false;
      for (let attempt = 0; attempt < 2 && !certified(c, p, masked, witnesses); attempt++) {
        const up = pert.moveTo(p, goal.up);
        const down = up ? pert.moveTo(p, goal.down) : null;
        if (up && down) {
          addMasks(witness(c, up));
          addMasks(witness(c, down));
          continue;
        }
        if (knowsLowest) break;
        // Some target cannot be reached even with every unreleased cell masked:
        // ask the intruder's LP what the widest possible interval is.
        const widest = widestInterval(highs, c, p);
        if (!intervalPasses(widest, c.threshold[p]!)) {
          impossible.set(p, widest);
          break;
        }
        goal = targets(c.threshold[p]!, widest.min);
        knowsLowest = true;
      }
      if (!impossible.has(p) && !certified(c, p, masked, witnesses))
        throw new Error(`secrecy suppression: could not certify ${c.ids[p]}`);
    }
    if (impossible.size) return { masked, audit, impossible };

    // Phase 2: prune secondary masks, heaviest first.
    const secondary = [];
    for (let j = 0; j < n; j++) if (masked[j] && !c.primaries.includes(j)) secondary.push(j);
    secondary.sort((a, b) => c.value[b]! - c.value[a]! || a - b);
    for (const j of secondary) {
      masked[j] = 0;
      auditor.setPublic(j, true);
      let ok = true;
      for (const p of c.primaries) {
        if (certified(c, p, masked, witnesses)) continue;
        // Witnesses found under a smaller mask stay valid under a larger one: keep them all.
        const low = auditor.optimise(p, "min");
        witnesses.push(witness(c, low.point!));
        const goal = targets(c.threshold[p]!, low.value);
        const high = auditor.optimise(p, "max", goal.up);
        if (high.point) witnesses.push(witness(c, high.point));
        if (high.value < goal.up - EPS) {
          ok = false;
          break;
        }
      }
      if (ok) continue;
      masked[j] = 1;
      auditor.setPublic(j, false);
    }

    // Phase 3: the exact intervals of the final mask.
    for (const p of c.primaries) {
      const min = auditor.optimise(p, "min").value;
      const max = auditor.optimise(p, "max").value;
      audit.set(p, { min, max });
      if (!intervalPasses({ min, max }, c.threshold[p]!)) throw new Error(`secrecy audit: ${c.ids[p]} fails after suppression`);
    }
    return { masked, audit, impossible };
  } finally {
    pert.dispose();
    auditor.dispose();
  }
}

/** The interval of x_p when every unreleased cell is masked: the most protection possible. */
function widestInterval(highs: Highs, c: Component, p: number): AuditInterval {
  const all = new Uint8Array(c.ids.length).fill(1);
  const model = new AuditModel(highs, c, all);
  try {
    return { min: model.optimise(p, "min").value, max: model.optimise(p, "max").value };
  } finally {
    model.dispose();
  }
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 + 0 : x);

const list = (ids: string[]) => ids.map((id) => `« ${id} »`).join(", ");

const interval = (i: AuditInterval) => `[${round(i.min)} ; ${Number.isFinite(i.max) ? round(i.max) : "+∞"}]`;

/**
 * Protects a release: decides which cells are published so that every
 * primary-secret cell passes the audit against everything public.
 * Throws ProtectInputError on an inconsistent input.
 */
export async function protect(input: ProtectInput): Promise<ProtectResult> {
  checkConsistency(input);
  const highs = await loadSolver();
  const cells: ProtectOutput["cells"] = {};
  const audit: ProtectOutput["audit"] = {};
  const impossible: { id: string; interval: AuditInterval }[] = [];
  for (const c of components(input)) {
    const r = protectComponent(highs, c);
    c.ids.forEach((id, j) => {
      if (!input.cells[id]) return;
      cells[id] = { published: c.released[j] || !r.masked[j] ? c.value[j]! : null };
    });
    for (const [p, i] of r.audit) audit[c.ids[p]!] = { min: round(i.min), max: round(i.max) };
    for (const [p, i] of r.impossible) impossible.push({ id: c.ids[p]!, interval: i });
  }
  if (impossible.length) {
    impossible.sort((a, b) => (a.id < b.id ? -1 : 1));
    const ids = impossible.map((i) => i.id);
    return {
      ok: false,
      cells: ids,
      reason:
        `Secret statistique (CASF D226-3-4, convention Art. 5) : aucun masquage ne protège ${ids.length > 1 ? "les cellules" : "la cellule"} ${list(ids)} ; ` +
        `les valeurs déjà diffusées et les relations d'additivité les encadrent trop étroitement (${impossible.map((i) => `« ${i.id} » ∈ ${interval(i.interval)}`).join(", ")}).`,
    };
  }
  const sortedCells = Object.fromEntries(Object.keys(cells).sort().map((id) => [id, cells[id]!]));
  const sortedAudit = Object.fromEntries(Object.keys(audit).sort().map((id) => [id, audit[id]!]));
  return { ok: true, output: { cells: sortedCells, audit: sortedAudit } };
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
  const audit: Record<string, AuditInterval> = {};
  const failing: string[] = [];
  for (const c of components(input)) {
    if (!c.primaries.length) continue;
    const model = new AuditModel(highs, c, new Uint8Array(c.ids.length).fill(1));
    try {
      for (const p of c.primaries) {
        const i = { min: model.optimise(p, "min").value, max: model.optimise(p, "max").value };
        audit[c.ids[p]!] = { min: round(i.min), max: round(i.max) };
        if (!intervalPasses(i, c.threshold[p]!)) failing.push(c.ids[p]!);
      }
    } finally {
      model.dispose();
    }
  }
  failing.sort();
  return { audit: Object.fromEntries(Object.keys(audit).sort().map((id) => [id, audit[id]!])), failing };
}

/** The output as the command prints it: JSON with `null` for an unbounded max. */
export function outputJson(output: ProtectOutput): string {
  return JSON.stringify(output, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
}
