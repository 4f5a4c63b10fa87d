import { TOTAL_KEY } from "~/domain/breakdowns";
import { scopeKey, statKey, type OrganisationData, type StatisticRef } from "./statistics.server";

/**
 * The input of `protect()` (app/server/secrecy/protect.server.ts, ADR 015
 * JSON contract) for one release, built over *linked* tables (ADR 015):
 *
 * - the cells the release would show (ids: statistic keys, the same as the
 *   ledger's), with each indicator's threshold;
 * - `released`: values already public (ledger rows whose data have not
 *   changed), public knowledge that cannot be masked again;
 * - context cells: organisation-level values behind an aggregate shown in
 *   another scope (the dashboard's total of 7 hospitals vs a publication of
 *   6 of them). They are never published by this release, whatever
 *   `protect()` answers for them: hiding more than the solver assumes only
 *   widens what an intruder can derive;
 * - older layers (a superseded edition): its cells whose data changed since
 *   are other unknowns, linked by that edition's own sums;
 * - every additive relation between them (a total and its breakdown cells,
 *   the margins of a two-way table, an aggregate and its organisations),
 *   kept only when it holds on the values (so the LP is always feasible).
 */

export interface ProtectInput {
  threshold: number;
  cells: Record<string, { value: number; threshold?: number }>;
  sums: { total: string; parts: string[] }[];
  released: Record<string, number>;
}

interface Node {
  ref: StatisticRef;
  value: number;
  threshold: number;
}

/** A view: statistic key → cell id, for one layer (the current data, or an older release). */
type View = Map<string, string>;

export class ProtectionModel {
  readonly cells = new Map<string, Node>();
  readonly released = new Map<string, number>();
  /** Ids this release shows (the others are context or older layers). */
  readonly shown = new Set<string>();
  /** id → the French names of the tables (this release's or earlier ones) the cell is in. */
  readonly tables = new Map<string, Set<string>>();
  private readonly refs = new Map<string, StatisticRef>();
  private readonly current: View = new Map();
  private readonly layers: View[] = [];
  private readonly sums = new Map<string, { total: string; parts: string[] }>();

  constructor(private readonly data: OrganisationData) {}

  private label(id: string, table: string) {
    let set = this.tables.get(id);
    if (!set) this.tables.set(id, (set = new Set()));
    set.add(table);
  }

  /** A cell this release shows (an additive count under secrecy). */
  addShown(ref: StatisticRef, value: number, threshold: number, table: string): string {
    const id = statKey(ref);
    if (!this.cells.has(id) && !this.released.has(id)) this.cells.set(id, { ref, value, threshold });
    this.refs.set(id, ref);
    this.current.set(id, id);
    this.shown.add(id);
    this.label(id, table);
    return id;
  }

  /** A value already public (ledger, data unchanged since). */
  addReleased(ref: StatisticRef, value: number, table: string): string {
    const id = statKey(ref);
    this.released.set(id, value);
    this.refs.set(id, ref);
    this.current.set(id, id);
    this.label(id, table);
    return id;
  }

  /**
   * An older release of the same statistics (a superseded edition): its
   * published values and its secret ones (true values from its frozen
   * internal snapshot). Unchanged statistics share the current cell; the
   * others are distinct unknowns `old:<layer>:<key>`.
   */
  addLayer(layer: string, cells: { ref: StatisticRef; value: number | null; trueValue: number; threshold: number; changed: boolean }[], table: string) {
    const view: View = new Map();
    for (const c of cells) {
      const key = statKey(c.ref);
      this.refs.set(key, c.ref);
      if (!c.changed) {
        view.set(key, key);
        if (c.value !== null) this.released.set(key, c.value);
        else if (!this.cells.has(key) && !this.released.has(key)) this.cells.set(key, { ref: c.ref, value: c.trueValue, threshold: c.threshold });
        this.current.set(key, key);
        this.label(key, table);
        continue;
      }
      const id = `old:${layer}:${key}`;
      view.set(key, id);
      if (c.value !== null) this.released.set(id, c.value);
      else this.cells.set(id, { ref: c.ref, value: c.trueValue, threshold: c.threshold });
      this.label(id, table);
    }
    this.layers.push(view);
  }

  valueOf(id: string): number | undefined {
    return this.released.get(id) ?? this.cells.get(id)?.value;
  }

  private addSum(total: string, parts: string[]) {
    if (parts.length === 0) return;
    const t = this.valueOf(total);
    if (t === undefined) return;
    let s = 0;
    for (const p of parts) {
      const v = this.valueOf(p);
      if (v === undefined) return;
      s += v;
    }
    // Only relations that hold on the values (a stale frozen value breaks none).
    if (Math.abs(s - t) > 1e-6) return;
    const sorted = [...parts].sort();
    this.sums.set(`${total}=${sorted.join("+")}`, { total, parts: sorted });
  }

  /** Organisation-level context for aggregates shown in more than one scope, then every relation. */
  build(contextLabel: string): ProtectInput {
    // Scopes per (indicator, year, breakdown key) in the current layer.
    const scopes = new Map<string, Map<string, StatisticRef>>();
    for (const id of this.current.keys()) {
      const ref = this.refs.get(id)!;
      const k = `${ref.indicatorCode}|${ref.year}|${ref.breakdownKey}`;
      let m = scopes.get(k);
      if (!m) scopes.set(k, (m = new Map()));
      m.set(scopeKey(ref.organisationIds), ref);
    }
    for (const byScope of scopes.values()) {
      if (byScope.size < 2) continue;
      for (const ref of byScope.values()) {
        if (ref.organisationIds.length < 2) continue;
        const parts: string[] = [];
        for (const o of ref.organisationIds) {
          const orgRef: StatisticRef = { ...ref, organisationIds: [o] };
          const id = statKey(orgRef);
          const value = this.data.orgValue(ref.indicatorCode, ref.year, o, ref.breakdownKey);
          if (value === null) continue;
          if (!this.cells.has(id) && !this.released.has(id)) {
            const facts = this.data.indicators.get(ref.indicatorCode);
            this.cells.set(id, { ref: orgRef, value, threshold: facts?.threshold ?? 0 });
            this.label(id, contextLabel);
          }
          this.refs.set(id, orgRef);
          this.current.set(id, id);
          parts.push(id);
        }
        this.addSum(statKey(ref), parts);
      }
    }
    for (const view of [this.current, ...this.layers]) this.breakdownSums(view);
    let threshold = 0;
    const cells: ProtectInput["cells"] = {};
    for (const [id, c] of this.cells) {
      cells[id] = { value: c.value, threshold: c.threshold };
      threshold = Math.max(threshold, c.threshold);
    }
    return { threshold, cells, sums: [...this.sums.values()], released: Object.fromEntries(this.released) };
  }

  /** Within each scope: a total equals each list's cells; a two-way table's margins equal their rows and columns. */
  private breakdownSums(view: View) {
    const groups = new Map<string, Map<string, string>>();
    for (const [key, id] of view) {
      const ref = this.refs.get(key);
      if (!ref) continue;
      const g = `${ref.indicatorCode}|${ref.year}|${scopeKey(ref.organisationIds)}`;
      let m = groups.get(g);
      if (!m) groups.set(g, (m = new Map()));
      m.set(ref.breakdownKey, id);
    }
    for (const byKey of groups.values()) {
      const oneList = new Map<string, string[]>();
      const cross: string[] = [];
      for (const k of byKey.keys()) {
        if (k === TOTAL_KEY) continue;
        const parts = k.split("|");
        if (parts.length === 1) {
          const list = k.slice(0, k.indexOf("="));
          oneList.set(list, [...(oneList.get(list) ?? []), k]);
        } else if (parts.length === 2) cross.push(k);
      }
      const total = byKey.get(TOTAL_KEY);
      if (total) for (const keys of oneList.values()) this.addSum(total, keys.map((k) => byKey.get(k)!));
      for (const keys of oneList.values()) {
        for (const margin of keys) {
          const members = cross.filter((c) => c.split("|").includes(margin));
          if (members.length) this.addSum(byKey.get(margin)!, members.map((c) => byKey.get(c)!));
        }
      }
      if (total && cross.length && oneList.size === 0) this.addSum(total, cross.map((c) => byKey.get(c)!));
    }
  }
}
