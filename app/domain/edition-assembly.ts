import { DEFAULT_USAGE_RIGHTS, type UsageRights } from "./agreements";
import { TOTAL_KEY } from "./breakdowns";
import { todayIso } from "./dates";
import { aggregateContributions, aggregationInputs, aggregationNote, aggregationOf, type Contribution, type IndicatorAggregation } from "./aggregation";
import {
  computeChange,
  TREND_YEARS,
  type Breakdown,
  type BreakdownList,
  type Change,
  type CompletenessRow,
  type Contributor,
  type DashboardEdition,
  type EditionSection,
  type Figure,
  type IndicatorBlock,
  type KeyFigure,
  type MissingIndicator,
  type MissingPart,
  type SeriesBreakNote,
  type TransmissionRow,
} from "./dashboard";
import { seriesBreaks, versionForYear, type VersionDefinition } from "./indicators";
import { describeUniverse, populationCell, populationCitation, populationYear, rateCell, referenceNote, type ReferenceRate, type StoredRate, type YearPopulation } from "./rates";
import type { NotAvailableCode } from "./not-available";
import {
  changeNotComputedNote,
  notApplicableNote,
  notComputableNote,
  partialNote,
} from "./partial-totals";
import { applySecrecy, withoutPartialEquations, breakdownConstraint, crossTableConstraints, isPrimarySecret, type SecrecyCell, type SecrecyConstraint, type SuppressionReason } from "./secrecy";

/**
 * Assembly of an edition of the annual dashboard (Art. 3 and 5) from loaded
 * rows: a pure function, no database. `loadAssemblyInput` (app/server/dashboard/load.server.ts)
 * reads the rows; `assembleEdition` builds the internal edition (true
 * values); `toPublicEdition` derives the public one (statistical secrecy,
 * indicators an agreement keeps internal left out).
 */

export interface AssemblyVersion extends VersionDefinition {
  id: string;
}

export interface AssemblyIndicator {
  id: string;
  code: string;
  domainCode: string;
  secrecyThreshold: number;
  /** Declared in the catalogue (indicator.aggregation); omitted: the default of its unit (app/domain/aggregation.ts). */
  aggregation?: IndicatorAggregation | null;
  /** Every version of the definition, any order. */
  versions: AssemblyVersion[];
}

export interface AssemblyValue {
  indicatorId: string;
  year: number;
  /** '' for the total, else 'LIST=CODE|LIST=CODE'. */
  breakdownKey: string;
  value: number | null;
  /** ADR 030: the cell was declared « non disponible » (ND) or « non concerné » (NC); value is then null. */
  notAvailableCode?: NotAvailableCode | null;
  notAvailableReason?: string | null;
  /** The organisation of the submission the value was accepted from (lineage: accepted value → version → submission). */
  lineageOrganisationId: string;
}

export interface AssemblyOrganisation {
  id: string;
  code: string;
  name: string;
  logoFileId: string | null;
}

export interface AssemblyDerived {
  code: string;
  domainCode: string;
  label: string;
  definition: string | null;
  numeratorCode: string;
  denominatorCode: string;
  multiplier: number;
  unit: string;
  decimals: number;
}

export interface AssemblyInput {
  year: number;
  assembledAt: Date;
  observatory: DashboardEdition["observatory"];
  domains: { code: string; label: string; position: number }[];
  indicators: AssemblyIndicator[];
  codelists: { code: string; label: string; items: { code: string; label: string }[] }[];
  derived: AssemblyDerived[];
  keyFigureCodes: string[];
  organisations: AssemblyOrganisation[];
  /** Accepted values of the trend years (N−4 … N). */
  values: AssemblyValue[];
  /** Usage rights of the agreements covering year N (Art. 4–5). */
  usage: { organisationId: string; indicatorId: string; usageRights: UsageRights }[];
  /** The (organisation, indicator) pairs expected for year N: completeness is measured against them. */
  expectedPairs: { organisationId: string; indicatorId: string }[];
  campaign: { deadline: string; status: string } | null;
  /** The campaign's expected submissions, with each organisation's deadline. */
  expected: { organisationId: string; deadline: string }[];
  submissions: { organisationId: string; firstTransmittedAt: Date | string | null; acceptedAt: Date | string | null }[];
  /** Rates of the catalogue (ADR 019) and the Insee populations of the observatory's département, by population year. */
  rates?: StoredRate[];
  populations?: Map<number, YearPopulation>;
  /** Reference rates of France and the region, by rate code (the latest import of each). */
  references?: Map<string, ReferenceRate[]>;
}

type KeyValues = Map<string, number | null>;
/** indicatorId → year → organisationId → breakdown key → value */
type ValueIndex = Map<string, Map<number, Map<string, KeyValues>>>;

/** ADR 030: a cell declared not available, with its reason. */
interface Declaration {
  code: NotAvailableCode;
  reason: string | null;
}
/** `indicatorId|year|organisationId` → breakdown key → declaration */
type DeclarationIndex = Map<string, Map<string, Declaration>>;
const declarationKey = (indicatorId: string, year: number, organisationId: string) => `${indicatorId}|${year}|${organisationId}`;

function indexDeclarations(values: readonly AssemblyValue[]): DeclarationIndex {
  const index: DeclarationIndex = new Map();
  for (const v of values) {
    if (!v.notAvailableCode) continue;
    const key = declarationKey(v.indicatorId, v.year, v.lineageOrganisationId);
    const cells = index.get(key) ?? new Map<string, Declaration>();
    cells.set(v.breakdownKey, { code: v.notAvailableCode, reason: v.notAvailableReason ?? null });
    index.set(key, cells);
  }
  return index;
}

/**
 * ADR 030: how one organisation's total of an indicator stands. ND: its
 * total cell is ND, or (cells adding up to the total, no total given) one of
 * its full cells is ND — then its own total is the sum of its known cells,
 * itself partial. NC: the total cell is NC, or every cell it sent is NC.
 */
function organisationDeclaration(keys: KeyValues | undefined, declared: Map<string, Declaration> | undefined): Declaration | null {
  if (!declared?.size) return null;
  const onTotal = declared.get(TOTAL_KEY);
  if (onTotal) return onTotal;
  const total = keys?.get(TOTAL_KEY);
  if (total !== undefined && total !== null) return null;
  const nd = [...declared.values()].find((d) => d.code === "ND");
  if (nd) return nd;
  return hasValue(keys) ? null : [...declared.values()][0]!;
}

function indexValues(values: readonly AssemblyValue[]): ValueIndex {
  const index: ValueIndex = new Map();
  for (const v of values) {
    let byYear = index.get(v.indicatorId);
    if (!byYear) index.set(v.indicatorId, (byYear = new Map()));
    let byOrg = byYear.get(v.year);
    if (!byOrg) byYear.set(v.year, (byOrg = new Map()));
    let keys = byOrg.get(v.lineageOrganisationId);
    if (!keys) byOrg.set(v.lineageOrganisationId, (keys = new Map()));
    keys.set(v.breakdownKey, v.value);
  }
  return index;
}

/** One organisation's total: its '' value, else (when cells must add up to the total) the sum of its full cells. */
function organisationTotal(keys: KeyValues, version: VersionDefinition): number | null {
  const total = keys.get(TOTAL_KEY);
  if (total !== undefined && total !== null) return total;
  if (!version.breakdown_sum_equals_total || version.breakdowns.length === 0) return null;
  let sum = 0;
  let any = false;
  for (const [key, value] of keys) {
    if (key === TOTAL_KEY || value === null) continue;
    if (key.split("|").length !== version.breakdowns.length) continue;
    sum += value;
    any = true;
  }
  return any ? sum : null;
}

/** A figure from an aggregate: « non agrégeable » carries no number. */
const figureOfAggregate = (result: ReturnType<typeof aggregateContributions>): Figure =>
  result.notAggregable ? { value: null, notAggregable: true } : { value: result.value };

const figure = (value: number | null): Figure => ({ value });

function decimalsFor(version: VersionDefinition): number {
  if (version.value_type === "integer") return 0;
  const unit = version.unit.trim().toLowerCase();
  if (unit === "euros" || unit === "€") return 2;
  if (unit.startsWith("milliers")) return 0;
  return 1;
}

/** The most restrictive rights: internal > with approval > open (Art. 5). */
function mostRestrictive(rights: Iterable<UsageRights>): UsageRights {
  let result: UsageRights = "open";
  for (const r of rights) {
    if (r === "internal") return "internal";
    if (r === "with_approval") result = "with_approval";
  }
  return result;
}

/** Does the organisation have at least one value (not blank)? */
function hasValue(keys: KeyValues | undefined): boolean {
  if (!keys) return false;
  for (const v of keys.values()) if (v !== null) return true;
  return false;
}

/**
 * Aggregated breakdown of one year: one-list cells always, cross cells with
 * exactly two lists. Keys are canonical ("A=x|B=y"), so each part of a full
 * key is the one-list key of its list.
 */
function aggregateBreakdown(
  byOrg: Map<string, KeyValues> | undefined,
  lists: BreakdownList[],
  aggregation: IndicatorAggregation,
  inputsOf: (organisationId: string) => Contribution["inputs"],
  /** ADR 030: an organisation's cells declared not available. */
  declaredOf: (organisationId: string) => Map<string, Declaration> | undefined = () => undefined,
): Record<string, Figure> {
  const contributions = new Map<string, Contribution[]>();
  /** cell key → organisations with an ND part in it (the cell is then partial or not available) */
  const notAvailableIn = new Map<string, Set<string>>();
  const markNotAvailable = (key: string, orgId: string) => notAvailableIn.set(key, (notAvailableIn.get(key) ?? new Set()).add(orgId));
  const allKeys: string[] = lists.flatMap((l) => l.items.map((i) => `${l.code}=${i.code}`));
  if (lists.length === 2) {
    const [a, b] = lists as [BreakdownList, BreakdownList];
    for (const ia of a.items) for (const ib of b.items) allKeys.push(`${a.code}=${ia.code}|${b.code}=${ib.code}`);
  }
  const add = (key: string, value: number, inputs: Contribution["inputs"]) => {
    const list = contributions.get(key) ?? [];
    list.push({ value, inputs });
    contributions.set(key, list);
  };
  const width = lists.length;
  for (const [orgId, keys] of byOrg ?? []) {
    const inputs = inputsOf(orgId);
    // Per organisation: one-list cells from its full cells, or as given when it sent only one-list cells.
    const marginal = new Map<string, number>();
    const given = new Map<string, number>();
    for (const [key, value] of keys) {
      if (key === TOTAL_KEY || value === null) continue;
      const parts = key.split("|");
      if (parts.length === width) {
        if (width === 2) add(key, value, inputs);
        for (const part of parts) marginal.set(part, (marginal.get(part) ?? 0) + value);
      } else if (parts.length === 1) {
        given.set(key, value);
      }
    }
    for (const [k, v] of marginal.size > 0 ? marginal : given) add(k, v, inputs);
    const declared = declaredOf(orgId);
    if (declared?.size) {
      const anyNumber = [...keys.entries()].some(([k, v]) => k !== TOTAL_KEY && v !== null);
      for (const [key, d] of declared) {
        if (d.code !== "ND") continue;
        if (key === TOTAL_KEY) {
          // The whole figure is ND and no cell is given: every cell misses this organisation's part.
          if (!anyNumber) for (const k of allKeys) markNotAvailable(k, orgId);
          continue;
        }
        const parts = key.split("|");
        if (parts.length === width && width === 2) markNotAvailable(key, orgId);
        for (const part of parts) markNotAvailable(part, orgId);
      }
    }
  }
  // A ratio of sums needs its parts cell by cell: a breakdown cell of it is not available.
  const figureOf = (key: string): Figure => {
    if (aggregation.kind === "ratio_of_sums") return { value: null };
    const known = contributions.get(key) ?? [];
    const f = figureOfAggregate(aggregateContributions(known, aggregation));
    if (!notAvailableIn.get(key)?.size || f.notAggregable) return f;
    // ADR 030: the known parts only, marked partial; no known part: not available.
    return known.length ? { ...f, partial: true } : { value: null, notAvailable: true };
  };
  const result: Record<string, Figure> = {};
  for (const list of lists) {
    for (const item of list.items) {
      const key = `${list.code}=${item.code}`;
      result[key] = figureOf(key);
    }
  }
  if (width === 2) {
    const [a, b] = lists as [BreakdownList, BreakdownList];
    for (const ia of a.items) {
      for (const ib of b.items) {
        const key = `${a.code}=${ia.code}|${b.code}=${ib.code}`;
        result[key] = figureOf(key);
      }
    }
  }
  return result;
}

const DERIVED_OTHER_CONTRIBUTORS = "Évolution non calculée : le numérateur ou le dénominateur n'a pas les mêmes contributeurs que l'année précédente.";

const count = (n: number, one: string, many: string) => `${n} ${n > 1 ? many : one}`;
const namesOf = (ids: string[], name: (id: string) => string) => ids.map(name).sort((a, b) => a.localeCompare(b, "fr")).join(", ");

/**
 * The N−1 → N change compared like with like (Art. 5: a figure élus can
 * trust). Same contributors both years: the change of the totals. Otherwise
 * the change over the organisations that sent a value both years, with a
 * sentence naming who is left out; none in common: no change, and why.
 */
export function changeLikeForLike<T>(
  before: Map<string, T>,
  now: Map<string, T>,
  year: number,
  /** The figure of a set of organisations' contributions, by the indicator's catalogue aggregation (null: none). */
  aggregate: (items: T[]) => number | null,
  name: (organisationId: string) => string,
): { change: Change | null; note: string | null } {
  const all = computeChange(aggregate([...now.values()]), aggregate([...before.values()]));
  const gone = [...before.keys()].filter((id) => !now.has(id));
  const added = [...now.keys()].filter((id) => !before.has(id));
  if (!now.size || !before.size || (!gone.length && !added.length)) return { change: all, note: null };
  const why: string[] = [];
  if (gone.length) {
    why.push(`${count(gone.length, `contributeur de ${year - 1} n'a`, `contributeurs de ${year - 1} n'ont`)} pas transmis en ${year} (${namesOf(gone, name)})`);
  }
  if (added.length) {
    why.push(`${count(added.length, `contributeur de ${year} n'avait`, `contributeurs de ${year} n'avaient`)} pas transmis en ${year - 1} (${namesOf(added, name)})`);
  }
  const common = [...now.keys()].filter((id) => before.has(id));
  if (!common.length) return { change: null, note: `Évolution non calculée : ${why.join(" ; ")}.` };
  const change = computeChange(aggregate(common.map((id) => now.get(id)!)), aggregate(common.map((id) => before.get(id)!)));
  const scope = count(common.length, `contributeur présent en ${year - 1} et en ${year}`, `contributeurs présents en ${year - 1} et en ${year}`);
  return { change, note: `Évolution à périmètre constant, calculée sur ${scope} : ${why.join(" ; ")}.` };
}

const parisDate = (value: Date | string) => todayIso(value instanceof Date ? value : new Date(value));

/** Assembles the internal edition of year `input.year` (true values). */
export function assembleEdition(input: AssemblyInput): DashboardEdition {
  const year = input.year;
  const years = Array.from({ length: TREND_YEARS }, (_, i) => year - TREND_YEARS + 1 + i);
  const firstYear = years[0]!;
  const index = indexValues(input.values);
  const declarations = indexDeclarations(input.values);
  const organisations = new Map(input.organisations.map((o) => [o.id, o]));
  const codelists = new Map(input.codelists.map((c) => [c.code, c]));
  const domains = [...input.domains].sort((a, b) => a.position - b.position);
  const domainOf = new Map(domains.map((d) => [d.code, d]));
  const rightsOf = new Map<string, UsageRights>();
  for (const u of input.usage) rightsOf.set(`${u.organisationId}|${u.indicatorId}`, u.usageRights);

  const blocks = new Map<string, IndicatorBlock>();
  /** indicator code → organisations marking it internal */
  const internalBy = new Map<string, Set<string>>();
  /** indicator code → year → total */
  const totals = new Map<string, Map<number, number | null>>();
  /** ADR 030: indicator code → year → names of the organisations whose part is ND (the total is partial or not available) */
  const notAvailableNames = new Map<string, Map<number, string[]>>();
  const breakNotes: SeriesBreakNote[] = [];

  const expectedOrgs = new Map<string, Set<string>>();
  for (const pair of input.expectedPairs) {
    const set = expectedOrgs.get(pair.indicatorId) ?? new Set<string>();
    set.add(pair.organisationId);
    expectedOrgs.set(pair.indicatorId, set);
  }

  const byCode = new Map(input.indicators.map((i) => [i.code, i]));
  /** One organisation's total of indicator `code` in year y (a weight or a ratio part). */
  const inputTotal = (code: string, y: number, orgId: string): number | null => {
    const other = byCode.get(code);
    const v = other ? versionForYear(other.versions, y) : null;
    const keys = other && v ? index.get(other.id)?.get(y)?.get(orgId) : undefined;
    return keys && v ? organisationTotal(keys, v) : null;
  };

  const indicators = [...input.indicators].sort(
    (a, b) => (domainOf.get(a.domainCode)?.position ?? 99) - (domainOf.get(b.domainCode)?.position ?? 99) || a.code.localeCompare(b.code),
  );

  for (const indicator of indicators) {
    const version = versionForYear(indicator.versions, year);
    if (!version) continue; // not in the catalogue yet for this year
    const breaks = seriesBreaks(indicator.versions);
    for (const b of breaks) {
      if (b.year > firstYear && b.year <= year) {
        breakNotes.push({ code: indicator.code, label: version.label, year: b.year, changes: b.changes, breaksComparability: b.breaksComparability });
      }
    }
    const byYear = index.get(indicator.id);
    const declared = indicator.aggregation ?? aggregationOf(null, version.unit);
    const aggregation = declared.kind;
    /** An organisation's totals of the aggregation's inputs (weights, ratio parts) in year y. */
    const inputsOf = (y: number) => (orgId: string) =>
      Object.fromEntries(aggregationInputs(declared).map((code) => [code, inputTotal(code, y, orgId)]));
    const yearTotals = new Map<number, number | null>();
    const yearFigures = new Map<number, Figure>();
    const sources = new Set<string>();
    /** year → organisation → its total (the organisations that make the year's figure) */
    const totalsByOrg = new Map<number, Map<string, Contribution>>();
    /** ADR 030: year → the organisations whose part is ND (with the reason), and those not concerned (NC) */
    const ndByYear = new Map<number, { id: string; reason: string | null }[]>();
    const ncByYear = new Map<number, string[]>();
    const nameOf = (id: string) => organisations.get(id)?.name ?? id;
    for (const y of years) {
      const v = versionForYear(indicator.versions, y);
      const byOrg = byYear?.get(y);
      const contributions: Contribution[] = [];
      const orgTotals = new Map<string, Contribution>();
      const nd: { id: string; reason: string | null }[] = [];
      const nc: string[] = [];
      const declaredOrgs = new Set<string>();
      for (const key of declarations.keys()) {
        if (key.startsWith(`${indicator.id}|${y}|`)) declaredOrgs.add(key.slice(`${indicator.id}|${y}|`.length));
      }
      if (v && (byOrg || declaredOrgs.size)) {
        for (const orgId of new Set([...(byOrg?.keys() ?? []), ...declaredOrgs])) {
          const keys = byOrg?.get(orgId);
          const declaration = organisationDeclaration(keys, declarations.get(declarationKey(indicator.id, y, orgId)));
          if (declaration?.code === "ND") nd.push({ id: orgId, reason: declaration.reason });
          else if (declaration?.code === "NC") nc.push(orgId);
          const t = keys ? organisationTotal(keys, v) : null;
          if (t !== null && declaration?.code !== "NC") {
            const contribution = { value: t, inputs: inputsOf(y)(orgId) };
            contributions.push(contribution);
            // An organisation with an ND part has no complete total: it is not compared like with like.
            if (!declaration) orgTotals.set(orgId, contribution);
          }
          if (hasValue(keys)) sources.add(orgId);
        }
      }
      totalsByOrg.set(y, orgTotals);
      ndByYear.set(y, nd);
      ncByYear.set(y, nc);
      let result = figureOfAggregate(aggregateContributions(contributions, declared));
      // ADR 030: an ND part makes the figure partial (the known parts), or not available (no known part);
      // NC parts are left out and, alone, make the figure « non concerné ».
      if (nd.length && !result.notAggregable) result = contributions.length ? { ...result, partial: true } : { value: null, notAvailable: true };
      else if (!contributions.length && nc.length) result = { value: null, notApplicable: true };
      yearFigures.set(y, result);
      yearTotals.set(y, result.value);
    }
    totals.set(indicator.code, yearTotals);
    notAvailableNames.set(indicator.code, new Map([...ndByYear].map(([y, list]) => [y, list.map((e) => nameOf(e.id))])));
    const anyDeclaration = [...ndByYear.values(), ...ncByYear.values()].some((list) => list.length > 0);
    if (sources.size === 0 && !anyDeclaration) continue; // nothing transmitted in the window: listed in the quality section only

    const comparableBreak = breaks.find((b) => b.year === year && b.breaksComparability);
    const comparable = !comparableBreak;
    const current = yearFigures.get(year) ?? figure(null);
    const previous = yearFigures.get(year - 1) ?? figure(null);
    const notes: string[] = [];
    if (aggregation !== "sum" && sources.size > 1) {
      const note = aggregationNote(declared, (code) => versionForYear(byCode.get(code)?.versions ?? [], year)?.label ?? code);
      if (note) notes.push(note);
    }
    if (comparableBreak) {
      notes.push(`Rupture de série en ${year} (${comparableBreak.changes.join(", ")}) : l'évolution sur un an n'est pas calculée.`);
    }
    const silent = [...(expectedOrgs.get(indicator.id) ?? [])].filter(
      (orgId) => !hasValue(byYear?.get(year)?.get(orgId)) && !declarations.has(declarationKey(indicator.id, year, orgId)),
    );
    if (silent.length) {
      const names = silent.map((id) => organisations.get(id)?.name ?? id).sort((a, b) => a.localeCompare(b, "fr"));
      notes.push(`Valeur ${year} incomplète : ${names.join(", ")} ${names.length > 1 ? "n'ont" : "n'a"} pas transmis.`);
    }
    // ADR 030: who has no figure (ND) this year and last year, who is not concerned (NC) — by name.
    for (const y of [year - 1, year]) {
      const nd = ndByYear.get(y) ?? [];
      const status = yearFigures.get(y)?.notAvailable ? "not_available" : "partial";
      const note = partialNote(y, status, nd.map((e) => ({ name: nameOf(e.id), reason: e.reason })));
      if (note) notes.push(note);
    }
    const missingParts: MissingPart[] = [year - 1, year].flatMap((y) => [
      ...(ndByYear.get(y) ?? []).map((e) => ({ year: y, code: "ND" as const, organisation: nameOf(e.id), reason: e.reason })),
      ...(ncByYear.get(y) ?? []).map((id) => ({
        year: y,
        code: "NC" as const,
        organisation: nameOf(id),
        reason: declarations.get(declarationKey(indicator.id, y, id))?.get(TOTAL_KEY)?.reason ?? null,
      })),
    ]);
    const ncNote = notApplicableNote(year, (ncByYear.get(year) ?? []).map(nameOf));
    if (ncNote) notes.push(ncNote);
    // ADR 023 extended by ADR 030: a change needs both years complete for the same contributors —
    // an ND part in either year means no arrow, and why in words.
    const incompleteNote = comparable
      ? changeNotComputedNote([year - 1, year].map((y) => ({ year: y, names: (ndByYear.get(y) ?? []).map((e) => nameOf(e.id)) })))
      : null;
    if (incompleteNote) notes.push(incompleteNote);
    // Like with like: when last year's contributors are not this year's, the change is computed over
    // the organisations present both years, or not at all; a sentence says which.
    // A figure that is not a number (« non agrégeable », missing) has no change beside it.
    const likeForLike = !incompleteNote && comparable && current.value !== null && previous.value !== null
      ? changeLikeForLike(
          totalsByOrg.get(year - 1)!,
          totalsByOrg.get(year)!,
          year,
          (items) => aggregateContributions(items, declared).value ?? null,
          (id) => organisations.get(id)?.name ?? id,
        )
      : null;
    if (likeForLike?.note) notes.push(likeForLike.note);
    const breakYears = new Set(breaks.filter((b) => b.breaksComparability).map((b) => b.year));

    let breakdown: Breakdown | null = null;
    if (version.breakdowns.length > 0) {
      const lists: BreakdownList[] = version.breakdowns.map((code) => {
        const list = codelists.get(code);
        return { code, label: list?.label ?? code, items: list?.items.map((i) => ({ code: i.code, label: i.label })) ?? [] };
      });
      const previousVersion = versionForYear(indicator.versions, year - 1);
      const sameLists = !!previousVersion && previousVersion.breakdowns.join("|") === version.breakdowns.join("|");
      breakdown = {
        lists,
        current: aggregateBreakdown(byYear?.get(year), lists, declared, inputsOf(year), (orgId) => declarations.get(declarationKey(indicator.id, year, orgId))),
        previous:
          comparable && sameLists
            ? aggregateBreakdown(byYear?.get(year - 1), lists, declared, inputsOf(year - 1), (orgId) => declarations.get(declarationKey(indicator.id, year - 1, orgId)))
            : null,
      };
    }

    const sourceCodes = [...sources].map((id) => organisations.get(id)?.code ?? id).sort();
    const rights = [...sources].map((orgId) => rightsOf.get(`${orgId}|${indicator.id}`) ?? DEFAULT_USAGE_RIGHTS);
    const internalOrgs = [...sources].filter((orgId) => rightsOf.get(`${orgId}|${indicator.id}`) === "internal");
    if (internalOrgs.length) internalBy.set(indicator.code, new Set(internalOrgs.map((id) => organisations.get(id)?.name ?? id)));

    blocks.set(indicator.code, {
      kind: "indicator",
      code: indicator.code,
      domainCode: indicator.domainCode,
      label: version.label,
      definition: version.definition,
      unit: version.unit,
      decimals: decimalsFor(version),
      isCount: version.value_type === "integer" && aggregation === "sum",
      aggregation,
      version: version.version,
      current,
      previous,
      change: likeForLike ? likeForLike.change : null,
      ...(likeForLike?.note ? { changeNote: likeForLike.note } : incompleteNote ? { changeNote: incompleteNote } : {}),
      comparable,
      trend: years.map((y) => ({ year: y, ...(yearFigures.get(y) ?? figure(null)), ...(breakYears.has(y) && y > firstYear ? { breakBefore: true } : {}) })),
      breakdown,
      sources: sourceCodes,
      usage: mostRestrictive(rights),
      secrecyThreshold: indicator.secrecyThreshold,
      notes,
      ...(missingParts.length ? { missingParts } : {}),
    });
  }

  // Derived indicators: numerator / denominator × multiplier, year by year.
  for (const d of input.derived) {
    const num = blocks.get(d.numeratorCode);
    const den = blocks.get(d.denominatorCode);
    const numTotals = totals.get(d.numeratorCode);
    const denTotals = totals.get(d.denominatorCode);
    if (!num || !den || !numTotals || !denTotals) continue;
    // ADR 030: a numerator or denominator with an ND part (partial or not available) makes the rate « non calculable ».
    const missingOf = (y: number) => [
      { role: "numérateur" as const, names: notAvailableNames.get(d.numeratorCode)?.get(y) ?? [] },
      { role: "dénominateur" as const, names: notAvailableNames.get(d.denominatorCode)?.get(y) ?? [] },
    ];
    const notComputable = (y: number) => missingOf(y).some((p) => p.names.length > 0);
    const rate = (y: number) => {
      if (notComputable(y)) return null;
      const n = numTotals.get(y) ?? null;
      const q = denTotals.get(y) ?? null;
      return n === null || q === null || q === 0 ? null : (n / q) * d.multiplier;
    };
    const rateFigure = (y: number): Figure => (notComputable(y) ? { value: null, notComputable: true } : figure(rate(y)));
    const comparable = num.comparable && den.comparable;
    // A rate over a numerator or denominator made of other organisations than the year before: no change.
    const otherContributors = comparable && !!(num.changeNote || den.changeNote);
    const current = rateFigure(year);
    const previous = rateFigure(year - 1);
    const notComputableNotes = [year - 1, year].flatMap((y) => notComputableNote(y, missingOf(y)) ?? []);
    const breakYears = new Set([...num.trend, ...den.trend].filter((p) => p.breakBefore).map((p) => p.year));
    blocks.set(d.code, {
      kind: "derived",
      code: d.code,
      domainCode: d.domainCode,
      label: d.label,
      definition: d.definition,
      unit: d.unit,
      decimals: d.decimals,
      isCount: false,
      aggregation: "sum",
      version: null,
      current,
      previous,
      change: comparable && !otherContributors ? computeChange(current.value, previous.value) : null,
      ...(otherContributors
        ? { changeNote: DERIVED_OTHER_CONTRIBUTORS }
        : comparable && notComputableNotes.length
          ? { changeNote: `Évolution non calculée : ${notComputableNotes.join(" ")}` }
          : {}),
      comparable,
      trend: years.map((y) => ({ year: y, ...rateFigure(y), ...(breakYears.has(y) ? { breakBefore: true } : {}) })),
      breakdown: null,
      sources: [...new Set([...num.sources, ...den.sources])].sort(),
      usage: mostRestrictive([num.usage, den.usage]),
      secrecyThreshold: 0,
      formula: { numerator: d.numeratorCode, denominator: d.denominatorCode, multiplier: d.multiplier },
      notes: [
        ...notComputableNotes,
        ...(!comparable
          ? ["Rupture de série du numérateur ou du dénominateur : l'évolution sur un an n'est pas calculée."]
          : otherContributors
            ? [DERIVED_OTHER_CONTRIBUTORS]
            : []),
      ],
    });
  }

  // Rates of the catalogue (ADR 019): numerator over the Insee population of the same universe, cell by cell.
  for (const r of input.rates ?? []) {
    const num = blocks.get(r.numeratorCode);
    const numTotals = totals.get(r.numeratorCode);
    if (!num || num.kind !== "indicator" || !numTotals || blocks.has(r.code)) continue;
    const populationOf = (y: number) => input.populations?.get(populationYear(y, r.populationUniverse));
    const numeratorMissing = (y: number) => notAvailableNames.get(r.numeratorCode)?.get(y) ?? [];
    const cellOf = (y: number, key: string, numerator: number | null | undefined, incomplete = key === TOTAL_KEY && numeratorMissing(y).length > 0): Figure => {
      // ADR 030: a partial or not available numerator makes the rate « non calculable ».
      if (incomplete) return { value: null, notComputable: true };
      const cell = rateCell(numerator, populationCell(populationOf(y)?.counts, r.populationUniverse, key, r.rules), r.multiplier);
      return cell.notDefined ? { value: null, notDefined: true } : { value: cell.value };
    };
    const current = cellOf(year, TOTAL_KEY, numTotals.get(year));
    const previous = cellOf(year - 1, TOTAL_KEY, numTotals.get(year - 1));
    if (years.every((y) => !populationOf(y))) continue; // no Insee population imported for these years
    const rateBreakdown = (cells: Record<string, Figure> | null, y: number) =>
      cells ? Object.fromEntries(Object.entries(cells).map(([key, f]) => [key, cellOf(y, key, f.value, !!(f.partial || f.notAvailable))])) : null;
    const vintages = years.map((y) => populationOf(y)?.vintageLabel).filter((v): v is string => !!v);
    const citation = populationCitation(vintages);
    const notes = [`Population de référence : ${citation}, ${describeUniverse(r.populationUniverse)}. Convention de calcul : ${r.sourceConvention}.`];
    const missingYears = years.filter((y) => numTotals.get(y) != null && !populationOf(y));
    if (missingYears.length) notes.push(`Population Insee non importée pour ${missingYears.map((y) => populationYear(y, r.populationUniverse)).join(", ")} : taux non calculé ces années-là.`);
    if (!num.comparable) notes.push("Rupture de série du numérateur : l'évolution sur un an n'est pas calculée.");
    for (const y of [year - 1, year]) {
      const note = notComputableNote(y, [{ role: "numérateur", names: numeratorMissing(y) }]);
      if (note) notes.push(note);
    }
    const references = (input.references?.get(r.code) ?? []).filter((ref) => years.includes(ref.year));
    const referenceText = referenceNote(references, year, r.unit, r.decimals);
    if (referenceText) notes.push(referenceText);
    blocks.set(r.code, {
      kind: "derived",
      code: r.code,
      domainCode: r.domainCode,
      label: r.label,
      definition: r.definition,
      unit: r.unit,
      decimals: r.decimals,
      isCount: false,
      aggregation: "sum",
      version: null,
      current,
      previous,
      change: num.comparable ? computeChange(current.value, previous.value) : null,
      ...(num.comparable && (current.notComputable || previous.notComputable)
        ? { changeNote: "Évolution non calculée : le taux d'une des deux années est non calculable (numérateur incomplet, donnée non disponible)." }
        : {}),
      comparable: num.comparable,
      trend: years.map((y) => ({ year: y, ...cellOf(y, TOTAL_KEY, numTotals.get(y)), ...(num.trend.find((p) => p.year === y)?.breakBefore ? { breakBefore: true } : {}) })),
      breakdown: num.breakdown
        ? { lists: num.breakdown.lists, current: rateBreakdown(num.breakdown.current, year)!, previous: rateBreakdown(num.breakdown.previous, year - 1) }
        : null,
      sources: [...num.sources, citation],
      usage: num.usage,
      secrecyThreshold: 0,
      formula: { numerator: r.numeratorCode, denominator: `Insee ${r.populationUniverse.ageMin}-${r.populationUniverse.ageMax} ans`, multiplier: r.multiplier },
      population: { citation, universe: describeUniverse(r.populationUniverse), sourceConvention: r.sourceConvention },
      ...(references.length ? { references } : {}),
      notes,
    });
  }

  const sections: EditionSection[] = domains
    .map((d) => ({
      domainCode: d.code,
      domainLabel: d.label,
      position: d.position,
      blocks: [...blocks.values()].filter((b) => b.domainCode === d.code),
    }))
    .filter((s) => s.blocks.length > 0);

  const edition: DashboardEdition = {
    formatVersion: 1,
    variant: "internal",
    year,
    years,
    assembledAt: input.assembledAt.toISOString(),
    observatory: input.observatory,
    keyFigures: keyFiguresOf(input.keyFigureCodes, blocks),
    sections,
    contributors: contributorsOf(blocks.values(), input.organisations),
    quality: {
      campaign: input.campaign,
      transmissions: transmissionsOf(input, organisations),
      ...completenessOf(input, index, declarations, domains, organisations),
      breaks: breakNotes,
    },
    internalIndicators: [...blocks.values()]
      .filter((b) => b.kind === "indicator" && b.usage === "internal")
      .map((b) => ({ code: b.code, label: b.label, domainCode: b.domainCode, organisations: [...(internalBy.get(b.code) ?? [])].sort() })),
    excludedInternalCount: 0,
    maskedCount: 0,
  };
  return edition;
}

function keyFiguresOf(codes: readonly string[], blocks: Map<string, IndicatorBlock>): KeyFigure[] {
  return codes.flatMap((code) => {
    const b = blocks.get(code);
    if (!b) return [];
    return [
      {
        code,
        label: b.label,
        unit: b.unit,
        decimals: b.decimals,
        domainCode: b.domainCode,
        current: b.current,
        previous: b.previous,
        change: b.change,
        ...(b.changeNote ? { changeNote: b.changeNote } : {}),
      },
    ];
  });
}

/** Art. 5: every organisation whose values appear, from lineage, with the indicators they feed. */
function contributorsOf(blocks: Iterable<IndicatorBlock>, organisations: readonly AssemblyOrganisation[]): Contributor[] {
  const fed = new Map<string, Set<string>>();
  for (const b of blocks) {
    if (b.kind !== "indicator") continue;
    for (const code of b.sources) {
      const set = fed.get(code) ?? new Set<string>();
      set.add(b.code);
      fed.set(code, set);
    }
  }
  const byCode = new Map(organisations.map((o) => [o.code, o]));
  return [...fed.entries()]
    .map(([code, indicators]) => {
      const o = byCode.get(code);
      return { code, name: o?.name ?? code, logoFileId: o?.logoFileId ?? null, indicators: [...indicators].sort() };
    })
    .sort((a, b) => a.name.localeCompare(b.name, "fr"));
}

function transmissionsOf(input: AssemblyInput, organisations: Map<string, AssemblyOrganisation>): TransmissionRow[] {
  const submissions = new Map(input.submissions.map((s) => [s.organisationId, s]));
  return input.expected
    .map((e): TransmissionRow => {
      const s = submissions.get(e.organisationId);
      const org = organisations.get(e.organisationId);
      const transmittedAt = s?.firstTransmittedAt ? new Date(s.firstTransmittedAt).toISOString() : null;
      const acceptedAt = s?.acceptedAt ? new Date(s.acceptedAt).toISOString() : null;
      const timing = !transmittedAt ? "missing" : parisDate(transmittedAt) > e.deadline ? "late" : "on_time";
      return { organisationCode: org?.code ?? e.organisationId, organisationName: org?.name ?? e.organisationId, deadline: e.deadline, transmittedAt, acceptedAt, timing };
    })
    .sort((a, b) => a.organisationName.localeCompare(b.organisationName, "fr"));
}

function completenessOf(
  input: AssemblyInput,
  index: ValueIndex,
  declarations: DeclarationIndex,
  domains: { code: string; label: string }[],
  organisations: Map<string, AssemblyOrganisation>,
): { completeness: CompletenessRow[]; missing: MissingIndicator[] } {
  const indicatorById = new Map(input.indicators.map((i) => [i.id, i]));
  const expectedBy = new Map<string, number>();
  const receivedBy = new Map<string, number>();
  const notAvailableBy = new Map<string, number>();
  const missing = new Map<string, MissingIndicator>();
  const seen = new Set<string>();
  for (const pair of input.expectedPairs) {
    const key = `${pair.organisationId}|${pair.indicatorId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const indicator = indicatorById.get(pair.indicatorId);
    if (!indicator) continue;
    const version = versionForYear(indicator.versions, input.year);
    if (!version) continue;
    expectedBy.set(indicator.domainCode, (expectedBy.get(indicator.domainCode) ?? 0) + 1);
    // ADR 030: a pair declared ND or NC was transmitted (without a figure): received, and ND counted apart.
    const declaredHere = declarations.get(declarationKey(indicator.id, input.year, pair.organisationId));
    const received = hasValue(index.get(indicator.id)?.get(input.year)?.get(pair.organisationId)) || !!declaredHere?.size;
    if ([...(declaredHere?.values() ?? [])].some((d) => d.code === "ND")) {
      notAvailableBy.set(indicator.domainCode, (notAvailableBy.get(indicator.domainCode) ?? 0) + 1);
    }
    if (received) {
      receivedBy.set(indicator.domainCode, (receivedBy.get(indicator.domainCode) ?? 0) + 1);
    } else {
      const entry = missing.get(indicator.code) ?? { code: indicator.code, label: version.label, domainCode: indicator.domainCode, organisations: [] };
      entry.organisations.push(organisations.get(pair.organisationId)?.name ?? pair.organisationId);
      missing.set(indicator.code, entry);
    }
  }
  const completeness = domains
    .filter((d) => expectedBy.has(d.code))
    .map((d) => {
      const expected = expectedBy.get(d.code)!;
      const received = receivedBy.get(d.code) ?? 0;
      return {
        domainCode: d.code,
        domainLabel: d.label,
        expected,
        received,
        rate: expected ? received / expected : null,
        ...(notAvailableBy.get(d.code) ? { notAvailable: notAvailableBy.get(d.code)! } : {}),
      };
    });
  const order = new Map(domains.map((d, i) => [d.code, i]));
  return {
    completeness,
    missing: [...missing.values()]
      .map((m) => ({ ...m, organisations: m.organisations.sort((a, b) => a.localeCompare(b, "fr")) }))
      .sort((a, b) => (order.get(a.domainCode) ?? 99) - (order.get(b.domainCode) ?? 99) || a.code.localeCompare(b.code)),
  };
}

// ── Public edition ───────────────────────────────────────────────────────

/** A masked figure: the same mark whatever the reason (the reason never leaves this module). */
const masked = (_reason?: SuppressionReason): Figure => ({ value: null, secret: true });

/** ADR 030: a figure that is not the sum of every organisation's part. */
const isIncomplete = (f: Figure | undefined) => !!(f?.partial || f?.notAvailable);

/** Secrecy over one year's table of an indicator: its total and its breakdown cells. */
function maskYear(block: IndicatorBlock, total: Figure, cells: Record<string, Figure> | null): Map<string, SuppressionReason> {
  const secrecyCells: SecrecyCell[] = [{ id: TOTAL_KEY, value: total.value, threshold: block.secrecyThreshold, isCount: true }];
  const constraints: SecrecyConstraint[] = [];
  if (cells && block.breakdown) {
    for (const [id, f] of Object.entries(cells)) secrecyCells.push({ id, value: f.value, threshold: block.secrecyThreshold, isCount: true });
    const lists = block.breakdown.lists;
    const listKeys = (l: BreakdownList) => l.items.map((i) => `${l.code}=${i.code}`);
    if (lists.length === 2) {
      const [a, b] = lists as [BreakdownList, BreakdownList];
      constraints.push(
        ...crossTableConstraints(
          a.items.map((i) => i.code),
          b.items.map((i) => i.code),
          (r, c) => (r === "*" && c === "*" ? TOTAL_KEY : r === "*" ? `${b.code}=${c}` : c === "*" ? `${a.code}=${r}` : `${a.code}=${r}|${b.code}=${c}`),
        ),
      );
    } else {
      for (const l of lists) constraints.push(...breakdownConstraint(TOTAL_KEY, listKeys(l)));
    }
  }
  // ADR 030: a partial or not available figure is not the sum of all parts: no margin equation through it.
  const incomplete = new Set<string>();
  if (isIncomplete(total)) incomplete.add(TOTAL_KEY);
  for (const [id, f] of Object.entries(cells ?? {})) if (isIncomplete(f)) incomplete.add(id);
  return applySecrecy(secrecyCells, incomplete.size ? withoutPartialEquations(constraints, (id) => incomplete.has(id)) : constraints);
}

/**
 * Which figures a protected release masks (ADR 015): indicator code, year
 * and breakdown key ('' for the total) → masked. Given by release protection
 * (app/server/disclosure/release.server.ts); without it, previews use the
 * local rule of `applySecrecy`.
 */
export type SecretDecision = (code: string, year: number, breakdownKey: string) => boolean;

function decidedMasks(code: string, year: number, cells: Record<string, Figure> | null, decide: SecretDecision): Map<string, SuppressionReason> {
  const masks = new Map<string, SuppressionReason>();
  for (const key of [TOTAL_KEY, ...Object.keys(cells ?? {})]) if (decide(code, year, key)) masks.set(key, "secondary");
  return masks;
}

function maskCells(cells: Record<string, Figure>, masks: Map<string, SuppressionReason>): Record<string, Figure> {
  return Object.fromEntries(Object.entries(cells).map(([k, f]) => [k, masks.has(k) ? masked(masks.get(k)!) : f]));
}

const LIKE_FOR_LIKE_SECRET =
  "Évolution non publiée : les contributeurs ne sont pas les mêmes que l'année précédente et, à périmètre constant, l'effectif est sous le seuil du secret statistique.";

/**
 * A change computed like with like is over a part of the organisations: its
 * two totals (recoverable from the absolute and relative change) are counts
 * of their own and must not be small ones (CASF D226-3-4).
 */
function likeForLikeSecret(b: IndicatorBlock): boolean {
  if (!b.changeNote || !b.change) return false;
  const before = b.change.relative === null ? 0 : Math.round(b.change.absolute / b.change.relative);
  const now = before + b.change.absolute;
  return isPrimarySecret(before, b.secrecyThreshold) || isPrimarySecret(now, b.secrecyThreshold);
}

/**
 * The public edition (Art. 5; CASF D226-3-4): indicators an agreement marks
 * `internal` are left out (with the rates built on them), and statistical
 * secrecy masks counts under each indicator's threshold, with secondary
 * suppression so no masked cell can be recomputed. No true value of a
 * masked cell remains in the result.
 */
export function toPublicEdition(internal: DashboardEdition, decide?: SecretDecision): DashboardEdition {
  const masksFor = (b: IndicatorBlock, year: number, total: Figure, cells: Record<string, Figure> | null) =>
    decide ? decidedMasks(b.code, year, cells, decide) : maskYear(b, total, cells);
  const all = internal.sections.flatMap((s) => s.blocks);
  const excluded = new Set(all.filter((b) => b.kind === "indicator" && b.usage === "internal").map((b) => b.code));
  for (const b of all) {
    if (b.formula && (excluded.has(b.formula.numerator) || excluded.has(b.formula.denominator))) excluded.add(b.code);
  }
  let maskedCount = 0;
  const published = new Map<string, IndicatorBlock>();
  for (const b of all) {
    if (excluded.has(b.code) || b.kind !== "indicator") continue;
    if (!b.isCount || b.secrecyThreshold <= 0) {
      published.set(b.code, b);
      continue;
    }
    const yearMasks = new Map<number, Map<string, SuppressionReason>>();
    yearMasks.set(b.trend.at(-1)!.year, masksFor(b, b.trend.at(-1)!.year, b.current, b.breakdown?.current ?? null));
    yearMasks.set(b.trend.at(-1)!.year - 1, masksFor(b, b.trend.at(-1)!.year - 1, b.previous, b.breakdown?.previous ?? null));
    const trend = b.trend.map((p) => {
      const masks = yearMasks.get(p.year) ?? masksFor(b, p.year, p, null);
      const reason = masks.get(TOTAL_KEY);
      return reason ? { year: p.year, ...masked(reason), ...(p.breakBefore ? { breakBefore: true } : {}) } : p;
    });
    const currentMasks = yearMasks.get(internal.year)!;
    const previousMasks = yearMasks.get(internal.year - 1)!;
    for (const masks of [currentMasks, previousMasks]) maskedCount += masks.size;
    maskedCount += trend.filter((p, i) => p.secret && i < trend.length - 2).length;
    const current = currentMasks.has(TOTAL_KEY) ? masked(currentMasks.get(TOTAL_KEY)!) : b.current;
    const previous = previousMasks.has(TOTAL_KEY) ? masked(previousMasks.get(TOTAL_KEY)!) : b.previous;
    const hidden = current.secret || previous.secret || likeForLikeSecret(b);
    published.set(b.code, {
      ...b,
      current,
      previous,
      change: hidden ? null : b.change,
      ...(b.changeNote && likeForLikeSecret(b) ? { changeNote: LIKE_FOR_LIKE_SECRET } : {}),
      notes: b.changeNote && likeForLikeSecret(b) ? b.notes.map((n) => (n === b.changeNote ? LIKE_FOR_LIKE_SECRET : n)) : b.notes,
      trend,
      breakdown: b.breakdown
        ? {
            ...b.breakdown,
            current: maskCells(b.breakdown.current, currentMasks),
            previous: b.breakdown.previous ? maskCells(b.breakdown.previous, previousMasks) : null,
          }
        : null,
    });
  }
  // Rates: masked wherever their numerator (or denominator) is.
  for (const b of all) {
    if (excluded.has(b.code) || b.kind !== "derived" || !b.formula) continue;
    const num = published.get(b.formula.numerator);
    const den = published.get(b.formula.denominator);
    const secretOf = (y: number) => num?.trend.find((p) => p.year === y)?.secret ?? den?.trend.find((p) => p.year === y)?.secret;
    const trend = b.trend.map((p) => {
      if (!secretOf(p.year)) return p;
      maskedCount++;
      return { year: p.year, ...masked(), ...(p.breakBefore ? { breakBefore: true } : {}) };
    });
    const current = trend.at(-1)!.secret ? masked() : b.current;
    const previous = trend.at(-2)?.secret ? masked() : b.previous;
    const maskLike = (cells: Record<string, Figure>, numCells: Record<string, Figure> | null | undefined) =>
      Object.fromEntries(Object.entries(cells).map(([k, f]) => [k, numCells?.[k]?.secret ? masked() : f]));
    const breakdown = b.breakdown
      ? {
          ...b.breakdown,
          current: maskLike(b.breakdown.current, num?.breakdown?.current),
          previous: b.breakdown.previous ? maskLike(b.breakdown.previous, num?.breakdown?.previous) : null,
        }
      : null;
    published.set(b.code, { ...b, current, previous, change: current.secret || previous.secret ? null : b.change, trend, breakdown });
  }

  const sections = internal.sections
    .map((s) => ({ ...s, blocks: s.blocks.flatMap((b) => (published.has(b.code) ? [published.get(b.code)!] : [])) }))
    .filter((s) => s.blocks.length > 0);
  const keyFigures = keyFiguresOf(
    internal.keyFigures.map((k) => k.code),
    published,
  );
  const contributors = internal.contributors
    .map((c) => ({ ...c, indicators: c.indicators.filter((code) => published.has(code)) }))
    .filter((c) => c.indicators.length > 0);
  return {
    ...internal,
    variant: "public",
    keyFigures,
    sections,
    contributors,
    quality: {
      ...internal.quality,
      missing: internal.quality.missing.filter((m) => !excluded.has(m.code)),
      breaks: internal.quality.breaks.filter((m) => !excluded.has(m.code)),
    },
    internalIndicators: [],
    excludedInternalCount: internal.internalIndicators.length,
    maskedCount,
  };
}
