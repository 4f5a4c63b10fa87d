import { type Kysely, sql } from "kysely";

/**
 * Published outputs as immutable artefacts (issue 14, ADR 021): the public
 * report pages are rendered once and kept here with their gzip and brotli
 * variants and a strong ETag (sha256 of the identity bytes), so serving one
 * costs a primary-key lookup and a write of stored bytes. `scope` groups
 * the artefacts of one reference year: publishing or correcting an edition
 * deletes them in its transaction (they are rendered again afterwards).
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table published_artefact (
      key text primary key,
      scope text not null,
      etag text not null,
      content_type text not null,
      body bytea not null,
      body_gzip bytea not null,
      body_br bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index published_artefact_scope_idx on published_artefact(scope)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("Migrations are forward-only.");
}
