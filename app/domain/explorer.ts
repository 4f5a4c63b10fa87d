import { z } from "zod";
import { formatYears } from "./format";
import { parseBreakdownKey, TOTAL_KEY } from "./breakdowns";
import { referenceNote, type ReferenceRate } from "./rates";
import { applySecrecy, SECRET_EXPLANATION, SECRET_LABEL, type SecrecyCell, type SecrecyConstraint } from "./secrecy";
import type { NotAvailableCode } from "./not-available";
import { INCOMPLETE_MARK, joinNames } from "./partial-totals";
import { aggregateContributions, aggregationNote, aggregationOf, NOT_AGGREGABLE_LABEL, type Contribution, type IndicatorAggregation } from "./aggregation";

/**
 * The pooled-data explorer (convention Art. 5): members analyse the accepted
 * values of every provider. Pure part shared by the explorer, its exports,
 * frozen publication items and the statistical-secrecy gate: the query, the
 * data snapshot a query returns, the table built from it, the sources line.
 */

/** Art. 5: printed on every internal view and export of pooled data. */
export const INTERNAL_USE_MENTION =
  "Usage interne à l'ODPE — toute diffusion externe requiert l'accord préalable des sources (convention, art. 5)";

export const explorerViews = ["series", "breakdown"] as const;
export type ExplorerView = (typeof explorerViews)[number];
export const explorerViewLabels: Record<ExplorerView, string> = {
  series: "Évolution dans le temps (séries annuelles)",
  breakdown: "Ventilation d'une année (âge, sexe, territoire…)",
};

export const RATE_BASE = 1000;
export const MIN_YEAR = 2000;
export const MAX_YEAR = 2200;

const year = z.coerce.number().int().min(MIN_YEAR).max(MAX_YEAR);

/** A query of the explorer, as it travels in the URL and as it is frozen into a publication. */
export const explorerQuerySchema = z.object({
  indicator: z.string().regex(/^[A-Z0-9_]{2,40}$/, { error: "Choisissez un indicateur." }),
  from: year.nullable(),
  to: year.nullable(),
  organisations: z.array(z.uuid()).max(100),
  view: z.enum(explorerViews),
  year: year.nullable(),
  /** Code of a rate of the catalogue (ADR 019) whose numerator is the indicator (older frozen queries: a population indicator). */
  rate: z.string().regex(/^[A-Z0-9_]{2,40}$/).nullable(),
});
export type ExplorerQuery = z.infer<typeof explorerQuerySchema>;

const optionalYear = (value: string | null) => {
  const parsed = year.safeParse(value);
  return value && parsed.success ? parsed.data : null;
};

/** The query in the explorer's URL, or null when no indicator is chosen. Unknown or malformed parts are dropped. */
export function parseExplorerQuery(params: URLSearchParams): ExplorerQuery | null {
  const indicator = (params.get("indicator") ?? "").trim().toUpperCase();
  if (!/^[A-Z0-9_]{2,40}$/.test(indicator)) return null;
  const rate = (params.get("rate") ?? "").trim().toUpperCase();
  let from = optionalYear(params.get("from"));
  let to = optionalYear(params.get("to"));
  if (from !== null && to !== null && from > to) [from, to] = [to, from];
  const uuid = z.uuid();
  // Several `org` parameters, or one comma-separated list (a multi-select's hidden field).
  const ids = params.getAll("org").flatMap((v) => v.split(","));
  const organisations = [...new Set(ids.map((id) => id.trim()).filter((id) => uuid.safeParse(id).success))].slice(0, 100).sort();
  const view = params.get("view") === "breakdown" ? "breakdown" : "series";
  return { indicator, from, to, organisations, view, year: optionalYear(params.get("year")), rate: /^[A-Z0-9_]{2,40}$/.test(rate) ? rate : null };
}

/** The URL parameters of a query (inverse of parseExplorerQuery). */
export function explorerSearchParams(query: ExplorerQuery): URLSearchParams {
  const params = new URLSearchParams({ indicator: query.indicator, view: query.view });
  if (query.from !== null) params.set("from", String(query.from));
  if (query.to !== null) params.set("to", String(query.to));
  if (query.year !== null) params.set("year", String(query.year));
  if (query.rate) params.set("rate", query.rate);
  for (const id of query.organisations) params.append("org", id);
  return params;
}

// ── Snapshot: what a query returns, and what a publication freezes ─────────

export interface SnapshotIndicator {
  id: string;
  code: string;
  label: string;
  unit: string;
  valueType: "integer" | "decimal";
  secrecyThreshold: number;
  domainLabel: string;
  /** How organisations' values make the « Ensemble » (catalogue); absent in snapshots frozen before ADR 018: the default of the unit. */
  aggregation?: IndicatorAggregation;
}

/** One accepted value with its lineage: the submission version it was accepted from. */
export interface SnapshotValue {
  organisationId: string;
  year: number;
  /** '' for the total, else the breakdown key (app/domain/breakdowns.ts). */
  key: string;
  value: number | null;
  sourceVersionId: string;
  indicatorVersionId: string;
  /** ADR 030: declared « non disponible » (ND) or « non concerné » (NC); value is then null. Absent in older snapshots. */
  notAvailableCode?: NotAvailableCode | null;
  notAvailableReason?: string | null;
}

export interface SnapshotOrganisation {
  id: string;
  code: string;
  name: string;
}

export interface SnapshotList {
  code: string;
  label: string;
  items: { code: string; label: string }[];
}

export interface DataSnapshot {
  indicator: SnapshotIndicator;
  organisations: SnapshotOrganisation[];
  /** The code lists the breakdown keys use (labels and order). */
  lists: SnapshotList[];
  values: SnapshotValue[];
  /** Older frozen snapshots only: the population indicator of a rate, with its totals (total cells only: breakdown cells are « non défini »). */
  denominator: { indicator: SnapshotIndicator; values: SnapshotValue[] } | null;
  /** A rate of the catalogue (ADR 019): the Insee population of each shown cell, by "year|key". */
  rate?: SnapshotRate;
  /** Definition changes inside the period (app/domain/indicators.ts seriesBreaks). */
  breaks: { year: number; breaksComparability: boolean; changes: string[] }[];
  /** The totals of the indicators the aggregation reads (weights, ratio parts), per organisation and year. */
  aggregationInputs?: { code: string; label: string; values: SnapshotValue[] }[];
}

export interface SnapshotRate {
  code: string;
  label: string;
  unit: string;
  multiplier: number;
  decimals: number;
  /** « Insee, estimations de population (estimations provisoires au 1er janvier 2025) ». */
  citation: string;
  universe: string;
  sourceConvention: string;
  /** "year|key" → the population of the matching cell, or « non défini ». */
  populations: Record<string, { value: number | null; notDefined?: true }>;
  /** Published rates of France and the region for the years shown, with their source. */
  references?: ReferenceRate[];
}

/** Only counts are added up across organisations and only counts get rates. */
export const isAdditive = (indicator: Pick<SnapshotIndicator, "valueType">) => indicator.valueType === "integer";

// ── Table ──────────────────────────────────────────────────────────────────

export interface TableCell {
  id: string;
  /** What is shown: the value, or its rate per 1,000 when a rate is asked. */
  value: number | null;
  /** The underlying count (what statistical secrecy looks at). */
  count: number | null;
  /** A rate the definition does not define for this cell: shown « non défini », never a number. */
  notDefined?: true;
  /** An « Ensemble » of an indicator that cannot be aggregated: shown « non agrégeable », never a number. */
  notAggregable?: true;
  /** ADR 030: an organisation's cell declared ND/NC: shown as the code, the reason on hover. */
  notAvailableCode?: NotAvailableCode;
  notAvailableReason?: string | null;
  /** ADR 030: an « Ensemble » with an ND part: the sum of the known parts, shown « (incomplet) ». */
  incomplete?: true;
}

export interface TableRow {
  id: string;
  label: string;
  isTotal: boolean;
  cells: TableCell[];
}

export interface DataTable {
  view: ExplorerView;
  caption: string;
  rowHeader: string;
  columns: { id: string; label: string; isTotal: boolean }[];
  rows: TableRow[];
  /** "nombre", or "pour 1 000 habitants …" when a rate is shown. */
  unitLabel: string;
  isRate: boolean;
  /** Additive constraints between the shown cells (a total equals the sum of its members). */
  constraints: SecrecyConstraint[];
  notes: string[];
}

const ENSEMBLE = "Ensemble des organismes";
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const sum = (values: (number | null | undefined)[]) => {
  const present = values.filter((v): v is number => typeof v === "number");
  return present.length ? present.reduce((a, b) => a + b, 0) : null;
};

/** ADR 030: the not-available declaration of a snapshot value, as table cell fields. */
const declaration = (v: SnapshotValue | undefined): Pick<TableCell, "notAvailableCode" | "notAvailableReason"> =>
  v?.notAvailableCode ? { notAvailableCode: v.notAvailableCode, notAvailableReason: v.notAvailableReason ?? null } : {};

/** A breakdown key in words: "Fille · 0 à 2 ans". */
export function breakdownLabel(key: string, lists: readonly SnapshotList[]): string {
  if (key === TOTAL_KEY) return "Total";
  const cell = parseBreakdownKey(key);
  return Object.entries(cell)
    .map(([list, code]) => lists.find((l) => l.code === list)?.items.find((i) => i.code === code)?.label ?? code)
    .join(" · ");
}

/** Breakdown keys in the order of their code lists' items. */
function sortKeys(keys: string[], lists: readonly SnapshotList[]): string[] {
  const rank = (key: string) =>
    Object.entries(parseBreakdownKey(key)).map(([list, code]) => {
      const l = lists.find((x) => x.code === list);
      const position = l ? l.items.findIndex((i) => i.code === code) : -1;
      return position < 0 ? 9999 : position;
    });
  return [...keys].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
      const d = (ra[i] ?? -1) - (rb[i] ?? -1);
      if (d !== 0) return d;
    }
    return a.localeCompare(b);
  });
}

function denominatorByYear(snapshot: DataSnapshot): Map<number, number> {
  const result = new Map<number, number>();
  for (const v of snapshot.denominator?.values ?? []) {
    if (v.key !== TOTAL_KEY || v.value === null) continue;
    result.set(v.year, (result.get(v.year) ?? 0) + v.value);
  }
  return result;
}

function rateUnit(snapshot: DataSnapshot): string {
  const label = snapshot.denominator!.indicator.label;
  return `pour 1 000 (${label.charAt(0).toLowerCase()}${label.slice(1)})`;
}

/**
 * The table a query shows: organisations × years (series) or breakdown cells ×
 * organisations for one year (breakdown), with an "Ensemble" total for counts,
 * and the additive constraints statistical secrecy needs.
 */
export function buildTable(query: ExplorerQuery, snapshot: DataSnapshot): DataTable {
  const { indicator } = snapshot;
  const additive = isAdditive(indicator);
  const rate = query.rate && additive ? (snapshot.rate ?? null) : null;
  const isRate = !!rate || (!!query.rate && additive && !!snapshot.denominator);
  const denominators = isRate && !rate ? denominatorByYear(snapshot) : new Map<number, number>();
  /** Rates are defined for the département (the rate's territory): per organisation only when one organisation makes it. */
  let soleOrganisation = true;
  const cellOf = (count: number | null, y: number, key: string, organisationLevel: boolean): Pick<TableCell, "value" | "notDefined"> => {
    if (!isRate) return { value: count };
    if (organisationLevel && !soleOrganisation) return { value: null, notDefined: true };
    if (rate) {
      const population = rate.populations[`${y}|${key}`];
      if (population?.notDefined) return { value: null, notDefined: true };
      if (count === null || !population || population.value === null || population.value === 0) return { value: null };
      return { value: round((count / population.value) * rate.multiplier, 2) };
    }
    // Older frozen snapshots: a population total only, so breakdown cells are « non défini » (never over the total).
    if (key !== TOTAL_KEY) return { value: null, notDefined: true };
    const d = denominators.get(y);
    return { value: count !== null && d ? round((count / d) * RATE_BASE, 2) : null };
  };
  const orgName = (id: string) => snapshot.organisations.find((o) => o.id === id)?.name ?? "Organisme inconnu";
  const notes: string[] = [];
  for (const b of snapshot.breaks) {
    notes.push(
      b.breaksComparability
        ? `Rupture de série en ${b.year} (${b.changes.join(", ")}) : les valeurs avant et après ne sont pas comparables.`
        : `Définition précisée en ${b.year} (${b.changes.join(", ")}).`,
    );
  }
  if (rate) {
    notes.push(`${rate.label} : ${indicator.label} rapporté à la population de même univers (${rate.universe}). Population de référence : ${rate.citation}. Convention de calcul : ${rate.sourceConvention}.`);
  } else if (isRate) {
    notes.push(`Taux pour 1 000 : ${indicator.label} rapporté à « ${snapshot.denominator!.indicator.label} » de la même année (total seulement : les ventilations sont « non définies »).`);
  }
  if (query.rate && !additive) notes.push("Les taux ne s'appliquent qu'aux effectifs : valeurs affichées telles quelles.");
  const unitLabel = rate ? rate.unit : isRate ? rateUnit(snapshot) : indicator.unit;
  const aggregation = aggregationOf(indicator.aggregation, indicator.unit);
  /** One organisation's value with its aggregation inputs (weights, ratio parts) of year y. */
  const contribution = (org: string, y: number, value: number | null): Contribution => ({
    value,
    inputs: Object.fromEntries(
      (snapshot.aggregationInputs ?? []).map((input) => [input.code, input.values.find((v) => v.organisationId === org && v.year === y && v.key === TOTAL_KEY)?.value ?? null]),
    ),
  });
  const ensembleCell = (id: string, contributions: Contribution[]): TableCell => {
    const result = aggregateContributions(contributions, aggregation);
    return result.notAggregable ? { id, count: null, value: null, notAggregable: true } : { id, count: null, value: result.value === null ? null : round(result.value, 2) };
  };
  if (!additive && new Set(snapshot.values.map((v) => v.organisationId)).size > 1) {
    const labels = new Map((snapshot.aggregationInputs ?? []).map((i) => [i.code, i.label]));
    const note = aggregationNote(aggregation, (code) => labels.get(code) ?? code);
    if (note) notes.push(note);
  }

  if (query.view === "series") {
    const totals = snapshot.values.filter((v) => v.key === TOTAL_KEY);
    const years = [...new Set(totals.map((v) => v.year))].sort((a, b) => a - b);
    const orgIds = [...new Set(totals.map((v) => v.organisationId))].sort((a, b) => orgName(a).localeCompare(orgName(b), "fr"));
    const valueOf = (org: string, y: number) => totals.find((v) => v.organisationId === org && v.year === y)?.value ?? null;
    const declaredOf = (org: string, y: number) => declaration(totals.find((v) => v.organisationId === org && v.year === y));
    soleOrganisation = orgIds.length <= 1;
    const rows: TableRow[] = orgIds.map((org) => ({
      id: org,
      label: orgName(org),
      isTotal: false,
      cells: years.map((y) => ({ id: `${org}|${y}`, count: valueOf(org, y), ...cellOf(valueOf(org, y), y, TOTAL_KEY, true), ...declaredOf(org, y) })),
    }));
    const ndOf = (y: number) => orgIds.filter((org) => declaredOf(org, y).notAvailableCode === "ND");
    const constraints: SecrecyConstraint[] = [];
    if (!additive && orgIds.length > 1) {
      // Rates, averages, prices: the « Ensemble » follows the catalogue's aggregation (weighted mean, ratio of sums or « non agrégeable »).
      rows.push({
        id: "*",
        label: ENSEMBLE,
        isTotal: true,
        cells: years.map((y) => ({ ...ensembleCell(`*|${y}`, orgIds.map((org) => contribution(org, y, valueOf(org, y)))), ...(ndOf(y).length ? { incomplete: true as const } : {}) })),
      });
    }
    if (additive && orgIds.length > 1) {
      rows.push({
        id: "*",
        label: ENSEMBLE,
        isTotal: true,
        cells: years.map((y) => {
          const count = sum(orgIds.map((org) => valueOf(org, y)));
          // ADR 030: an ND part makes the « Ensemble » incomplete, and a rate over it not computable.
          if (ndOf(y).length) return { id: `*|${y}`, count, value: isRate ? null : count, incomplete: true as const };
          return { id: `*|${y}`, count, ...cellOf(count, y, TOTAL_KEY, false) };
        }),
      });
      // ADR 030: an incomplete « Ensemble » is not the sum of all parts: no margin equation through it.
      for (const y of years) if (!ndOf(y).length) constraints.push({ total: `*|${y}`, members: orgIds.map((org) => `${org}|${y}`) });
      for (const y of years) {
        const nd = ndOf(y);
        if (nd.length) notes.push(`${y} : ensemble ${INCOMPLETE_MARK}, donnée non disponible pour ${joinNames(nd.map(orgName))}.`);
        const nc = orgIds.filter((org) => declaredOf(org, y).notAvailableCode === "NC");
        if (nc.length) notes.push(`${y} : non concerné : ${joinNames(nc.map(orgName))} (hors ensemble).`);
        const missing = orgIds.filter((org) => valueOf(org, y) === null && !declaredOf(org, y).notAvailableCode);
        if (missing.length) notes.push(`${y} : l'ensemble ne compte pas ${missing.map(orgName).join(", ")} (valeur manquante).`);
      }
    }
    const latest = years[years.length - 1];
    const referenceText = rate?.references && latest !== undefined ? referenceNote(rate.references, latest, rate.unit, rate.decimals) : null;
    if (referenceText) notes.push(referenceText);
    return {
      view: "series",
      caption: `${indicator.label} (${unitLabel}), par organisme et par année`,
      rowHeader: "Organisme",
      columns: years.map((y) => ({ id: String(y), label: String(y), isTotal: false })),
      rows,
      unitLabel,
      isRate,
      constraints,
      notes,
    };
  }

  // Breakdown of one year: the chosen year, else the latest with data.
  const allYears = [...new Set(snapshot.values.map((v) => v.year))].sort((a, b) => a - b);
  const y = query.year !== null && allYears.includes(query.year) ? query.year : (allYears[allYears.length - 1] ?? query.year ?? 0);
  const ofYear = snapshot.values.filter((v) => v.year === y);
  const orgIds = [...new Set(ofYear.map((v) => v.organisationId))].sort((a, b) => orgName(a).localeCompare(orgName(b), "fr"));
  const keys = sortKeys([...new Set(ofYear.filter((v) => v.key !== TOTAL_KEY).map((v) => v.key))], snapshot.lists);
  const valueOf = (key: string, org: string) => ofYear.find((v) => v.organisationId === org && v.key === key)?.value ?? null;
  const cellDeclared = (key: string, org: string) => declaration(ofYear.find((v) => v.organisationId === org && v.key === key));
  const withEnsemble = orgIds.length > 1;
  soleOrganisation = orgIds.length <= 1;
  const columns = [
    ...orgIds.map((org) => ({ id: org, label: orgName(org), isTotal: false })),
    ...(withEnsemble ? [{ id: "*", label: ENSEMBLE, isTotal: true }] : []),
  ];
  const rowOf = (key: string, rowId: string, label: string, isTotal: boolean): TableRow => {
    const counts = orgIds.map((org) => valueOf(key, org));
    const cells: TableCell[] = orgIds.map((org, i) => ({ id: `${rowId}@${org}`, count: counts[i]!, ...cellOf(counts[i]!, y, key, true), ...cellDeclared(key, org) }));
    const incomplete = orgIds.some((org) => cellDeclared(key, org).notAvailableCode === "ND");
    if (incomplete) incompleteRows.add(rowId);
    if (withEnsemble && additive) {
      const total = sum(counts);
      cells.push(incomplete ? { id: `${rowId}@*`, count: total, value: isRate ? null : total, incomplete: true } : { id: `${rowId}@*`, count: total, ...cellOf(total, y, key, false) });
    } else if (withEnsemble) {
      // A breakdown cell of a ratio of sums needs its parts cell by cell: not available.
      cells.push(
        aggregation.kind === "ratio_of_sums" && key !== TOTAL_KEY
          ? { id: `${rowId}@*`, count: null, value: null }
          : ensembleCell(`${rowId}@*`, orgIds.map((org, i) => contribution(org, y, counts[i]!))),
      );
    }
    return { id: rowId, label, isTotal, cells };
  };
  const incompleteRows = new Set<string>();
  const rows = [...keys.map((k) => rowOf(k, k, breakdownLabel(k, snapshot.lists), false)), rowOf(TOTAL_KEY, "*", "Total", true)];
  const nd = orgIds.filter((org) => ofYear.some((v) => v.organisationId === org && v.notAvailableCode === "ND"));
  if (nd.length) notes.push(`${y} : ensemble ${INCOMPLETE_MARK} où une case est ND, donnée non disponible pour ${joinNames(nd.map(orgName))}.`);
  const constraints: SecrecyConstraint[] = [];
  if (keys.length) {
    for (const org of orgIds) {
      if (valueOf(TOTAL_KEY, org) !== null) constraints.push({ total: `*@${org}`, members: keys.map((k) => `${k}@${org}`) });
    }
    if (withEnsemble && additive && !incompleteRows.size) constraints.push({ total: "*@*", members: keys.map((k) => `${k}@*`) });
  }
  if (withEnsemble && additive) {
    for (const k of [...keys, TOTAL_KEY]) {
      const rowId = k === TOTAL_KEY ? "*" : k;
      if (incompleteRows.has(rowId)) continue; // ADR 030: not a margin equation
      constraints.push({ total: `${rowId}@*`, members: orgIds.map((org) => `${rowId}@${org}`) });
    }
  }
  if (keys.length === 0) notes.push("Cet indicateur n'a pas de ventilation pour cette année : seul le total est affiché.");
  const referenceText = rate?.references ? referenceNote(rate.references, y, rate.unit, rate.decimals) : null;
  if (referenceText) notes.push(referenceText);
  if (isRate && orgIds.length > 1) notes.push("Taux « non définis » par organisme : la population de référence est celle du département, rapportée à l'ensemble des organismes.");
  return {
    view: "breakdown",
    caption: `${indicator.label} (${unitLabel}), ventilation ${y}`,
    rowHeader: "Ventilation",
    columns,
    rows,
    unitLabel,
    isRate,
    constraints,
    notes,
  };
}

// ── Statistical secrecy at the gate (anything external) ────────────────────

export type PublishedValue = number | null | typeof SECRET_LABEL | typeof NOT_AGGREGABLE_LABEL;

export interface PublishedTable extends Omit<DataTable, "rows" | "constraints"> {
  rows: {
    id: string;
    label: string;
    isTotal: boolean;
    cells: { id: string; value: PublishedValue; masked: boolean; notDefined?: true; notAvailableCode?: NotAvailableCode; notAvailableReason?: string | null; incomplete?: true }[];
  }[];
  maskedCount: number;
}

/**
 * The table as it may leave the observatory (Art. 3 and 5, CASF D226-3-4):
 * counts in 1..threshold−1 masked (primary), then enough other cells masked
 * that no masked count can be recomputed from a total (secondary). Rates of
 * masked counts are masked too. True values never reach the result.
 */
export function maskTable(table: DataTable, indicator: Pick<SnapshotIndicator, "valueType" | "secrecyThreshold">): PublishedTable {
  const cells: SecrecyCell[] = table.rows.flatMap((r) =>
    r.cells.map((c) => ({ id: c.id, value: c.count, threshold: indicator.secrecyThreshold, isCount: isAdditive(indicator) })),
  );
  return maskTableWith(table, new Set(applySecrecy(cells, table.constraints).keys()));
}

/** The table with these cells masked (the secret mark, explained once; never why). */
export function maskTableWith(table: DataTable, masked: ReadonlySet<string>): PublishedTable {
  const { constraints: _constraints, rows, ...rest } = table;
  return {
    ...rest,
    rows: rows.map((r) => ({
      id: r.id,
      label: r.label,
      isTotal: r.isTotal,
      cells: r.cells.map((c) => {
        const secret = masked.has(c.id);
        return {
          id: c.id,
          value: secret ? SECRET_LABEL : c.notAggregable ? NOT_AGGREGABLE_LABEL : c.value,
          masked: secret,
          ...(c.notDefined && !secret ? { notDefined: true as const } : {}),
          ...(!secret ? notAvailableFields(c) : {}),
        };
      }),
    })),
    maskedCount: masked.size,
    notes: masked.size
      ? [...table.notes, secretNote(masked.size)]
      : table.notes,
  };
}

/** ADR 030: the ND/NC code and reason of a cell, and the « incomplet » mark of an aggregate, as they travel to a published table. */
function notAvailableFields(c: TableCell) {
  return {
    ...(c.notAvailableCode ? { notAvailableCode: c.notAvailableCode, notAvailableReason: c.notAvailableReason ?? null } : {}),
    ...(c.incomplete ? { incomplete: true as const } : {}),
  };
}

/** The one note of a published table with masked cells: the mark, explained once, never why a cell is masked. */
export function secretNote(count: number): string {
  return `${SECRET_EXPLANATION} (${count} case(s) masquée(s) : petits effectifs et cases permettant de les retrouver).`;
}

/** The internal table in the same shape as a published one (true values, nothing masked). */
export function unmaskedTable(table: DataTable): PublishedTable {
  const { constraints: _constraints, rows, ...rest } = table;
  return {
    ...rest,
    rows: rows.map((r) => ({
      id: r.id,
      label: r.label,
      isTotal: r.isTotal,
      cells: r.cells.map((c) => ({
        id: c.id,
        value: c.notAggregable ? NOT_AGGREGABLE_LABEL : c.value,
        masked: false,
        ...(c.notDefined ? { notDefined: true as const } : {}),
        ...notAvailableFields(c),
      })),
    })),
    maskedCount: 0,
  };
}

// ── Chart ──────────────────────────────────────────────────────────────────

export interface ChartSpec {
  kind: "line" | "bar";
  dataKey: string;
  data: Record<string, string | number | null>[];
  series: { name: string; label: string }[];
  unitLabel: string;
}

/** At most this many series in a chart (the table always holds everything). */
export const MAX_CHART_SERIES = 8;

/**
 * The chart of a (published or internal) table: a line per organisation over
 * the years, or bars per breakdown cell. Masked cells become gaps.
 */
export function chartSpec(table: PublishedTable): ChartSpec {
  const num = (v: PublishedValue) => (typeof v === "number" ? v : null);
  if (table.view === "series") {
    const total = table.rows.find((r) => r.isTotal);
    const lines = (total ? [total, ...table.rows.filter((r) => !r.isTotal)] : table.rows).slice(0, MAX_CHART_SERIES);
    return {
      kind: "line",
      dataKey: "annee",
      unitLabel: table.unitLabel,
      series: lines.map((r, i) => ({ name: `s${i}`, label: r.label })),
      data: table.columns.map((col, c) => ({
        annee: col.label,
        ...Object.fromEntries(lines.map((r, i) => [`s${i}`, num(r.cells[c]!.value)])),
      })),
    };
  }
  const total = table.columns.findIndex((c) => c.isTotal);
  const chosen = (total >= 0 ? [total] : table.columns.map((_, i) => i)).slice(0, MAX_CHART_SERIES);
  const rows = table.rows.filter((r) => !r.isTotal || table.rows.length === 1);
  return {
    kind: "bar",
    dataKey: "ventilation",
    unitLabel: table.unitLabel,
    series: chosen.map((c, i) => ({ name: `s${i}`, label: table.columns[c]!.label })),
    data: rows.map((r) => ({ ventilation: r.label, ...Object.fromEntries(chosen.map((c, i) => [`s${i}`, num(r.cells[c]!.value)])) })),
  };
}

// ── Sources (Art. 5: sources always cited) ─────────────────────────────────

export interface SourceYears {
  name: string;
  years: number[];
}

export { formatYears };

/** "Source : CAF de la Loire, données 2024" or "Sources : A (données 2019 à 2024) ; B (données 2024)". */
export function sourcesLine(sources: readonly SourceYears[]): string {
  const list = [...sources].filter((s) => s.years.length).sort((a, b) => a.name.localeCompare(b.name, "fr"));
  if (list.length === 0) return "Source : aucune donnée";
  if (list.length === 1) return `Source : ${list[0]!.name}, données ${formatYears(list[0]!.years)}`;
  return `Sources : ${list.map((s) => `${s.name} (données ${formatYears(s.years)})`).join(" ; ")}`;
}

/** The organisations and years behind a snapshot's non-empty values (the denominator included). */
export function snapshotSources(snapshot: DataSnapshot): SourceYears[] {
  const years = new Map<string, Set<number>>();
  for (const v of [...snapshot.values, ...(snapshot.denominator?.values ?? [])]) {
    if (v.value === null) continue;
    const set = years.get(v.organisationId) ?? new Set<number>();
    set.add(v.year);
    years.set(v.organisationId, set);
  }
  const sources = [...years].map(([id, set]) => ({
    name: snapshot.organisations.find((o) => o.id === id)?.name ?? "Organisme inconnu",
    years: [...set],
  }));
  // A rate cites its reference population (ADR 019): Insee and the vintage, never the organisation that once sent a population.
  if (snapshot.rate) sources.push({ name: snapshot.rate.citation, years: [...new Set(snapshot.values.filter((v) => v.value !== null).map((v) => v.year))] });
  return sources;
}
