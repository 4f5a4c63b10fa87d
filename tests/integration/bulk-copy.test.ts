import { describe, expect, it } from "vitest";
import type { Transaction } from "kysely";
import type { Database } from "#db/schema";
import { useTestDb, driverName } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { setupCampaign } from "../factories/campaign-setup";
import { uploadThreeLineVersion } from "../factories/collection";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload } from "~/server/collection/submissions.server";
import { systemActor } from "~/server/command.server";
import { copyRows } from "~/server/bulk-copy.server";
import {
  COPY_CHUNK_ROWS,
  copyPayloadBuilder,
  LINE_COMMENT_COLUMNS,
  SUBMISSION_VALUE_COLUMNS,
  type LineCommentRow,
  type SubmissionValueRow,
} from "~/server/collection/value-rows";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW } from "~/domain/template-layout";

/**
 * ADR 031: an upload's values and line comments are stored by COPY
 * (pg-copy-streams on PostgreSQL, COPY FROM '/dev/blob' in batches on the
 * embedded database). What COPY stores must be exactly what the batched
 * INSERTs stored before — COPY's text format escapes backslashes, tabs and
 * line ends, and a mistake there silently changes a partner's comment.
 */
const t = useTestDb();
const ctxActor = systemActor("test");

/** Text a French correspondent may type into a cell: accents, typographic spaces, tabs, line breaks, backslashes, what looks like COPY's own escapes. */
const TRICKY = [
  "Données provisoires : « à confirmer » — voir l'onglet 2",
  "colonne\tsuivante",
  "ligne 1\nligne 2",
  "fin de ligne Windows\r\nsuite",
  "chemin C:\\Partage\\ODPE\\2025",
  "\\N",
  "\\t n'est pas une tabulation",
  "barre finale \\",
  "espace\u00a0insécable et fine\u202f; émoji 🧒",
  "œuf, ça, déjà, naïf, Noël",
];
const NUMBERS = [null, 0, 1.5, 0.1 + 0.2, 1e21, 123456789012, -3.25, 1e-7, Number.MAX_SAFE_INTEGER, 2 / 3];

class Rollback extends Error {}

/** What a store leaves in the table, read in the same transaction, then rolled back. */
async function storedBy<T>(read: (trx: Transaction<Database>) => Promise<T>, store: (trx: Transaction<Database>) => Promise<void>): Promise<T> {
  let result: T | undefined;
  await t.db
    .transaction()
    .execute(async (trx) => {
      await store(trx);
      result = await read(trx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result!;
}

const byKey = <R extends { breakdown_key: string }>(rows: R[]) => [...rows].sort((a, b) => (a.breakdown_key < b.breakdown_key ? -1 : a.breakdown_key > b.breakdown_key ? 1 : 0));


describe(`bulk storage by COPY (ADR 031, driver ${driverName()})`, () => {
  it("Art. 4: COPY stores exactly what batched INSERTs store — numbers, nulls, ND/NC columns, French text with tabs, newlines and backslashes", async () => {
    const { versionId, indicatorVersionId } = await uploadThreeLineVersion(t.db);
    // More rows than three chunks, so that the embedded driver stores them in several batches.
    const count = COPY_CHUNK_ROWS * 3 + 17;
    const rows: SubmissionValueRow[] = Array.from({ length: count }, (_, i) => {
      const text = TRICKY[i % TRICKY.length]!;
      const notAvailable = i % 7 === 3 ? "ND" : i % 7 === 5 ? "NC" : null;
      return {
        version_id: versionId,
        indicator_version_id: indicatorVersionId,
        breakdown_key: `K${String(i).padStart(5, "0")}|${text}`,
        value: notAvailable ? null : NUMBERS[i % NUMBERS.length]!,
        cell_ref: i % 11 === 0 ? `'Feuille ${text}'!E${i}` : `${DATA_SHEET}!E${i}`,
        not_available_code: notAvailable,
        not_available_reason: notAvailable === "ND" ? text : null,
      };
    });
    const payload = copyPayloadBuilder("submission_value", SUBMISSION_VALUE_COLUMNS);
    for (const row of rows) payload.add(row);
    const built = payload.done();
    expect(built.chunks.length).toBe(4);

    const read = async (trx: Transaction<Database>) =>
      byKey(await trx.selectFrom("submission_value").select(SUBMISSION_VALUE_COLUMNS).where("version_id", "=", versionId).execute());
    const clear = (trx: Transaction<Database>) => trx.deleteFrom("submission_value").where("version_id", "=", versionId).execute();
    const viaCopy = await storedBy(read, async (trx) => {
      await clear(trx);
      expect(await copyRows(trx, built)).toBe(count);
    });
    const viaInsert = await storedBy(read, async (trx) => {
      await clear(trx);
      for (let i = 0; i < rows.length; i += 500) await trx.insertInto("submission_value").values(rows.slice(i, i + 500)).execute();
    });
    expect(viaCopy).toHaveLength(count);
    expect(viaCopy).toEqual(viaInsert);
    expect(viaCopy).toEqual(byKey(rows));
  });

  it("Art. 4: line comments stored by COPY are the INSERTed ones, character for character", async () => {
    const { versionId, indicatorVersionId } = await uploadThreeLineVersion(t.db);
    const rows: LineCommentRow[] = TRICKY.map((body, i) => ({ version_id: versionId, indicator_version_id: indicatorVersionId, breakdown_key: `C${i}`, body }));
    const payload = copyPayloadBuilder("submission_line_comment", LINE_COMMENT_COLUMNS);
    for (const row of rows) payload.add(row);
    const read = async (trx: Transaction<Database>) =>
      byKey(await trx.selectFrom("submission_line_comment").select(LINE_COMMENT_COLUMNS).where("version_id", "=", versionId).execute());
    const clear = (trx: Transaction<Database>) => trx.deleteFrom("submission_line_comment").where("version_id", "=", versionId).execute();
    const viaCopy = await storedBy(read, async (trx) => {
      await clear(trx);
      await copyRows(trx, payload.done());
    });
    const viaInsert = await storedBy(read, async (trx) => {
      await clear(trx);
      await trx.insertInto("submission_line_comment").values(rows).execute();
    });
    expect(viaCopy).toEqual(viaInsert);
    expect(viaCopy).toEqual(byKey(rows));
  });

  it("Art. 4: an upload stores its values and the correspondent's comments (column G) as typed, tabs, line breaks and backslashes included", async () => {
    const setup = await setupCampaign(t.db, { indicators: [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }] }, { valueType: "decimal" }] });
    const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
    const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
    const [total, f, m, decimal] = plan.lines;
    const comments = [TRICKY[1]!, TRICKY[2]!, `  ${TRICKY[4]!}  `, TRICKY[6]!];
    const filled = await fillTemplate(template, { [total!.key]: 120, [f!.key]: 70, [m!.key]: 50, [decimal!.key]: 0.1 + 0.2 }, (wb) => {
      const ws = wb.getWorksheet(DATA_SHEET)!;
      for (let i = 0; i < comments.length; i++) ws.getCell(`${COLUMNS.comment}${FIRST_DATA_ROW + i}`).value = comments[i]!;
    });
    const result = await receiveUpload(t.db, ctxActor, { year: setup.year, organisationId: setup.org.id, uploadedBy: null, via: "web", filename: "t.xlsx", bytes: filled });
    expect(result).toMatchObject({ kind: "stored", errors: 0 });
    if (result.kind !== "stored") return;
    const values = await t.db.selectFrom("submission_value").select(["breakdown_key", "value", "cell_ref", "not_available_code", "not_available_reason"]).where("version_id", "=", result.versionId).execute();
    expect(byKey(values)).toEqual(
      byKey([
        { breakdown_key: total!.breakdownKey, value: 120, cell_ref: `${DATA_SHEET}!E${FIRST_DATA_ROW}`, not_available_code: null, not_available_reason: null },
        { breakdown_key: f!.breakdownKey, value: 70, cell_ref: `${DATA_SHEET}!E${FIRST_DATA_ROW + 1}`, not_available_code: null, not_available_reason: null },
        { breakdown_key: m!.breakdownKey, value: 50, cell_ref: `${DATA_SHEET}!E${FIRST_DATA_ROW + 2}`, not_available_code: null, not_available_reason: null },
        { breakdown_key: decimal!.breakdownKey, value: 0.1 + 0.2, cell_ref: `${DATA_SHEET}!E${FIRST_DATA_ROW + 3}`, not_available_code: null, not_available_reason: null },
      ]),
    );
    const stored = await t.db
      .selectFrom("submission_line_comment")
      .select(["indicator_version_id", "breakdown_key", "body"])
      .where("version_id", "=", result.versionId)
      .execute();
    const expected = [total!, f!, m!, decimal!].map((line, i) => ({ indicator_version_id: line.indicatorVersionId, breakdown_key: line.breakdownKey, body: comments[i]!.trim() }));
    const order = (r: { indicator_version_id: string; breakdown_key: string }) => `${r.indicator_version_id}#${r.breakdown_key}`;
    expect([...stored].sort((a, b) => order(a).localeCompare(order(b)))).toEqual([...expected].sort((a, b) => order(a).localeCompare(order(b))));
  });
});
