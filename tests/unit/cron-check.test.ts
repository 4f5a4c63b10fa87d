import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";
// Loading the queue module installs the check (ADR 049), as the server does.
import "~/server/jobs/queue.server";
import { cronMatchesMinute } from "~/server/jobs/cron-check.server";
import { JOBS_TIMEZONE } from "~/server/jobs/worker.server";

// ADR 049: pg-boss's Timekeeper.shouldSendIt ran cron-parser's prev() for every schedule every 30 s, walking the
// calendar back through luxon: 145–182 ms of one synchronous microtask under bench:load. The replacement answers
// the same question (an occurrence less than 60 s ago?) from the current minute's wall-clock fields.
const requirePgBoss = createRequire(createRequire(import.meta.url).resolve("pg-boss/src/timekeeper.js"));
const Timekeeper = requirePgBoss("./timekeeper.js") as { prototype: { shouldSendIt(cron: string, tz: string): boolean } };
const cronParser = requirePgBoss("cron-parser") as {
  parseExpression(expression: string, options: { tz: string; currentDate: Date }): { prev(): { getTime(): number } };
};
const CronExpression = requirePgBoss("cron-parser/lib/expression") as { prototype: { prev(): unknown } };

/** pg-boss 10.4.2's own answer (timekeeper.js, shouldSendIt), at `instant`. */
function pgBossAnswer(expression: string, tz: string, instant: number): boolean {
  const previous = cronParser.parseExpression(expression, { tz, currentDate: new Date(instant) }).prev();
  return (instant - previous.getTime()) / 1000 < 60;
}

/** The portal's schedules (app/server/jobs/worker.server.ts and their env defaults), and a few more shapes. */
const EXPRESSIONS = ["*/5 * * * *", "0 7 * * *", "15 3 * * *", "30 2 * * *", "0 8 * * 1-5", "0 9 1,15 * *", "0 0 1 * 0"];

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("pg-boss's schedule check (ADR 049)", () => {
  it("answers as cron-parser's prev() does, minute by minute around the current time and across an ordinary day", () => {
    // Every 17 minutes over a day and two hours, 30 s into the minute, and the minutes around each daily occurrence.
    const start = Date.UTC(2026, 11, 6, 0, 0, 30);
    const instants: number[] = [];
    for (let instant = start; instant < start + 26 * 3_600_000; instant += 17 * 60_000) instants.push(instant);
    for (const [hour, minute] of [[6, 0], [2, 15], [1, 30], [7, 0], [8, 0]] as const) {
      for (const offset of [-1, 0, 1]) instants.push(Date.UTC(2026, 11, 7, hour, minute + offset, 30));
    }
    let due = 0;
    for (const instant of instants) {
      for (const expression of EXPRESSIONS) {
        const expected = pgBossAnswer(expression, JOBS_TIMEZONE, instant);
        if (expected) due++;
        expect({ expression, at: new Date(instant).toISOString(), due: cronMatchesMinute(expression, JOBS_TIMEZONE, instant) }).toEqual({
          expression,
          at: new Date(instant).toISOString(),
          due: expected,
        });
      }
    }
    expect(due).toBeGreaterThan(12);
    for (const [at, expected] of [
      ["2026-12-07T06:00:00.000Z", true],
      ["2026-12-07T06:00:59.999Z", true],
      ["2026-12-07T06:01:00.000Z", false],
      ["2026-12-07T05:59:59.999Z", false],
    ] as const) {
      expect(cronMatchesMinute("0 7 * * *", JOBS_TIMEZONE, Date.parse(at))).toBe(expected);
    }
  });

  it("sends a daily job once on the daylight-saving days and leaves plain-syntax-only expressions to cron-parser", () => {
    const dueMinutes = (expression: string, from: string) => {
      const found: string[] = [];
      for (let instant = Date.parse(from); instant < Date.parse(from) + 24 * 3_600_000; instant += 60_000) {
        if (cronMatchesMinute(expression, JOBS_TIMEZONE, instant + 30_000)) found.push(new Date(instant).toISOString());
      }
      return found;
    };
    // Autumn: 02:30 Paris occurs twice (00:30 and 01:30 UTC); sent at the first only.
    expect(dueMinutes("30 2 * * *", "2026-10-25T00:00:00Z")).toEqual(["2026-10-25T00:30:00.000Z"]);
    expect(dueMinutes("0 7 * * *", "2026-10-25T00:00:00Z")).toEqual(["2026-10-25T06:00:00.000Z"]);
    // Spring: 02:30 Paris does not exist; 07:00 is 05:00 UTC.
    expect(dueMinutes("30 2 * * *", "2026-03-29T00:00:00Z")).toEqual([]);
    expect(dueMinutes("0 7 * * *", "2026-03-29T00:00:00Z")).toEqual(["2026-03-29T05:00:00.000Z"]);
    expect(cronMatchesMinute("0 7 L * *", JOBS_TIMEZONE, Date.now())).toBeUndefined();
    expect(cronMatchesMinute("0 0 7 * * *", JOBS_TIMEZONE, Date.now())).toBeUndefined();
  });

  it("replaces Timekeeper.shouldSendIt: the same answers, without walking the calendar through cron-parser's prev()", () => {
    const prev = vi.spyOn(CronExpression.prototype, "prev");
    const timekeeper = Object.assign(Object.create(Timekeeper.prototype) as { shouldSendIt(cron: string, tz: string): boolean }, { clockSkew: 0 });
    vi.useFakeTimers({ toFake: ["Date"] });
    const answers: Record<string, boolean[]> = {};
    for (const at of ["2026-12-07T06:00:20Z", "2026-12-07T06:01:20Z", "2026-12-07T02:15:10Z", "2026-12-07T05:59:50Z"]) {
      vi.setSystemTime(new Date(at));
      answers[at] = ["0 7 * * *", "15 3 * * *", "*/5 * * * *"].map((cron) => timekeeper.shouldSendIt(cron, JOBS_TIMEZONE));
    }
    expect(answers).toEqual({
      "2026-12-07T06:00:20Z": [true, false, true],
      "2026-12-07T06:01:20Z": [false, false, false],
      "2026-12-07T02:15:10Z": [false, true, true],
      "2026-12-07T05:59:50Z": [false, false, false],
    });
    expect(prev).not.toHaveBeenCalled();
    // An expression beyond plain five fields still gets pg-boss's own answer.
    vi.setSystemTime(new Date("2026-12-31T06:00:20Z"));
    expect(timekeeper.shouldSendIt("0 7 L * *", JOBS_TIMEZONE)).toBe(true);
    expect(prev).toHaveBeenCalledTimes(1);
  });
});
