import { type Kysely, sql } from "kysely";

/**
 * Issue 11, item 7: the anchored audit chain (ADR 024).
 *
 * - `audit_event.key_id`: the fingerprint of the HMAC key that computed the
 *   event's hash. Events written before this migration keep their sha256 hash
 *   and a null `key_id`: they are "sealed" (see the seal below).
 * - `audit_anchor`: append-only (a trigger refuses UPDATE and DELETE) record
 *   of the chain's head at a moment: how many events, the last event's id and
 *   hash, signed with the HMAC key (the portal signs, not this migration).
 * - The seal: one unsigned row of kind `seal` holding the number of events,
 *   the last id and the last hash at migration time. Verification accepts the
 *   sha256 format only up to it; the first HMAC event chains on its hash.
 *
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_event add column key_id text`.execute(db);
  await sql`
    create table audit_anchor (
      id bigint generated always as identity primary key,
      kind text not null check (kind in ('seal', 'anchor')),
      reason text not null,
      created_at timestamptz not null,
      event_count bigint not null,
      head_event_id bigint,
      head_hash text not null,
      key_id text,
      signature text,
      check (kind = 'seal' or (key_id is not null and signature is not null))
    )`.execute(db);
  await sql`create index audit_anchor_head_idx on audit_anchor(head_event_id)`.execute(db);
  await sql`
    create function audit_anchor_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_anchor is append-only';
    end $$`.execute(db);
  await sql`
    create trigger audit_anchor_no_update before update or delete on audit_anchor
    for each row execute function audit_anchor_append_only()`.execute(db);
  await sql`
    insert into audit_anchor (kind, reason, created_at, event_count, head_event_id, head_hash)
    select 'seal', 'migration', now(), (select count(*) from audit_event),
           (select id from audit_event order by id desc limit 1),
           coalesce((select hash from audit_event order by id desc limit 1), repeat('0', 64))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
