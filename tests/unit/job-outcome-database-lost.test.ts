import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";

// ADR 048: pg-boss 10.4.2 recorded a job's outcome (complete / fail) as a floating promise: when the database was lost
// at that moment (tests/e2e/faults.e2e.ts crashes PostgreSQL mid-upload while a mail job runs), the rejection was
// unhandled and ended the portal's process. patches/pg-boss+10.4.2.patch sends it to the manager's error event, which
// the portal logs (« job queue error: database unreachable, retrying »); the job, still active, expires and is retried.
const requireCjs = createRequire(import.meta.url);
const Manager = requireCjs("pg-boss/src/manager.js") as new (db: unknown, config: unknown) => {
  completeJobsCommand: string;
  failJobsByIdCommand: string;
  on(event: "error", listener: (error: { message: string; queue?: string }) => void): void;
  work(name: string, options: { pollingIntervalSeconds: number }, handler: (jobs: unknown[]) => Promise<unknown>): Promise<string>;
  offWork(name: string): Promise<void>;
};

const lost = new Error("Connection terminated unexpectedly");
let manager: InstanceType<typeof Manager> | undefined;

afterEach(async () => {
  await manager?.offWork("mail.send");
  manager = undefined;
});

async function runOneJob(handler: () => Promise<unknown>) {
  let fetched = false;
  const db = {
    executeSql: async (text: string) => {
      if (text === manager!.completeJobsCommand || text === manager!.failJobsByIdCommand) throw lost;
      if (fetched) return { rows: [] };
      fetched = true;
      return { rows: [{ id: "00000000-0000-4000-8000-000000000001", name: "mail.send", data: {}, expireInSeconds: 60 }] };
    },
  };
  manager = new Manager(db, { schema: "pgboss", pollingInterval: 0.5 });
  const errors: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    manager.on("error", (error) => errors.push(`${error.queue}: ${error.message}`));
    await manager.work("mail.send", { pollingIntervalSeconds: 0.5 }, handler);
    const deadline = Date.now() + 5_000;
    while (errors.length === 0 && unhandled.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  return { errors, unhandled };
}

describe("job queue: a job's outcome when the database is lost", () => {
  it("a failed job whose failure cannot be recorded is reported on the error event, not left as an unhandled rejection", async () => {
    const { errors, unhandled } = await runOneJob(async () => {
      throw new Error("SMTP refused");
    });
    expect(unhandled).toEqual([]);
    expect(errors).toEqual([`mail.send: ${lost.message}`]);
  });

  it("a completed job whose completion cannot be recorded is reported the same way", async () => {
    const { errors, unhandled } = await runOneJob(async () => "sent");
    expect(unhandled).toEqual([]);
    expect(errors).toEqual([`mail.send: ${lost.message}`]);
  });
});
