import { sql } from "kysely";
import type { Db } from "../db.server";
import { notFound } from "../errors.server";
import { can, type Subject } from "~/domain/permissions";
import { notAvailableCountText } from "~/domain/partial-totals";
import { actionsFrom, versionVisibleTo, workflowTransitions, type VersionStatus, type WorkflowAction } from "~/domain/submissions";
import type { Problem } from "~/domain/problems";
import { todayIso } from "~/domain/dates";

/** Campaigns that concern an organisation (it is expected in them), latest first, with its submission status. */
export async function campaignsForOrganisation(db: Db, organisationId: string) {
  return db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .leftJoin("submission as s", (j) => j.onRef("s.campaign_id", "=", "c.id").onRef("s.organisation_id", "=", "e.organisation_id"))
    .select(["c.reference_year", "c.status as campaign_status", "e.deadline", "s.status as submission_status", "s.version_count", "s.last_activity_at"])
    .where("e.organisation_id", "=", organisationId)
    .where("c.status", "!=", "draft")
    .orderBy("c.reference_year", "desc")
    .execute();
}

/**
 * One organisation's dossier for one campaign, as `viewer` may see it:
 * versions, the problems of the selected version, the exchange thread, and
 * the workflow actions the viewer may take (transition table × permissions).
 */
export async function getDossier(db: Db, viewer: Subject & { id: string }, year: number, organisationCode: string, selectedNumber?: number) {
  const head = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .select(["c.id as campaign_id", "c.reference_year", "c.status as campaign_status", "e.deadline", "o.id as organisation_id", "o.code", "o.name"])
    .where("c.reference_year", "=", year)
    .where("o.code", "=", organisationCode)
    .executeTakeFirst();
  if (!head || !can(viewer, "read:submission", head.organisation_id)) throw notFound("Ce dossier");
  const submission = await db
    .selectFrom("submission")
    .selectAll()
    .where("campaign_id", "=", head.campaign_id)
    .where("organisation_id", "=", head.organisation_id)
    .executeTakeFirst();
  const allVersions = submission
    ? await db
        .selectFrom("submission_version as v")
        .innerJoin("stored_file as f", "f.id", "v.file_id")
        .leftJoin("app_user as u", "u.id", "v.uploaded_by")
        .leftJoin("api_token as t", "t.id", "v.api_token_id")
        .select([
          "v.id",
          "v.number",
          "v.status",
          "v.uploaded_at",
          "v.uploaded_via",
          "v.error_count",
          "v.warning_count",
          "v.problems",
          "v.warnings_comment",
          "v.return_reason",
          "v.submitted_at",
          "v.validated_at",
          "v.reviewed_at",
          "f.filename",
          "f.size_bytes",
          "f.sha256",
          "u.display_name as uploader_name",
          "t.name as token_name",
        ])
        .where("v.submission_id", "=", submission.id)
        .orderBy("v.number", "desc")
        .execute()
    : [];
  // Art. 4: the ODPE sees a partner's version only once its institution has validated (transmitted) it.
  const versions = allVersions.filter((v) => versionVisibleTo(viewer, head.organisation_id, v));
  const hiddenVersionIds = new Set(allVersions.filter((v) => !versions.includes(v)).map((v) => v.id));
  const comments = submission
    ? (
        await db
          .selectFrom("submission_comment")
          .select(["id", "version_id", "author_label", "kind", "body", "created_at"])
          .where("submission_id", "=", submission.id)
          .orderBy("created_at")
          .execute()
      )
        .filter((c) => !c.version_id || !hiddenVersionIds.has(c.version_id))
        .map(({ version_id: _versionId, ...c }) => c)
    : [];
  const selected = versions.find((v) => v.number === selectedNumber) ?? versions[0] ?? null;
  const actionsFor = (status: VersionStatus): WorkflowAction[] =>
    actionsFrom(status).filter((action) => can(viewer, workflowTransitions[action].permission, head.organisation_id));
  const latest = versions[0];
  // The accepted version still stands when a newer one is in progress (Art. 4): say both.
  const acceptedVersion = versions.find((v) => v.status === "accepted") ?? null;
  const inProgress = latest && latest.status !== "accepted" && acceptedVersion && latest.number > acceptedVersion.number ? latest : null;
  return {
    campaign: { id: head.campaign_id, year: head.reference_year, status: head.campaign_status, deadline: head.deadline, late: todayIso() > head.deadline },
    organisation: { id: head.organisation_id, code: head.code, name: head.name },
    submission: submission ? { id: submission.id, status: submission.status, firstTransmittedAt: submission.first_transmitted_at, acceptedAt: submission.accepted_at } : null,
    versions: versions.map(({ problems: _problems, ...v }) => ({
      ...v,
      // only the latest version can be submitted; any version in flight can move on
      actions: actionsFor(v.status).filter((a) => a !== "submit" || v.id === latest?.id),
    })),
    selected: selected ? { id: selected.id, number: selected.number, problems: (selected.problems ?? []) as Problem[] } : null,
    comments,
    standing: acceptedVersion ? { acceptedNumber: acceptedVersion.number, inProgress: inProgress ? { number: inProgress.number, status: inProgress.status } : null } : null,
    /** Active validator accounts of the organisation: with none, a transmitted version waits forever (Art. 4). */
    validatorCount: await countValidators(db, head.organisation_id),
    viewerIsOwner: viewer.organisationId === head.organisation_id,
    canUpload: can(viewer, "submit:submission", head.organisation_id),
    canComment: can(viewer, "read:submission", head.organisation_id),
  };
}

/** Active, not erased validator accounts of an organisation (Art. 4: someone must validate for the institution). */
export async function countValidators(db: Db, organisationId: string): Promise<number> {
  const row = await db
    .selectFrom("app_user")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("organisation_id", "=", organisationId)
    .where("role", "=", "partner_validator")
    .where("status", "=", "active")
    .where("erased_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A version's owner and file, for downloads (null when the viewer may not see it: 404, not 403). */
export async function versionForDownload(db: Db, viewer: Subject, versionId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(versionId)) return null;
  const row = await db
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .innerJoin("campaign as c", "c.id", "s.campaign_id")
    .innerJoin("organisation as o", "o.id", "s.organisation_id")
    .select(["v.id", "v.number", "v.status", "v.validated_at", "v.file_id", "v.problems", "s.organisation_id", "o.code", "c.reference_year"])
    .where("v.id", "=", versionId)
    .executeTakeFirst();
  if (!row || !can(viewer, "read:submission", row.organisation_id)) return null;
  // Art. 4: a draft or an internally submitted version is not the ODPE's to open.
  if (!versionVisibleTo(viewer, row.organisation_id, row)) return null;
  return row;
}

/** The completeness board of a campaign (referent): every expected organisation, its status, timing and last activity. */
export async function completenessBoard(db: Db, year: number) {
  const rows = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .leftJoin("submission as s", (j) => j.onRef("s.campaign_id", "=", "c.id").onRef("s.organisation_id", "=", "e.organisation_id"))
    .select([
      "o.code",
      "o.name",
      "e.deadline",
      "e.reopened_at",
      "s.status",
      "s.version_count",
      "s.first_transmitted_at",
      "s.accepted_at",
      "s.last_activity_at",
      sql<number>`(e.deadline - current_date)`.as("days_to_deadline"),
      // The accepted version still stands while a newer one goes through the workflow (Art. 4).
      sql<number | null>`(select max(v.number) from submission_version v where v.submission_id = s.id and v.status = 'accepted')`.as("accepted_number"),
      sql<number | null>`(select max(v.number) from submission_version v where v.submission_id = s.id and v.status <> 'superseded')`.as("current_number"),
      sql<string>`(select count(*) from app_user u where u.organisation_id = o.id and u.role = 'partner_validator' and u.status = 'active' and u.erased_at is null)`.as("validator_count"),
      // ADR 030: cells of the latest version declared « non disponible » (ND) or « non concerné » (NC).
      sql<string>`(select count(*) from submission_value sv join submission_version v on v.id = sv.version_id
        where v.submission_id = s.id and v.status <> 'superseded' and sv.not_available_code = 'ND'
          and v.number = (select max(w.number) from submission_version w where w.submission_id = s.id and w.status <> 'superseded'))`.as("nd_count"),
      sql<string>`(select count(*) from submission_value sv join submission_version v on v.id = sv.version_id
        where v.submission_id = s.id and v.status <> 'superseded' and sv.not_available_code = 'NC'
          and v.number = (select max(w.number) from submission_version w where w.submission_id = s.id and w.status <> 'superseded'))`.as("nc_count"),
    ])
    .where("c.reference_year", "=", year)
    .orderBy("o.code")
    .execute();
  return rows.map((r) => {
    const transmittedOn = r.first_transmitted_at ? new Date(r.first_transmitted_at).toISOString().slice(0, 10) : null;
    return {
      ...r,
      status: r.status ?? "expected",
      daysToDeadline: Number(r.days_to_deadline),
      acceptedNumber: r.accepted_number === null ? null : Number(r.accepted_number),
      currentNumber: r.current_number === null ? null : Number(r.current_number),
      /** No active validator account: a transmitted version would wait forever (Art. 4). */
      withoutValidator: Number(r.validator_count) === 0,
      /** ADR 030: cells of the latest version without a figure, counted (never taken as 0). */
      notAvailableCount: Number(r.nd_count),
      notApplicableCount: Number(r.nc_count),
      notAvailableText: notAvailableCountText(Number(r.nd_count), Number(r.nc_count)),
      onTime: transmittedOn === null ? null : transmittedOn <= r.deadline,
    };
  });
}

/**
 * What waits for this user in the workflow: versions to validate for its own
 * organisation (validators, Art. 4) or to review (referent), oldest first.
 */
export async function pendingActionsFor(db: Db, user: Subject) {
  const mayValidate = can(user, "validate:submission", user.organisationId);
  const mayReview = can(user, "review:submission", "*");
  if (!mayValidate && !mayReview) return [];
  let query = db
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .innerJoin("campaign as c", "c.id", "s.campaign_id")
    .innerJoin("organisation as o", "o.id", "s.organisation_id")
    .select(["v.id", "v.number", "v.status", "v.submitted_at", "v.validated_at", "c.reference_year", "o.code", "o.name"])
    .orderBy("v.submitted_at");
  query = query.where((eb) =>
    eb.or([
      ...(mayValidate ? [eb.and([eb("v.status", "=", "submitted"), eb("s.organisation_id", "=", user.organisationId)])] : []),
      ...(mayReview ? [eb("v.status", "=", "institution_validated")] : []),
    ]),
  );
  return query.limit(50).execute();
}
