import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sql, type Transaction } from "kysely";
import type { Database } from "#db/schema";
import { useTestDb, driverName } from "../support/db";
import { uploadThreeLineVersion } from "../factories/collection";
import { copyRows } from "~/server/bulk-copy.server";
import { copyPayloadBuilder, LINE_COMMENT_COLUMNS, SUBMISSION_VALUE_COLUMNS } from "~/server/collection/value-rows";

/**
 * ADR 046: submission_value and submission_line_comment keep their keys to
 * submission_version and indicator_version with one check per statement
 * (migration 2026120660) instead of row-level foreign keys. Each test below
 * fails without the check it names: a row pointing at a missing parent is
 * refused, by INSERT, UPDATE and COPY, at once or — when the transaction
 * defers it, as the upload on PostgreSQL does — at commit; a parent still
 * referenced cannot be deleted, re-keyed or truncated.
 */
const t = useTestDb();
/** Refused with PostgreSQL's foreign_key_violation (23503), which the checks raise as the foreign keys did. */
async function refused(statement: Promise<unknown>) {
  const error = await statement.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, "the statement should have been refused").not.toBeNull();
  expect((error as { code?: string }).code, String(error)).toBe("23503");
}


const valueRow = (versionId: string, indicatorVersionId: string, key = `K-${randomUUID()}`) => ({
  version_id: versionId,
  indicator_version_id: indicatorVersionId,
  breakdown_key: key,
  value: 1,
  cell_ref: "Données!E9",
  not_available_code: null,
  not_available_reason: null,
});

const count = async (table: "submission_value" | "submission_line_comment", versionId: string) =>
  Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).where("version_id", "=", versionId).executeTakeFirstOrThrow()).n);

const pending = async () => Number((await sql<{ n: string }>`select count(*) as n from submission_rows_pending_version`.execute(t.db)).rows[0]!.n);

describe(`an upload's rows keep their keys, checked per statement (ADR 046, driver ${driverName()})`, () => {
  it("a value or a line comment with an unknown indicator version is refused — INSERT, COPY and UPDATE alike", async () => {
    const { versionId, indicatorVersionId } = await uploadThreeLineVersion(t.db);
    const before = await count("submission_value", versionId);
    await refused(t.db.insertInto("submission_value").values(valueRow(versionId, randomUUID())).execute());
    // One bad row among good ones refuses the whole statement.
    await refused(
      t.db.insertInto("submission_value").values([valueRow(versionId, indicatorVersionId), valueRow(versionId, randomUUID()), valueRow(versionId, indicatorVersionId)]).execute(),
    );
    const copy = copyPayloadBuilder("submission_value", SUBMISSION_VALUE_COLUMNS);
    copy.add(valueRow(versionId, indicatorVersionId));
    copy.add(valueRow(versionId, randomUUID()));
    await refused(t.db.transaction().execute((trx) => copyRows(trx, copy.done())));
    await refused(
      t.db.insertInto("submission_line_comment").values({ version_id: versionId, indicator_version_id: randomUUID(), breakdown_key: "", body: "note" }).execute(),
    );
    await refused(t.db.updateTable("submission_value").set({ indicator_version_id: randomUUID() }).where("version_id", "=", versionId).execute());
    expect(await count("submission_value", versionId)).toBe(before);
    expect(await count("submission_line_comment", versionId)).toBe(0);
  });

  it("a value or a line comment of an unknown submission version is refused at once; UPDATE and COPY too", async () => {
    const { versionId, indicatorVersionId } = await uploadThreeLineVersion(t.db);
    const orphan = randomUUID();
    await refused(t.db.insertInto("submission_value").values(valueRow(orphan, indicatorVersionId)).execute());
    await refused(
      t.db.insertInto("submission_line_comment").values({ version_id: orphan, indicator_version_id: indicatorVersionId, breakdown_key: "", body: "note" }).execute(),
    );
    const comments = copyPayloadBuilder("submission_line_comment", LINE_COMMENT_COLUMNS);
    comments.add({ version_id: orphan, indicator_version_id: indicatorVersionId, breakdown_key: "", body: "note" });
    await refused(t.db.transaction().execute((trx) => copyRows(trx, comments.done())));
    await refused(t.db.updateTable("submission_value").set({ version_id: orphan }).where("version_id", "=", versionId).execute());
    expect(await count("submission_value", orphan)).toBe(0);
    expect(await count("submission_line_comment", orphan)).toBe(0);
    expect(await pending()).toBe(0);
  });

  it("deferred (the upload's transaction on PostgreSQL): rows may precede their version, which must exist at commit — else nothing stays", async () => {
    const { versionId, indicatorVersionId } = await uploadThreeLineVersion(t.db);
    const version = await t.db.selectFrom("submission_version").selectAll().where("id", "=", versionId).executeTakeFirstOrThrow();
    const later = randomUUID();
    const rowsFirst = async (trx: Transaction<Database>, insertVersion: boolean) => {
      await sql`set constraints submission_rows_version_check deferred`.execute(trx);
      await trx.insertInto("submission_value").values([valueRow(later, indicatorVersionId), valueRow(later, indicatorVersionId)]).execute();
      await trx.insertInto("submission_line_comment").values({ version_id: later, indicator_version_id: indicatorVersionId, breakdown_key: "", body: "note" }).execute();
      if (insertVersion) {
        await trx
          .insertInto("submission_version")
          .values({ id: later, submission_id: version.submission_id, number: version.number + 100, file_id: version.file_id, uploaded_via: "web", problems: "[]" })
          .execute();
      }
    };
    await refused(t.db.transaction().execute((trx) => rowsFirst(trx, false)));
    expect(await count("submission_value", later)).toBe(0);
    expect(await count("submission_line_comment", later)).toBe(0);
    expect(await pending()).toBe(0);
    await t.db.transaction().execute((trx) => rowsFirst(trx, true));
    expect(await count("submission_value", later)).toBe(2);
    expect(await count("submission_line_comment", later)).toBe(1);
    expect(await pending()).toBe(0);
  });

  it("a submission version still referenced by values or comments cannot be deleted, re-keyed or truncated", async () => {
    const { versionId, indicatorVersionId } = await uploadThreeLineVersion(t.db);
    // The stored version is referenced by other tables' foreign keys too (submission.current_version_id…): a version
    // referenced by values only tells the new check apart.
    const version = await t.db.selectFrom("submission_version").selectAll().where("id", "=", versionId).executeTakeFirstOrThrow();
    const bare = randomUUID();
    await t.db
      .insertInto("submission_version")
      .values({ id: bare, submission_id: version.submission_id, number: version.number + 200, file_id: version.file_id, uploaded_via: "web", problems: "[]", status: "superseded" })
      .execute();
    await t.db.insertInto("submission_line_comment").values({ version_id: bare, indicator_version_id: indicatorVersionId, breakdown_key: "", body: "note" }).execute();
    await refused(t.db.deleteFrom("submission_version").where("id", "=", bare).execute());
    await refused(t.db.updateTable("submission_version").set({ id: randomUUID() }).where("id", "=", bare).execute());
    await t.db.deleteFrom("submission_line_comment").where("version_id", "=", bare).execute();
    await t.db.insertInto("submission_value").values(valueRow(bare, indicatorVersionId)).execute();
    await refused(t.db.deleteFrom("submission_version").where("id", "=", bare).execute());
    await refused(sql`truncate submission_version cascade`.execute(t.db));
    // Unreferenced again, it may go; other updates of a referenced version are not affected.
    await t.db.updateTable("submission_version").set({ status: "draft" }).where("id", "=", versionId).execute();
    await t.db.deleteFrom("submission_value").where("version_id", "=", bare).execute();
    await t.db.deleteFrom("submission_version").where("id", "=", bare).execute();
    expect(await t.db.selectFrom("submission_version").select("id").where("id", "=", bare).execute()).toEqual([]);
  });
});
