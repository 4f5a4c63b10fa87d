import { createRequire } from "node:module";

/**
 * pg-boss's schedule check without its event-loop stall
 * (docs/decisions/049-cron-check-without-event-loop-stall.md).
 *
 * Every `cronMonitorIntervalSeconds` (30 s here), the instance that takes
 * pg-boss's cron lock asks, for every schedule, whether it is due:
 * `Timekeeper.shouldSendIt(cron, tz)` computes the previous occurrence with
 * cron-parser's `prev()`, which walks back from now minute by minute (hour
 * by hour, day by day) re-applying the time zone through luxon at each step:
 * 5–45 ms per daily schedule on a quiet core, the further back the previous
 * occurrence the longer, and all schedules run in one synchronous `filter`:
 * 145–182 ms of one microtask under bench:load's load.
 *
 * The question pg-boss asks is "did an occurrence fall less than 60 s
 * ago?". Occurrences of a five-field expression fall on whole minutes, so
 * this is "does the current minute, read in the time zone, match the
 * expression?": one `Intl.DateTimeFormat` read and six set look-ups. The
 * fields come from cron-parser's own parse (the same library pg-boss uses,
 * without walking the calendar). Expressions with cron-parser's extensions
 * (L, W, #, ?, a sixth field of seconds) keep pg-boss's own check.
 *
 * Daylight-saving time: a wall-clock minute that does not exist that day
 * (02:xx in Paris on the spring change) matches nothing; a minute that
 * occurs twice (02:xx on the autumn change) matches its first occurrence
 * only, so a daily job is sent once.
 */

interface CronFields {
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
  /** Day of month and day of week both restricted: either one matching is enough (cron's rule). */
  either: boolean;
}

interface CronParser {
  parseExpression(expression: string, options?: { tz?: string }): { fields: Record<"second" | "minute" | "hour" | "dayOfMonth" | "month" | "dayOfWeek", readonly (number | string)[]> };
}

interface TimekeeperPrototype {
  shouldSendIt(this: { clockSkew: number }, cron: string, tz: string): boolean;
}

const requireFromHere = createRequire(import.meta.url);
/** pg-boss's Timekeeper and the cron-parser it loads (not a dependency of ours). */
const timekeeperPath = requireFromHere.resolve("pg-boss/src/timekeeper.js");
const requireFromPgBoss = createRequire(timekeeperPath);

const PLAIN = /^[0-9*,/-]+( [0-9*,/-]+){4}$/;
const fieldCache = new Map<string, CronFields | null>();
const formatterCache = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The expression's fields, or null when it uses more than plain five-field syntax. */
function fieldsOf(expression: string): CronFields | null {
  const cached = fieldCache.get(expression);
  if (cached !== undefined) return cached;
  let fields: CronFields | null = null;
  const trimmed = expression.trim();
  if (PLAIN.test(trimmed)) {
    const parser = requireFromPgBoss("cron-parser") as CronParser;
    const f = parser.parseExpression(trimmed).fields;
    const numbers = (values: readonly (number | string)[]) => new Set(values.filter((v): v is number => typeof v === "number"));
    const dayOfWeek = new Set([...numbers(f.dayOfWeek)].map((d) => (d === 7 ? 0 : d)));
    const dayOfMonth = numbers(f.dayOfMonth);
    fields = {
      minute: numbers(f.minute),
      hour: numbers(f.hour),
      dayOfMonth,
      month: numbers(f.month),
      dayOfWeek,
      either: dayOfMonth.size < 31 && dayOfWeek.size < 7,
    };
  }
  fieldCache.set(expression, fields);
  return fields;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

function wallClock(instant: number, timeZone: string): WallClock {
  let format = formatterCache.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
    formatterCache.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(instant)) parts[part.type] = part.value;
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), weekday: WEEKDAYS[parts.weekday!]! };
}

const sameMinute = (a: WallClock, b: WallClock) => a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute;

/**
 * Whether the expression has an occurrence in the minute holding `instant`
 * (ms since the epoch), read in `timeZone`; `undefined` when the expression
 * is not plain five-field syntax (then ask cron-parser).
 */
export function cronMatchesMinute(expression: string, timeZone: string, instant: number): boolean | undefined {
  const fields = fieldsOf(expression);
  if (!fields) return undefined;
  const minuteStart = Math.floor(instant / 60_000) * 60_000;
  const t = wallClock(minuteStart, timeZone);
  if (!fields.minute.has(t.minute) || !fields.hour.has(t.hour) || !fields.month.has(t.month)) return false;
  const dom = fields.dayOfMonth.has(t.day);
  const dow = fields.dayOfWeek.has(t.weekday);
  if (fields.either ? !(dom || dow) : !(dom && dow)) return false;
  // The autumn change repeats an hour of wall-clock time: only its first pass counts.
  return !sameMinute(wallClock(minuteStart - 3_600_000, timeZone), t);
}

let installed = false;

/**
 * Replaces pg-boss's `Timekeeper.prototype.shouldSendIt` (same question,
 * same clock-skew correction) by `cronMatchesMinute`, keeping pg-boss's own
 * check for expressions it does not cover. Idempotent; throws if pg-boss no
 * longer has the method (an upgrade must be looked at, not silently lose
 * the fix).
 */
export function installCronCheck(): void {
  if (installed) return;
  const Timekeeper = requireFromHere(timekeeperPath) as { prototype: TimekeeperPrototype };
  const original = Timekeeper.prototype.shouldSendIt;
  if (typeof original !== "function") throw new Error("pg-boss's Timekeeper.shouldSendIt is gone: review app/server/jobs/cron-check.server.ts");
  Timekeeper.prototype.shouldSendIt = function shouldSendIt(cron, tz) {
    const databaseTime = Date.now() + (this.clockSkew ?? 0);
    return cronMatchesMinute(cron, tz || "UTC", databaseTime) ?? original.call(this, cron, tz);
  };
  installed = true;
}
