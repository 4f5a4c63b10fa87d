import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Executor } from "../db.server";
import { TOTAL_KEY } from "~/domain/breakdowns";

/**
 * Statistics as the disclosure ledger and release protection see them
 * (ADR 015). A statistic is one number about the observatory's
 * data: an indicator, a reference year, a scope (one organisation, or the
 * sum over a set of organisations) and a breakdown cell ('' for the total).
 * Its key is stable whatever table shows it, so the same number in the
 * dashboard, a publication or the ONPE package is the same cell:
 *
 *   CODE|YEAR|o:<organisation id>|BREAKDOWN_KEY     one organisation
 *   CODE|YEAR|a:<hash of the sorted ids>|KEY         an aggregate of several
 *
 * Organisation-level values come from the accepted values in the database;
 * aggregates are their sums. The fingerprint of a statistic hashes the
 * organisation-level values it adds up: a ledger value whose fingerprint
 * differs from today's describes data that have changed since.
 */

export interface StatisticRef {
  indicatorCode: string;
  year: number;
  /** Sorted organisation ids; one id: that organisation's value. */
  organisationIds: string[];
  breakdownKey: string;
}

export function scopeKey(organisationIds: readonly string[]): string {
  const ids = [...new Set(organisationIds)].sort();
  if (ids.length === 1) return `o:${ids[0]}`;
  return `a:${createHash("sha256").update(ids.join(",")).digest("hex").slice(0, 16)}`;
}

export function statKey(ref: Pick<StatisticRef, "indicatorCode" | "year" | "breakdownKey"> & { organisationIds: readonly string[] }): string {
  return `${ref.indicatorCode}|${ref.year}|${scopeKey(ref.organisationIds)}|${ref.breakdownKey}`;
}

/** Key of a statistic with no organisation scope (a derived rate of the dashboard). */
export function globalKey(indicatorCode: string, year: number, breakdownKey = TOTAL_KEY): string {
  return `${indicatorCode}|${year}|*|${breakdownKey}`;
}

/** organisation id → breakdown key → value, for one indicator and year. */
export type OrgValues = Map<string, Map<string, number>>;

export interface IndicatorFacts {
  id: string;
  code: string;
  threshold: number;
  /** Counts (integer values) add up across organisations and breakdown cells. */
  additive: boolean;
}

/** Organisation-level values of some indicators and years, read from the accepted values. */
export class OrganisationData {
  constructor(
    readonly indicators: Map<string, IndicatorFacts>,
    private readonly values: Map<string, OrgValues>,
  ) {}

  static async load(db: Executor, codes: readonly string[], years: readonly number[]): Promise<OrganisationData> {
    const indicators = new Map<string, IndicatorFacts>();
    const values = new Map<string, OrgValues>();
    if (!codes.length || !years.length) return new OrganisationData(indicators, values);
    const rows = await db
      .selectFrom("indicator as i")
      .select(["i.id", "i.code", "i.secrecy_threshold"])
      .select(
        sql<string>`(select v.value_type from indicator_version v where v.indicator_id = i.id order by v.version desc limit 1)`.as("value_type"),
      )
      .where("i.code", "in", [...new Set(codes)])
      .execute();
    for (const r of rows) indicators.set(r.code, { id: r.id, code: r.code, threshold: r.secrecy_threshold, additive: r.value_type === "integer" });
    const byId = new Map(rows.map((r) => [r.id, r.code]));
    if (!rows.length) return new OrganisationData(indicators, values);
    const accepted = await db
      .selectFrom("accepted_value as av")
      .innerJoin("submission_version as sv", "sv.id", "av.source_version_id")
      .innerJoin("submission as s", "s.id", "sv.submission_id")
      .select(["av.indicator_id", "av.reference_year", "av.breakdown_key", "av.value", "s.organisation_id"])
      .where("av.indicator_id", "in", rows.map((r) => r.id))
      .where("av.reference_year", "in", [...new Set(years)])
      .execute();
    for (const a of accepted) {
      if (a.value === null) continue;
      const k = `${byId.get(a.indicator_id)}|${a.reference_year}`;
      let orgs = values.get(k);
      if (!orgs) values.set(k, (orgs = new Map()));
      let keys = orgs.get(a.organisation_id);
      if (!keys) orgs.set(a.organisation_id, (keys = new Map()));
      keys.set(a.breakdown_key, Number(a.value));
    }
    return new OrganisationData(indicators, values);
  }

  /** The organisations with a value for this indicator and year. */
  organisations(code: string, year: number): string[] {
    return [...(this.values.get(`${code}|${year}`)?.keys() ?? [])].sort();
  }

  /**
   * One organisation's value of a breakdown cell: as sent, else (a total, or a
   * one-list cell) the sum of its full cells, as the dashboard adds them up.
   */
  orgValue(code: string, year: number, organisationId: string, key: string): number | null {
    const keys = this.values.get(`${code}|${year}`)?.get(organisationId);
    if (!keys) return null;
    const given = keys.get(key);
    if (given !== undefined) return given;
    let width = 0;
    for (const k of keys.keys()) if (k !== TOTAL_KEY) width = Math.max(width, k.split("|").length);
    const wanted = key === TOTAL_KEY ? [] : key.split("|");
    if (width === 0 || wanted.length >= width) return null;
    let sum = 0;
    let any = false;
    for (const [k, v] of keys) {
      if (k === TOTAL_KEY) continue;
      const parts = k.split("|");
      if (parts.length !== width || !wanted.every((w) => parts.includes(w))) continue;
      sum += v;
      any = true;
    }
    return any ? sum : null;
  }

  /** The organisations contributing to a cell (a value for that key) among `among`. */
  contributors(code: string, year: number, key: string, among: readonly string[] = this.organisations(code, year)): string[] {
    return among.filter((o) => this.orgValue(code, year, o, key) !== null).sort();
  }

  /** Today's value of a statistic: the sum over its scope, null when no organisation has one. */
  current(ref: StatisticRef): number | null {
    let sum = 0;
    let any = false;
    for (const o of ref.organisationIds) {
      const v = this.orgValue(ref.indicatorCode, ref.year, o, ref.breakdownKey);
      if (v === null) continue;
      sum += v;
      any = true;
    }
    return any ? sum : null;
  }

  /** Fingerprint of the organisation-level values a statistic adds up (change detection). */
  fingerprint(ref: StatisticRef): string {
    const lines = [...ref.organisationIds].sort().map((o) => `${o}=${this.orgValue(ref.indicatorCode, ref.year, o, ref.breakdownKey) ?? "-"}`);
    return createHash("sha256").update(`${ref.indicatorCode}|${ref.year}|${ref.breakdownKey}\n${lines.join("\n")}`).digest("hex").slice(0, 32);
  }
}
