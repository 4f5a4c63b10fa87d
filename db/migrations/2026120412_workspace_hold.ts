import { type Kysely, sql } from "kysely";

/**
 * Convention Art. 4: only anonymised data are shared in the workspace
 * (docs/decisions/025-personal-data-scan.md). A version whose file looks like
 * it holds personal data (or could not be fully analysed) is held for the
 * referent's review: `held_at` and the findings (`hold_reasons`, French
 * explanations, values masked). The referent releases it (`hold_released_*`,
 * with a reason) or deletes it (the row and its file go; the audit event
 * stays). A held, unreleased version is never the document's current one.
 * `workspace_document.current_version_id` may now be null (a document whose
 * only version is held).
 * Frozen once released.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table workspace_document_version
      add column held_at timestamptz,
      add column hold_reasons jsonb,
      add column hold_released_at timestamptz,
      add column hold_released_by uuid references app_user(id),
      add column hold_release_reason text check (hold_release_reason is null or length(hold_release_reason) between 1 and 1000),
      add constraint workspace_document_version_hold_check check (
        (held_at is null) = (hold_reasons is null)
        and (hold_released_at is null or held_at is not null)
        and ((hold_released_at is null) = (hold_release_reason is null))
      )`.execute(db);
  await sql`
    create index workspace_document_version_held_idx on workspace_document_version(held_at)
      where held_at is not null and hold_released_at is null`.execute(db);
}
