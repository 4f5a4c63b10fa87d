import { randomUUID } from "node:crypto";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { sql } from "kysely";
import { driverOf, type Db, type Trx } from "../db.server";
import { DomainError, forbidden, notFound } from "../errors.server";
import { actorMay, run, type Actor, type Command } from "../command.server";
import { transitionTo } from "../workflow.server";
import { assertSubmissionOpen } from "../campaigns/campaigns.server";
import { putFile, renameFile, sha256Hex, type StoredFileInput, type StoredFileMeta } from "../storage/files.server";
import { buildPackedCollectionPlan, type CollectionPlan } from "./plan.server";
import { packedTransferList } from "./packed-lines";
import { isHeavyWorkUnavailable, runHeavy } from "../heavy/pool.server";
import type { PackedExpectation, ParseUploadOutput, RowsMessage } from "../heavy/tasks.server";
import type { UploadLimits, UploadRefusal } from "~/domain/upload-errors";
import { countBySeverity, type Problem } from "~/domain/problems";
import { versionStatusLabels, workflowTransitions, type VersionStatus, type WorkflowAction } from "~/domain/submissions";
import { submissionTable } from "~/domain/workflow";
import { announceTransition } from "./notices.server";
import { getEnv } from "../env.server";
import { copyRows, copyStream, type StreamedPayload } from "../bulk-copy.server";
import { SUBMISSION_VALUE_COLUMNS } from "./value-rows";

export const XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Relative year-over-year change of a total above which a comment is required. */
export const DEFAULT_VARIATION_THRESHOLD = 0.3;

export interface UploadInput {
  year: number;
  organisationId: string;
  uploadedBy: string | null;
  via: "web" | "api";
  apiTokenId?: string | null;
  filename: string;
  /** The uploaded bytes (already size-capped by the HTTP layer). */
  bytes: Uint8Array;
  contentType?: string | null;
  variationThreshold?: number;
  limits?: Partial<UploadLimits>;
}

export type UploadResult =
  /** Not a safe OOXML workbook (size, format, zip bomb, DTD, macros…): HTTP status of the refusal. */
  | { kind: "refused"; refusal: UploadRefusal; problems: Problem[] }
  /** A workbook, but not this organisation's template for this year. */
  | { kind: "rejected"; problems: Problem[] }
  | { kind: "stored"; versionId: string; submissionId: string; number: number; problems: Problem[]; errors: number; warnings: number };

/**
 * Receives a workbook (Art. 4). A file that is not this organisation's
 * template for this year is refused and leaves only an audit event; any
 * other file becomes a new numbered version, kept with its bytes and every
 * problem found — never overwriting an earlier one.
 */
export async function receiveUpload(db: Db, actor: Actor, input: UploadInput): Promise<UploadResult> {
  // The heavy work runs outside any transaction: each outcome is its own short command.
  if (!actorMay(actor, "submit:submission", input.organisationId)) throw forbidden();
  await assertSubmissionOpen(db, input.year, input.organisationId);
  // Guard, bounded read, interpretation and validation run in a worker thread (ADR 016, ADR 031);
  // it also encodes the rows to store, for the version id chosen here. The database work stays here.
  // The worker guards the file while this thread builds the plan, which it posts to the worker once built.
  const versionId = randomUUID();
  const { port1: planPort, port2 } = new MessageChannel();
  // PostgreSQL: the values are stored while the worker parses (ADR 031); the embedded database has one
  // connection, which a transaction open during the parse would hold from every other request.
  // Inside a caller's transaction, the rows of a file that does not store could not be rolled back alone: not streamed.
  const rowsChannel = driverOf(db) === "pg" && !db.isTransaction ? new MessageChannel() : null;
  const parsing = runHeavy(
    "parseUpload",
    {
      bytes: input.bytes,
      filename: input.filename,
      contentType: input.contentType ?? null,
      ...(input.limits ? { limits: input.limits } : {}),
      expectedPort: port2,
      variationThreshold: input.variationThreshold ?? DEFAULT_VARIATION_THRESHOLD,
      versionId,
      ...(rowsChannel ? { rowsPort: rowsChannel.port2 } : {}),
    },
    rowsChannel ? [port2, rowsChannel.port2] : [port2],
  );
  // Awaited below; until then (the plan is being built) its failure must not count as unhandled.
  parsing.catch(() => undefined);
  let plan: PlanHead;
  try {
    plan = await buildAndPostPlan(db, planPort, input.year, input.organisationId);
  } catch (error) {
    // No plan: the port closed without it ends the worker's task.
    planPort.close();
    rowsChannel?.port1.close();
    throw error;
  }
  const sha256 = sha256Hex(input.bytes);
  const audited = (audit: Parameters<Command["audit"]>[0]) => run(db, actor, "submit:submission", (_trx, command) => command.audit(audit));
  /** What a file that stores nothing leaves: an audit event, each its own short command. */
  const unstored = async (parsed: Exclude<ParseUploadOutput, { kind: "validated" }>): Promise<UploadResult> => {
    if (parsed.kind === "refused") {
      const refusal = parsed.refusal;
      await audited({
        action: "submission.upload_refused",
        entityType: "submission",
        organisationId: input.organisationId,
        summary: `Fichier refusé pour ${plan.organisation.code} (${input.year}) : ${refusal.title}.`,
        details: { filename: input.filename, size: input.bytes.byteLength, sha256, via: input.via, code: refusal.code, detail: refusal.logDetail ?? null },
      });
      return { kind: "refused", refusal, problems: [refusalProblem(refusal)] };
    }
    const structural = parsed.structural;
    await audited({
      action: "submission.upload_rejected",
      entityType: "submission",
      organisationId: input.organisationId,
      summary: `Dépôt refusé pour ${plan.organisation.code} (${input.year}) : ${structural[0]!.message}`,
      details: { filename: input.filename, size: input.bytes.byteLength, sha256, via: input.via, problems: structural.slice(0, 20) },
    });
    return { kind: "rejected", problems: capProblems(structural) };
  };
  /** The parse failed: out of time or memory, nothing is stored; the refusal is audited and the client told to retry (503). */
  const failed = async (error: unknown): Promise<never> => {
    if (isHeavyWorkUnavailable(error)) {
      await audited({
        action: "submission.upload_refused",
        entityType: "submission",
        organisationId: input.organisationId,
        summary: `Fichier non traité pour ${plan.organisation.code} (${input.year}) : ${error.reason === "timeout" ? "temps de traitement dépassé" : "mémoire de traitement dépassée"}.`,
        details: { filename: input.filename, size: input.bytes.byteLength, sha256, via: input.via, code: `heavy_work_${error.reason}`, detail: null },
      });
    }
    throw error;
  };

  if (!rowsChannel) {
    let parsed: ParseUploadOutput;
    try {
      parsed = await parsing;
    } catch (error) {
      return failed(error);
    }
    if (parsed.kind !== "validated") return unstored(parsed);
    const validated = parsed;
    return run(db, actor, "submit:submission", (trx, command) =>
      storeVersion(trx, command, validated, async () => {
        await copyRows(trx, validated.values);
      }),
    );
  }

  // PostgreSQL (ADR 031): the transaction opens now and COPYs the values as the worker posts them, without
  // any lock on the submission; its version's row, the only one they refer to, is inserted once the parse is
  // done and the submission locked (their key to it is checked at the commit: ADR 046's deferred version check). A file that does not store
  // ends the transaction by a rollback: its rows leave no trace.
  const ended: { parsed?: Exclude<ParseUploadOutput, { kind: "validated" }>; error?: unknown } = {};
  const rollback = new Error("upload not stored: rolled back");
  try {
    return await run(db, actor, "submit:submission", async (trx, command) => {
      await sql`set constraints submission_rows_version_check deferred`.execute(trx);
      // The file first, as soon as the worker's guard has let it through, while the worker reads its shared
      // strings: its rows wait in the port meanwhile, and the version's storage after the parse no longer waits
      // for these megabytes (ADR 056). A file the guard refuses up front never reaches the database: only its audit
      // event. A refusal found while the two sheets are read (ADR 056's deferred checks) comes after: rolled back.
      const rows = rowsFromPort(rowsChannel.port1, "submission_value", SUBMISSION_VALUE_COLUMNS);
      const passed = await Promise.race([
        rows.guarded,
        // A parse that ends first ends the wait: refused or failed, nothing is stored; validated, its guard's word is on the port.
        parsing.then(
          (parsed) => (parsed.kind === "validated" ? rows.guarded : false),
          () => false,
        ),
      ]);
      const file = passed ? await putFile(trx, storedFileInput(null)) : null;
      const copying = passed ? copyStream(trx, rows.payload) : Promise.resolve(0);
      copying.catch(() => undefined);
      // Before the rollback, the COPY must have ended (one statement at a time on the connection): a closed
      // port ends its rows with an error, which fails the COPY.
      const abandon = async () => {
        rowsChannel.port1.close();
        await copying.catch(() => undefined);
        return rollback;
      };
      let parsed: ParseUploadOutput;
      try {
        parsed = await parsing;
      } catch (error) {
        ended.error = error;
        throw await abandon();
      }
      if (parsed.kind !== "validated") {
        ended.parsed = parsed;
        throw await abandon();
      }
      const copied = await copying;
      if (!file) throw new Error("Upload: validated without the guard's word on the rows port");
      if (copied !== parsed.values.rows) throw new Error(`Upload: ${copied} values stored, ${parsed.values.rows} validated`);
      return storeVersion(trx, command, parsed, async () => undefined, file);
    });
  } catch (error) {
    if (error !== rollback) throw error;
    if (ended.parsed) return unstored(ended.parsed);
    return failed(ended.error);
  }

  /** The stored file of the version numbered `number`: the partner's name for it, or the portal's (with the number when known). */
  function storedFileInput(number: number | null): StoredFileInput {
    const suffix = number === null ? "" : `_v${number}`;
    return { filename: input.filename || `ODPE_${input.year}_${plan.organisation.code}${suffix}.xlsx`, contentType: XLSX_CONTENT_TYPE, bytes: input.bytes, createdBy: input.uploadedBy };
  }

  /**
   * Under the submission's lock: the version (its number, file, problems), its comments, older drafts superseded,
   * the audit event. `stored`: the file, already stored in this transaction before its number was known.
   */
  async function storeVersion(
    trx: Trx,
    command: Command,
    validated: Extract<ParseUploadOutput, { kind: "validated" }>,
    copyValues: () => Promise<void>,
    stored?: StoredFileMeta,
  ) {
    const { problems } = validated;
    const counts = countBySeverity(problems);
    const submission = await lockSubmission(trx, plan);
    const number = submission.version_count + 1;
    const file = stored
      ? input.filename
        ? stored
        : await renameFile(trx, stored, storedFileInput(number).filename)
      : await putFile(trx, storedFileInput(number));
    const version = await trx
      .insertInto("submission_version")
      .values({
        id: versionId,
        submission_id: submission.id,
        number,
        file_id: file.id,
        uploaded_by: input.uploadedBy,
        uploaded_via: input.via,
        api_token_id: input.apiTokenId ?? null,
        error_count: counts.errors,
        warning_count: counts.warnings,
        problems: JSON.stringify(problems),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    // The values (unless already streamed) and the correspondent's line comments (workbook column G), by COPY in this transaction (ADR 031).
    await copyValues();
    await copyRows(trx, validated.comments);
    // Older drafts are replaced (kept, marked superseded); versions in the workflow stay until the new one is submitted.
    await trx
      .updateTable("submission_version")
      .set({ status: "superseded" })
      .where("submission_id", "=", submission.id)
      .where("id", "!=", version.id)
      .where("status", "=", "draft")
      .execute();
    await trx.updateTable("submission").set({ version_count: number, last_activity_at: new Date() }).where("id", "=", submission.id).execute();
    await refreshSubmission(trx, submission.id);
    await command.audit({
      action: "submission.version_uploaded",
      entityType: "submission_version",
      entityId: version.id,
      organisationId: input.organisationId,
      summary: `Version ${number} déposée pour ${plan.organisation.code} (${input.year}) : ${counts.errors} erreur(s), ${counts.warnings} avertissement(s).`,
      details: { filename: file.filename, size: file.sizeBytes, sha256: file.sha256, via: input.via },
    });
    return { kind: "stored" as const, versionId: version.id, submissionId: submission.id, number, problems, errors: counts.errors, warnings: counts.warnings };
  }
}

/**
 * The values' COPY chunks as the worker posts them on `port` (RowsMessage):
 * they end with its `end` message, which gives the count sent. A port closed
 * before it ends the chunks with an error (the COPY then fails, rolled back).
 * `guarded`: true once the worker's guard has let the file through (its first
 * message), false if the port ends or closes without it.
 */
function rowsFromPort(port: MessagePort, table: StreamedPayload["table"], columns: readonly string[]): { payload: StreamedPayload; guarded: Promise<boolean> } {
  let sent: number | null = null;
  let guardedSaid: ((passed: boolean) => void) | null = null;
  const guarded = new Promise<boolean>((resolve) => (guardedSaid = resolve));
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  port.on("message", (message: RowsMessage) => {
    if ("guarded" in message) {
      guardedSaid?.(true);
      return;
    }
    if ("end" in message) {
      sent = message.end;
      port.close();
    } else queue.push(message.chunk);
    notify();
  });
  port.once("close", () => {
    closed = true;
    guardedSaid?.(false);
    notify();
  });
  async function* chunks() {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (sent !== null) return;
      if (closed) throw new Error("Upload: the worker's rows ended before their end");
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    guarded,
    payload: {
      table,
      columns,
      chunks: chunks(),
      rows: () => {
        if (sent === null) throw new Error("Upload: the rows' count was not received");
        return sent;
      },
    },
  };
}

/** The plan as the upload keeps it once its lines are posted to the worker. */
type PlanHead = Omit<CollectionPlan, "lines">;

/**
 * Builds the plan and posts the expectation to the worker's parseUpload
 * (which closes the port once it has it, or when its task ends). The plan's
 * lines are packed as they are made (ADR 050) and go packed (their typed
 * arrays moved, not copied); only the plan's head is returned: while the
 * worker works, only it holds the lines (ADR 031).
 */
async function buildAndPostPlan(db: Db, port: MessagePort, year: number, organisationId: string): Promise<PlanHead> {
  const { packedLines: lines, ...plan } = await buildPackedCollectionPlan(db, year, organisationId);
  const expected: PackedExpectation = { organisationCode: plan.organisation.code, organisationName: plan.organisation.name, year, planHash: plan.hash, lines };
  port.postMessage(expected, packedTransferList(lines));
  return plan;
}

/** A guard refusal in the shape of a problem, for the same table in the UI and the API. */
export function refusalProblem(refusal: UploadRefusal): Problem {
  return {
    severity: "error",
    code: "file_refused",
    sheet: refusal.sheet ?? "",
    cell: refusal.cell ?? null,
    indicator: null,
    indicatorLabel: null,
    message: `${refusal.title} : ${refusal.message}`,
    hint: "Déposez le modèle .xlsx du portail, rempli et enregistré avec Excel ou LibreOffice.",
  };
}

const MAX_LISTED_PROBLEMS = 200;
function capProblems(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_LISTED_PROBLEMS) return problems;
  return [
    ...problems.slice(0, MAX_LISTED_PROBLEMS),
    { ...problems[0]!, cell: null, indicator: null, indicatorLabel: null, message: `… et ${problems.length - MAX_LISTED_PROBLEMS} autres problèmes de structure.`, hint: "Téléchargez le modèle à jour et recopiez-y vos valeurs." },
  ];
}

/** The submission row of a campaign × organisation, created if needed, locked for this transaction (version numbers stay monotonic). */
async function lockSubmission(trx: Trx, plan: PlanHead) {
  await trx
    .insertInto("submission")
    .values({ campaign_id: plan.campaign.id, organisation_id: plan.organisation.id })
    .onConflict((oc) => oc.columns(["campaign_id", "organisation_id"]).doNothing())
    .execute();
  return trx
    .selectFrom("submission")
    .select(["id", "version_count"])
    .where("campaign_id", "=", plan.campaign.id)
    .where("organisation_id", "=", plan.organisation.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/** The submission's status is the one of its most recent version still in play. */
async function refreshSubmission(trx: Trx, submissionId: string) {
  const latest = await trx
    .selectFrom("submission_version")
    .select(["id", "status"])
    .where("submission_id", "=", submissionId)
    .where("status", "!=", "superseded")
    .orderBy("number", "desc")
    .limit(1)
    .executeTakeFirst();
  await trx
    .updateTable("submission")
    .set({ current_version_id: latest?.id ?? null, status: (latest?.status ?? "draft") as Exclude<VersionStatus, "superseded">, last_activity_at: new Date() })
    .where("id", "=", submissionId)
    .execute();
}

/** A version with what the workflow needs, locked for the transaction. */
async function lockVersion(trx: Trx, versionId: string) {
  // Lock order: the submission row first, then the version — the order
  // receiveUpload takes them (it locks the submission, then supersedes older
  // drafts). Locking the version first deadlocked an upload racing the
  // submission of the previous version (tests/integration/concurrency.test.ts).
  const parent = await trx.selectFrom("submission_version").select("submission_id").where("id", "=", versionId).executeTakeFirst();
  if (!parent) throw notFound("Cette version");
  await trx.selectFrom("submission").select("id").where("id", "=", parent.submission_id).forUpdate().execute();
  const version = await trx
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .innerJoin("campaign as c", "c.id", "s.campaign_id")
    .innerJoin("organisation as o", "o.id", "s.organisation_id")
    .select([
      "v.id",
      "v.number",
      "v.status",
      "v.error_count",
      "v.warning_count",
      "v.submitted_by",
      "v.submission_id",
      "s.organisation_id",
      "s.campaign_id",
      "c.reference_year",
      "o.code as organisation_code",
    ])
    .where("v.id", "=", versionId)
    .forUpdate("v")
    .executeTakeFirst();
  if (!version) throw notFound("Cette version");
  return version;
}

export interface TransitionInput {
  versionId: string;
  action: WorkflowAction;
  /** Return reason (required to return or send back) or comment on warnings (required to submit with warnings). */
  comment?: string | null;
}

/**
 * Moves a version along the workflow table (`submissionTable`,
 * app/domain/workflow.ts): the permission for the version's organisation,
 * the starting status and the named rules of Art. 4 (« aucune erreur » and
 * « commentaire si avertissements » to submit; « quatre yeux » to validate,
 * unless the agreement allows the same person; « motif obligatoire » to
 * return), then the audit event.
 */
export async function transitionVersion(db: Db, actor: Actor, input: TransitionInput) {
  const permission = workflowTransitions[input.action].permission;
  return db.transaction().execute(async (outer) => {
    const version = await lockVersion(outer, input.versionId);
    // Another organisation's version is not even acknowledged.
    if (!actorMay(actor, "read:submission", version.organisation_id) && !actorMay(actor, permission, version.organisation_id)) throw notFound("Cette version");
    return run(outer, actor, permission, async (trx, command) => {
      command.require(permission, version.organisation_id, { readPermission: "read:submission", what: "Cette version" });
      const comment = input.comment?.trim() || null;
      const samePersonMayValidate =
        input.action === "validate" && actor.id !== null && version.submitted_by === actor.id
          ? Boolean(
              (
                await trx
                  .selectFrom("expected_submission as e")
                  .leftJoin("agreement as a", "a.id", "e.agreement_id")
                  .select("a.same_person_may_validate")
                  .where("e.campaign_id", "=", version.campaign_id)
                  .where("e.organisation_id", "=", version.organisation_id)
                  .executeTakeFirst()
              )?.same_person_may_validate,
            )
          : false;
      const to = transitionTo(
        submissionTable,
        input.action,
        version.status as VersionStatus,
        { actorId: actor.id ?? undefined, submittedBy: version.submitted_by, samePersonMayValidate, errorCount: version.error_count, warningCount: version.warning_count, comment },
        versionStatusLabels,
        {
          status: `Action impossible : la version ${version.number} est à l'état « ${versionStatusLabels[version.status as VersionStatus]} »`,
          guards: {
            "aucune erreur": { message: `La version ${version.number} contient ${version.error_count} erreur(s) : corrigez le fichier et déposez-le de nouveau.` },
            "commentaire si avertissements": {
              message: "Cette version comporte des avertissements : expliquez-les dans le commentaire de transmission.",
              fields: { comment: ["Commentaire obligatoire : expliquez les variations ou valeurs signalées."] },
            },
            "motif obligatoire": { message: "Indiquez le motif du retour : il sera communiqué au partenaire.", fields: { comment: ["Motif obligatoire."] } },
          },
        },
      );
      return applyVersionTransition(trx, command, version, input.action, to, comment);
    });
  });
}

async function applyVersionTransition(
  trx: Trx,
  command: Command,
  version: Awaited<ReturnType<typeof lockVersion>>,
  action: WorkflowAction,
  to: VersionStatus,
  comment: string | null,
) {
  const actor = command.actor;
  const now = new Date();
  const patch: Record<string, unknown> = { status: to };

  if (action === "submit") {
    await assertSubmissionOpen(trx, version.reference_year, version.organisation_id);
    const latest = await trx
      .selectFrom("submission_version")
      .select((eb) => eb.fn.max("number").as("n"))
      .where("submission_id", "=", version.submission_id)
      .executeTakeFirstOrThrow();
    if (Number(latest.n) !== version.number) {
      throw new DomainError("conflict", "Une version plus récente a été déposée : transmettez la dernière version.");
    }
    Object.assign(patch, { submitted_by: actor.id, submitted_at: now, warnings_comment: comment });
    await trx
      .updateTable("submission_version")
      .set({ status: "superseded" })
      .where("submission_id", "=", version.submission_id)
      .where("id", "!=", version.id)
      .where("status", "in", ["submitted", "institution_validated"])
      .execute();
  }
  if (action === "validate") Object.assign(patch, { validated_by: actor.id, validated_at: now });
  if (action === "return" || action === "send_back") Object.assign(patch, { return_reason: comment, reviewed_by: actor.id, reviewed_at: now });
  if (action === "accept") {
    Object.assign(patch, { reviewed_by: actor.id, reviewed_at: now });
    await acceptValues(trx, version, now);
  }

  await trx.updateTable("submission_version").set(patch).where("id", "=", version.id).execute();
  if (action === "validate") {
    // Art. 4: transmission to the ODPE is the institution's validation, not the internal submission.
    await trx
      .updateTable("submission")
      .set({ first_transmitted_at: sql`coalesce(first_transmitted_at, ${now})` })
      .where("id", "=", version.submission_id)
      .execute();
  }
  if (action === "accept") {
    await trx.updateTable("submission").set({ accepted_at: now }).where("id", "=", version.submission_id).execute();
  }
  if (comment && action !== "submit") {
    await trx
      .insertInto("submission_comment")
      .values({
        submission_id: version.submission_id,
        version_id: version.id,
        author_id: actor.id,
        author_label: actor.audit.actorLabel,
        kind: "return",
        body: comment,
      })
      .execute();
  }
  await refreshSubmission(trx, version.submission_id);
  const org = await trx.selectFrom("organisation").select("name").where("id", "=", version.organisation_id).executeTakeFirstOrThrow();
  await announceTransition(
    trx,
    action,
    {
      organisationId: version.organisation_id,
      organisationName: org.name,
      year: version.reference_year,
      versionId: version.id,
      versionNumber: version.number,
      comment,
    },
    getEnv().PUBLIC_URL ?? `http://localhost:${getEnv().PORT}`,
  );
  await command.audit({
    action: `submission.${action}`,
    entityType: "submission_version",
    entityId: version.id,
    organisationId: version.organisation_id,
    summary: `${workflowTransitions[action].label} — ${version.organisation_code} ${version.reference_year}, version ${version.number}.`,
    details: comment ? { comment } : undefined,
  });
  return { submissionId: version.submission_id, status: to };
}

/**
 * Accepted values become the organisation's official values for the year, with
 * their indicator version and source (lineage), and a cell declared
 * « non disponible » keeps its code and reason (value null, ADR 026).
 */
async function acceptValues(trx: Trx, version: Awaited<ReturnType<typeof lockVersion>>, now: Date) {
  await trx
    .updateTable("submission_version")
    .set({ status: "superseded" })
    .where("submission_id", "=", version.submission_id)
    .where("status", "=", "accepted")
    .execute();
  await trx
    .deleteFrom("accepted_value")
    .where("organisation_id", "=", version.organisation_id)
    .where("reference_year", "=", version.reference_year)
    .execute();
  await sql`
    insert into accepted_value (organisation_id, reference_year, indicator_id, indicator_version_id, breakdown_key, value, source_version_id, accepted_at, not_available_code, not_available_reason)
    select ${version.organisation_id}::uuid, ${version.reference_year}::int, iv.indicator_id, sv.indicator_version_id, sv.breakdown_key, sv.value, sv.version_id, ${now}::timestamptz, sv.not_available_code, sv.not_available_reason
    from submission_value sv
    join indicator_version iv on iv.id = sv.indicator_version_id
    where sv.version_id = ${version.id}::uuid`.execute(trx);
}

/** Adds a message to the exchange thread of a submission (partner ↔ ODPE). */
export async function addComment(db: Db, actor: Actor, submissionId: string, body: string) {
  const text = body.trim();
  if (!text) throw new DomainError("validation", "Le message est vide.", { body: ["Écrivez votre message."] });
  if (text.length > 10_000) throw new DomainError("validation", "Le message dépasse 10 000 caractères.", { body: ["Raccourcissez le message."] });
  // Another organisation's submission is not even acknowledged.
  const submission = await db.selectFrom("submission").select(["id", "organisation_id"]).where("id", "=", submissionId).executeTakeFirst();
  if (!submission || !actorMay(actor, "read:submission", submission.organisation_id)) throw notFound("Ce dossier");
  return run(db, actor, "read:submission", async (trx, command) => {
    await trx
      .insertInto("submission_comment")
      .values({ submission_id: submissionId, author_id: actor.id, author_label: actor.audit.actorLabel, kind: "comment", body: text })
      .execute();
    await trx.updateTable("submission").set({ last_activity_at: new Date() }).where("id", "=", submissionId).execute();
    await command.audit({
      action: "submission.comment_added",
      entityType: "submission",
      entityId: submissionId,
      organisationId: submission.organisation_id,
      summary: "Message ajouté au fil d'échange du dossier.",
    });
  });
}
