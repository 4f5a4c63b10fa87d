import { describe, expect, it } from "vitest";
import { runShutdown, type ShutdownStep } from "~/server/http/shutdown.server";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the server's shutdown (ADR 054): named steps, bounded", () => {
  it("runs every step in order, a failing one logged and the next ones still run (the database is closed even if the queue cannot stop)", async () => {
    const ran: string[] = [];
    const warnings: [Record<string, unknown>, string][] = [];
    const steps: ShutdownStep[] = [
      { name: "job queue (pg-boss)", run: async () => void ran.push("queue") },
      { name: "heavy-work threads", run: () => Promise.reject(new Error("pool broken")) },
      { name: "database", run: async () => void ran.push("database") },
    ];
    let deadline: string | null = null;
    await runShutdown(steps, { slowStepMs: 1_000, deadlineMs: 5_000, onDeadline: (step) => (deadline = step), warn: (fields, message) => warnings.push([fields, message]) });
    expect(ran).toEqual(["queue", "database"]);
    expect(warnings).toEqual([[{ step: "heavy-work threads", error: "pool broken" }, "shutdown step failed"]]);
    expect(deadline).toBeNull();
  });

  it("names a slow step while it runs, and again with its time once it ends", async () => {
    const warnings: [Record<string, unknown>, string][] = [];
    await runShutdown([{ name: "job queue (pg-boss)", run: () => wait(60) }], { slowStepMs: 20, deadlineMs: 5_000, onDeadline: () => {}, warn: (fields, message) => warnings.push([fields, message]) });
    expect(warnings.map(([fields, message]) => [fields.step, message])).toEqual([
      ["job queue (pg-boss)", "shutdown step still running"],
      ["job queue (pg-boss)", "shutdown step ended late"],
    ]);
    expect(warnings[1]![0].ms).toBeGreaterThanOrEqual(20);
  });

  it("tells which step never ended once the deadline passes, so the process exits instead of hanging", async () => {
    const stuck = new Promise<void>(() => {});
    let deadline: string | null = null;
    const ended = runShutdown(
      [
        { name: "artefact cache", run: async () => {} },
        { name: "job queue (pg-boss)", run: () => stuck },
        { name: "database", run: async () => {} },
      ],
      { slowStepMs: 1_000, deadlineMs: 30, onDeadline: (step) => (deadline = step), warn: () => {} },
    );
    await wait(80);
    expect(deadline).toBe("job queue (pg-boss)");
    void ended;
  });
});
