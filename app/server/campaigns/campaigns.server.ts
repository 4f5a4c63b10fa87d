import { sql, type Transaction } from "kysely";
import type { Database } from "#db/schema";
import type { Db, Executor } from "../db.server";
import { actorMay, run, type Actor } from "../command.server";
import { DomainError, forbidden, notFound } from "../errors.server";
import { todayIso, type IsoDate } from "~/domain/dates";
import { agreementCoversYear, organisationDeadline } from "~/domain/agreements";
import { isMemberOn, membershipStatus } from "~/domain/organisations";
import {
  campaignStatusLabels,
  submissionWindow,
  type CampaignFormInput,
  type CampaignStatus,
  type ReopenFormInput,
  type SubmissionWindow,
} from "~/domain/campaigns";
import { formatDate } from "~/domain/format";
import { applyTransition, campaignTable } from "~/domain/workflow";

/** Every campaign, latest reference year first, with the number of expected submissions. */
export async function listCampaigns(db: Executor) {
  return db
    .selectFrom("campaign as c")
    .leftJoin("expected_submission as e", "e.campaign_id", "c.id")
    .select([
      "c.id",
      "c.reference_year",
      "c.opens_on",
      "c.deadline",
      "c.reminder_days_before",
      "c.reminder_days_after",
      "c.status",
      "c.opened_at",
      "c.closed_at",
      "c.note",
      sql<number>`count(e.id)::int`.as("expected_count"),
      sql<number>`count(e.reopened_at)::int`.as("reopened_count"),
    ])
    .groupBy("c.id")
    .orderBy("c.reference_year", "desc")
    .execute();
}

/** One campaign with its expected submissions and, for each, whether submission is open today. */
export async function getCampaign(db: Executor, year: number, today: IsoDate = todayIso()) {
  const campaign = await db.selectFrom("campaign").selectAll().where("reference_year", "=", year).executeTakeFirst();
  if (!campaign) throw notFound("Cette campagne");
  const expected = await db
    .selectFrom("expected_submission as e")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .select([
      "e.id",
      "e.organisation_id",
      "e.status",
      "e.deadline",
      "e.reopened_at",
      "e.reopen_reason",
      "o.code as organisation_code",
      "o.name as organisation_name",
      "o.member_since",
      "o.withdrawal_notice_date",
      "o.withdrawal_effective_date",
    ])
    .where("e.campaign_id", "=", campaign.id)
    .orderBy("o.code")
    .execute();
  return {
    ...campaign,
    expected: expected.map((e) => ({
      ...e,
      organisationStatus: membershipStatus(e, today),
      window: submissionWindow(
        {
          campaignStatus: campaign.status,
          campaignClosedAt: campaign.closed_at,
          deadline: e.deadline,
          reopenedAt: e.reopened_at,
          withdrawalEffectiveDate: e.withdrawal_effective_date,
        },
        today,
      ),
    })),
  };
}

export async function createCampaign(db: Db, actor: Actor, input: CampaignFormInput) {
  return run(db, actor, "manage:campaign", async (trx, command) => {
    if (await trx.selectFrom("campaign").select("id").where("reference_year", "=", input.referenceYear).executeTakeFirst()) {
      throw new DomainError("conflict", "Une campagne existe déjà pour cette année.", {
        referenceYear: [`La campagne ${input.referenceYear} existe déjà : ouvrez-la depuis la liste.`],
      });
    }
    const created = await trx
      .insertInto("campaign")
      .values({
        reference_year: input.referenceYear,
        opens_on: input.opensOn,
        deadline: input.deadline,
        reminder_days_before: input.reminderDaysBefore,
        reminder_days_after: input.reminderDaysAfter,
        note: input.note,
        created_by: actor.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "campaign.created",
      entityType: "campaign",
      entityId: created.id,
      summary: `Campagne ${input.referenceYear} créée (ouverture le ${formatDate(input.opensOn)}, date limite le ${formatDate(input.deadline)}).`,
      details: input,
    });
    return created.id;
  });
}

async function lockCampaign(trx: Transaction<Database>, year: number) {
  const campaign = await trx.selectFrom("campaign").selectAll().where("reference_year", "=", year).forUpdate().executeTakeFirst();
  if (!campaign) throw notFound("Cette campagne");
  return campaign;
}

/** Dates, reminders and note may change while the campaign is in preparation. */
export async function updateCampaign(db: Db, actor: Actor, year: number, input: CampaignFormInput) {
  await run(db, actor, "manage:campaign", async (trx, command) => {
    const campaign = await lockCampaign(trx, year);
    if (campaign.status !== "draft") {
      throw new DomainError("conflict", "Une campagne ouverte ou clôturée ne se modifie plus : prolongez plutôt le délai d'un organisme.");
    }
    if (input.referenceYear !== year) {
      throw new DomainError("validation", "L'année de référence ne se modifie pas.", { referenceYear: ["Créez une autre campagne pour une autre année."] });
    }
    await trx
      .updateTable("campaign")
      .set({
        opens_on: input.opensOn,
        deadline: input.deadline,
        reminder_days_before: input.reminderDaysBefore,
        reminder_days_after: input.reminderDaysAfter,
        note: input.note,
        updated_at: new Date(),
      })
      .where("id", "=", campaign.id)
      .execute();
    await command.audit({
      action: "campaign.updated",
      entityType: "campaign",
      entityId: campaign.id,
      summary: `Campagne ${year} modifiée (ouverture le ${formatDate(input.opensOn)}, date limite le ${formatDate(input.deadline)}).`,
      details: {
        before: {
          opensOn: campaign.opens_on,
          deadline: campaign.deadline,
          reminderDaysBefore: campaign.reminder_days_before,
          reminderDaysAfter: campaign.reminder_days_after,
          note: campaign.note,
        },
        after: input,
      },
    });
  });
}

/**
 * Moves a campaign along THE transition table (`campaignTable`,
 * app/domain/workflow.ts, through the one `applyTransition`), checking the
 * actor's permission through the one permission table. Opening creates one
 * expected submission per member organisation whose agreement covers the
 * reference year; closing locks submission.
 */
export async function transitionCampaign(db: Db, actor: Actor, year: number, target: CampaignStatus, now: Date = new Date()) {
  const today = todayIso(now);
  return run(db, actor, "manage:campaign", async (trx, command) => {
    const campaign = await lockCampaign(trx, year);
    const transition = campaignTable.find((t) => t.to === target);
    const outcome = transition ? applyTransition(campaignTable, transition.action, campaign.status, {}, campaignStatusLabels) : null;
    if (!transition || !outcome?.ok) {
      throw new DomainError(
        "conflict",
        `La campagne ${year} est « ${campaignStatusLabels[campaign.status]} » : elle ne peut pas passer à « ${campaignStatusLabels[target]} ». (règle « ${outcome && !outcome.ok ? outcome.rule : "statut de départ"} »)`,
      );
    }
    if (transition.permission !== "system" && !actorMay(actor, transition.permission)) throw forbidden();
    const audit = `campaign.${transition.action}`;

    if (target === "open") {
      if (campaign.deadline <= today) {
        throw new DomainError("validation", `La date limite (${formatDate(campaign.deadline)}) est passée : modifiez-la avant d'ouvrir la campagne.`);
      }
      const expected = await createExpectedSubmissions(trx, campaign.id, { reference_year: year, deadline: campaign.deadline }, today);
      await trx
        .updateTable("campaign")
        .set({ status: "open", opened_at: now, opens_on: today, updated_at: now })
        .where("id", "=", campaign.id)
        .execute();
      await command.audit({
        action: audit,
        entityType: "campaign",
        entityId: campaign.id,
        summary: `Campagne ${year} ouverte : ${expected.length} organisme(s) attendu(s), date limite le ${formatDate(campaign.deadline)}.`,
        details: { expected: expected.map((e) => ({ organisation: e.code, deadline: e.deadline })), openedOn: today },
      });
      return { status: "open" as const, expected: expected.length };
    }

    await trx.updateTable("campaign").set({ status: target, closed_at: now, updated_at: now }).where("id", "=", campaign.id).execute();
    await command.audit({
      action: audit,
      entityType: "campaign",
      entityId: campaign.id,
      summary: `Campagne ${year} clôturée : plus aucune transmission sauf réouverture individuelle.`,
      details: { closedOn: today },
    });
    return { status: target, expected: 0 };
  });
}

/** One expected submission per member organisation with an agreement (with indicators) covering `year`. */
async function createExpectedSubmissions(
  trx: Transaction<Database>,
  campaignId: string,
  campaign: { reference_year: number; deadline: IsoDate },
  today: IsoDate,
) {
  const year = campaign.reference_year;
  const candidates = await trx
    .selectFrom("agreement as g")
    .innerJoin("organisation as o", "o.id", "g.organisation_id")
    .select(["g.id as agreement_id", "g.starts_on", "g.ends_on", "g.due_month_day", "o.id as organisation_id", "o.code", "o.member_since", "o.withdrawal_notice_date", "o.withdrawal_effective_date"])
    .where("o.is_observatory_team", "=", false)
    .where((eb) => eb.exists(eb.selectFrom("agreement_indicator as ai").select("ai.indicator_id").whereRef("ai.agreement_id", "=", "g.id")))
    .orderBy("o.code")
    .orderBy("g.starts_on", "desc")
    .execute();
  const chosen = new Map<string, (typeof candidates)[number]>();
  for (const c of candidates) {
    if (chosen.has(c.organisation_id)) continue;
    if (!agreementCoversYear(c, year) || !isMemberOn(c, today)) continue;
    chosen.set(c.organisation_id, c);
  }
  const rows = [...chosen.values()].map((c) => ({
    campaign_id: campaignId,
    organisation_id: c.organisation_id,
    agreement_id: c.agreement_id,
    deadline: organisationDeadline(c.due_month_day, campaign),
    code: c.code,
  }));
  if (rows.length) {
    await trx
      .insertInto("expected_submission")
      .values(rows.map(({ code: _code, ...row }) => row))
      .onConflict((oc) => oc.columns(["campaign_id", "organisation_id"]).doNothing())
      .execute();
  }
  return rows;
}

/**
 * After closing (or to extend a deadline while open), the referent reopens
 * submission for one organisation with a new deadline; audited.
 */
export async function reopenForOrganisation(db: Db, actor: Actor, year: number, input: ReopenFormInput, now: Date = new Date()) {
  const today = todayIso(now);
  await run(db, actor, "manage:campaign", async (trx, command) => {
    const campaign = await lockCampaign(trx, year);
    if (campaign.status === "draft") throw new DomainError("conflict", "La campagne n'est pas encore ouverte.");
    const expected = await trx
      .selectFrom("expected_submission as e")
      .innerJoin("organisation as o", "o.id", "e.organisation_id")
      .select(["e.id", "e.deadline", "o.code", "o.withdrawal_effective_date"])
      .where("e.campaign_id", "=", campaign.id)
      .where("e.organisation_id", "=", input.organisationId)
      .forUpdate()
      .executeTakeFirst();
    if (!expected) {
      throw new DomainError("validation", "Cet organisme n'est pas attendu dans cette campagne.", {
        organisationId: ["Choisissez un organisme de la liste des transmissions attendues."],
      });
    }
    if (expected.withdrawal_effective_date && expected.withdrawal_effective_date <= today) {
      throw new DomainError("conflict", `${expected.code} s'est retiré de la convention (art. 7) : sa transmission ne peut pas être rouverte.`);
    }
    if (input.deadline < today) {
      throw new DomainError("validation", "La nouvelle date limite est passée.", { deadline: ["Indiquez une date à partir d'aujourd'hui."] });
    }
    await trx
      .updateTable("expected_submission")
      .set({ deadline: input.deadline, reopened_at: now, reopened_by: actor.id, reopen_reason: input.reason, updated_at: now })
      .where("id", "=", expected.id)
      .execute();
    await command.audit({
      action: campaign.status === "closed" ? "campaign.reopened_for_organisation" : "campaign.deadline_extended",
      entityType: "campaign",
      entityId: campaign.id,
      organisationId: input.organisationId,
      summary:
        campaign.status === "closed"
          ? `Campagne ${year} rouverte pour ${expected.code} jusqu'au ${formatDate(input.deadline)} : ${input.reason}`
          : `Campagne ${year} : délai de ${expected.code} porté au ${formatDate(input.deadline)} : ${input.reason}`,
      details: { previousDeadline: expected.deadline, deadline: input.deadline, reason: input.reason },
    });
  });
}

/** An organisation's deadlines in campaigns it may still submit to (home page, "Ma convention"). */
export async function deadlinesForOrganisation(db: Executor, organisationId: string, today: IsoDate = todayIso()) {
  const rows = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .select(["c.reference_year", "c.status as campaign_status", "c.closed_at", "e.status", "e.deadline", "e.reopened_at", "o.withdrawal_effective_date"])
    .where("e.organisation_id", "=", organisationId)
    .where("c.status", "in", ["open", "closed"])
    .orderBy("e.deadline")
    .execute();
  return rows
    .map((r) => ({
      referenceYear: r.reference_year,
      campaignStatus: r.campaign_status,
      status: r.status,
      deadline: r.deadline,
      reopened: r.reopened_at !== null,
      window: submissionWindow(
        { campaignStatus: r.campaign_status, campaignClosedAt: r.closed_at, deadline: r.deadline, reopenedAt: r.reopened_at, withdrawalEffectiveDate: r.withdrawal_effective_date },
        today,
      ),
    }))
    .filter((r) => r.window.open);
}

/** May the organisation submit for the campaign of `year` today? (the collection calls this before accepting a file). */
export async function submissionWindowFor(db: Executor, year: number, organisationId: string, today: IsoDate = todayIso()): Promise<SubmissionWindow> {
  const row = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .select(["c.status", "c.closed_at", "e.deadline", "e.reopened_at", "o.withdrawal_effective_date"])
    .where("c.reference_year", "=", year)
    .where("e.organisation_id", "=", organisationId)
    .executeTakeFirst();
  if (!row) return { open: false, reason: "closed", message: `Votre organisme n'est pas attendu dans la campagne ${year}.` };
  return submissionWindow(
    { campaignStatus: row.status, campaignClosedAt: row.closed_at, deadline: row.deadline, reopenedAt: row.reopened_at, withdrawalEffectiveDate: row.withdrawal_effective_date },
    today,
  );
}

/** Throws the French reason when the organisation may not submit for `year` today. */
export async function assertSubmissionOpen(db: Executor, year: number, organisationId: string, today: IsoDate = todayIso()) {
  const window = await submissionWindowFor(db, year, organisationId, today);
  if (!window.open) throw new DomainError(window.reason === "withdrawn" ? "forbidden" : "conflict", window.message);
  return window;
}
