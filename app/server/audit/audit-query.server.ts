import { sql } from "kysely";
import type { Db } from "../db.server";

export interface AuditFilter {
  action?: string;
  actor?: string;
  entityType?: string;
  from?: string;
  to?: string;
  page: number;
}

export const AUDIT_PAGE_SIZE = 50;

/**
 * How a user account reads on the audit screen: its current name and e-mail,
 * or only its pseudonym once erased (ADR 012). `alias` is a joined `app_user`.
 */
const accountLabel = (alias: "au" | "su") =>
  sql<string | null>`case when ${sql.ref(`${alias}.id`)} is null then null
    when ${sql.ref(`${alias}.erased_at`)} is not null then ${sql.ref(`${alias}.display_name`)}
    else ${sql.ref(`${alias}.display_name`)} || ' <' || ${sql.ref(`${alias}.email`)} || '>' end`;

/** The actor as shown: a user account through `actor_user_id`, anything else by its stored label. */
const actorDisplay = sql<string>`coalesce(${accountLabel("au")}, a.actor_label)`;

/** Audit events, newest first, filtered; one page at a time. */
export async function listAuditEvents(db: Db, filter: AuditFilter) {
  let query = db
    .selectFrom("audit_event as a")
    .leftJoin("organisation as o", "o.id", "a.organisation_id")
    .leftJoin("app_user as au", "au.id", "a.actor_user_id")
    .leftJoin("app_user as su", (join) =>
      join.on((eb) => eb.and([eb("a.entity_type", "=", "user"), eb(sql`su.id::text`, "=", eb.ref("a.entity_id"))])),
    )
    .select([
      "a.id",
      "a.occurred_at",
      actorDisplay.as("actor_label"),
      accountLabel("su").as("subject_label"),
      "a.action",
      "a.entity_type",
      "a.entity_id",
      "a.summary",
      "a.ip",
      "a.request_id",
      "o.code as organisation_code",
    ]);
  if (filter.action) query = query.where("a.action", "like", `${filter.action}%`);
  if (filter.entityType) query = query.where("a.entity_type", "=", filter.entityType);
  if (filter.actor) query = query.where(sql`lower(${actorDisplay})`, "like", `%${filter.actor.toLowerCase()}%`);
  if (filter.from) query = query.where("a.occurred_at", ">=", new Date(`${filter.from}T00:00:00Z`));
  if (filter.to) query = query.where("a.occurred_at", "<", new Date(new Date(`${filter.to}T00:00:00Z`).getTime() + 86_400_000));
  const rows = await query
    .orderBy("a.id", "desc")
    .limit(AUDIT_PAGE_SIZE + 1)
    .offset((filter.page - 1) * AUDIT_PAGE_SIZE)
    .execute();
  return { events: rows.slice(0, AUDIT_PAGE_SIZE), hasMore: rows.length > AUDIT_PAGE_SIZE };
}

export async function listAuditActions(db: Db) {
  const rows = await db.selectFrom("audit_event").select("action").distinct().orderBy("action").execute();
  return rows.map((r) => r.action);
}
