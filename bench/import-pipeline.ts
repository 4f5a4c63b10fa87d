import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { systemActor } from "~/server/command.server";
import { assertSubmissionOpen } from "~/server/campaigns/campaigns.server";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { receiveUpload, DEFAULT_VARIATION_THRESHOLD, XLSX_CONTENT_TYPE } from "~/server/collection/submissions.server";
import { guardUpload } from "~/server/collection/upload-guard.server";
import { readSheetRows } from "~/server/collection/workbook-reader.server";
import { interpretWorkbook, type SheetRow } from "~/domain/workbook-interpretation";
import { putFile } from "~/server/storage/files.server";
import { copyRows } from "~/server/bulk-copy.server";
import { encodeUploadRows } from "~/server/collection/value-rows";
import { packedPlanLines, packedTransferList, packPlanLines } from "~/server/collection/packed-lines";
import { closeHeavyPool, runHeavy } from "~/server/heavy/pool.server";
import { validateLines } from "~/domain/validation";
import { countBySeverity } from "~/domain/problems";
import { DATA_SHEET } from "~/domain/template-layout";
import type { UploadLimits } from "~/domain/upload-errors";
import { openBenchDb, seedReferential, writeFilledWorkbook, type GeneratorStyle } from "./import-fixture";
import { measure, type WorkerResult } from "./import-measure";

/** The measurements that need the portal's code and a database (see import-worker.ts). */

const actor = systemActor("bench:import");

const uploadInput = (organisationId: string, year: number, file: string, bytes: Buffer, limits: Partial<UploadLimits> | undefined) => ({
  year,
  organisationId,
  uploadedBy: null,
  via: "web" as const,
  filename: file.split("/").pop() ?? "bench.xlsx",
  bytes,
  contentType: XLSX_CONTENT_TYPE,
  ...(limits ? { limits } : {}),
});

/** Writes the filled workbook for `lines` lines (its own database, same deterministic referential as the measuring processes). */
export async function generate(lines: number, file: string, style: GeneratorStyle): Promise<WorkerResult> {
  const handle = await openBenchDb();
  try {
    const ref = await seedReferential(handle.db, lines);
    const plan = await buildCollectionPlan(handle.db, ref.year, ref.organisationId);
    const started = performance.now();
    await writeFilledWorkbook(plan, file, style);
    const ms = performance.now() - started;
    return { mode: "generate", lines, driver: handle.label, ms, memory: null, detail: { style, planLines: plan.lines.length, planHash: plan.hash, bytes: fs.statSync(file).size } };
  } finally {
    await handle.close();
  }
}

const settledRss = () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage.rss();
};

/** parse + validate + store: `receiveUpload`, exactly as the web and API routes call it. */
export async function pipeline(lines: number, file: string, limits: Partial<UploadLimits> | undefined): Promise<WorkerResult> {
  // What the process holds before the upload, step by step (RSS after a full GC): the measure's own baseline.
  const atStart = (globalThis as { benchRssAtStart?: number }).benchRssAtStart;
  const baseline: Record<string, number> = { ...(atStart ? { "node + tsx (bench process)": atStart } : {}), "+ the portal's modules": settledRss() };
  const handle = await openBenchDb();
  try {
    const db = handle.db;
    baseline["+ database opened, migrated"] = settledRss();
    const ref = await seedReferential(db, lines);
    baseline["+ referential seeded"] = settledRss();
    const bytes = fs.readFileSync(file);
    // A running server has its worker threads up (ADR 016): start one before the clock, as the database is.
    await runHeavy("threadInfo", {} as never);
    baseline["+ the file's bytes, one heavy-work thread started"] = settledRss();
    const { value: result, ms, memory } = await measure(() => receiveUpload(db, actor, uploadInput(ref.organisationId, ref.year, file, bytes, limits)));
    const detail: Record<string, unknown> = { kind: result.kind, bytes: bytes.length, limits: limits ?? null, baseline };
    if (result.kind === "stored") {
      const stored = await db
        .selectFrom("submission_value")
        .select(sql<number>`count(*)::int`.as("n"))
        .where("version_id", "=", result.versionId)
        .executeTakeFirstOrThrow();
      Object.assign(detail, { errors: result.errors, warnings: result.warnings, storedValues: stored.n });
    } else {
      detail.problems = result.problems.slice(0, 3).map((p) => `${p.code}: ${p.message}`);
    }
    return { mode: "pipeline", lines, driver: handle.label, ms, memory, detail };
  } finally {
    await closeHeavyPool();
    await handle.close();
  }
}

class Rollback extends Error {}

export interface ProfileStep {
  name: string;
  ms: number;
  /** RSS before the step and its peak (bytes); what earlier steps hold stays in memory, as in the pipeline. */
  rssBefore: number;
  peak: number;
  /** Live V8 heap before the step (after a full GC). */
  heapBefore: number;
}

/**
 * Where the time goes: the steps of `receiveUpload`, called one after the
 * other through the same exported functions, each timed alone (rows are
 * collected between the reader and the interpretation so that each is timed
 * apart); the storing statements are replayed in a rolled-back transaction,
 * as today (2 000 rows per INSERT) and as one INSERT … SELECT FROM unnest.
 * Each step is measured like a phase (time, live heap and RSS before it, RSS peak).
 */
export async function profile(lines: number, file: string, limits: Partial<UploadLimits> | undefined): Promise<WorkerResult> {
  const handle = await openBenchDb();
  try {
    const db = handle.db;
    const ref = await seedReferential(db, lines);
    const bytes = fs.readFileSync(file);
    const steps: ProfileStep[] = [];
    const time = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
      const { value, ms, memory } = await measure(step);
      steps.push({ name, ms, rssBefore: memory.rssBefore, peak: memory.peak, heapBefore: memory.heapBefore });
      return value;
    };

    const plan = await time("plan", async () => {
      await assertSubmissionOpen(db, ref.year, ref.organisationId);
      return buildCollectionPlan(db, ref.year, ref.organisationId);
    });
    await time("plan's lines to the worker: pack, clone, view", async () => {
      const packed = packPlanLines(plan.lines);
      return packedPlanLines(structuredClone(packed, { transfer: packedTransferList(packed) })).length;
    });
    const guarded = await time("guard", () => guardUpload({ body: bytes, filename: file, contentType: XLSX_CONTENT_TYPE, declaredSize: bytes.length }, limits));
    if (!guarded.ok) throw new Error(`guard refused the file: ${guarded.refusal.code} ${guarded.refusal.logDetail ?? ""}`);
    const rows = await time("reader", async () => {
      const all: SheetRow[] = [];
      for await (const row of readSheetRows(guarded.workbook)) all.push(row);
      return all;
    });
    const rowCount = rows.length;
    const expectation = { organisationCode: plan.organisation.code, organisationName: plan.organisation.name, year: ref.year, planHash: plan.hash, lines: plan.lines };
    const interpretation = await time("interpret", () =>
      interpretWorkbook(
        (async function* () {
          yield* rows;
        })(),
        expectation,
      ),
    );
    if (interpretation.structural.length) throw new Error(`structural problem: ${interpretation.structural[0]!.message}`);
    rows.length = 0; // the pipeline streams them: release them as it would have
    const validated = await time("validate", async () => validateLines(plan.lines, interpretation.read, { sheet: DATA_SHEET, variationThreshold: DEFAULT_VARIATION_THRESHOLD }));
    const counts = countBySeverity(validated.problems);

    const payload = await time("encode (COPY text)", async () => encodeUploadRows(randomUUID(), validated.values, interpretation.read));
    await time("store: COPY, as receiveUpload (rolled back)", async () => {
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto("submission")
            .values({ campaign_id: plan.campaign.id, organisation_id: plan.organisation.id })
            .onConflict((oc) => oc.columns(["campaign_id", "organisation_id"]).doNothing())
            .execute();
          const submission = await trx
            .selectFrom("submission")
            .select("id")
            .where("campaign_id", "=", plan.campaign.id)
            .where("organisation_id", "=", plan.organisation.id)
            .forUpdate()
            .executeTakeFirstOrThrow();
          const stored = await putFile(trx, { filename: "bench.xlsx", contentType: XLSX_CONTENT_TYPE, bytes, createdBy: null });
          const versionId = payload.values.chunks[0]!.slice(0, 36);
          await trx
            .insertInto("submission_version")
            .values({
              id: versionId,
              submission_id: submission.id,
              number: 1,
              file_id: stored.id,
              uploaded_via: "web",
              error_count: counts.errors,
              warning_count: counts.warnings,
              problems: JSON.stringify(validated.problems),
            })
            .execute();
          await copyRows(trx, payload.values);
          await copyRows(trx, payload.comments);
          throw new Rollback();
        });
      } catch (error) {
        if (!(error instanceof Rollback)) throw error;
      }
    });
    // The same work as one heavy task, as receiveUpload runs it (a worker thread already started, as in a running server).
    await runHeavy("threadInfo", {} as never);
    const fresh = await buildCollectionPlan(db, ref.year, ref.organisationId);
    const inWorker = await time("parseUpload in a worker thread, as receiveUpload calls it (lines packed, guard → COPY text, result back)", async () => {
      const packed = packPlanLines(fresh.lines);
      const expected = { organisationCode: fresh.organisation.code, organisationName: fresh.organisation.name, year: ref.year, planHash: fresh.hash, lines: packed };
      const out = await runHeavy(
        "parseUpload",
        { bytes, filename: "bench.xlsx", contentType: XLSX_CONTENT_TYPE, ...(limits ? { limits } : {}), expected, variationThreshold: DEFAULT_VARIATION_THRESHOLD, versionId: randomUUID() },
        packedTransferList(packed),
      );
      return out.kind;
    });
    if (inWorker !== "validated") throw new Error(`parseUpload in the worker: ${inWorker}`);
    const end = await measure(async () => undefined);
    steps.push({ name: "(end: what the steps above still hold)", ms: 0, rssBefore: end.memory.rssBefore, peak: end.memory.peak, heapBefore: end.memory.heapBefore });
    const total = steps.filter((s) => !s.name.startsWith("parseUpload in a worker")).reduce((sum, s) => sum + s.ms, 0);
    return { mode: "profile", lines, driver: handle.label, ms: total, memory: null, detail: { steps, rows: rowCount } };
  } finally {
    await closeHeavyPool();
    await handle.close();
  }
}
