import { sql } from "kysely";
import type { Db } from "../db.server";
import { run, type Actor } from "../command.server";
import { DomainError, notFound } from "../errors.server";
import { getFileMeta, putFile } from "../storage/files.server";
import { checkLogo, type Upload } from "../http/uploads.server";
import { todayIso, type IsoDate } from "~/domain/dates";
import {
  isWithdrawn,
  joinedByLabel,
  membershipStatus,
  withdrawalEffectiveDate,
  type ContactFormInput,
  type MembershipFormInput,
  type OrganisationFormInput,
  type WithdrawalFormInput,
} from "~/domain/organisations";
import { formatDate } from "~/domain/format";
import type { PermissionRequest } from "~/domain/permissions";

/**
 * The permission each command of this module checks itself (ADR 034). A page
 * with several forms asks it before reading a form, so that a refused user
 * gets 403 rather than the form's validation errors.
 */
export const organisationCommandPermissions = {
  createOrganisation: "manage:organisation",
  updateOrganisation: "manage:organisation",
  setOrganisationLogo: "manage:organisation",
  removeOrganisationLogo: "manage:organisation",
  addContact: "manage:organisation",
  removeContact: "manage:organisation",
  recordMembership: "manage:membership",
  recordWithdrawal: "manage:membership",
  cancelWithdrawal: "manage:membership",
  exportOrganisationData: "export:organisation_data",
} as const satisfies Record<string, PermissionRequest>;

/** Organisations for pickers and lists, observatory team first then by code. */
export async function listOrganisationOptions(db: Db) {
  return db
    .selectFrom("organisation")
    .select(["id", "code", "name", "kind", "is_observatory_team"])
    .orderBy("is_observatory_team", "desc")
    .orderBy("code")
    .execute();
}

const membershipColumns = [
  "o.id",
  "o.code",
  "o.name",
  "o.kind",
  "o.note",
  "o.is_observatory_team",
  "o.logo_file_id",
  "o.member_since",
  "o.joined_amendment_id",
  "o.withdrawal_notice_date",
  "o.withdrawal_effective_date",
  "o.withdrawal_note",
  "a.number as joined_amendment_number",
] as const;

/** Every organisation with its membership status on `today` (Art. 7). */
export async function listOrganisations(db: Db, today: IsoDate = todayIso()) {
  const rows = await db
    .selectFrom("organisation as o")
    .leftJoin("amendment as a", "a.id", "o.joined_amendment_id")
    .select(membershipColumns)
    .orderBy("o.is_observatory_team", "desc")
    .orderBy("o.code")
    .execute();
  return rows.map((row) => ({ ...row, status: membershipStatus(row, today) }));
}

export async function getOrganisation(db: Db, id: string, today: IsoDate = todayIso()) {
  const row = await db
    .selectFrom("organisation as o")
    .leftJoin("amendment as a", "a.id", "o.joined_amendment_id")
    .select(membershipColumns)
    .where("o.id", "=", id)
    .executeTakeFirst();
  if (!row) throw notFound("Cet organisme");
  const contacts = await db
    .selectFrom("organisation_contact")
    .select(["id", "name", "job_title", "email", "phone"])
    .where("organisation_id", "=", id)
    .orderBy("created_at")
    .execute();
  const logo = row.logo_file_id ? await getFileMeta(db, row.logo_file_id) : null;
  return { ...row, status: membershipStatus(row, today), contacts, logo };
}

async function lockOrganisation(trx: Db, id: string) {
  const row = await trx
    .selectFrom("organisation")
    .select(["id", "code", "name", "is_observatory_team", "member_since", "joined_amendment_id", "withdrawal_notice_date", "withdrawal_effective_date", "logo_file_id"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound("Cet organisme");
  return row;
}

/** Creates an organisation (not yet a member: its membership is recorded apart, Art. 7). */
export async function createOrganisation(db: Db, actor: Actor, input: OrganisationFormInput) {
  return run(db, actor, organisationCommandPermissions.createOrganisation, async (trx, command) => {
    const taken = await trx.selectFrom("organisation").select("id").where("code", "=", input.code).executeTakeFirst();
    if (taken) {
      throw new DomainError("conflict", "Ce code est déjà utilisé.", { code: [`Le code ${input.code} est déjà celui d'un autre organisme.`] });
    }
    const created = await trx
      .insertInto("organisation")
      .values({ code: input.code, name: input.name, kind: input.kind, note: input.note })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "organisation.created",
      entityType: "organisation",
      entityId: created.id,
      organisationId: created.id,
      summary: `Organisme ${input.code} (${input.name}) créé.`,
    });
    return created.id;
  });
}

/** Name, category and note; the code is a stable identifier and never changes. */
export async function updateOrganisation(db: Db, actor: Actor, id: string, input: Omit<OrganisationFormInput, "code">) {
  await run(db, actor, organisationCommandPermissions.updateOrganisation, async (trx, command) => {
    const before = await trx.selectFrom("organisation").select(["code", "name", "kind", "note"]).where("id", "=", id).forUpdate().executeTakeFirst();
    if (!before) throw notFound("Cet organisme");
    await trx
      .updateTable("organisation")
      .set({ name: input.name, kind: input.kind, note: input.note, updated_at: new Date() })
      .where("id", "=", id)
      .execute();
    await command.audit({
      action: "organisation.updated",
      entityType: "organisation",
      entityId: id,
      organisationId: id,
      summary: `Organisme ${before.code} modifié.`,
      details: { before: { name: before.name, kind: before.kind, note: before.note }, after: input },
    });
  });
}

/** Replaces the logo: PNG, JPEG or WebP by its bytes, 1 Mo at most, never SVG. */
export async function setOrganisationLogo(db: Db, actor: Actor, id: string, upload: Upload) {
  const { contentType } = checkLogo(upload);
  await run(db, actor, organisationCommandPermissions.setOrganisationLogo, async (trx, command) => {
    const org = await lockOrganisation(trx, id);
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    await trx.updateTable("organisation").set({ logo_file_id: file.id, updated_at: new Date() }).where("id", "=", id).execute();
    await command.audit({
      action: "organisation.logo_set",
      entityType: "organisation",
      entityId: id,
      organisationId: id,
      summary: `Logo de ${org.code} remplacé (${contentType}, ${file.sizeBytes} octets).`,
      details: { fileId: file.id, sha256: file.sha256, previousFileId: org.logo_file_id },
    });
  });
}

export async function removeOrganisationLogo(db: Db, actor: Actor, id: string) {
  await run(db, actor, organisationCommandPermissions.removeOrganisationLogo, async (trx, command) => {
    const org = await lockOrganisation(trx, id);
    if (!org.logo_file_id) return;
    await trx.updateTable("organisation").set({ logo_file_id: null, updated_at: new Date() }).where("id", "=", id).execute();
    await command.audit({
      action: "organisation.logo_removed",
      entityType: "organisation",
      entityId: id,
      organisationId: id,
      summary: `Logo de ${org.code} retiré.`,
      details: { previousFileId: org.logo_file_id },
    });
  });
}

export async function addContact(db: Db, actor: Actor, organisationId: string, input: ContactFormInput) {
  return run(db, actor, organisationCommandPermissions.addContact, async (trx, command) => {
    const org = await lockOrganisation(trx, organisationId);
    const created = await trx
      .insertInto("organisation_contact")
      .values({ organisation_id: organisationId, name: input.name, job_title: input.jobTitle, email: input.email, phone: input.phone })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "organisation.contact_added",
      entityType: "organisation",
      entityId: organisationId,
      organisationId,
      summary: `Contact ${input.name} ajouté à ${org.code}.`,
    });
    return created.id;
  });
}

export async function removeContact(db: Db, actor: Actor, organisationId: string, contactId: string) {
  await run(db, actor, organisationCommandPermissions.removeContact, async (trx, command) => {
    const org = await lockOrganisation(trx, organisationId);
    const removed = await trx
      .deleteFrom("organisation_contact")
      .where("id", "=", contactId)
      .where("organisation_id", "=", organisationId)
      .returning("name")
      .executeTakeFirst();
    if (!removed) throw notFound("Ce contact");
    await command.audit({
      action: "organisation.contact_removed",
      entityType: "organisation",
      entityId: organisationId,
      organisationId,
      summary: `Contact ${removed.name} retiré de ${org.code}.`,
    });
  });
}

/**
 * Art. 7: records that the organisation is a member since a date, by the
 * framework convention or by an amendment admitting new partners. An
 * organisation whose withdrawal has taken effect may join again (later).
 */
export async function recordMembership(db: Db, actor: Actor, id: string, input: MembershipFormInput, today: IsoDate = todayIso()) {
  await run(db, actor, organisationCommandPermissions.recordMembership, async (trx, command) => {
    const org = await lockOrganisation(trx, id);
    if (org.withdrawal_notice_date && !isWithdrawn(org, today)) {
      throw new DomainError("conflict", "Un retrait est notifié pour cet organisme : annulez-le avant de modifier son adhésion.");
    }
    if (org.withdrawal_effective_date && input.memberSince < org.withdrawal_effective_date) {
      throw new DomainError("validation", "Une nouvelle adhésion doit suivre la date d'effet du retrait.", {
        memberSince: [`Indiquez une date à partir du ${formatDate(org.withdrawal_effective_date)}.`],
      });
    }
    if (org.withdrawal_effective_date && input.joinedBy === "convention") {
      throw new DomainError("validation", "Un organisme retiré ne redevient membre que par un avenant d'adhésion (art. 7).", {
        joinedBy: ["Choisissez l'avenant d'adhésion (enregistrez-le d'abord dans le registre de la convention)."],
      });
    }
    let amendmentNumber: number | null = null;
    if (input.joinedBy !== "convention") {
      const amendment = await trx.selectFrom("amendment").select(["id", "number", "kind"]).where("id", "=", input.joinedBy).executeTakeFirst();
      if (!amendment) throw new DomainError("validation", "Avenant inconnu.", { joinedBy: ["Choisissez un avenant dans la liste."] });
      if (amendment.kind !== "new_partner") {
        throw new DomainError("validation", "Cet avenant n'est pas un avenant d'adhésion.", {
          joinedBy: [`L'avenant n° ${amendment.number} ne fait adhérer aucun partenaire : choisissez un avenant d'adhésion.`],
        });
      }
      amendmentNumber = amendment.number;
    }
    await trx
      .updateTable("organisation")
      .set({
        member_since: input.memberSince,
        joined_amendment_id: input.joinedBy === "convention" ? null : input.joinedBy,
        withdrawal_notice_date: null,
        withdrawal_effective_date: null,
        withdrawal_note: null,
        updated_at: new Date(),
      })
      .where("id", "=", id)
      .execute();
    await command.audit({
      action: "organisation.membership_recorded",
      entityType: "organisation",
      entityId: id,
      organisationId: id,
      summary: `${org.code} membre depuis le ${formatDate(input.memberSince)} (${joinedByLabel(amendmentNumber)}).`,
      details: {
        memberSince: input.memberSince,
        amendmentNumber,
        previous: { memberSince: org.member_since, withdrawalEffectiveDate: org.withdrawal_effective_date },
      },
    });
  });
}

/**
 * Art. 7: the referent records the registered letter; the withdrawal takes
 * effect three calendar months later. The organisation's data remain its property.
 */
export async function recordWithdrawal(db: Db, actor: Actor, id: string, input: WithdrawalFormInput, today: IsoDate = todayIso()) {
  return run(db, actor, organisationCommandPermissions.recordWithdrawal, async (trx, command) => {
    const org = await lockOrganisation(trx, id);
    if (org.is_observatory_team) throw new DomainError("validation", "L'équipe de l'observatoire ne peut pas se retirer de la convention.");
    if (!org.member_since) throw new DomainError("validation", "Cet organisme n'est pas membre : il n'a pas de retrait à notifier.");
    if (org.withdrawal_notice_date) {
      throw new DomainError("conflict", `Un retrait est déjà enregistré (lettre du ${formatDate(org.withdrawal_notice_date)}).`);
    }
    if (input.noticeDate < org.member_since) {
      throw new DomainError("validation", "La lettre de retrait ne peut pas précéder l'adhésion.", {
        noticeDate: [`L'organisme est membre depuis le ${formatDate(org.member_since)}.`],
      });
    }
    if (input.noticeDate > today) {
      throw new DomainError("validation", "La date de la lettre ne peut pas être dans le futur.", {
        noticeDate: ["Indiquez la date de la lettre recommandée reçue."],
      });
    }
    const effective = withdrawalEffectiveDate(input.noticeDate);
    await trx
      .updateTable("organisation")
      .set({ withdrawal_notice_date: input.noticeDate, withdrawal_effective_date: effective, withdrawal_note: input.note, updated_at: new Date() })
      .where("id", "=", id)
      .execute();
    await command.audit({
      action: "organisation.withdrawal_recorded",
      entityType: "organisation",
      entityId: id,
      organisationId: id,
      summary: `Retrait de ${org.code} notifié par lettre du ${formatDate(input.noticeDate)}, effectif le ${formatDate(effective)} (art. 7).`,
      details: { noticeDate: input.noticeDate, effectiveDate: effective, note: input.note },
    });
    return { effectiveDate: effective };
  });
}

/** A notified withdrawal may be cancelled until it takes effect. */
export async function cancelWithdrawal(db: Db, actor: Actor, id: string, today: IsoDate = todayIso()) {
  await run(db, actor, organisationCommandPermissions.cancelWithdrawal, async (trx, command) => {
    const org = await lockOrganisation(trx, id);
    if (!org.withdrawal_notice_date) throw new DomainError("validation", "Aucun retrait n'est enregistré pour cet organisme.");
    if (isWithdrawn(org, today)) {
      throw new DomainError("conflict", "Le retrait a pris effet : il ne peut plus être annulé. Une nouvelle adhésion passe par un avenant.");
    }
    await trx
      .updateTable("organisation")
      .set({ withdrawal_notice_date: null, withdrawal_effective_date: null, withdrawal_note: null, updated_at: new Date() })
      .where("id", "=", id)
      .execute();
    await command.audit({
      action: "organisation.withdrawal_cancelled",
      entityType: "organisation",
      entityId: id,
      organisationId: id,
      summary: `Retrait de ${org.code} annulé avant sa prise d'effet.`,
      details: { noticeDate: org.withdrawal_notice_date, effectiveDate: org.withdrawal_effective_date },
    });
  });
}

/**
 * Art. 5–6: an organisation's data remain its property. Everything the
 * portal holds about and from the organisation, as one JSON document; the
 * collection (Art. 4) adds the submitted values here.
 */
export async function exportOrganisationData(db: Db, actor: Actor, organisationId: string, now = new Date()) {
  return run(db, actor, organisationCommandPermissions.exportOrganisationData, async (trx, command) => {
    command.require("export:organisation_data", organisationId, { readPermission: "read:organisation", what: "Cet organisme" });
    const org = await getOrganisation(trx, organisationId, todayIso(now));
    const agreements = await trx
      .selectFrom("agreement")
      .select(["id", "reference", "signed_on", "starts_on", "ends_on", "format", "statistical_level", "due_month_day", "same_person_may_validate", "note"])
      .where("organisation_id", "=", organisationId)
      .orderBy("starts_on")
      .execute();
    const rights = agreements.length
      ? await trx
          .selectFrom("agreement_indicator as ai")
          .innerJoin("indicator as i", "i.id", "ai.indicator_id")
          .select(["ai.agreement_id", "i.code as indicator", "ai.usage_rights"])
          .where(
            "ai.agreement_id",
            "in",
            agreements.map((a) => a.id),
          )
          .orderBy("i.code")
          .execute()
      : [];
    const expected = await trx
      .selectFrom("expected_submission as e")
      .innerJoin("campaign as c", "c.id", "e.campaign_id")
      .select(["c.reference_year", "c.status as campaign_status", "e.status", "e.deadline", "e.reopened_at", "e.reopen_reason"])
      .where("e.organisation_id", "=", organisationId)
      .orderBy("c.reference_year")
      .execute();
    const users = await trx
      .selectFrom("app_user")
      .select(["email", "display_name", "role", "status"])
      .where("organisation_id", "=", organisationId)
      .orderBy("email")
      .execute();
    await command.audit({
      action: "organisation.data_exported",
      entityType: "organisation",
      entityId: organisationId,
      organisationId,
      summary: `Données de ${org.code} exportées.`,
    });
    return {
      exportedAt: now.toISOString(),
      notice: "Art. 5–6 de la convention : les données transmises restent la propriété de l'organisme.",
      organisation: {
        code: org.code,
        name: org.name,
        kind: org.kind,
        status: org.status,
        memberSince: org.member_since,
        joinedBy: joinedByLabel(org.joined_amendment_number),
        withdrawalNoticeDate: org.withdrawal_notice_date,
        withdrawalEffectiveDate: org.withdrawal_effective_date,
      },
      contacts: org.contacts.map(({ name, job_title, email, phone }) => ({ name, jobTitle: job_title, email, phone })),
      users,
      agreements: agreements.map((a) => ({
        reference: a.reference,
        signedOn: a.signed_on,
        startsOn: a.starts_on,
        endsOn: a.ends_on,
        format: a.format,
        statisticalLevel: a.statistical_level,
        dueMonthDay: a.due_month_day,
        samePersonMayValidate: a.same_person_may_validate,
        note: a.note,
        indicators: rights.filter((r) => r.agreement_id === a.id).map((r) => ({ code: r.indicator, usageRights: r.usage_rights })),
      })),
      expectedSubmissions: expected.map((e) => ({
        referenceYear: e.reference_year,
        campaignStatus: e.campaign_status,
        status: e.status,
        deadline: e.deadline,
        reopenedAt: e.reopened_at,
        reopenReason: e.reopen_reason,
      })),
    };
  });
}

export type OrganisationExport = Awaited<ReturnType<typeof exportOrganisationData>>;

/** Counts for the member list header. */
export async function countMembers(db: Db, today: IsoDate = todayIso()) {
  const row = await db
    .selectFrom("organisation")
    .select([
      sql<number>`count(*) filter (where member_since <= ${today} and (withdrawal_effective_date is null or withdrawal_effective_date > ${today}))::int`.as("members"),
      sql<number>`count(*) filter (where withdrawal_effective_date <= ${today})::int`.as("withdrawn"),
    ])
    .executeTakeFirstOrThrow();
  return row;
}
