import { can, type Subject } from "~/domain/permissions";
import type { IsoDate } from "~/domain/dates";
import type { Db } from "../db.server";
import { pendingActionsFor } from "../collection/queries.server";

/**
 * What waits for the signed-in user, for the home page: nothing a user must do
 * should be found only by browsing. Each list holds only what the user's role
 * may act on for its own organisation (or, for the ODPE, on every one).
 *
 * - versions to validate for the institution (Art. 4) or to review (ODPE);
 * - dossiers returned by the ODPE, with the reason (Art. 4);
 * - approvals of an external diffusion to decide (Art. 5);
 * - ad-hoc data requests to answer, with their due date (Art. 3);
 * - indicator proposals awaiting the organisation's agreement (Art. 2–3).
 */
export async function pendingWorkFor(db: Db, user: Subject, today: IsoDate) {
  const own = user.organisationId;
  const [versions, returned, approvals, requests, proposals] = await Promise.all([
    pendingActionsFor(db, user),
    can(user, "submit:submission", own)
      ? db
          .selectFrom("submission as s")
          .innerJoin("campaign as c", "c.id", "s.campaign_id")
          .innerJoin("organisation as o", "o.id", "s.organisation_id")
          .innerJoin("submission_version as v", "v.id", "s.current_version_id")
          .select(["s.id", "c.reference_year as year", "o.code", "v.number", "v.return_reason as reason", "v.reviewed_at as returnedAt"])
          .where("s.organisation_id", "=", own)
          .where("s.status", "=", "returned")
          .orderBy("c.reference_year", "desc")
          .limit(20)
          .execute()
      : Promise.resolve([]),
    can(user, "decide:approval", own)
      ? db
          .selectFrom("publication_approval as a")
          .innerJoin("publication as p", "p.id", "a.publication_id")
          .innerJoin("organisation as o", "o.id", "p.organisation_id")
          .select(["a.id", "p.title", "o.name as author", "a.requested_at as requestedAt"])
          .where("a.organisation_id", "=", own)
          .where("a.status", "=", "pending")
          .orderBy("a.requested_at")
          .limit(20)
          .execute()
      : Promise.resolve([]),
    can(user, "submit:data_request", own)
      ? db
          .selectFrom("data_request_recipient as r")
          .innerJoin("data_request as d", "d.id", "r.request_id")
          .select(["d.id", "d.title", "d.due_on as dueOn"])
          .where("r.organisation_id", "=", own)
          .where("r.status", "=", "pending")
          .where("d.status", "=", "open")
          .orderBy("d.due_on")
          .limit(20)
          .execute()
      : Promise.resolve([]),
    can(user, "decide:indicator_proposal", own)
      ? db
          .selectFrom("indicator_proposal_opinion as op")
          .innerJoin("indicator_proposal as p", "p.id", "op.proposal_id")
          .select(["p.id", "p.title", "p.created_at as proposedAt"])
          .where("op.organisation_id", "=", own)
          .where("op.position", "is", null)
          .where("p.status", "=", "open")
          .orderBy("p.created_at")
          .limit(20)
          .execute()
      : Promise.resolve([]),
  ]);
  return {
    versions: versions.map((p) => ({ id: p.id, year: p.reference_year, code: p.code, name: p.name, number: p.number, status: p.status })),
    returned,
    approvals,
    requests: requests.map((r) => ({ ...r, late: r.dueOn < today })),
    proposals,
  };
}
