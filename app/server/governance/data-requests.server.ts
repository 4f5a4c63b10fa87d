import { sql } from "kysely";
import type { Db } from "../db.server";
import { DomainError, forbidden, notFound } from "../errors.server";
import { actorMay, run, type Actor } from "../command.server";
import { putFile } from "../storage/files.server";
import type { Upload } from "../http/uploads.server";
import { checkWorkspaceFile } from "../workspace/sniff.server";
import { tellOrganisations, tellUsers } from "../publications/notices.server";
import { todayIso, type IsoDate } from "~/domain/dates";
import { answerFormatLabels, isRequestReminderDay, parseFigures, type DataRequestFormInput } from "~/domain/data-requests";
import { formatDate } from "~/domain/format";
import { partnerOrganisations, personActing } from "./governance.server";

/**
 * Ad-hoc data requests (Art. 3). The referent or a member asks partner
 * organisations a question; each organisation's correspondent answers once
 * (file or figures) or declines with a reason; the requester is told; the
 * daily reminder rule reminds organisations that have not answered (3 days
 * before the due date, on it, then weekly). Answers are pooled data: every
 * member reads them for internal use (Art. 4); any external diffusion goes
 * through the approval circuit (Art. 5). Commands check their actor's permission.
 */

export async function listDataRequests(db: Db, organisationId: string) {
  const requests = await db
    .selectFrom("data_request as r")
    .innerJoin("organisation as o", "o.id", "r.requester_organisation_id")
    .leftJoin("data_request_recipient as x", "x.request_id", "r.id")
    .select([
      "r.id",
      "r.title",
      "r.due_on",
      "r.status",
      "r.answer_format",
      "r.created_at",
      "o.name as requester_name",
      sql<number>`count(x.organisation_id)::int`.as("recipients"),
      sql<number>`count(x.organisation_id) filter (where x.status <> 'pending')::int`.as("answered"),
      sql<string | null>`max(case when x.organisation_id = ${organisationId} then x.status end)`.as("my_status"),
    ])
    .groupBy(["r.id", "o.name"])
    .orderBy("r.status", "desc")
    .orderBy("r.due_on")
    .execute();
  return requests;
}

/** Requests addressed to `organisationId` still awaiting its answer (for its home page). */
export async function pendingRequestsFor(db: Db, organisationId: string) {
  return db
    .selectFrom("data_request_recipient as x")
    .innerJoin("data_request as r", "r.id", "x.request_id")
    .select(["r.id", "r.title", "r.due_on"])
    .where("x.organisation_id", "=", organisationId)
    .where("x.status", "=", "pending")
    .where("r.status", "=", "open")
    .orderBy("r.due_on")
    .execute();
}

export async function getDataRequest(db: Db, id: string) {
  const request = await db
    .selectFrom("data_request as r")
    .innerJoin("organisation as o", "o.id", "r.requester_organisation_id")
    .innerJoin("app_user as u", "u.id", "r.requested_by")
    .select(["r.id", "r.title", "r.question", "r.answer_format", "r.due_on", "r.status", "r.created_at", "r.closed_at", "r.requested_by", "o.name as requester_name", "u.display_name as requester_person"])
    .where("r.id", "=", id)
    .executeTakeFirst();
  if (!request) throw notFound("Cette demande");
  const recipients = await db
    .selectFrom("data_request_recipient as x")
    .innerJoin("organisation as o", "o.id", "x.organisation_id")
    .leftJoin("stored_file as f", "f.id", "x.answer_file_id")
    .leftJoin("app_user as u", "u.id", "x.answered_by")
    .select([
      "x.organisation_id",
      "o.code as organisation_code",
      "o.name as organisation_name",
      "x.status",
      "x.answer_comment",
      "x.answer_figures",
      "x.answered_at",
      "u.display_name as answered_by_name",
      "f.id as file_id",
      "f.filename",
      "f.size_bytes",
    ])
    .where("x.request_id", "=", id)
    .orderBy("o.name")
    .execute();
  return { ...request, recipients };
}

export async function createDataRequest(db: Db, actor: Actor, input: DataRequestFormInput, today: IsoDate = todayIso()) {
  return run(db, actor, "create:data_request", async (trx, command) => {
    const person = personActing(actor);
    if (input.dueOn < today) throw new DomainError("validation", "La date de réponse est passée.", { dueOn: ["Choisissez une date à venir."] });
    const organisations = await partnerOrganisations(trx, input.organisationIds);
    const created = await trx
      .insertInto("data_request")
      .values({
        title: input.title,
        question: input.question,
        answer_format: input.answerFormat,
        due_on: input.dueOn,
        requested_by: person.id,
        requester_organisation_id: person.organisationId,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("data_request_recipient")
      .values(organisations.map((o) => ({ request_id: created.id, organisation_id: o.id })))
      .execute();
    await tellOrganisations(
      trx,
      organisations.map((o) => o.id),
      "submit:data_request",
      {
        kind: "data_request.opened",
        title: `Demande de données de l'ODPE : ${input.title}`,
        body: `L'observatoire demande à votre organisme une réponse avant le ${formatDate(input.dueOn)} (${answerFormatLabels[input.answerFormat].toLowerCase()}). Convention, art. 3.`,
        link: `/requests/${created.id}`,
        dedupeKey: `data-request-opened:${created.id}`,
      },
    );
    await command.audit({
      action: "data_request.created",
      entityType: "data_request",
      entityId: created.id,
      summary: `Demande de données « ${input.title} » adressée à ${organisations.map((o) => o.code).join(", ")} (réponse avant le ${formatDate(input.dueOn)}).`,
      details: input,
    });
    return created.id;
  });
}

/** Art. 3: the actor's organisation answers (once): a file or figures, as the request asks, with an optional comment. */
export async function answerDataRequest(
  db: Db,
  actor: Actor,
  requestId: string,
  input: { comment: string | null; figures: string; file: Upload | null },
) {
  return run(db, actor, "submit:data_request", async (trx, command) => {
    const person = personActing(actor);
    command.require("submit:data_request", person.organisationId);
    const request = await trx.selectFrom("data_request").select(["answer_format"]).where("id", "=", requestId).executeTakeFirst();
    if (!request) throw notFound("Cette demande");
    let figures: { label: string; value: number }[] | null = null;
    let file: { contentType: string } | null = null;
    if (request.answer_format === "figures") {
      const parsed = parseFigures(input.figures);
      if ("error" in parsed) throw new DomainError("validation", "Les chiffres saisis sont à corriger.", { figures: [parsed.error] });
      figures = parsed.figures;
    } else {
      if (!input.file) throw new DomainError("validation", "Joignez le fichier de réponse.", { file: ["Joignez le fichier de réponse."] });
      file = checkWorkspaceFile(input.file);
    }
    const [recipient, open] = await Promise.all([
      trx
        .selectFrom("data_request_recipient")
        .select("status")
        .where("request_id", "=", requestId)
        .where("organisation_id", "=", person.organisationId)
        .forUpdate()
        .executeTakeFirst(),
      trx.selectFrom("data_request").select(["status", "title", "requested_by"]).where("id", "=", requestId).executeTakeFirstOrThrow(),
    ]);
    if (!recipient) throw new DomainError("forbidden", "Cette demande n'est pas adressée à votre organisme.");
    if (open.status !== "open") throw new DomainError("conflict", "Cette demande est close : elle ne reçoit plus de réponse. Écrivez à l'observatoire.");
    if (recipient.status !== "pending") {
      throw new DomainError("conflict", "Votre organisme a déjà répondu : la réponse enregistrée n'est pas remplacée. Pour la compléter, écrivez à l'observatoire.");
    }
    const stored = input.file && file ? await putFile(trx, { filename: input.file.filename, contentType: file.contentType, bytes: input.file.bytes, createdBy: person.id }) : null;
    await trx
      .updateTable("data_request_recipient")
      .set({
        status: "answered",
        answer_comment: input.comment,
        answer_figures: figures ? JSON.stringify(figures) : null,
        answer_file_id: stored?.id ?? null,
        answered_by: person.id,
        answered_at: new Date(),
      })
      .where("request_id", "=", requestId)
      .where("organisation_id", "=", person.organisationId)
      .execute();
    const organisation = await trx.selectFrom("organisation").select(["code", "name"]).where("id", "=", person.organisationId).executeTakeFirstOrThrow();
    await tellUsers(trx, [open.requested_by], {
      kind: "data_request.answered",
      title: `Réponse de ${organisation.name} : ${open.title}`,
      body: `${organisation.name} a répondu à votre demande de données.`,
      link: `/requests/${requestId}`,
      dedupeKey: `data-request-answered:${requestId}:${person.organisationId}`,
    });
    await command.audit({
      action: "data_request.answered",
      entityType: "data_request",
      entityId: requestId,
      summary: `${organisation.code} a répondu à la demande « ${open.title} »${figures ? ` (${figures.length} chiffre${figures.length > 1 ? "s" : ""})` : stored ? ` (fichier ${stored.filename}, ${stored.sha256.slice(0, 12)}…)` : ""}.`,
    });
  });
}

export async function declineDataRequest(db: Db, actor: Actor, requestId: string, reason: string) {
  return run(db, actor, "submit:data_request", async (trx, command) => {
    const person = personActing(actor);
    command.require("submit:data_request", person.organisationId);
    const request = await trx.selectFrom("data_request").select(["status", "title", "requested_by"]).where("id", "=", requestId).executeTakeFirst();
    if (!request) throw notFound("Cette demande");
    const recipient = await trx
      .selectFrom("data_request_recipient")
      .select("status")
      .where("request_id", "=", requestId)
      .where("organisation_id", "=", person.organisationId)
      .forUpdate()
      .executeTakeFirst();
    if (!recipient) throw new DomainError("forbidden", "Cette demande n'est pas adressée à votre organisme.");
    if (request.status !== "open" || recipient.status !== "pending") throw new DomainError("conflict", "Cette demande n'attend plus de réponse de votre organisme.");
    await trx
      .updateTable("data_request_recipient")
      .set({ status: "declined", answer_comment: reason, answered_by: person.id, answered_at: new Date() })
      .where("request_id", "=", requestId)
      .where("organisation_id", "=", person.organisationId)
      .execute();
    await tellUsers(trx, [request.requested_by], {
      kind: "data_request.declined",
      title: `Demande déclinée : ${request.title}`,
      body: `Un organisme ne peut pas répondre : ${reason.slice(0, 500)}`,
      link: `/requests/${requestId}`,
      dedupeKey: `data-request-declined:${requestId}:${person.organisationId}`,
    });
    await command.audit({
      action: "data_request.declined",
      entityType: "data_request",
      entityId: requestId,
      summary: `Demande « ${request.title} » déclinée : ${reason}`,
    });
  });
}

/** The requester or the referent closes a request: no more answers, no more reminders. */
export async function closeDataRequest(db: Db, actor: Actor, requestId: string) {
  // Either permission may close (the requester its own request): `run` checks the weaker, the body the rule.
  return run(db, actor, "create:data_request", async (trx, command) => {
    const request = await trx.selectFrom("data_request").select(["status", "title", "requested_by"]).where("id", "=", requestId).forUpdate().executeTakeFirst();
    if (!request) throw notFound("Cette demande");
    if (!(actorMay(actor, "manage:data_request") || (request.requested_by === actor.id && actorMay(actor, "create:data_request")))) throw forbidden();
    if (request.status !== "open") throw new DomainError("conflict", "Cette demande est déjà close.");
    await trx.updateTable("data_request").set({ status: "closed", closed_at: new Date() }).where("id", "=", requestId).execute();
    await command.audit({
      action: "data_request.closed",
      entityType: "data_request",
      entityId: requestId,
      summary: `Demande de données « ${request.title} » close.`,
    });
  });
}

export async function requestAnswerFile(db: Db, requestId: string, organisationId: string) {
  const row = await db
    .selectFrom("data_request_recipient")
    .select("answer_file_id")
    .where("request_id", "=", requestId)
    .where("organisation_id", "=", organisationId)
    .executeTakeFirst();
  if (!row?.answer_file_id) throw notFound("Ce fichier de réponse");
  return row.answer_file_id;
}

/**
 * The daily reminder rule (app/server/reminders/rules.server.ts): every
 * organisation that has not answered an open request is reminded on its
 * reminder days. Idempotent per day (dedupe key with the date).
 */
export async function dataRequestReminders(db: Db, today: IsoDate) {
  const pending = await db
    .selectFrom("data_request_recipient as x")
    .innerJoin("data_request as r", "r.id", "x.request_id")
    .select(["r.id", "r.title", "r.due_on", "x.organisation_id"])
    .where("x.status", "=", "pending")
    .where("r.status", "=", "open")
    .execute();
  let notifications = 0;
  for (const row of pending.filter((p) => isRequestReminderDay(p.due_on, today))) {
    notifications += await db.transaction().execute((trx) =>
      tellOrganisations(trx, [row.organisation_id], "submit:data_request", {
        kind: "data_request.reminder",
        title: `Rappel : demande de données « ${row.title} »`,
        body: row.due_on < today ? `La réponse était attendue le ${formatDate(row.due_on)}.` : `La réponse est attendue le ${formatDate(row.due_on)}.`,
        link: `/requests/${row.id}`,
        dedupeKey: `data-request-reminder:${row.id}:${row.organisation_id}:${today}`,
      }),
    );
  }
  return { notifications };
}
