import { sql } from "kysely";
import type { Db } from "../db.server";
import { DomainError, notFound } from "../errors.server";
import { run, type Actor, type UserActor } from "../command.server";
import { putFile } from "../storage/files.server";
import { checkPdf, type Upload } from "../http/uploads.server";
import {
  decisionSubjectLabels,
  type DecisionFormInput,
  type DecisionSubjectType,
  type GovernanceBodyCode,
  type MeetingFormInput,
  type MemberFormInput,
} from "~/domain/governance";
import { todayIso } from "~/domain/dates";
import { formatDate } from "~/domain/format";

/**
 * Governance bodies of the convention (Art. 2): the conférence stratégique
 * and the comité de suivi, their members, meetings (agenda, minutes) and
 * decisions. A decision may cite another record (an edition of the dashboard
 * adopted, an amendment, a publication, an indicator proposal), which then
 * shows it. Each command checks its actor's permission itself (`run`, ADR 034).
 */

/**
 * The person acting in the name of an organisation, for the commands only a
 * member of an organisation does (a proposal, an opinion, a data request, an
 * answer): the system actor has no organisation to speak for.
 */
export function personActing(actor: Actor): UserActor & { id: string } {
  if (actor.kind !== "user" || actor.id === null) {
    throw new DomainError("forbidden", "Cette action est faite par une personne au nom de son organisme.");
  }
  return { ...actor, id: actor.id };
}

/** The partner organisations named in a form (never the observatory team); a French field error when one is unknown. */
export async function partnerOrganisations(trx: Pick<Db, "selectFrom">, ids: readonly string[]) {
  const organisations = await trx.selectFrom("organisation").select(["id", "code"]).where("id", "in", [...ids]).where("is_observatory_team", "=", false).execute();
  if (organisations.length !== new Set(ids).size) {
    throw new DomainError("validation", "Un des organismes choisis n'existe pas ou n'est pas un partenaire.", {
      organisationIds: ["Choisissez les organismes dans la liste, puis enregistrez de nouveau."],
    });
  }
  return organisations;
}

/** Both bodies with their current members and meetings, latest first. */
export async function listGovernance(db: Db, today = todayIso()) {
  const [bodies, members, meetings] = await Promise.all([
    db.selectFrom("governance_body").selectAll().orderBy("code").execute(),
    db
      .selectFrom("governance_member as m")
      .innerJoin("organisation as o", "o.id", "m.organisation_id")
      .select(["m.id", "m.body_code", "m.person_name", "m.position", "m.since", "m.until", "o.code as organisation_code", "o.name as organisation_name"])
      .orderBy("o.name")
      .orderBy("m.person_name")
      .execute(),
    db
      .selectFrom("governance_meeting as g")
      .leftJoin("governance_decision as d", "d.meeting_id", "g.id")
      .select(["g.id", "g.body_code", "g.held_on", "g.title", "g.minutes_file_id", sql<number>`count(d.id)::int`.as("decision_count")])
      .groupBy("g.id")
      .orderBy("g.held_on", "desc")
      .execute(),
  ]);
  return bodies.map((body) => ({
    ...body,
    members: members.filter((m) => m.body_code === body.code && (m.until === null || m.until >= today)),
    formerMembers: members.filter((m) => m.body_code === body.code && m.until !== null && m.until < today),
    meetings: meetings.filter((m) => m.body_code === body.code),
  }));
}

async function bodyName(db: Pick<Db, "selectFrom">, code: GovernanceBodyCode) {
  const body = await db.selectFrom("governance_body").select("name").where("code", "=", code).executeTakeFirst();
  if (!body) throw notFound("Cette instance");
  return body.name;
}

export async function addMember(db: Db, actor: Actor, input: MemberFormInput) {
  return run(db, actor, "manage:governance", async (trx, command) => {
    const name = await bodyName(trx, input.bodyCode);
    const organisation = await trx.selectFrom("organisation").select(["code"]).where("id", "=", input.organisationId).executeTakeFirst();
    if (!organisation) throw new DomainError("validation", "Cet organisme n'existe pas.", { organisationId: ["Choisissez un organisme de la liste."] });
    const created = await trx
      .insertInto("governance_member")
      .values({
        body_code: input.bodyCode,
        organisation_id: input.organisationId,
        person_name: input.personName,
        position: input.position,
        since: input.since,
        until: input.until,
        created_by: actor.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "governance.member_added",
      entityType: "governance_member",
      entityId: created.id,
      summary: `${input.personName} (${organisation.code}) membre de la ${name} depuis le ${formatDate(input.since)}.`,
      details: input,
    });
    return created.id;
  });
}

export async function endMembership(db: Db, actor: Actor, memberId: string, until = todayIso()) {
  return run(db, actor, "manage:governance", async (trx, command) => {
    const member = await trx.selectFrom("governance_member").selectAll().where("id", "=", memberId).forUpdate().executeTakeFirst();
    if (!member) throw notFound("Ce membre");
    if (member.until !== null && member.until <= until) throw new DomainError("conflict", "Ce mandat est déjà terminé.");
    const end = until < member.since ? member.since : until;
    await trx.updateTable("governance_member").set({ until: end }).where("id", "=", memberId).execute();
    await command.audit({
      action: "governance.member_ended",
      entityType: "governance_member",
      entityId: memberId,
      summary: `Fin du mandat de ${member.person_name} le ${formatDate(end)}.`,
    });
  });
}

export async function createMeeting(db: Db, actor: Actor, input: MeetingFormInput) {
  return run(db, actor, "manage:governance", async (trx, command) => {
    const name = await bodyName(trx, input.bodyCode);
    const created = await trx
      .insertInto("governance_meeting")
      .values({ body_code: input.bodyCode, held_on: input.heldOn, title: input.title, agenda: input.agenda, created_by: actor.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "governance.meeting_recorded",
      entityType: "governance_meeting",
      entityId: created.id,
      summary: `Réunion de la ${name} du ${formatDate(input.heldOn)} enregistrée : ${input.title}.`,
      details: input,
    });
    return created.id;
  });
}

/** Attaches (or replaces) a meeting's minutes (a PDF). */
export async function setMinutes(db: Db, actor: Actor, meetingId: string, upload: Upload | null) {
  return run(db, actor, "manage:governance", async (trx, command) => {
    if (!upload) throw new DomainError("validation", "Choisissez le compte rendu (PDF).", { minutes: ["Choisissez le compte rendu (PDF)."] });
    const { contentType } = checkPdf(upload);
    const meeting = await trx.selectFrom("governance_meeting").select(["id", "held_on"]).where("id", "=", meetingId).forUpdate().executeTakeFirst();
    if (!meeting) throw notFound("Cette réunion");
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    await trx.updateTable("governance_meeting").set({ minutes_file_id: file.id }).where("id", "=", meetingId).execute();
    await command.audit({
      action: "governance.minutes_attached",
      entityType: "governance_meeting",
      entityId: meetingId,
      summary: `Compte rendu de la réunion du ${formatDate(meeting.held_on)} déposé (${upload.filename}, ${file.sha256.slice(0, 12)}…).`,
    });
  });
}

/** The label of a record a decision cites, or null when it does not exist. */
async function subjectLabel(db: Pick<Db, "selectFrom">, type: DecisionSubjectType, id: string): Promise<{ label: string; href: string } | null> {
  switch (type) {
    case "dashboard_edition": {
      const row = await db.selectFrom("dashboard_edition").select(["id", "reference_year", "number"]).where("id", "=", id).executeTakeFirst();
      return row ? { label: `Tableau de bord ${row.reference_year}, édition ${row.number}`, href: `/dashboard/editions/${row.id}` } : null;
    }
    case "amendment": {
      const row = await db.selectFrom("amendment").select(["number", "title"]).where("id", "=", id).executeTakeFirst();
      return row ? { label: `Avenant n° ${row.number} : ${row.title}`, href: "/convention" } : null;
    }
    case "publication": {
      const row = await db.selectFrom("publication").select(["id", "title"]).where("id", "=", id).executeTakeFirst();
      return row ? { label: `Publication « ${row.title} »`, href: `/publications/${row.id}` } : null;
    }
    case "indicator_proposal": {
      const row = await db.selectFrom("indicator_proposal").select(["id", "title"]).where("id", "=", id).executeTakeFirst();
      return row ? { label: `Proposition « ${row.title} »`, href: `/proposals/${row.id}` } : null;
    }
  }
}

export async function getMeeting(db: Db, id: string) {
  const meeting = await db
    .selectFrom("governance_meeting as g")
    .innerJoin("governance_body as b", "b.code", "g.body_code")
    .leftJoin("stored_file as f", "f.id", "g.minutes_file_id")
    .select(["g.id", "g.body_code", "b.name as body_name", "g.held_on", "g.title", "g.agenda", "g.minutes_file_id", "f.filename as minutes_filename"])
    .where("g.id", "=", id)
    .executeTakeFirst();
  if (!meeting) throw notFound("Cette réunion");
  const decisions = await db.selectFrom("governance_decision").selectAll().where("meeting_id", "=", id).orderBy("number").execute();
  return {
    ...meeting,
    decisions: await Promise.all(
      decisions.map(async (d) => ({
        id: d.id,
        number: d.number,
        text: d.text,
        subject: d.subject_type && d.subject_id ? { type: d.subject_type, typeLabel: decisionSubjectLabels[d.subject_type], ...(await subjectLabel(db, d.subject_type, d.subject_id)) } : null,
      })),
    ),
  };
}

export async function getMinutes(db: Db, meetingId: string) {
  const row = await db.selectFrom("governance_meeting").select("minutes_file_id").where("id", "=", meetingId).executeTakeFirst();
  if (!row?.minutes_file_id) throw notFound("Ce compte rendu");
  return row.minutes_file_id;
}

/** The records a decision may cite, for the meeting page's select. */
export async function listDecisionSubjects(db: Db) {
  const [editions, amendments, publications, proposals] = await Promise.all([
    db.selectFrom("dashboard_edition").select(["id", "reference_year", "number"]).orderBy("reference_year", "desc").orderBy("number", "desc").execute(),
    db.selectFrom("amendment").select(["id", "number", "title"]).orderBy("number", "desc").execute(),
    db.selectFrom("publication").select(["id", "title"]).orderBy("created_at", "desc").limit(200).execute(),
    db.selectFrom("indicator_proposal").select(["id", "title"]).orderBy("created_at", "desc").limit(200).execute(),
  ]);
  return [
    ...editions.map((e) => ({ type: "dashboard_edition" as const, id: e.id, label: `Tableau de bord ${e.reference_year}, édition ${e.number}` })),
    ...amendments.map((a) => ({ type: "amendment" as const, id: a.id, label: `Avenant n° ${a.number} : ${a.title}` })),
    ...publications.map((p) => ({ type: "publication" as const, id: p.id, label: `Publication « ${p.title} »` })),
    ...proposals.map((p) => ({ type: "indicator_proposal" as const, id: p.id, label: `Proposition « ${p.title} »` })),
  ];
}

export async function addDecision(db: Db, actor: Actor, meetingId: string, input: DecisionFormInput) {
  return run(db, actor, "manage:governance", async (trx, command) => {
    const meeting = await trx
      .selectFrom("governance_meeting as g")
      .innerJoin("governance_body as b", "b.code", "g.body_code")
      .select(["g.id", "g.held_on", "b.name"])
      .where("g.id", "=", meetingId)
      .forUpdate("g")
      .executeTakeFirst();
    if (!meeting) throw notFound("Cette réunion");
    if (input.subjectType && input.subjectId && !(await subjectLabel(trx, input.subjectType, input.subjectId))) {
      throw new DomainError("validation", "L'objet cité n'existe pas.", { subjectId: ["Choisissez un objet de la liste."] });
    }
    const { n } = await trx
      .selectFrom("governance_decision")
      .select(sql<number>`coalesce(max(number), 0)::int + 1`.as("n"))
      .where("meeting_id", "=", meetingId)
      .executeTakeFirstOrThrow();
    const created = await trx
      .insertInto("governance_decision")
      .values({ meeting_id: meetingId, number: n, text: input.text, subject_type: input.subjectType, subject_id: input.subjectId, created_by: actor.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "governance.decision_recorded",
      entityType: "governance_decision",
      entityId: created.id,
      summary: `Décision n° ${n} de la ${meeting.name} du ${formatDate(meeting.held_on)} : ${input.text}`,
      details: input,
    });
    return created.id;
  });
}

/** The decisions citing a record (shown on that record's page). */
export async function decisionsCiting(db: Db, subjectType: DecisionSubjectType, subjectId: string) {
  return db
    .selectFrom("governance_decision as d")
    .innerJoin("governance_meeting as g", "g.id", "d.meeting_id")
    .innerJoin("governance_body as b", "b.code", "g.body_code")
    .select(["d.id", "d.number", "d.text", "g.id as meeting_id", "g.held_on", "b.name as body_name"])
    .where("d.subject_type", "=", subjectType)
    .where("d.subject_id", "=", subjectId)
    .orderBy("g.held_on")
    .orderBy("d.number")
    .execute();
}
