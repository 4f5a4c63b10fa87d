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
 * Checks every line at once and returns all the problems (never only the
 * first): type, required, integer, non-negative, min/max, formulas,
 * breakdown cells summing to the total, and year-over-year variation (warning).
 */
export function validateLines(plan: readonly PlanLine[], read: ReadonlyMap<string, ReadLine>, options: ValidationOptions) {
  const problems: Problem[] = [];
  const values = new Map<string, ValidatedValue>();
  const add = (line: PlanLine, row: number | null, p: Pick<Problem, "severity" | "code" | "message" | "hint">, column: string = COLUMNS.value) =>
    problems.push({
      ...p,
      sheet: options.sheet,
      cell: row === null ? null : `${column}${row}`,
      indicator: line.indicatorCode,
      indicatorLabel: line.indicatorLabel,
      breakdownLabel: line.breakdownKey === "" ? null : line.breakdownLabel,
    });

  for (const line of plan) {
    const cell = read.get(line.key);
    if (!cell) continue; // structural problems (missing rows) are reported by the parser
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
        values.set(line.key, { line, value: null, cellRef });
        continue;
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
        values.set(line.key, { line, value: null, cellRef });
        continue;
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
        values.set(line.key, { line, value: null, cellRef });
        continue;
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
        values.set(line.key, { line, value: null, cellRef });
        continue;
      }
      values.set(line.key, { line, value: null, cellRef, notAvailableCode: declared, notAvailableReason: reason });
      continue;
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
      values.set(line.key, { line, value: null, cellRef });
      continue;
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
      values.set(line.key, { line, value: null, cellRef });
      continue;
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
    values.set(line.key, { line, value: parsed, cellRef });
  }

  // Breakdown cells must add up to the indicator's total.
  const byIndicator = new Map<string, PlanLine[]>();
  for (const line of plan) {
    const lines = byIndicator.get(line.indicatorCode);
    if (lines) lines.push(line);
    else byIndicator.set(line.indicatorCode, [line]);
  }
  for (const lines of byIndicator.values()) {
    const total = lines.find((l) => l.breakdownKey === "");
    const cells = lines.filter((l) => l.breakdownKey !== "");
    if (!total || cells.length === 0 || !total.sumEqualsTotal) continue;
    // A total or a cell declared ND/NC: there is no sum to check (ADR 026), and no error to invent.
    if (lines.some((l) => values.get(l.key)?.notAvailableCode)) continue;
    const totalValue = values.get(total.key)?.value;
    const cellValues = cells.map((c) => values.get(c.key)?.value);
    if (totalValue === null || totalValue === undefined || cellValues.some((v) => v === null || v === undefined)) continue;
    const sum = (cellValues as number[]).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - totalValue) > 1e-6 * Math.max(1, Math.abs(totalValue))) {
      const totalRow = read.get(total.key)!.row;
      const first = read.get(cells[0]!.key)!.row;
      const last = read.get(cells[cells.length - 1]!.key)!.row;
      add(total, totalRow, {
        severity: "error",
        code: "breakdown_sum",
        message: `La somme des ventilations (${fr.format(sum)}, lignes ${first} à ${last}) ne correspond pas au total (${fr.format(totalValue)}).`,
        hint: "Corrigez le total ou les cellules ventilées pour qu'ils concordent (une catégorie « non renseigné » existe peut-être dans la liste).",
      });
    }
  }

  // Year-over-year variation of totals: a warning that needs a comment.
  for (const line of plan) {
    if (line.breakdownKey !== "" || line.previous === null) continue;
    const current = values.get(line.key)?.value;
    // No variation to or from a figure declared not available (ADR 026).
    if (current === null || current === undefined || values.get(line.key)?.notAvailableCode) continue;
    const base = Math.abs(line.previous);
    const change = base === 0 ? (current === 0 ? 0 : Infinity) : Math.abs(current - line.previous) / base;
    if (change > options.variationThreshold) {
      const pct = Number.isFinite(change) ? `${fr.format(change * 100)} %` : "forte hausse depuis zéro";
      add(line, read.get(line.key)!.row, {
        severity: "warning",
        code: "variation",
        message: `Forte variation par rapport à l'année précédente : ${fr.format(line.previous)} → ${fr.format(current)} (${pct}).`,
        hint: "Si la valeur est juste, expliquez la variation dans le commentaire de transmission ; sinon corrigez-la.",
      });
    }
  }

  problems.sort((a, b) => (a.cell && b.cell ? rowOf(a.cell) - rowOf(b.cell) : 0) || (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  return { values, problems };
}

const rowOf = (cell: string) => Number(cell.replace(/^[A-Z]+/, ""));
