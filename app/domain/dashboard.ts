import { aggregationOf, NOT_AGGREGABLE_LABEL, type AggregationKind } from "./aggregation";
import { z } from "zod";
import { isIsoDate } from "./dates";
import { SECRET_LABEL } from "./secrecy";
import { NOT_APPLICABLE_FIGURE_LABEL, NOT_AVAILABLE_FIGURE_LABEL, NOT_COMPUTABLE_LABEL, PARTIAL_TOTAL_LABEL } from "./partial-totals";
import type { PermissionRequest } from "./permissions";
import type { UsageRights } from "./agreements";
import type { ReferenceRate } from "./rates";

/**
 * The annual dashboard (convention Art. 3 and 5): what an assembled edition
 * looks like (the JSON frozen at publication), the edition workflow as a
 * transition table, and the forms. Isomorphic: no server code here.
 */

// ── The assembled edition ────────────────────────────────────────────────

/** "internal": true values for the observatory's members; "public": secrecy applied, internal indicators left out. */
export type EditionVariant = "internal" | "public";

/** One published number: the value, or null, masked by statistical secrecy (public edition; never why) or missing. */
export interface Figure {
  value: number | null;
  /** Masked (public edition). The reason (primary or secondary) is never kept in an edition (ADR 015). */
  secret?: true;
  /** A rate cell the rate's definition does not define (its breakdown rule, or outside the population's universe): shown « non défini », never a number. */
  notDefined?: true;
  /** Several organisations' values that cannot make one figure: shown « non agrégeable », never a number. */
  notAggregable?: true;
  /** ADR 030: some parts are « non disponible » (ND): `value` is the sum of the known parts, shown « total partiel ». */
  partial?: true;
  /** ADR 030: every part is « non disponible » (ND): no value, shown « non disponible ». */
  notAvailable?: true;
  /** ADR 030: every part is « non concerné » (NC): no value, shown « non concerné ». */
  notApplicable?: true;
  /** ADR 030: a rate whose numerator or denominator is partial or not available: shown « non calculable », never a number. */
  notComputable?: true;
}

export interface TrendPoint extends Figure {
  year: number;
  /** A new definition starts this year and values before are not comparable. */
  breakBefore?: boolean;
}

export interface Change {
  absolute: number;
  /** null when the previous value is zero. */
  relative: number | null;
}

export interface BreakdownList {
  code: string;
  label: string;
  items: { code: string; label: string }[];
}

/**
 * An indicator's breakdown for the reference year (and the year before when
 * comparable). Keys are canonical breakdown keys: one-list cells ("SEXE=F")
 * and, with two lists, cross cells ("AGE_BAND=0-2|SEXE=F").
 */
export interface Breakdown {
  lists: BreakdownList[];
  current: Record<string, Figure>;
  previous: Record<string, Figure> | null;
}

/**
 * How the block's figure was made from several organisations' values
 * (app/domain/aggregation.ts). "mean": an unweighted mean, only in editions
 * assembled before ADR 018 (kept to read them).
 */
export type Aggregation = AggregationKind | "mean";

export interface IndicatorBlock {
  kind: "indicator" | "derived";
  code: string;
  domainCode: string;
  label: string;
  definition: string | null;
  unit: string;
  /** Digits after the decimal comma when shown. */
  decimals: number;
  isCount: boolean;
  aggregation: Aggregation;
  /** Version of the definition in force for the reference year (indicators only). */
  version: number | null;
  current: Figure;
  previous: Figure;
  /** null when a value is missing or masked, or when a break in series makes the years not comparable. */
  change: Change | null;
  /**
   * Set when last year's contributors differ from this year's: the change is
   * then computed like with like, over the organisations that sent a value
   * both years, or not at all, and this French sentence says which.
   */
  changeNote?: string;
  comparable: boolean;
  trend: TrendPoint[];
  breakdown: Breakdown | null;
  /** Codes of the organisations whose values make this block (lineage). */
  sources: string[];
  /** The most restrictive usage rights among the sources' agreements (Art. 5). */
  usage: UsageRights;
  secrecyThreshold: number;
  /** Derived indicators: the codes of numerator and denominator and the multiplier. */
  formula?: { numerator: string; denominator: string; multiplier: number };
  /** Rates of the catalogue (ADR 019): the reference population's citation, universe and the source convention of the rate. */
  population?: { citation: string; universe: string; sourceConvention: string };
  /** Rates: published rates of France and the region (with their source), shown beside the département's. */
  references?: ReferenceRate[];
  /** A French note (break in series, missing source…). */
  notes: string[];
  /**
   * ADR 030: the organisations whose part of the total is declared « non
   * disponible » (ND) or « non concerné » (NC), years N−1 and N, by name with
   * the reason — frozen with the edition, printed in the exports and the ONPE package.
   */
  missingParts?: MissingPart[];
}

/** ADR 030: one organisation's part of a block's total, declared without a figure. */
export interface MissingPart {
  year: number;
  code: "ND" | "NC";
  organisation: string;
  reason: string | null;
}

export interface EditionSection {
  domainCode: string;
  domainLabel: string;
  position: number;
  blocks: IndicatorBlock[];
}

export interface KeyFigure {
  code: string;
  label: string;
  unit: string;
  decimals: number;
  domainCode: string;
  current: Figure;
  previous: Figure;
  change: Change | null;
  /** See IndicatorBlock.changeNote. */
  changeNote?: string;
}

export interface Contributor {
  code: string;
  name: string;
  /** Stored file of the organisation's logo at assembly time. */
  logoFileId: string | null;
  /** Indicator codes this organisation's values feed. */
  indicators: string[];
}

export type TransmissionTiming = "on_time" | "late" | "missing";

export interface TransmissionRow {
  organisationCode: string;
  organisationName: string;
  deadline: string | null;
  transmittedAt: string | null;
  acceptedAt: string | null;
  timing: TransmissionTiming;
}

export interface CompletenessRow {
  domainCode: string;
  domainLabel: string;
  expected: number;
  received: number;
  /** received / expected, null when nothing was expected. */
  rate: number | null;
  /** ADR 030: of the received, how many were declared « non disponible » (ND) — transmitted, without a figure. Absent in editions assembled before. */
  notAvailable?: number;
}

export interface MissingIndicator {
  code: string;
  label: string;
  domainCode: string;
  organisations: string[];
}

export interface SeriesBreakNote {
  code: string;
  label: string;
  year: number;
  changes: string[];
  breaksComparability: boolean;
}

export interface QualitySection {
  campaign: { deadline: string; status: string } | null;
  transmissions: TransmissionRow[];
  completeness: CompletenessRow[];
  missing: MissingIndicator[];
  breaks: SeriesBreakNote[];
}

export interface DashboardEdition {
  formatVersion: 1;
  variant: EditionVariant;
  year: number;
  /** The trend years, oldest first (N−4 … N). */
  years: number[];
  assembledAt: string;
  observatory: { code: string; name: string; label: string; departementCode: string; departementName: string; isDemo: boolean };
  keyFigures: KeyFigure[];
  sections: EditionSection[];
  contributors: Contributor[];
  quality: QualitySection;
  /** Internal edition: indicators an agreement keeps for internal use, left out of the public edition. */
  internalIndicators: { code: string; label: string; domainCode: string; organisations: string[] }[];
  /** Public edition: how many indicators were left out as internal. */
  excludedInternalCount: number;
  /** Public edition: how many figures statistical secrecy masked. */
  maskedCount: number;
}

/** The texts and dates of an edition, shown with its values. */
export interface EditionMeta {
  id: string;
  year: number;
  number: number;
  status: EditionStatus;
  foreword: string;
  comments: Record<string, string>;
  correctionNote: string | null;
  publishedAt: string | null;
  supersededAt: string | null;
  transmittedOn: string | null;
}

export const TREND_YEARS = 5;

/**
 * How the département figure is made when the catalogue declares nothing:
 * counts, amounts in thousands of euros, hours, full-time equivalents are
 * summed; percentages, average durations and unit prices are « non agrégeable »
 * (their weighted mean is declared in the catalogue: app/domain/aggregation.ts).
 */
export function aggregationFor(unit: string): Aggregation {
  return aggregationOf(null, unit).kind;
}

/** The relative and absolute change from `previous` to `current`. */
export function computeChange(current: number | null, previous: number | null): Change | null {
  if (current === null || previous === null) return null;
  return { absolute: current - previous, relative: previous === 0 ? null : (current - previous) / previous };
}

/**
 * Art. 5: a block's sources as organisation names, never codes, read from
 * the edition's contributors (frozen with it); a code no contributor carries
 * is kept as it is.
 */
export function sourceNamesOf(edition: Pick<DashboardEdition, "contributors">, codes: readonly string[]): string[] {
  const names = new Map(edition.contributors.map((c) => [c.code, c.name]));
  return codes.map((c) => names.get(c) ?? c).sort((a, b) => a.localeCompare(b, "fr"));
}

// ── Formatting (fr-FR) ───────────────────────────────────────────────────

const numberFormats = new Map<number, Intl.NumberFormat>();
function numberFormat(decimals: number) {
  let f = numberFormats.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    numberFormats.set(decimals, f);
  }
  return f;
}
const percentFormat = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 1, minimumFractionDigits: 1, signDisplay: "exceptZero" });

export const SECRET_TEXT = SECRET_LABEL;
export const MISSING_TEXT = "n.d.";
export const NOT_DEFINED_FIGURE_TEXT = "non défini";

/**
 * A figure in French: "2 538", "12,4", "s" (secret), "non défini", "non
 * agrégeable", "non calculable", "non disponible" (every part ND), "non
 * concerné", "1 204 (total partiel)" (ADR 030) or "n.d." (nothing transmitted).
 */
export function formatFigure(figure: Figure, decimals: number): string {
  if (figure.secret) return SECRET_TEXT;
  if (figure.notDefined) return NOT_DEFINED_FIGURE_TEXT;
  if (figure.notAggregable) return NOT_AGGREGABLE_LABEL;
  if (figure.notComputable) return NOT_COMPUTABLE_LABEL;
  if (figure.notAvailable) return NOT_AVAILABLE_FIGURE_LABEL;
  if (figure.notApplicable) return NOT_APPLICABLE_FIGURE_LABEL;
  if (figure.value === null) return MISSING_TEXT;
  const text = numberFormat(decimals).format(figure.value);
  return figure.partial ? `${text} (${PARTIAL_TOTAL_LABEL})` : text;
}

/** "+3,2 %" or "−120" when the previous value is zero; "—" when not comparable. */
export function formatChange(change: Change | null, decimals: number): string {
  if (!change) return "—";
  if (change.relative !== null) return percentFormat.format(change.relative).replace("-", "−");
  const sign = change.absolute > 0 ? "+" : change.absolute < 0 ? "−" : "";
  return sign + numberFormat(decimals).format(Math.abs(change.absolute));
}

/** Words for screen readers and the PDF: "en hausse de 3,2 %". */
export function describeChange(change: Change | null, decimals: number): string {
  if (!change) return "évolution non calculable";
  if (change.absolute === 0) return "stable";
  const text = formatChange(change, decimals).replace(/^[+−]/, "");
  return change.absolute > 0 ? `en hausse de ${text}` : `en baisse de ${text}`;
}

/**
 * French typography for generated documents: a no-break space before « : »
 * and a narrow no-break space before « ; ! ? », inside guillemets.
 */
export function frenchTypography(text: string): string {
  return text
    .replace(/[ \u00a0\u202f]*:(?=\s|$)/g, "\u00a0:")
    .replace(/[ \u00a0\u202f]*([;!?])(?=\s|$)/g, "\u202f$1")
    .replace(/«[ \u00a0\u202f]*/g, "«\u00a0")
    .replace(/[ \u00a0\u202f]*»/g, "\u00a0»");
}

// ── Edition workflow ─────────────────────────────────────────────────────

export const editionStatuses = ["draft", "validated", "published", "transmitted"] as const;
export type EditionStatus = (typeof editionStatuses)[number];

export const editionStatusLabels: Record<EditionStatus, string> = {
  draft: "En rédaction",
  validated: "Validée, prête à publier",
  published: "Publiée",
  transmitted: "Transmise à l'ONPE",
};
export const editionStatusColors: Record<EditionStatus, string> = {
  draft: "gray.8",
  validated: "violet.9",
  published: "green.9",
  transmitted: "indigo.9",
};

export type EditionAction = "validate" | "reopen" | "publish" | "transmit";

export interface EditionTransition {
  from: readonly EditionStatus[];
  to: EditionStatus;
  permission: PermissionRequest;
  label: string;
  audit: string;
}

/**
 * THE edition workflow: the referent writes (draft), previews and validates;
 * publishing freezes the edition (values snapshot, texts, files); recording
 * the transmission to ONPE (Art. 5) marks it "transmise à l'ONPE".
 * A correction after publication is a new edition of the same year.
 */
export const editionTransitions: Record<EditionAction, EditionTransition> = {
  validate: { from: ["draft"], to: "validated", permission: "manage:dashboard", label: "Valider l'édition", audit: "dashboard.validated" },
  reopen: { from: ["validated"], to: "draft", permission: "manage:dashboard", label: "Reprendre la rédaction", audit: "dashboard.reopened" },
  publish: { from: ["validated"], to: "published", permission: "manage:dashboard", label: "Publier et figer l'édition", audit: "dashboard.published" },
  transmit: {
    from: ["published"],
    to: "transmitted",
    permission: "manage:dashboard",
    label: "Enregistrer la transmission à l'ONPE",
    audit: "dashboard.transmitted",
  },
};

export function canApply(action: EditionAction, from: EditionStatus): boolean {
  return editionTransitions[action].from.includes(from);
}

/** The files of a published edition, their download names and who may read them. */
export const editionFileKinds = ["pdf_public", "xlsx_public", "pdf_internal", "xlsx_internal", "onpe_package"] as const;
export type EditionFileKind = (typeof editionFileKinds)[number];
export const editionFileLabels: Record<EditionFileKind, string> = {
  pdf_public: "Rapport PDF (édition publique)",
  xlsx_public: "Classeur Excel (édition publique)",
  pdf_internal: "Rapport PDF (édition interne)",
  xlsx_internal: "Classeur Excel (édition interne)",
  onpe_package: "Paquet ONPE (zip : PDF, Excel, manifeste)",
};
/** URL segment of each file kind. */
export const editionFileSlugs: Record<EditionFileKind, string> = {
  pdf_public: "rapport-public.pdf",
  xlsx_public: "donnees-public.xlsx",
  pdf_internal: "rapport-interne.pdf",
  xlsx_internal: "donnees-interne.xlsx",
  onpe_package: "paquet-onpe.zip",
};
export function fileKindFromSlug(slug: string): EditionFileKind | null {
  return (Object.entries(editionFileSlugs).find(([, s]) => s === slug)?.[0] as EditionFileKind | undefined) ?? null;
}
export const editionFilePermission: Record<EditionFileKind, PermissionRequest> = {
  pdf_public: "read:dashboard",
  xlsx_public: "read:dashboard",
  pdf_internal: "read:internal_dashboard",
  xlsx_internal: "read:internal_dashboard",
  onpe_package: "manage:dashboard",
};

// ── Forms ────────────────────────────────────────────────────────────────

const yearField = z
  .string({ error: "Choisissez l'année de référence." })
  .trim()
  .regex(/^\d{4}$/, { error: "Choisissez l'année de référence." })
  .transform(Number)
  .refine((y) => y >= 2000 && y <= 2200, { error: "Choisissez l'année de référence." });

export const newEditionSchema = z.object({
  year: yearField,
  correctionNote: z
    .string()
    .trim()
    .max(2000, { error: "2 000 caractères au plus." })
    .optional()
    .transform((v) => (v ? v : null)),
});
export type NewEditionInput = z.infer<typeof newEditionSchema>;

export const FOREWORD_MIN = 20;

/** The texts form: the foreword and one comment field per domain (`comment_<DOMAIN>`). */
export const editionTextsSchema = z
  .object({
    foreword: z.string().trim().max(20000, { error: "20 000 caractères au plus." }).default(""),
  })
  .catchall(z.string().trim().max(10000, { error: "10 000 caractères au plus." }));
export type EditionTextsInput = { foreword: string; comments: Record<string, string> };

export function parseEditionTexts(raw: z.infer<typeof editionTextsSchema>): EditionTextsInput {
  const comments: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const match = /^comment_([A-Z_]+)$/.exec(key);
    if (match && typeof value === "string") comments[match[1]!] = value;
  }
  return { foreword: raw.foreword, comments };
}

export const transmissionSchema = z.object({
  transmittedOn: z
    .string({ error: "Indiquez la date de transmission." })
    .trim()
    .refine(isIsoDate, { error: "Indiquez la date de transmission (jj/mm/aaaa)." }),
  note: z
    .string()
    .trim()
    .max(2000, { error: "2 000 caractères au plus." })
    .optional()
    .transform((v) => (v ? v : null)),
});
export type TransmissionInput = z.infer<typeof transmissionSchema>;

export const multipliers = [100, 1000, 10000, 100000] as const;

export const derivedIndicatorSchema = z
  .object({
    code: z
      .string({ error: "Indiquez le code." })
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9_]{2,40}$/, { error: "Code : lettres capitales, chiffres ou _ (2 à 40 caractères)." }),
    domain: z.string({ error: "Choisissez le domaine." }).regex(/^[A-Z_]+$/, { error: "Choisissez le domaine." }),
    label: z.string({ error: "Indiquez le libellé." }).trim().min(2, { error: "Indiquez le libellé." }).max(300, { error: "300 caractères au plus." }),
    definition: z
      .string()
      .trim()
      .max(4000, { error: "4 000 caractères au plus." })
      .optional()
      .transform((v) => (v ? v : null)),
    numerator: z.string({ error: "Choisissez le numérateur." }).regex(/^[A-Z0-9_]{2,40}$/, { error: "Choisissez le numérateur." }),
    denominator: z.string({ error: "Choisissez le dénominateur." }).regex(/^[A-Z0-9_]{2,40}$/, { error: "Choisissez le dénominateur." }),
    multiplier: z.enum(["100", "1000", "10000", "100000"], { error: "Choisissez le multiplicateur." }).transform(Number),
    unit: z.string({ error: "Indiquez l'unité." }).trim().min(1, { error: "Indiquez l'unité." }).max(80, { error: "80 caractères au plus." }),
    decimals: z.enum(["0", "1", "2", "3"], { error: "Choisissez le nombre de décimales." }).transform(Number),
  })
  .refine((v) => v.numerator !== v.denominator, { path: ["denominator"], error: "Le dénominateur doit différer du numérateur." });
export type DerivedIndicatorInput = z.infer<typeof derivedIndicatorSchema>;

export const keyFiguresSchema = z.object({
  codes: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []))
    .pipe(z.array(z.string().regex(/^[A-Z0-9_]{2,40}$/, { error: "Code d'indicateur inconnu." })).max(12, { error: "12 chiffres clés au plus." }))
    .refine((list) => new Set(list).size === list.length, { error: "Un indicateur ne peut figurer qu'une fois." }),
});
export type KeyFiguresInput = z.infer<typeof keyFiguresSchema>;
