import { z } from "zod";
import { idList } from "./convention";

/**
 * The indicator catalogue (Art. 3, 4): labels, form schemas and the pure
 * rules of versioning (which version applies to a year, where a series
 * breaks) and of value validation (used by the collection).
 */
export const DEFAULT_SECRECY_THRESHOLD = 5;

export const valueTypes = ["integer", "decimal"] as const;
export type ValueType = (typeof valueTypes)[number];
export const valueTypeLabels: Record<ValueType, string> = { integer: "Nombre entier", decimal: "Nombre décimal" };

export const measures = ["stock", "flow"] as const;
export type Measure = (typeof measures)[number];
export const measureLabels: Record<Measure, string> = {
  stock: "Stock (situation au 31 décembre)",
  flow: "Flux (cumul sur l'année)",
};

/** The definition an indicator version fixes. Versions never change once created. */
export interface VersionDefinition {
  version: number;
  valid_from_year: number | null;
  label: string;
  definition: string | null;
  unit: string;
  value_type: ValueType;
  measure: Measure;
  non_negative: boolean;
  min_value: number | null;
  max_value: number | null;
  breakdown_sum_equals_total: boolean;
  breakdowns: string[];
}

/** The version in force for `year`: the latest one starting on or before it (a first version without a year covers everything before). */
export function versionForYear<V extends Pick<VersionDefinition, "version" | "valid_from_year">>(versions: readonly V[], year: number): V | null {
  let best: V | null = null;
  for (const v of versions) {
    if (v.valid_from_year !== null && v.valid_from_year > year) continue;
    if (!best || v.version > best.version) best = v;
  }
  return best;
}

/** The last year a version applies to, or null while it is the current one. */
export function versionEndYear(versions: readonly Pick<VersionDefinition, "version" | "valid_from_year">[], version: number): number | null {
  const next = versions.filter((v) => v.version > version && v.valid_from_year !== null).sort((a, b) => a.version - b.version)[0];
  return next ? next.valid_from_year! - 1 : null;
}

const fieldLabels: Partial<Record<keyof VersionDefinition, string>> = {
  label: "libellé",
  definition: "définition",
  unit: "unité",
  value_type: "type de valeur",
  measure: "stock ou flux",
  breakdowns: "ventilations",
  non_negative: "règle de positivité",
  min_value: "minimum",
  max_value: "maximum",
  breakdown_sum_equals_total: "règle de somme",
};

/** Changes that make values before and after not comparable. */
const comparabilityFields: (keyof VersionDefinition)[] = ["definition", "unit", "value_type", "measure", "breakdowns"];

export interface SeriesBreak {
  /** First year of the new version. */
  year: number;
  version: number;
  /** French names of the fields that changed. */
  changes: string[];
  /** The definition, unit, value type, stock/flow or breakdowns changed: values are not comparable across the break. */
  breaksComparability: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every version boundary, with what changed: the UI flags a break in series there. */
export function seriesBreaks(versions: readonly VersionDefinition[]): SeriesBreak[] {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  const breaks: SeriesBreak[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const after = sorted[i]!;
    const changed = (Object.keys(fieldLabels) as (keyof VersionDefinition)[]).filter((k) => !same(before[k], after[k]));
    breaks.push({
      year: after.valid_from_year!,
      version: after.version,
      changes: changed.map((k) => fieldLabels[k]!),
      breaksComparability: changed.some((k) => comparabilityFields.includes(k)),
    });
  }
  return breaks;
}

/** The validation rules of a version, in plain French. */
export function describeRules(v: Pick<VersionDefinition, "value_type" | "non_negative" | "min_value" | "max_value" | "breakdown_sum_equals_total" | "breakdowns">): string[] {
  const rules: string[] = [];
  if (v.value_type === "integer") rules.push("Nombre entier.");
  if (v.non_negative) rules.push("Valeur positive ou nulle.");
  if (v.min_value !== null) rules.push(`Au moins ${v.min_value.toLocaleString("fr-FR")}.`);
  if (v.max_value !== null) rules.push(`Au plus ${v.max_value.toLocaleString("fr-FR")}.`);
  if (v.breakdowns.length > 0 && v.breakdown_sum_equals_total) rules.push("La somme des cases de la ventilation est égale au total.");
  return rules;
}

export interface ValueProblem {
  /** null for the total, else the breakdown cell key ("F|0-2"). */
  cell: string | null;
  message: string;
}

/**
 * Checks one value set (a total and optional breakdown cells) against a
 * version's rules. Returns French messages naming the cell; empty when valid.
 */
export function checkValues(
  v: Pick<VersionDefinition, "value_type" | "non_negative" | "min_value" | "max_value" | "breakdown_sum_equals_total" | "breakdowns">,
  total: number | null,
  cells: Record<string, number | null> = {},
): ValueProblem[] {
  const problems: ValueProblem[] = [];
  const checkOne = (cell: string | null, value: number | null) => {
    if (value === null) return;
    const where = cell === null ? "Le total" : `La case ${cell}`;
    if (!Number.isFinite(value)) problems.push({ cell, message: `${where} n'est pas un nombre.` });
    else {
      if (v.value_type === "integer" && !Number.isInteger(value)) problems.push({ cell, message: `${where} doit être un nombre entier (${value}).` });
      if (v.non_negative && value < 0) problems.push({ cell, message: `${where} ne peut pas être négatif (${value}).` });
      if (v.min_value !== null && value < v.min_value) problems.push({ cell, message: `${where} doit valoir au moins ${v.min_value} (${value}).` });
      if (v.max_value !== null && value > v.max_value) problems.push({ cell, message: `${where} doit valoir au plus ${v.max_value} (${value}).` });
    }
  };
  checkOne(null, total);
  for (const [cell, value] of Object.entries(cells)) checkOne(cell, value);
  const filled = Object.values(cells).filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.breakdowns.length > 0 && v.breakdown_sum_equals_total && total !== null && filled.length > 0) {
    const sum = filled.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - total) > 1e-9 * Math.max(1, Math.abs(total))) {
      problems.push({ cell: null, message: `La somme des cases (${sum}) est différente du total (${total}).` });
    }
  }
  return problems;
}

// ── Forms ─────────────────────────────────────────────────────────────────

const checkbox = z
  .string()
  .optional()
  .transform((v) => v === "on" || v === "true");

const optionalNumber = (message: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v.replace(",", ".") : ""))
    .refine((v) => v === "" || Number.isFinite(Number(v)), { error: message })
    .transform((v) => (v === "" ? null : Number(v)));

const year = (message: string) =>
  z
    .string({ error: message })
    .trim()
    .regex(/^\d{4}$/, { error: message })
    .transform(Number)
    .refine((y) => y >= 1990 && y <= 2200, { error: message });

const codeList = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []))
  .pipe(z.array(z.string().regex(/^[A-Z0-9_]+$/, { error: "Liste de codes inconnue." })))
  .refine((list) => new Set(list).size === list.length, { error: "Une liste de codes ne peut être choisie qu'une fois." });

/** The definitional fields: changing any of them makes a new version. */
const definitionShape = {
  label: z.string({ error: "Indiquez le libellé." }).trim().min(2, { error: "Indiquez le libellé." }).max(300, { error: "300 caractères au plus." }),
  definition: z.string({ error: "Indiquez la définition." }).trim().min(10, { error: "Rédigez une définition d'au moins 10 caractères : c'est ce qui rend les valeurs comparables." }).max(4000, { error: "4 000 caractères au plus." }),
  unit: z.string({ error: "Indiquez l'unité." }).trim().min(1, { error: "Indiquez l'unité." }).max(60, { error: "60 caractères au plus." }),
  valueType: z.enum(valueTypes, { error: "Choisissez le type de valeur." }),
  measure: z.enum(measures, { error: "Choisissez stock ou flux." }),
  breakdowns: codeList,
  nonNegative: checkbox,
  minValue: optionalNumber("Le minimum doit être un nombre."),
  maxValue: optionalNumber("Le maximum doit être un nombre."),
  sumEqualsTotal: checkbox,
};

const minMax = <T extends { minValue: number | null; maxValue: number | null }>(v: T) =>
  v.minValue === null || v.maxValue === null || v.minValue <= v.maxValue;
const minMaxError = { path: ["maxValue"], error: "Le maximum doit être supérieur ou égal au minimum." };

export const secrecyThresholdField = z
  .string({ error: "Indiquez le seuil." })
  .trim()
  .regex(/^\d{1,4}$/, { error: "Le seuil est un nombre entier positif (0 = sans objet)." })
  .transform(Number)
  .refine((n) => n <= 1000, { error: "Le seuil ne peut pas dépasser 1 000." });

export const indicatorCreateSchema = z
  .object({
    code: z
      .string({ error: "Indiquez le code." })
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9_]{2,40}$/, { error: "Code : lettres capitales, chiffres ou _ (2 à 40 caractères)." }),
    domain: z.string({ error: "Choisissez le domaine." }).regex(/^[A-Z_]+$/, { error: "Choisissez le domaine." }),
    ...definitionShape,
    secrecyThreshold: secrecyThresholdField,
    providerIds: idList,
    validFromYear: z
      .string()
      .trim()
      .optional()
      .transform((v) => v ?? "")
      .pipe(z.union([z.literal("").transform(() => null), year("Indiquez une année sur 4 chiffres.")])),
    introducedBy: z.union([z.literal("convention"), z.uuid()], { error: "Choisissez le texte qui introduit l'indicateur." }),
  })
  .refine(minMax, minMaxError);
export type IndicatorCreateInput = z.infer<typeof indicatorCreateSchema>;

export const indicatorVersionSchema = z
  .object({
    ...definitionShape,
    validFromYear: year("Indiquez l'année à partir de laquelle la nouvelle définition s'applique."),
    changeNote: z.string({ error: "Expliquez ce qui change." }).trim().min(5, { error: "Expliquez ce qui change (5 caractères au moins)." }).max(1000, { error: "1 000 caractères au plus." }),
  })
  .refine(minMax, minMaxError);
export type IndicatorVersionInput = z.infer<typeof indicatorVersionSchema>;

export const indicatorSettingsSchema = z.object({
  secrecyThreshold: secrecyThresholdField,
  providerIds: idList,
});
export type IndicatorSettingsInput = z.infer<typeof indicatorSettingsSchema>;

/**
 * A code-list item's new label, set by the referent in the portal. The code
 * and its meaning stay: only the wording changes (a new meaning is a new code,
 * by amendment — Art. 7), so the change is versioned but breaks no series.
 */
export const codelistLabelSchema = z.object({
  codelist: z.string().trim().regex(/^[A-Z0-9_]{1,40}$/, "Liste de codes inconnue."),
  code: z.string().trim().min(1, "Choisissez la modalité à renommer.").max(32, "Modalité inconnue."),
  label: z
    .string()
    .trim()
    .min(1, "Indiquez le libellé.")
    .max(120, "Le libellé tient en 120 caractères au plus."),
  changeNote: z
    .string()
    .trim()
    .min(3, "Indiquez la raison du changement (elle figure dans l'historique).")
    .max(1000, "La raison tient en 1 000 caractères au plus."),
});
export type CodelistLabelInput = z.infer<typeof codelistLabelSchema>;
