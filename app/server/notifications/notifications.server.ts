import { sql, type Transaction } from "kysely";
import { z } from "zod";
import type { Database } from "#db/schema";
import type { Db } from "../db.server";

/**
 * In-app notifications: written in the transaction of the change they report
 * (like outbox mails), one per user and dedupe key, so a retried use case or
 * job never notifies anyone twice. Each user sees and marks only their own.
 */

export const notifyInputSchema = z.object({
  userIds: z.array(z.uuid()).max(10_000),
  /** What it is about (e.g. `submission.returned`, `reminder`). */
  kind: z.string().regex(/^[a-z0-9_.-]{1,60}$/),
  /** French, short. */
  title: z.string().trim().min(1).max(200),
  /** French, one or two sentences. */
  body: z.string().trim().max(2_000),
  /** A path inside the portal ("/campaigns/2025"), never another site. */
  link: z
    .string()
    .regex(/^\/(?![/\\])[^\s\\]*$/, "must be a path inside the portal")
    .max(500)
    .nullish(),
  /** Same key for the same user: written once (e.g. `submission-returned:<versionId>`). */
  dedupeKey: z.string().trim().min(1).max(300),
});

export type NotifyInput = z.input<typeof notifyInputSchema>;

/**
 * Notifies each of `userIds` in the caller's transaction. Returns how many
 * notifications were written (users already notified under this key are skipped).
 */
export async function notify(trx: Transaction<Database>, input: NotifyInput): Promise<{ created: number }> {
  if (!trx.isTransaction) throw new Error("notify must run inside the caller's transaction");
  const notification = notifyInputSchema.parse(input);
  const userIds = [...new Set(notification.userIds)];
  if (userIds.length === 0) return { created: 0 };
  const rows = await trx
    .insertInto("notification")
    .values(
      userIds.map((userId) => ({
        user_id: userId,
        kind: notification.kind,
        title: notification.title,
        body: notification.body,
        link: notification.link ?? null,
        dedupe_key: notification.dedupeKey,
      })),
    )
    .onConflict((oc) => oc.columns(["user_id", "dedupe_key"]).doNothing())
    .returning("id")
    .execute();
  return { created: rows.length };
}

export const NOTIFICATIONS_PAGE_SIZE = 30;

/** A user's own notifications, newest first. */
export async function listNotifications(db: Db, userId: string, options: { page: number; unreadOnly?: boolean }) {
  let query = db
    .selectFrom("notification")
    .select(["id", "kind", "title", "body", "link", "created_at", "read_at"])
    .where("user_id", "=", userId);
  if (options.unreadOnly) query = query.where("read_at", "is", null);
  const rows = await query
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(NOTIFICATIONS_PAGE_SIZE + 1)
    .offset((options.page - 1) * NOTIFICATIONS_PAGE_SIZE)
    .execute();
  return { notifications: rows.slice(0, NOTIFICATIONS_PAGE_SIZE), hasMore: rows.length > NOTIFICATIONS_PAGE_SIZE };
}

/** For the header badge: how many of the user's notifications are unread. */
export async function countUnreadNotifications(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom("notification")
    .select(sql<string>`count(*)`.as("count"))
    .where("user_id", "=", userId)
    .where("read_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Marks the user's own notifications read: the given ids (others' ids are
 * ignored) or all. Returns how many changed. Not audited: it changes only the
 * user's own view, no shared data.
 */
export async function markNotificationsRead(db: Db, userId: string, which: { ids: string[] } | "all"): Promise<number> {
  let query = db.updateTable("notification").set({ read_at: sql<Date>`now()` }).where("user_id", "=", userId).where("read_at", "is", null);
  if (which !== "all") {
    if (which.ids.length === 0) return 0;
    query = query.where("id", "in", which.ids);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
