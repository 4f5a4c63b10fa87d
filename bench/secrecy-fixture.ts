// A synthetic public dashboard edition for the statistical-secrecy benchmark
// (ADR 014): 77 indicators × 5 years; per indicator and year, the
// Département's sex × age-band table with its margins and the totals of the
// contributing organisations (their sum is the Département's total). A quarter
// of the indicators are rare events (small counts everywhere), the rest range
// from tens to hundreds. Deterministic (seeded).
import type { ProtectInput } from "~/server/secrecy/protect.server";

export const INDICATORS = 77;
export const SEXES = ["F", "M"] as const;
export const AGE_BANDS = ["0-2", "3-5", "6-10", "11-15", "16-17"] as const;
export const ORGANISATIONS = 8;
export const THRESHOLD = 5;

/** mulberry32: a small seeded PRNG, so every run protects the same tables. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Statistic {
  value: number;
}

/** The true values of every indicator for `years`; `revision` perturbs a few values (corrections between editions). */
export function trueValues(years: readonly number[], revision = 0): Map<string, number> {
  const values = new Map<string, number>();
  for (let i = 0; i < INDICATORS; i++) {
    const scaleRandom = prng(1000 + i);
    const rare = scaleRandom() < 0.25;
    const scale = rare ? 1 + scaleRandom() * 6 : 15 + scaleRandom() * 300;
    for (const year of years) {
      const random = prng(i * 10_000 + year + revision * 7919);
      const base = prng(i * 10_000 + year);
      const cell = (r: () => number) => Math.max(0, Math.round(scale * (0.2 + 1.6 * r()) - (rare ? 1 : 0)));
      const grid: number[][] = SEXES.map(() => AGE_BANDS.map(() => cell(base)));
      // a correction changes ~2 % of the cells of the year
      if (revision) for (const row of grid) for (let a = 0; a < row.length; a++) if (random() < 0.02) row[a] = cell(random);
      const prefix = `i${i}.${year}`;
      let total = 0;
      grid.forEach((row, s) => {
        let rowTotal = 0;
        row.forEach((v, a) => {
          values.set(`${prefix}.${SEXES[s]}.${AGE_BANDS[a]}`, v);
          rowTotal += v;
        });
        values.set(`${prefix}.${SEXES[s]}.*`, rowTotal);
        total += rowTotal;
      });
      AGE_BANDS.forEach((band, a) => values.set(`${prefix}.*.${band}`, grid.reduce((sum, row) => sum + row[a]!, 0)));
      values.set(`${prefix}.*.*`, total);
      // the contributing organisations' totals: a random split of the Département's total
      const weights = Array.from({ length: ORGANISATIONS }, () => base() ** 2 + 0.01);
      const w = weights.reduce((a, b) => a + b, 0);
      let left = total;
      weights.forEach((x, o) => {
        const share = o === ORGANISATIONS - 1 ? left : Math.min(left, Math.round((total * x) / w));
        values.set(`${prefix}.org${o}`, share);
        left -= share;
      });
    }
  }
  return values;
}

export function relations(years: readonly number[]): ProtectInput["sums"] {
  const sums: ProtectInput["sums"] = [];
  for (let i = 0; i < INDICATORS; i++)
    for (const year of years) {
      const p = `i${i}.${year}`;
      for (const s of SEXES) sums.push({ total: `${p}.${s}.*`, parts: AGE_BANDS.map((a) => `${p}.${s}.${a}`) });
      for (const a of AGE_BANDS) sums.push({ total: `${p}.*.${a}`, parts: SEXES.map((s) => `${p}.${s}.${a}`) });
      sums.push({ total: `${p}.*.*`, parts: SEXES.map((s) => `${p}.${s}.*`) });
      sums.push({ total: `${p}.*.*`, parts: AGE_BANDS.map((a) => `${p}.*.${a}`) });
      sums.push({ total: `${p}.*.*`, parts: Array.from({ length: ORGANISATIONS }, (_, o) => `${p}.org${o}`) });
    }
  return sums;
}

/** The protection input of the edition of `year` (its 5 years) against `ledger`. */
export function editionInput(year: number, values: Map<string, number>, ledger: Record<string, number>): ProtectInput {
  const years = [year - 4, year - 3, year - 2, year - 1, year];
  const cells: ProtectInput["cells"] = {};
  for (const [id, value] of values) if (years.some((y) => id.includes(`.${y}.`))) cells[id] = { value };
  // only ledger values whose underlying data have not changed since
  const released = Object.fromEntries(Object.entries(ledger).filter(([id, v]) => cells[id] === undefined || cells[id]!.value === v));
  return { threshold: THRESHOLD, cells, sums: relations(years), released };
}
