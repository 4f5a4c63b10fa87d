import { getObservatoryContact } from "../observatory/observatory.server";
import type { Db } from "../db.server";
import type { Actor } from "../command.server";
import type { ApiClient } from "../auth/authorize.server";
import { buildCollectionPlan } from "../collection/plan.server";
import { buildTemplate, templateFilename } from "../collection/template.server";
import { receiveUpload, transitionVersion, XLSX_CONTENT_TYPE } from "../collection/submissions.server";
import { assertSubmissionOpen } from "../campaigns/campaigns.server";
import { ApiProblem, uploadRefusalProblem } from "../http/problem.server";
import { cellReference, type Problem } from "~/domain/problems";
import { submissionWindow } from "~/domain/campaigns";
import { todayIso } from "~/domain/dates";
import type { Campaign, CampaignList, ProblemItem, Upload, UploadList, UploadSummary } from "./contract.server";

/**
 * The partner API's use cases, always for the token's own organisation:
 * another organisation's campaigns, templates and versions do not exist for
 * it (404). Writes go through the collection's use cases (receiveUpload,
 * transitionVersion), which hold the rules and write the audit events.
 */

export const API_BASE = "/api/v1";
const uploadUrl = (id: string) => `${API_BASE}/uploads/${id}`;

const versionNotFound = () => new ApiProblem("not-found", { detail: "Cette version n'existe pas ou n'appartient pas à votre organisme." });
const campaignNotFound = (year: number) =>
  new ApiProblem("not-found", { detail: `Votre organisme n'est pas attendu dans une campagne ${year} : aucune campagne ouverte ne le concerne pour cette année.` });

const iso = (value: Date | string) => new Date(value).toISOString();

/** A problem of a workbook as the API lists it. */
export function problemItem(problem: Problem): ProblemItem {
  return {
    code: problem.code,
    sheet: problem.sheet,
    cell: problem.cell,
    ref: cellReference(problem),
    indicator: problem.indicator,
    indicatorLabel: problem.indicatorLabel,
    message: problem.message,
    hint: problem.hint,
  };
}

const parseProblems = (stored: unknown): Problem[] => {
  const value = typeof stored === "string" ? (JSON.parse(stored) as unknown) : stored;
  return Array.isArray(value) ? (value as Problem[]) : [];
};

/** GET /campaigns: the campaigns that concern the organisation (it is expected in them), latest first. */
export async function listCampaigns(db: Db, client: ApiClient, today = todayIso()): Promise<CampaignList> {
  const organisation = await db.selectFrom("organisation").select(["code", "name"]).where("id", "=", client.organisationId).executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .leftJoin("submission as s", (j) => j.onRef("s.campaign_id", "=", "c.id").onRef("s.organisation_id", "=", "e.organisation_id"))
    .select([
      "c.reference_year",
      "c.status",
      "c.closed_at",
      "e.deadline",
      "e.reopened_at",
      "o.withdrawal_effective_date",
      "s.status as submission_status",
      "s.version_count",
    ])
    .where("e.organisation_id", "=", client.organisationId)
    .where("c.status", "!=", "draft")
    .orderBy("c.reference_year", "desc")
    .execute();
  const campaigns = rows.map((r): Campaign => {
    const window = submissionWindow(
      { campaignStatus: r.status, campaignClosedAt: r.closed_at, deadline: r.deadline, reopenedAt: r.reopened_at, withdrawalEffectiveDate: r.withdrawal_effective_date },
      today,
    );
    return {
      year: r.reference_year,
      status: r.status,
      deadline: r.deadline,
      submissionOpen: window.open,
      late: window.open && window.late,
      submissionStatus: r.submission_status ?? null,
      versionCount: r.version_count ?? 0,
      templateUrl: `${API_BASE}/campaigns/${r.reference_year}/template`,
      uploadsUrl: `${API_BASE}/campaigns/${r.reference_year}/uploads`,
    };
  });
  return { organisation, campaigns };
}

async function assertExpected(db: Db, client: ApiClient, year: number) {
  const expected = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .select("e.id")
    .where("c.reference_year", "=", year)
    .where("c.status", "!=", "draft")
    .where("e.organisation_id", "=", client.organisationId)
    .executeTakeFirst();
  if (!expected) throw campaignNotFound(year);
}

/** GET /campaigns/{year}/template: the organisation's workbook for the campaign, generated now. */
export async function templateFor(db: Db, client: ApiClient, year: number) {
  await assertExpected(db, client, year);
  const plan = await buildCollectionPlan(db, year, client.organisationId);
  const bytes = await buildTemplate(plan, await getObservatoryContact(db));
  return { filename: templateFilename(plan), contentType: XLSX_CONTENT_TYPE, bytes };
}

function versionsQuery(db: Db, client: ApiClient) {
  return db
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .innerJoin("campaign as c", "c.id", "s.campaign_id")
    .where("s.organisation_id", "=", client.organisationId);
}

type SummaryRow = {
  id: string;
  reference_year: number;
  number: number;
  status: UploadSummary["status"];
  uploaded_at: Date;
  uploaded_via: "web" | "api";
  error_count: number;
  warning_count: number;
};

const summaryOf = (v: SummaryRow): UploadSummary => ({
  id: v.id,
  year: v.reference_year,
  version: v.number,
  status: v.status,
  uploadedAt: iso(v.uploaded_at),
  uploadedVia: v.uploaded_via,
  errorCount: v.error_count,
  warningCount: v.warning_count,
  url: uploadUrl(v.id),
});

const summaryColumns = ["v.id", "c.reference_year", "v.number", "v.status", "v.uploaded_at", "v.uploaded_via", "v.error_count", "v.warning_count"] as const;

/** GET /campaigns/{year}/uploads: every version the organisation uploaded for the campaign, latest first. */
export async function listUploads(db: Db, client: ApiClient, year: number): Promise<UploadList> {
  await assertExpected(db, client, year);
  const rows = await versionsQuery(db, client).select(summaryColumns).where("c.reference_year", "=", year).orderBy("v.number", "desc").execute();
  return { year, uploads: rows.map(summaryOf) };
}

/** GET /uploads/{id}: one of the organisation's versions with every problem found (another organisation's: 404). */
export async function getUpload(db: Db, client: ApiClient, id: string): Promise<Upload> {
  const row = await versionsQuery(db, client)
    .innerJoin("stored_file as f", "f.id", "v.file_id")
    .select([...summaryColumns, "v.problems", "v.submitted_at", "v.warnings_comment", "v.return_reason", "f.filename", "f.size_bytes", "f.sha256"])
    .where("v.id", "=", id)
    .executeTakeFirst();
  if (!row) throw versionNotFound();
  const problems = parseProblems(row.problems);
  return {
    ...summaryOf(row),
    filename: row.filename,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    submittedAt: row.submitted_at ? iso(row.submitted_at) : null,
    warningsComment: row.warnings_comment,
    returnReason: row.return_reason,
    errors: problems.filter((p) => p.severity === "error").map(problemItem),
    warnings: problems.filter((p) => p.severity === "warning").map(problemItem),
  };
}

/** Before reading an upload's body: the campaign concerns the organisation (404) and is open to it today (409). */
export async function assertUploadAllowed(db: Db, client: ApiClient, year: number) {
  await assertExpected(db, client, year);
  await assertSubmissionOpen(db, year, client.organisationId);
}

export type UploadOutcome = { kind: "stored"; upload: Upload } | { kind: "stored_with_errors"; upload: Upload };

/**
 * POST /campaigns/{year}/uploads: the campaign must concern the organisation
 * (404) and be open to it (409); the upload guard refuses hostile or foreign
 * files (413/415/422, no version); a file that is not this organisation's
 * template for this year is refused (422, no version); any other file
 * becomes a new numbered version, errors or not.
 */
export async function uploadWorkbook(
  db: Db,
  actor: Actor,
  client: ApiClient,
  input: { year: number; filename: string; bytes: Uint8Array; contentType: string | null },
): Promise<UploadOutcome> {
  await assertUploadAllowed(db, client, input.year);
  const result = await receiveUpload(db, actor, {
    year: input.year,
    organisationId: client.organisationId,
    uploadedBy: client.accountableUserId,
    via: "api",
    apiTokenId: client.tokenId,
    filename: input.filename,
    bytes: input.bytes,
    contentType: input.contentType,
  });
  if (result.kind === "refused") throw uploadRefusalProblem(result.refusal);
  if (result.kind === "rejected") {
    throw new ApiProblem("workbook-refused", {
      detail: `Fichier refusé, aucune version n'a été créée : ${result.problems[0]?.message ?? "ce n'est pas le modèle attendu."}`,
      errors: result.problems.map(problemItem),
    });
  }
  const upload = await getUpload(db, client, result.versionId);
  return { kind: result.errors > 0 ? "stored_with_errors" : "stored", upload };
}

/** The 422 answered when a version is kept with errors: every error, and the version kept. */
export function workbookErrorsProblem(upload: Upload): ApiProblem {
  const { errors, warnings, filename: _f, sizeBytes: _s, sha256: _h, submittedAt: _t, warningsComment: _w, returnReason: _r, ...summary } = upload;
  return new ApiProblem("workbook-errors", {
    detail: `Le fichier contient ${errors.length} erreur(s) : la version ${upload.version} est conservée comme brouillon mais ne peut pas être transmise. Corrigez toutes les erreurs listées puis déposez le fichier de nouveau.`,
    errors,
    headers: { Location: upload.url },
    extra: { warnings, upload: summary },
  });
}

/** POST /uploads/{id}/submit: transmits the version for the institution's validation (Art. 4), with its comment. */
export async function submitUpload(db: Db, actor: Actor, client: ApiClient, id: string, comment: string | null): Promise<Upload> {
  await getUpload(db, client, id);
  await transitionVersion(db, actor, { versionId: id, action: "submit", comment });
  return getUpload(db, client, id);
}
