/** French dates and numbers, one formatter each (Intl fr-FR, Europe/Paris). */
const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" });
const dateOnly = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" });
const integer = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

export const formatDateTime = (value: Date | string | null | undefined) => (value ? dateTime.format(toDate(value)) : "—");
export const formatDate = (value: Date | string | null | undefined) => (value ? dateOnly.format(toDate(value)) : "—");
export const formatInteger = (value: number | null | undefined) => (value === null || value === undefined ? "—" : integer.format(value));
export const formatDecimal = (value: number | null | undefined) => (value === null || value === undefined ? "—" : decimal.format(value));

/** "2024", "2023 et 2024", "2019 à 2024", "2019, 2021 et 2024". */
export function formatYears(years: readonly number[]): string {
  const sorted = [...new Set(years)].sort((a, b) => a - b);
  if (sorted.length === 0) return "";
  if (sorted.length === 1) return String(sorted[0]);
  const contiguous = sorted.every((y, i) => i === 0 || y === sorted[i - 1]! + 1);
  if (contiguous && sorted.length > 2) return `${sorted[0]} à ${sorted[sorted.length - 1]}`;
  return `${sorted.slice(0, -1).join(", ")} et ${sorted[sorted.length - 1]}`;
}
