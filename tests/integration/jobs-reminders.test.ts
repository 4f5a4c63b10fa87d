import { beforeEach, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { expireAbandonedJobs, jobsOf, makeRetriesDue, useTestJobs } from "../support/jobs";
import { makeOrganisation, makeUser } from "../factories";
import { REMINDERS_JOB } from "~/server/jobs/worker.server";
import { MAIL_SEND_JOB, enqueueMail } from "~/server/mail/outbox.server";
import { notify } from "~/server/notifications/notifications.server";
import { ReminderRegistry, ReminderRunError, runDueReminders, type ReminderRule } from "~/server/reminders/reminders.server";
import { reminderDates } from "~/domain/campaigns";
import type { Db } from "~/server/db.server";

const t = useTestDb();
const jobs = useTestJobs(t, { remindersCron: "30 6 * * 1-5" });

interface Due {
  campaign: string;
  deadline: string;
  organisationId: string;
  userIds: string[];
  emails: string[];
}

/**
 * A rule shaped like the campaign one will be: what is due comes from a
 * function parameter (here an in-memory list, in the portal the campaign and
 * expected-submission tables); it writes one mail per organisation and one
 * notification per user, keyed by campaign, organisation and day.
 */
function deadlineRule(findDue: (db: Db, today: string) => Promise<Due[]>, hooks: { afterFirstWrite?: () => void } = {}): ReminderRule {
  return {
    name: "test-deadlines",
    async run(db, today) {
      let mails = 0;
      let notifications = 0;
      for (const due of await findDue(db, today)) {
        await db.transaction().execute(async (trx) => {
          const key = `reminder:${due.campaign}:${due.organisationId}:${today}`;
          const mail = await enqueueMail(trx, {
            to: due.emails,
            subject: `Rappel : données ${due.campaign} attendues pour le ${due.deadline}`,
            text: `Bonjour,\nvos données sont attendues pour le ${due.deadline}.`,
            dedupeKey: key,
            kind: "reminder",
            organisationId: due.organisationId,
          });
          const notified = await notify(trx, {
            userIds: due.userIds,
            kind: "reminder",
            title: `Données ${due.campaign} attendues`,
            body: `Échéance : ${due.deadline}.`,
            link: "/",
            dedupeKey: key,
          });
          mails += mail.created ? 1 : 0;
          notifications += notified.created;
        });
        hooks.afterFirstWrite?.();
      }
      return { mails, notifications };
    },
  };
}

/** Campaign 2025: deadline 31 March, reminders 14 and 3 days before and 1 day after (app/domain/campaigns.ts). */
const DEADLINE = "2026-03-31";
const reminderDays = reminderDates(DEADLINE, [14, 3], [1]).map((r) => r.date);

let due: Due[] = [];
const findDue = async (_db: Db, today: string) => (reminderDays.includes(today) ? due : []);

beforeEach(async () => {
  const org = await makeOrganisation(t.db);
  const correspondent = await makeUser(t.db, "partner_correspondent", org.id);
  const validator = await makeUser(t.db, "partner_validator", org.id);
  due = [{ campaign: "2025", deadline: DEADLINE, organisationId: org.id, userIds: [correspondent.id, validator.id], emails: [correspondent.email] }];
  jobs.rules = [deadlineRule(findDue)];
});

const remindersFor = async (organisationId: string) => ({
  mails: await t.db.selectFrom("outbox_mail").select(["id", "dedupe_key", "status"]).where("organisation_id", "=", organisationId).where("kind", "=", "reminder").execute(),
  notifications: await t.db
    .selectFrom("notification as n")
    .innerJoin("app_user as u", "u.id", "n.user_id")
    .select(["n.user_id", "n.dedupe_key"])
    .where("u.organisation_id", "=", organisationId)
    .where("n.kind", "=", "reminder")
    .execute(),
});

describe("the daily reminders job", () => {
  it("is a pg-boss schedule with the configured cron, in Europe/Paris", async () => {
    const schedule = (await jobs.queue.boss.getSchedules()).find((s) => s.name === REMINDERS_JOB);
    expect(schedule).toMatchObject({ cron: "30 6 * * 1-5", timezone: "Europe/Paris" });
  });

  it("runs the registered rules for the given day: mails and notifications on a reminder day, nothing on another", async () => {
    await jobs.queue.send(REMINDERS_JOB, { today: "2026-03-20" });
    expect(await jobs.queue.runOnce(REMINDERS_JOB)).toEqual({ ran: 1, failed: 0 });
    expect(await remindersFor(due[0]!.organisationId)).toEqual({ mails: [], notifications: [] });

    await jobs.queue.send(REMINDERS_JOB, { today: "2026-03-17" }); // 14 days before the deadline
    expect(await jobs.queue.runOnce(REMINDERS_JOB)).toEqual({ ran: 1, failed: 0 });
    const written = await remindersFor(due[0]!.organisationId);
    expect(written.mails).toHaveLength(1);
    expect(written.notifications).toHaveLength(2);

    await jobs.queue.runOnce(MAIL_SEND_JOB, 50);
    expect(jobs.transport.sent.filter((m) => m.to.includes(due[0]!.emails[0]!))).toHaveLength(1);
  });

  it("a second run on the same day (retry, second instance, operator) sends nothing twice", async () => {
    const rule = deadlineRule(findDue);
    expect((await runDueReminders(t.db, "2026-03-28", [rule])).rules[0]).toMatchObject({ ok: true, mails: 1, notifications: 2 });
    expect((await runDueReminders(t.db, "2026-03-28", [rule])).rules[0]).toMatchObject({ ok: true, mails: 0, notifications: 0 });
    const written = await remindersFor(due[0]!.organisationId);
    expect(written.mails).toHaveLength(1);
    expect(written.notifications).toHaveLength(2);
    // The next reminder day is another reminder.
    await runDueReminders(t.db, "2026-04-01", [rule]);
    expect((await remindersFor(due[0]!.organisationId)).mails).toHaveLength(2);
  });

  it("a worker killed mid-run (after the first organisation was reminded) runs again exactly once in effect", async () => {
    const org2 = await makeOrganisation(t.db);
    const user2 = await makeUser(t.db, "partner_correspondent", org2.id);
    due.push({ campaign: "2025", deadline: DEADLINE, organisationId: org2.id, userIds: [user2.id], emails: [user2.email] });
    let crash = true;
    const dying = deadlineRule(findDue, {
      afterFirstWrite: () => {
        if (crash) throw new Error("killed");
      },
    });
    // The worker takes the job and dies after committing the first organisation's reminder.
    await jobs.queue.send(REMINDERS_JOB, { today: "2026-03-17" });
    const [job] = await jobs.queue.boss.fetch<{ today: string }>(REMINDERS_JOB, { batchSize: 1 });
    await expect(dying.run(t.db, job!.data.today)).rejects.toThrow("killed");
    expect((await remindersFor(due[0]!.organisationId)).mails).toHaveLength(1);
    expect((await remindersFor(org2.id)).mails).toHaveLength(0);

    // pg-boss's supervisor expires the dead worker's job; the retry runs the whole rule again.
    crash = false;
    jobs.rules = [dying];
    await expireAbandonedJobs(t.handle, jobs, REMINDERS_JOB);
    expect(await jobs.queue.runOnce(REMINDERS_JOB)).toEqual({ ran: 1, failed: 0 });
    const first = await remindersFor(due[0]!.organisationId);
    expect(first.mails).toHaveLength(1);
    expect(first.notifications).toHaveLength(2);
    const second = await remindersFor(org2.id);
    expect(second.mails).toHaveLength(1);
    expect(second.notifications).toHaveLength(1);

    await jobs.queue.runOnce(MAIL_SEND_JOB, 50);
    for (const d of due) {
      expect(jobs.transport.sent.filter((m) => m.to.includes(d.emails[0]!) && m.subject.startsWith("Rappel"))).toHaveLength(1);
    }
  });

  it("one failing rule does not stop the others; the job fails and its retry completes", async () => {
    let broken = true;
    const flaky: ReminderRule = {
      name: "flaky",
      run: async () => {
        if (broken) throw new Error("campaign table unavailable");
        return { mails: 0 };
      },
    };
    jobs.rules = [flaky, deadlineRule(findDue)];
    const id = await jobs.queue.send(REMINDERS_JOB, { today: "2026-03-28" });
    expect(await jobs.queue.runOnce(REMINDERS_JOB)).toEqual({ ran: 1, failed: 1 });
    expect((await remindersFor(due[0]!.organisationId)).mails).toHaveLength(1); // the healthy rule ran
    expect((await jobs.queue.boss.getJobById(REMINDERS_JOB, id!))?.state).toBe("retry");

    broken = false;
    await makeRetriesDue(t.handle, jobs, REMINDERS_JOB);
    expect(await jobs.queue.runOnce(REMINDERS_JOB)).toEqual({ ran: 1, failed: 0 });
    expect((await remindersFor(due[0]!.organisationId)).mails).toHaveLength(1);
    expect((await jobsOf(t.handle, jobs, REMINDERS_JOB)).find((j) => j.id === id)).toMatchObject({ state: "completed", retry_count: 1 });
  });

  it("reports a failed rule by name", async () => {
    const failing: ReminderRule = { name: "broken-rule", run: () => Promise.reject(new Error("boom")) };
    const error = await runDueReminders(t.db, "2026-03-28", [failing]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReminderRunError);
    expect((error as ReminderRunError).report.rules).toEqual([{ name: "broken-rule", ok: false, mails: 0, notifications: 0, error: "boom" }]);
  });
});

describe("the reminder rule registry", () => {
  it("lists registered rules and refuses a name twice", () => {
    const registry = new ReminderRegistry();
    const rule: ReminderRule = { name: "a", run: async () => undefined };
    registry.register(rule);
    expect(() => registry.register({ ...rule })).toThrow(/twice/);
    expect(registry.list().map((r) => r.name)).toEqual(["a"]);
    registry.unregister("a");
    expect(registry.list()).toEqual([]);
  });
});
