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

/** Audit events, newest first, filtered; one page at a time. */
export async function listAuditEvents(db: Db, filter: AuditFilter) {
  let query = db
    .selectFrom("audit_event as a")
    .leftJoin("organisation as o", "o.id", "a.organisation_id")
    .select([
      "a.id",
      "a.occurred_at",
      "a.actor_label",
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
  if (filter.actor) query = query.where((eb) => eb(eb.fn("lower", ["a.actor_label"]), "like", `%${filter.actor!.toLowerCase()}%`));
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
