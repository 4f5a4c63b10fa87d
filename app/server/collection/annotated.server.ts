import type { Db } from "../db.server";
import { getFile, putFile, type StoredFileContent } from "../storage/files.server";
import { annotateWorkbook } from "./annotate.server";
import { XLSX_CONTENT_TYPE } from "~/domain/upload-errors";
import type { Problem } from "~/domain/problems";
import { DATA_SHEET } from "~/domain/template-layout";
import { notAvailableText } from "~/domain/review";

/**
 * The annotated workbook of a version, built once and then served from
 * storage (ADR 016): the first download builds it in a worker thread and
 * stores it (`submission_version.annotated_file_id`); later ones read the
 * stored bytes without parsing anything. A version's file and problems never
 * change, so neither does its annotated workbook. Concurrent first downloads
 * of one version in this process share one build; across instances, the
 * first to store wins and the others' copy is not kept.
 */
export interface VersionToAnnotate {
  id: string;
  file_id: string;
  problems: unknown;
  number: number;
  code: string;
  reference_year: number;
}

const building = new Map<string, Promise<StoredFileContent | null>>();

/** How many times a workbook was annotated in this process (tests: the second download does not re-parse). */
export const annotationBuilds = { count: 0 };

export async function storedAnnotatedWorkbook(db: Db, version: VersionToAnnotate): Promise<StoredFileContent | null> {
  const stored = await storedCopy(db, version.id);
  if (stored) return stored;
  let pending = building.get(version.id);
  if (!pending) {
    pending = build(db, version).finally(() => building.delete(version.id));
    building.set(version.id, pending);
  }
  return pending;
}

async function storedCopy(db: Db, versionId: string): Promise<StoredFileContent | null> {
  const row = await db.selectFrom("submission_version").select("annotated_file_id").where("id", "=", versionId).executeTakeFirst();
  return row?.annotated_file_id ? getFile(db, row.annotated_file_id) : null;
}

async function build(db: Db, version: VersionToAnnotate): Promise<StoredFileContent | null> {
  const original = await getFile(db, version.file_id);
  if (!original) return null;
  annotationBuilds.count += 1;
  // Cells declared « non disponible » are marked as information, not as errors (ADR 026).
  const declared = await db
    .selectFrom("submission_value")
    .select(["cell_ref", "not_available_code", "not_available_reason"])
    .where("version_id", "=", version.id)
    .where("not_available_code", "is not", null)
    .execute();
  const notes = declared.map((d) => {
    const at = d.cell_ref.lastIndexOf("!");
    return {
      sheet: at > 0 ? d.cell_ref.slice(0, at).replace(/^'(.*)'$/, "$1").replace(/''/g, "'") : DATA_SHEET,
      cell: d.cell_ref.slice(at + 1),
      message: `Déclarée ${notAvailableText(d.not_available_code!, d.not_available_reason)}.`,
      hint: "Information : la donnée est enregistrée comme manquante avec son motif, jamais comme 0.",
    };
  });
  const bytes = await annotateWorkbook(original.content, (version.problems ?? []) as Problem[], notes);
  const kept = await db.transaction().execute(async (trx) => {
    const file = await putFile(trx, {
      filename: `ODPE_${version.reference_year}_${version.code}_v${version.number}_annote.xlsx`,
      contentType: XLSX_CONTENT_TYPE,
      bytes,
      createdBy: null,
    });
    const linked = await trx
      .updateTable("submission_version")
      .set({ annotated_file_id: file.id })
      .where("id", "=", version.id)
      .where("annotated_file_id", "is", null)
      .returning("id")
      .executeTakeFirst();
    if (!linked) await trx.deleteFrom("stored_file").where("id", "=", file.id).execute();
    return linked ? file.id : null;
  });
  return kept ? getFile(db, kept) : storedCopy(db, version.id);
}
