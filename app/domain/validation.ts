import { cellReference, type Problem } from "./problems";
import { COLUMNS } from "./template-layout";
import { NOT_AVAILABLE_CHOICES, NOT_AVAILABLE_REASON_MAX, parseNotAvailable, reasonRequired, type NotAvailableCode } from "./not-available";

/** One expected line of the data sheet (an indicator total or one breakdown cell). */
export interface PlanLine {
  key: string;
  indicatorCode: string;
  indicatorLabel: string;
  indicatorVersionId: string;
  breakdownKey: string;
  breakdownLabel: string;
  unit: string;
  valueType: "integer" | "decimal";
  nonNegative: boolean;
  min: number | null;
  max: number | null;
  sumEqualsTotal: boolean;
  /** Accepted value of the previous year, for reference and the variation check. */
  previous: number | null;
  /** The agreement lets the organisation declare this indicator « non disponible » (ND/NC, ADR 026). */
  notAvailableAllowed: boolean;
}

/**
 * The plan's lines by place: an array of them, or a view that builds each
 * line when asked and does not keep it (PackedLinesView, packed-lines.ts), so
 * that the worker validating ~100,000 lines holds columns rather than line
 * objects (ADR 058). Each `at` of a view builds a new object: read a line once per use.
 */
export interface PlanLines {
  readonly length: number;
  at(index: number): PlanLine | undefined;
}

/** What the parser read for one line. */
export interface ReadLine {
  key: string;
  row: number;
  /** Plain value of the input cell (number, string, null when empty). */
  value: unknown;
  formula?: string;
  /** Cached result of a formula, if the file has one. */
  formulaResult?: unknown;
  comment?: string | null;
  /** Reason of a « non disponible » declaration (column I, template v2). */
  reason?: string | null;
}

export interface ValidationOptions {
  sheet: string;
  /** Relative year-over-year variation of a total above which a warning asks for a comment (0.3 = 30 %). */
  variationThreshold: number;
}

export interface ValidatedValue {
  line: PlanLine;
  value: number | null;
  cellRef: string;
  /** ND/NC when the cell was validly declared not available (value is then null, never 0 — ADR 026). */
  notAvailableCode?: NotAvailableCode | null;
  notAvailableReason?: string | null;
}

const fr = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });

/** Parses a cell as the spreadsheet user meant it: numbers, or French-formatted text like "1 234,5". */
export function toNumber(raw: unknown): number | null | "invalid" {
  if (raw === null || raw === undefined || raw === "") return null;
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : "invalid";
  if (typeof raw === "string") {
    const text = raw.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    if (text === "") return null;
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : "invalid";
  }
  return "invalid";
}

/**
 * Checks the lines one at a time, as they are read, holding per line only a
 * number, a state and a row (typed arrays indexed by the line's place in the
 * plan), then, once every line is in, what needs them all: breakdown cells
 * summing to the total, and year-over-year variation (warning). All the
 * problems are reported (never only the first), sorted by row. The import
 * streams its lines through it (ADR 031); validateLines is the same checks
 * over lines already read.
 */
export class LineValidator {
  readonly problems: Problem[] = [];
  /** The value of each plan line (valid when state is VALUE). */
  private readonly numbers: Float64Array;
  private readonly state: Uint8Array;
  /** The row each plan line was read from (0: not read). */
  private readonly rows: Int32Array;

  constructor(
    private readonly plan: PlanLines,
    private readonly options: ValidationOptions,
  ) {
    this.numbers = new Float64Array(plan.length);
    this.state = new Uint8Array(plan.length);
    this.rows = new Int32Array(plan.length);
  }

  private readonly add = (line: PlanLine, row: number | null, p: Pick<Problem, "severity" | "code" | "message" | "hint">, column: string = COLUMNS.value) => {
    this.problems.push({
      ...p,
      sheet: this.options.sheet,
      cell: row === null ? null : `${column}${row}`,
      indicator: line.indicatorCode,
      indicatorLabel: line.indicatorLabel,
      breakdownLabel: line.breakdownKey === "" ? null : line.breakdownLabel,
    });
  };

  /** Checks the plan's line number `index`, read as `cell`; returns the value to store. Each line once. */
  line(index: number, cell: ReadLine): ValidatedValue {
    const line = this.plan.at(index)!;
    const checked = this.check(line, cell);
    this.rows[index] = cell.row;
    this.state[index] = checked.notAvailableCode ? DECLARED : checked.value === null ? MISSING : VALUE;
    if (checked.value !== null) this.numbers[index] = checked.value;
    return checked;
  }

  private check(line: PlanLine, cell: ReadLine): ValidatedValue {
    const options = this.options;
    const add = this.add;
    const cellRef = cellReference({ sheet: options.sheet, cell: `${COLUMNS.value}${cell.row}` });
    let raw = cell.value;
    if (cell.formula !== undefined) {
      if (cell.formulaResult === undefined || cell.formulaResult === null || typeof cell.formulaResult === "object") {
        add(line, cell.row, {
          severity: "error",
          code: "formula_no_value",
          message: `La cellule contient une formule (=${cell.formula}) sans valeur calculée enregistrée.`,
          hint: "Saisissez la valeur elle-même (sans formule), ou ouvrez et enregistrez le fichier dans Excel pour que la valeur soit calculée.",
        });
        return { line, value: null, cellRef };
      }
      raw = cell.formulaResult;
      add(line, cell.row, {
        severity: "warning",
        code: "formula_cached",
        message: `Formule (=${cell.formula}) : seule sa valeur calculée, ${typeof raw === "number" ? fr.format(raw) : String(raw)}, a été retenue.`,
        hint: "Vérifiez cette valeur ; pour éviter ce message, saisissez la valeur elle-même plutôt qu'une formule.",
      });
    }
    const reason = cell.reason?.trim() || null;
    const reasonCell = `${COLUMNS.reason}${cell.row}`;
    const valueCell = `${COLUMNS.value}${cell.row}`;
    const declared = parseNotAvailable(raw);
    if (declared) {
      // ADR 026: « non disponible » only where the agreement allows it; stored as missing with its reason, never as 0.
      if (!line.notAvailableAllowed) {
        add(line, cell.row, {
          severity: "error",
          code: "not_available_not_allowed",
          message: `« ${String(raw).slice(0, 40)} » en ${valueCell} : votre convention ne prévoit pas de « non disponible » pour cet indicateur.`,
          hint: "Votre convention ne prévoit pas de « non disponible » pour cet indicateur : saisissez la valeur, ou demandez à l'ODPE de l'autoriser dans votre convention. Ne saisissez jamais 0 pour une donnée manquante.",
        });
        return { line, value: null, cellRef };
      }
      if (reasonRequired(declared) && !reason) {
        add(
          line,
          cell.row,
          {
            severity: "error",
            code: "not_available_reason_missing",
            message: `Motif manquant pour ${declared} en ${reasonCell}.`,
            hint: `Indiquez en ${reasonCell} pourquoi la donnée n'est pas disponible (par exemple : « logiciel en cours de migration »), ou saisissez la valeur en ${valueCell}.`,
          },
          COLUMNS.reason,
        );
        return { line, value: null, cellRef };
      }
      if (reason && reason.length > NOT_AVAILABLE_REASON_MAX) {
        add(
          line,
          cell.row,
          {
            severity: "error",
            code: "not_available_reason_too_long",
            message: `Motif trop long en ${reasonCell} (${reason.length} caractères).`,
            hint: `Résumez le motif en ${NOT_AVAILABLE_REASON_MAX} caractères au plus ; les détails peuvent aller dans le commentaire (colonne ${COLUMNS.comment}).`,
          },
          COLUMNS.reason,
        );
        return { line, value: null, cellRef };
      }
      return { line, value: null, cellRef, notAvailableCode: declared, notAvailableReason: reason };
    }
    if (reason) {
      add(
        line,
        cell.row,
        {
          severity: "warning",
          code: "reason_without_not_available",
          message: `Un motif est saisi en ${reasonCell} sans déclaration « ND » ou « NC » en ${valueCell} : il n'est pas pris en compte.`,
          hint: line.notAvailableAllowed
            ? `Si la donnée n'est pas disponible, choisissez « ${NOT_AVAILABLE_CHOICES[0]} » en ${valueCell} ; sinon videz ${reasonCell}.`
            : `Videz ${reasonCell} : le motif ne sert qu'à une donnée déclarée « non disponible », que votre convention ne prévoit pas pour cet indicateur.`,
        },
        COLUMNS.reason,
      );
    }
    const parsed = toNumber(raw);
    if (parsed === "invalid") {
      add(line, cell.row, {
        severity: "error",
        code: "not_a_number",
        message: `« ${String(raw).slice(0, 40)} » n'est pas un nombre.`,
        hint: `Saisissez un nombre${line.valueType === "integer" ? " entier" : ""} (${line.unit}), sans texte ni unité${line.notAvailableAllowed ? `, ou choisissez « ${NOT_AVAILABLE_CHOICES.join(" » ou « ")} » dans la liste de la cellule` : ""}.`,
      });
      return { line, value: null, cellRef };
    }
    if (parsed === null) {
      add(line, cell.row, {
        severity: "error",
        code: "required",
        message: "Valeur manquante.",
        hint: line.notAvailableAllowed
          ? `Saisissez la valeur ; si elle vaut zéro, saisissez 0. Si la donnée n'est pas disponible, choisissez « ${NOT_AVAILABLE_CHOICES[0]} » dans la liste de la cellule et indiquez le motif en colonne ${COLUMNS.reason} — jamais 0 pour une donnée manquante.`
          : "Saisissez la valeur ; si elle vaut zéro, saisissez 0. Votre convention ne prévoit pas de « non disponible » pour cet indicateur : si la donnée manque, contactez l'ODPE — ne saisissez jamais 0 pour une donnée manquante.",
      });
      return { line, value: null, cellRef };
    }
    if (line.valueType === "integer" && !Number.isInteger(parsed)) {
      add(line, cell.row, {
        severity: "error",
        code: "not_integer",
        message: `${fr.format(parsed)} n'est pas un nombre entier.`,
        hint: "Cet indicateur compte des unités : saisissez un nombre entier, sans décimales.",
      });
    }
    if (line.nonNegative && parsed < 0) {
      add(line, cell.row, { severity: "error", code: "negative", message: `Valeur négative (${fr.format(parsed)}).`, hint: "Saisissez une valeur positive ou nulle." });
    }
    if (line.min !== null && parsed < line.min) {
      add(line, cell.row, {
        severity: "error",
        code: "below_min",
        message: `${fr.format(parsed)} est inférieur au minimum admis (${fr.format(line.min)}).`,
        hint: `Vérifiez la valeur : elle doit être au moins ${fr.format(line.min)} ${line.unit}.`,
      });
    }
    if (line.max !== null && parsed > line.max) {
      add(line, cell.row, {
        severity: "error",
        code: "above_max",
        message: `${fr.format(parsed)} dépasse le maximum admis (${fr.format(line.max)}).`,
        hint: `Vérifiez la valeur (unité : ${line.unit}) : elle doit être au plus ${fr.format(line.max)}.`,
      });
    }
    return { line, value: parsed, cellRef };
  }

  /** The checks over every line (sums, variation); returns every problem, sorted by row. */
  finish(): Problem[] {
    const { plan, state, numbers, rows } = this;
    const valueAt = (i: number) => (state[i] === VALUE ? numbers[i]! : null);

    // One pass over the plan: each indicator's first total and its breakdown cells, whether any of its lines
    // was declared ND/NC, and the totals with a previous year's value (built again below, a few per plan).
    const byIndicator = new Map<string, { total: PlanLine | null; totalIndex: number; cells: number[]; declared: boolean }>();
    const withPrevious: number[] = [];
    for (let i = 0; i < plan.length; i++) {
      const line = plan.at(i)!;
      let group = byIndicator.get(line.indicatorCode);
      if (!group) byIndicator.set(line.indicatorCode, (group = { total: null, totalIndex: -1, cells: [], declared: false }));
      if (state[i] === DECLARED) group.declared = true;
      if (line.breakdownKey !== "") group.cells.push(i);
      else {
        if (!group.total) {
          group.total = line;
          group.totalIndex = i;
        }
        if (line.previous !== null) withPrevious.push(i);
      }
    }

    // Breakdown cells must add up to the indicator's total.
    for (const { total: totalLine, totalIndex: total, cells, declared } of byIndicator.values()) {
      if (!totalLine || cells.length === 0 || !totalLine.sumEqualsTotal) continue;
      // A total or a cell declared ND/NC: there is no sum to check (ADR 026), and no error to invent.
      if (declared) continue;
      const totalValue = valueAt(total);
      if (totalValue === null || cells.some((i) => state[i] !== VALUE)) continue;
      let sum = 0;
      for (const i of cells) sum += numbers[i]!;
      if (Math.abs(sum - totalValue) > 1e-6 * Math.max(1, Math.abs(totalValue))) {
        const first = rows[cells[0]!]!;
        const last = rows[cells[cells.length - 1]!]!;
        this.add(totalLine, rows[total]!, {
          severity: "error",
          code: "breakdown_sum",
          message: `La somme des ventilations (${fr.format(sum)}, lignes ${first} à ${last}) ne correspond pas au total (${fr.format(totalValue)}).`,
          hint: "Corrigez le total ou les cellules ventilées pour qu'ils concordent (une catégorie « non renseigné » existe peut-être dans la liste).",
        });
      }
    }

    // Year-over-year variation of totals: a warning that needs a comment.
    for (const i of withPrevious) {
      const line = plan.at(i)!;
      const previous = line.previous!;
      // No variation to or from a figure declared not available (ADR 026).
      const current = valueAt(i);
      if (current === null) continue;
      const base = Math.abs(previous);
      const change = base === 0 ? (current === 0 ? 0 : Infinity) : Math.abs(current - previous) / base;
      if (change > this.options.variationThreshold) {
        const pct = Number.isFinite(change) ? `${fr.format(change * 100)} %` : "forte hausse depuis zéro";
        this.add(line, rows[i]!, {
          severity: "warning",
          code: "variation",
          message: `Forte variation par rapport à l'année précédente : ${fr.format(previous)} → ${fr.format(current)} (${pct}).`,
          hint: "Si la valeur est juste, expliquez la variation dans le commentaire de transmission ; sinon corrigez-la.",
        });
      }
    }

    const problems = this.problems;
    problems.sort((a, b) => (a.cell && b.cell ? rowOf(a.cell) - rowOf(b.cell) : 0) || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
    return problems;
  }
}

/** States of a plan line in LineValidator (0: not read). */
const VALUE = 1;
/** Read, but no number to keep (empty, not a number, a refused declaration, a formula without result). */
const MISSING = 2;
/** Declared « non disponible » (ADR 026). */
const DECLARED = 3;

/**
 * Checks every line at once and returns all the problems (never only the
 * first): type, required, integer, non-negative, min/max, formulas,
 * breakdown cells summing to the total, and year-over-year variation
 * (warning). The lines of `plan` absent from `read` are left out (the
 * parser reports them as structural problems).
 */
export function validateLines(plan: PlanLines, read: ReadonlyMap<string, ReadLine>, options: ValidationOptions) {
  const validator = new LineValidator(plan, options);
  const values = new Map<string, ValidatedValue>();
  for (let i = 0; i < plan.length; i++) {
    const key = plan.at(i)!.key;
    const cell = read.get(key);
    if (cell) values.set(key, validator.line(i, cell));
  }
  return { values, problems: validator.finish() };
}

const rowOf = (cell: string) => Number(cell.replace(/^[A-Z]+/, ""));
