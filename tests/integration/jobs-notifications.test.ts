import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { useTestJobs } from "../support/jobs";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { countUnreadNotifications, listNotifications, markNotificationsRead, notify } from "~/server/notifications/notifications.server";
import { MAIL_SEND_JOB, enqueueMail } from "~/server/mail/outbox.server";
import { roles, type Role } from "~/domain/permissions";
import * as notificationsRoute from "~/routes/notifications";
import * as mailboxRoute from "~/routes/demo.mailbox";
import { runRoute as run } from "../factories/referential";

const t = useTestDb();
const jobs = useTestJobs(t);


async function userWithCookie(role: Role) {
  const org = await makeOrganisation(t.db);
  const user = await makeUser(t.db, role, org.id);
  return { user, org, cookie: await sessionCookie(user.id) };
}

const notice = (userIds: string[], dedupeKey: string) => ({
  userIds,
  kind: "submission.returned",
  title: "Dépôt renvoyé",
  body: "L'ODPE vous a renvoyé le dépôt 2025 avec un commentaire.",
  link: "/campaigns/2025",
  dedupeKey,
});

describe("notifications are written once per user and dedupe key", () => {
  it("notifies each user once, in the caller's transaction, and a retried notify writes nothing more", async () => {
    const { user: a } = await userWithCookie("partner_correspondent");
    const { user: b } = await userWithCookie("partner_validator");
    const first = await t.db.transaction().execute((trx) => notify(trx, notice([a.id, b.id, a.id], "returned:v1")));
    expect(first.created).toBe(2);
    const retried = await t.db.transaction().execute((trx) => notify(trx, notice([a.id, b.id], "returned:v1")));
    expect(retried.created).toBe(0);
    expect(await countUnreadNotifications(t.db, a.id)).toBe(1);
    expect(await countUnreadNotifications(t.db, b.id)).toBe(1);
    // Another event, another key: a second notification.
    await t.db.transaction().execute((trx) => notify(trx, notice([a.id], "returned:v2")));
    expect(await countUnreadNotifications(t.db, a.id)).toBe(2);
  });

  it("a rolled-back change notifies no one", async () => {
    const { user } = await userWithCookie("partner_correspondent");
    await expect(
      t.db.transaction().execute(async (trx) => {
        await notify(trx, notice([user.id], "rolled-back"));
        throw new Error("use case failed");
      }),
    ).rejects.toThrow("use case failed");
    expect(await countUnreadNotifications(t.db, user.id)).toBe(0);
  });

  it("refuses a link to another site (no open redirect) and a call outside a transaction", async () => {
    const { user } = await userWithCookie("partner_correspondent");
    for (const link of ["https://evil.example/", "//evil.example/x", "/\\evil.example"]) {
      await expect(t.db.transaction().execute((trx) => notify(trx, { ...notice([user.id], `link:${link}`), link }))).rejects.toThrow();
    }
    await expect(notify(t.db as never, notice([user.id], "no-trx"))).rejects.toThrow(/inside the caller's transaction/);
  });

  it("marks only the user's own notifications read", async () => {
    const { user: a } = await userWithCookie("partner_correspondent");
    const { user: b } = await userWithCookie("partner_correspondent");
    await t.db.transaction().execute((trx) => notify(trx, notice([a.id, b.id], "shared-event")));
    const bNotification = (await listNotifications(t.db, b.id, { page: 1 })).notifications[0]!;
    expect(await markNotificationsRead(t.db, a.id, { ids: [bNotification.id] })).toBe(0);
    expect(await countUnreadNotifications(t.db, b.id)).toBe(1);
    expect(await markNotificationsRead(t.db, b.id, { ids: [bNotification.id] })).toBe(1);
    expect(await countUnreadNotifications(t.db, b.id)).toBe(0);
    expect(await countUnreadNotifications(t.db, a.id)).toBe(1);
  });
});

describe("page /notifications", () => {
  it("sends anonymous visitors to the login page", async () => {
    const result = await run(notificationsRoute.loader, makeRequest("/notifications"));
    expect(result.status).toBe(302);
    expect(result.response!.headers.get("Location")).toBe("/login?redirectTo=%2Fnotifications");
  });

  it.each(roles)("shows %s their own notifications only, with the unread count", async (role) => {
    const { user, cookie } = await userWithCookie(role);
    const { user: other } = await userWithCookie(role);
    await t.db.transaction().execute((trx) => notify(trx, { ...notice([user.id], `mine:${role}`), title: "La mienne" }));
    await t.db.transaction().execute((trx) => notify(trx, { ...notice([other.id], `theirs:${role}`), title: "Celle d'un autre" }));
    const result = await run(notificationsRoute.loader, makeRequest("/notifications", { cookie }));
    expect(result.status).toBe(200);
    const data = result.data as { notifications: Array<{ title: string }>; unreadCount: number };
    expect(data.notifications.map((n) => n.title)).toEqual(["La mienne"]);
    expect(data.unreadCount).toBe(1);
  });

  it("marks one notification read, then all; another user's id changes nothing", async () => {
    const { user, cookie } = await userWithCookie("partner_validator");
    const { user: other } = await userWithCookie("partner_validator");
    await t.db.transaction().execute((trx) => notify(trx, notice([user.id, other.id], "page-1")));
    await t.db.transaction().execute((trx) => notify(trx, notice([user.id], "page-2")));
    const theirs = (await listNotifications(t.db, other.id, { page: 1 })).notifications[0]!;
    const mine = (await listNotifications(t.db, user.id, { page: 1 })).notifications;

    const foreign = await run(notificationsRoute.action, makeRequest("/notifications", { cookie, form: { intent: "read", id: theirs.id } }));
    expect(foreign).toMatchObject({ status: 200, data: { ok: true, changed: 0 } });
    expect(await countUnreadNotifications(t.db, other.id)).toBe(1);

    const one = await run(notificationsRoute.action, makeRequest("/notifications", { cookie, form: { intent: "read", id: mine[0]!.id } }));
    expect(one).toMatchObject({ status: 200, data: { ok: true, changed: 1 } });
    expect(await countUnreadNotifications(t.db, user.id)).toBe(1);

    const all = await run(notificationsRoute.action, makeRequest("/notifications", { cookie, form: { intent: "read-all" } }));
    expect(all).toMatchObject({ status: 200, data: { ok: true, changed: 1 } });
    expect(await countUnreadNotifications(t.db, user.id)).toBe(0);

    const unreadOnly = await run(notificationsRoute.loader, makeRequest("/notifications?unread=1", { cookie }));
    expect((unreadOnly.data as { notifications: unknown[] }).notifications).toEqual([]);
  });

  it("answers a malformed form with a French message (422)", async () => {
    const { cookie } = await userWithCookie("reader");
    const result = await run(notificationsRoute.action, makeRequest("/notifications", { cookie, form: { intent: "read", id: "pas-un-id" } }));
    expect(result.status).toBe(422);
    expect((result.data as { fieldErrors: Record<string, string[]> }).fieldErrors.id?.[0]).toBe("Notification inconnue.");
  });
});

describe("page /demo/mailbox (Boîte de réception de démonstration)", () => {
  it("is refused to every role without read:mailbox (403) and to anonymous visitors (login)", async () => {
    expect((await run(mailboxRoute.loader, makeRequest("/demo/mailbox"))).status).toBe(302);
    for (const role of roles) {
      const { cookie } = await userWithCookie(role);
      const status = (await run(mailboxRoute.loader, makeRequest("/demo/mailbox", { cookie }))).status;
      expect([role, status]).toEqual([role, role === "admin" || role === "odpe_referent" ? 200 : 403]);
    }
  });

  it("lists the mails sent in demo mode with their state, filters them, and shows one", async () => {
    const { cookie } = await userWithCookie("odpe_referent");
    const { id } = await t.db.transaction().execute((trx) =>
      enqueueMail(trx, {
        to: ["validatrice@partenaire.example"],
        subject: "Dépôt 2025 à valider",
        text: "Bonjour,\nun dépôt attend votre validation.",
        dedupeKey: "mailbox-page:1",
        kind: "submission.submitted",
      }),
    );
    await jobs.queue.runOnce(MAIL_SEND_JOB, 50);
    const list = await run(mailboxRoute.loader, makeRequest("/demo/mailbox?status=sent&q=validatrice", { cookie }));
    const data = list.data as { mails: Array<{ id: string; subject: string; status: string }>; capture: boolean };
    expect(data.capture).toBe(true);
    expect(data.mails).toEqual([expect.objectContaining({ id, subject: "Dépôt 2025 à valider", status: "sent" })]);
    const none = await run(mailboxRoute.loader, makeRequest("/demo/mailbox?status=pending&q=validatrice", { cookie }));
    expect((none.data as { mails: unknown[] }).mails).toEqual([]);
    const one = await run(mailboxRoute.loader, makeRequest(`/demo/mailbox?message=${id}`, { cookie }));
    expect((one.data as { selected: { text_body: string } }).selected.text_body).toContain("attend votre validation");
  });
});
