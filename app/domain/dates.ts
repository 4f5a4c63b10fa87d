/**
 * Calendar dates as ISO text ("YYYY-MM-DD"), the form the database returns
 * them in. Pure functions, usable on the server and in the browser. "Today"
 * is the calendar date in Europe/Paris, where the observatories work.
 */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const parisDate = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris", year: "numeric", month: "2-digit", day: "2-digit" });

export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** Today's calendar date in Europe/Paris. */
export function todayIso(now: Date = new Date()): IsoDate {
  return parisDate.format(now);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parts(date: IsoDate): [number, number, number] {
  const match = ISO_DATE.exec(date);
  if (!match) throw new Error(`Not an ISO date: ${date}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

const format = (y: number, m: number, d: number) =>
  `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;

/**
 * Adds calendar months, clamping to the month's last day (31 January + 1
 * month = 28 or 29 February), exactly as PostgreSQL's `date + interval 'n months'`.
 */
export function addCalendarMonths(date: IsoDate, months: number): IsoDate {
  const [y, m, d] = parts(date);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return format(year, month, Math.min(d, daysInMonth(year, month)));
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const [y, m, d] = parts(date);
  const next = new Date(Date.UTC(y, m - 1, d + days));
  return format(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

export const yearOf = (date: IsoDate) => parts(date)[0];

/** "MM-DD" (an annual due date) is a real day of some year (29 February allowed). */
export function isMonthDay(value: string): boolean {
  const match = /^(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const m = Number(match[1]);
  const d = Number(match[2]);
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(2024, m);
}

/** An annual "MM-DD" in a given year (29 February falls back to the 28th). */
export function monthDayInYear(monthDay: string, year: number): IsoDate {
  const [m, d] = monthDay.split("-").map(Number) as [number, number];
  return format(year, m, Math.min(d, daysInMonth(year, m)));
}

const monthNames = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];

/** "31 mars" for an annual due date. */
export function formatMonthDay(monthDay: string): string {
  const [m, d] = monthDay.split("-").map(Number) as [number, number];
  return `${d === 1 ? "1er" : d} ${monthNames[m - 1]}`;
}
