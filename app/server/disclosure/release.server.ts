import type { Trx } from "../db.server";
import { DomainError } from "../errors.server";
import type { ProtectResult } from "../secrecy/protect.server";
import { runHeavy } from "../heavy/pool.server";
import { toPublicEdition } from "~/domain/edition-assembly";
import type { FrozenItem } from "../publications/content.server";
import { TOTAL_KEY } from "~/domain/breakdowns";
import type { DashboardEdition, Figure } from "~/domain/dashboard";
import { buildTable, isAdditive, type DataTable } from "~/domain/explorer";
import { ledgerRows, releaseKindLabels, type LedgerCell, type LedgerRow } from "./ledger.server";
import { ProtectionModel, type ProtectInput } from "./model.server";
import { globalKey, OrganisationData, statKey, type StatisticRef } from "./statistics.server";

/**
 * Protection of a release over linked tables and the disclosure ledger
 * (ADR 015). Before a dashboard edition or a publication goes
 * out, its cells are protected *together with* what is already public and
 * every additive relation between them, by the same `protect()` as the
 * `secrecy:protect` command. What it returns is what is published; when no
 * masking can protect a secret cell, the release is refused with a French
 * message naming the tables involved, and nothing is recorded.
 */

const CONTEXT_LABEL = "valeurs par organisme derrière les totaux";

/** A cell a release shows, with its statistic and whether secrecy applies to it. */
interface ShownCell {
  ref: StatisticRef | null;
  key: string;
  indicatorCode: string;
  year: number;
  breakdownKey: string;
  value: number;
  threshold: number;
  protected: boolean;
}

function refusal(result: Extract<ProtectResult, { ok: false }>, model: ProtectionModel, input: ProtectInput, what: string): DomainError {
  // The tables of the secret cells and of every cell linked to them by additive relations (released values included).
  const linked = new Set(result.cells);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of input.sums) {
      const ids = [s.total, ...s.parts];
      if (!ids.some((id) => linked.has(id))) continue;
      for (const id of ids) {
        if (linked.has(id)) continue;
        linked.add(id);
        grew = true;
      }
    }
  }
  const tables = new Set<string>();
  for (const id of linked) for (const t of model.tables.get(id) ?? []) tables.add(t);
  const named = [...tables].filter((t) => t !== CONTEXT_LABEL).sort((a, b) => a.localeCompare(b, "fr"));
  return new DomainError(
    "conflict",
    `${what} refusée : le secret statistique ne peut pas être garanti (convention, art. 5 ; CASF, art. D226-3-4). ` +
      `Tableaux en cause : ${named.length ? named.map((t) => `« ${t} »`).join(", ") : "les valeurs déjà diffusées"}. ` +
      `Des valeurs déjà diffusées permettent de retrouver une case secrète, quel que soit le masquage : retirez ou agrégez ces tableaux, puis recommencez. Rien n'a été diffusé.`,
  );
}

/** Adds what the ledger already made public, for data that have not changed since (fingerprint and value). */
function addLedger(model: ProtectionModel, data: OrganisationData, rows: readonly LedgerRow[]) {
  for (const r of rows) {
    if (!r.ref || r.secret || r.value === null || !r.sourceHash) continue;
    if (data.fingerprint(r.ref) !== r.sourceHash || data.current(r.ref) !== r.value) continue;
    model.addReleased(r.ref, r.value, `${releaseKindLabels[r.kind]} « ${r.releaseLabel} »`);
  }
}

function ledgerCellOf(c: ShownCell, secret: boolean, data: OrganisationData): LedgerCell {
  const sourceHash = c.ref && data.current(c.ref) === c.value ? data.fingerprint(c.ref) : null;
  return { ref: c.ref, key: c.key, indicatorCode: c.indicatorCode, year: c.year, breakdownKey: c.breakdownKey, value: secret ? null : c.value, secret, sourceHash };
}

// ── Dashboard editions ───────────────────────────────────────────────────

/** The cells of a dashboard edition (trend totals, breakdowns of the year and the year before), with their statistics. */
function editionCells(edition: DashboardEdition, data: OrganisationData): ShownCell[] {
  const cells: ShownCell[] = [];
  for (const b of edition.sections.flatMap((s) => s.blocks)) {
    const add = (year: number, breakdownKey: string, f: Figure | undefined) => {
      if (!f || f.value === null) return;
      const orgs = b.kind === "indicator" ? data.contributors(b.code, year, breakdownKey) : [];
      const ref = orgs.length ? { indicatorCode: b.code, year, organisationIds: orgs, breakdownKey } : null;
      cells.push({
        ref,
        key: ref ? statKey(ref) : globalKey(b.code, year, breakdownKey),
        indicatorCode: b.code,
        year,
        breakdownKey,
        value: f.value,
        threshold: b.secrecyThreshold,
        protected: b.kind === "indicator" && b.isCount && b.secrecyThreshold > 0 && ref !== null,
      });
    };
    for (const p of b.trend) add(p.year, TOTAL_KEY, p);
    for (const [k, f] of Object.entries(b.breakdown?.current ?? {})) add(edition.year, k, f);
    for (const [k, f] of Object.entries(b.breakdown?.previous ?? {})) add(edition.year - 1, k, f);
  }
  return cells;
}

/** A figure of an edition by statistic: the total of a year, or a breakdown cell of the year or the year before. */
function figureOf(edition: DashboardEdition, code: string, year: number, key: string): Figure | undefined {
  const b = edition.sections.flatMap((s) => s.blocks).find((x) => x.code === code);
  if (!b) return undefined;
  if (key === TOTAL_KEY) return b.trend.find((p) => p.year === year);
  if (year === edition.year) return b.breakdown?.current[key];
  if (year === edition.year - 1) return b.breakdown?.previous?.[key] ?? undefined;
  return undefined;
}

export interface EarlierEdition {
  /** The ledger release of the superseded edition (withdrawable). */
  releaseId: string;
  label: string;
  /** Its frozen internal snapshot (true values of the cells it masked). */
  internal: DashboardEdition;
}

export interface ProtectedEdition {
  publicEdition: DashboardEdition;
  ledgerCells: LedgerCell[];
  /** Superseded editions whose pair with this one fails the audit: to withdraw from the public site. */
  withdraw: EarlierEdition[];
}

/**
 * The public edition of `internal`, protected against the ledger. A
 * correction is protected together with the editions it supersedes (their
 * values, changed or not, are still public): if that cannot pass, the
 * superseded editions are to be withdrawn and the correction is protected
 * without them; if it still cannot pass, the publication is refused.
 */
export async function protectEdition(trx: Trx, internal: DashboardEdition, label: string, earlier: readonly EarlierEdition[]): Promise<ProtectedEdition> {
  const candidate = toPublicEdition(internal, () => false);
  const codes = candidate.sections.flatMap((s) => s.blocks.filter((b) => b.kind === "indicator").map((b) => b.code));
  const data = await OrganisationData.load(trx, codes, internal.years);
  const cells = editionCells(candidate, data);
  const ledger = await ledgerRows(trx, codes, internal.years);
  const earlierIds = new Set(earlier.map((e) => e.releaseId));

  const attempt = async (withEarlier: boolean) => {
    const model = new ProtectionModel(data);
    for (const c of cells) if (c.protected) model.addShown(c.ref!, c.value, c.threshold, `${label}, ${c.indicatorCode} ${c.year}`);
    addLedger(
      model,
      data,
      ledger.filter((r) => !earlierIds.has(r.releaseId)),
    );
    if (withEarlier) {
      for (const e of earlier) {
        const layer = ledger
          .filter((r) => r.releaseId === e.releaseId && r.ref)
          .flatMap((r) => {
            const facts = data.indicators.get(r.ref!.indicatorCode);
            if (!facts?.additive || facts.threshold <= 0) return [];
            const truth = figureOf(e.internal, r.ref!.indicatorCode, r.ref!.year, r.ref!.breakdownKey)?.value;
            if (truth === null || truth === undefined) return [];
            const changed = !r.sourceHash || data.fingerprint(r.ref!) !== r.sourceHash || data.current(r.ref!) !== truth;
            return [{ ref: r.ref!, value: r.secret ? null : r.value, trueValue: truth, threshold: facts.threshold, changed }];
          });
        model.addLayer(e.releaseId, layer, e.label);
      }
    }
    const input = model.build(CONTEXT_LABEL);
    return { model, input, result: await runHeavy("protectRelease", input) };
  };

  let { model, input, result } = await attempt(earlier.length > 0);
  let withdraw: EarlierEdition[] = [];
  if (!result.ok && earlier.length) {
    ({ model, input, result } = await attempt(false));
    withdraw = [...earlier];
  }
  if (!result.ok) throw refusal(result, model, input, "Publication de l'édition");
  const published = result.output.cells;
  const masked = new Set(cells.filter((c) => c.protected && published[c.key]?.published !== c.value).map((c) => `${c.indicatorCode}|${c.year}|${c.breakdownKey}`));
  const publicEdition = toPublicEdition(internal, (code, year, key) => masked.has(`${code}|${year}|${key}`));
  const ledgerCells = editionCells(publicEdition, data).map((c) => ledgerCellOf(c, false, data));
  // The masked figures of the public edition: secret in the ledger.
  for (const b of publicEdition.sections.flatMap((s) => s.blocks)) {
    const secret = (year: number, key: string, f: Figure | undefined) => {
      if (!f?.secret) return;
      const orgs = b.kind === "indicator" ? data.contributors(b.code, year, key) : [];
      const ref = orgs.length ? { indicatorCode: b.code, year, organisationIds: orgs, breakdownKey: key } : null;
      ledgerCells.push({ ref, key: ref ? statKey(ref) : globalKey(b.code, year, key), indicatorCode: b.code, year, breakdownKey: key, value: null, secret: true, sourceHash: ref ? data.fingerprint(ref) : null });
    };
    for (const p of b.trend) secret(p.year, TOTAL_KEY, p);
    for (const [k, f] of Object.entries(b.breakdown?.current ?? {})) secret(publicEdition.year, k, f);
    for (const [k, f] of Object.entries(b.breakdown?.previous ?? {})) secret(publicEdition.year - 1, k, f);
  }
  return { publicEdition, ledgerCells, withdraw };
}

// ── Publications ─────────────────────────────────────────────────────────

/** The year a breakdown table shows (as buildTable chooses it). */
function breakdownYear(item: FrozenItem): number {
  const years = [...new Set(item.snapshot.values.map((v) => v.year))].sort((a, b) => a - b);
  return item.query.year !== null && years.includes(item.query.year) ? item.query.year : (years[years.length - 1] ?? item.query.year ?? 0);
}

/** Each cell of a frozen item's table → its statistic (organisation, or the « Ensemble » of the organisations it adds up). */
export function itemStatistics(item: FrozenItem, table: DataTable = buildTable(item.query, item.snapshot)): Map<string, ShownCell> {
  const code = item.snapshot.indicator.code;
  const threshold = item.snapshot.indicator.secrecyThreshold;
  const additive = isAdditive(item.snapshot.indicator);
  const result = new Map<string, ShownCell>();
  const year = table.view === "breakdown" ? breakdownYear(item) : 0;
  for (const row of table.rows) {
    for (const cell of row.cells) {
      let y: number;
      let key: string;
      let scope: string;
      if (table.view === "series") {
        const at = cell.id.lastIndexOf("|");
        scope = cell.id.slice(0, at);
        y = Number(cell.id.slice(at + 1));
        key = TOTAL_KEY;
      } else {
        const at = cell.id.lastIndexOf("@");
        key = cell.id.slice(0, at) === "*" ? TOTAL_KEY : cell.id.slice(0, at);
        scope = cell.id.slice(at + 1);
        y = year;
      }
      const organisationIds =
        scope === "*"
          ? [...new Set(item.snapshot.values.filter((v) => v.year === y && v.key === key && v.value !== null).map((v) => v.organisationId))].sort()
          : [scope];
      if (cell.count === null || organisationIds.length === 0) continue;
      const ref = { indicatorCode: code, year: y, organisationIds, breakdownKey: key };
      result.set(cell.id, { ref, key: statKey(ref), indicatorCode: code, year: y, breakdownKey: key, value: cell.count, threshold, protected: additive && threshold > 0 });
    }
  }
  return result;
}

/**
 * The cells a publication releases, protected against the ledger (every
 * earlier release, the dashboard editions included) and each other (its
 * tables are linked). Returns the ledger cells: what every table shows.
 */
export async function protectPublication(trx: Trx, title: string, items: readonly FrozenItem[]): Promise<LedgerCell[]> {
  const statistics = items.map((item) => ({ item, cells: itemStatistics(item) }));
  const codes = items.map((i) => i.snapshot.indicator.code);
  const years = [...new Set(statistics.flatMap((s) => [...s.cells.values()].map((c) => c.year)))];
  const data = await OrganisationData.load(trx, codes, years);
  const model = new ProtectionModel(data);
  for (const { item, cells } of statistics) {
    for (const c of cells.values()) if (c.protected) model.addShown(c.ref!, c.value, c.threshold, `${title} — ${item.title}`);
  }
  addLedger(model, data, await ledgerRows(trx, codes, years));
  const input = model.build(CONTEXT_LABEL);
  const result = await runHeavy("protectRelease", input);
  if (!result.ok) throw refusal(result, model, input, "Mise en ligne");
  const published = result.output.cells;
  const ledger = new Map<string, LedgerCell>();
  for (const { cells } of statistics) {
    for (const c of cells.values()) {
      const secret = c.protected && published[c.key]?.published !== c.value;
      ledger.set(c.key, ledgerCellOf(c, secret, data));
    }
  }
  return [...ledger.values()];
}
