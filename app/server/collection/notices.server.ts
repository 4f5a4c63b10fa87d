import type { Transaction } from "kysely";
import type { Database } from "#db/schema";
import type { Db, Executor } from "../db.server";
import { enqueueMail } from "../mail/outbox.server";
import { notify } from "../notifications/notifications.server";
import { can, type PermissionRequest, type Role } from "~/domain/permissions";
import { reminderDates } from "~/domain/campaigns";
import type { IsoDate } from "~/domain/dates";
import { transmittedStatuses, type WorkflowAction } from "~/domain/submissions";

/**
 * Who is told what when a submission moves (Art. 4), and the campaign
 * reminders. Recipients are chosen by permission through `can`, never by role.
 */
async function recipients(db: Executor, permission: PermissionRequest, organisationId: string, within: "organisation" | "everyone") {
  let query = db.selectFrom("app_user").select(["id", "email", "role", "organisation_id"]).where("status", "=", "active");
  if (within === "organisation") query = query.where("organisation_id", "=", organisationId);
  const users = await query.execute();
  return users.filter((u) => can({ role: u.role as Role, organisationId: u.organisation_id }, permission, organisationId));
}

interface Notice {
  permission: PermissionRequest;
  within: "organisation" | "everyone";
  title: (p: NoticeParams) => string;
  body: (p: NoticeParams) => string;
  /** Sent instead when nobody holds `permission` (e.g. an organisation without a validator account: a silent dead end otherwise). */
  fallback?: Notice[];
}

/** « Motif : … » as one sentence, without doubling the reason's own final punctuation (« commentaire.. Déposez »). */
export function reasonSentence(reason: string | null): string {
  const text = (reason ?? "—").trim();
  return `Motif : ${text}${/[.!?…]$/.test(text) ? "" : "."}`;
}

const noValidator = (permission: PermissionRequest): Notice => ({
  permission,
  within: "everyone",
  title: (p) => `Aucun validateur : indicateurs ${p.year} de ${p.organisationName} en attente`,
  body: (p) =>
    `La version ${p.versionNumber} a été transmise pour validation interne, mais ${p.organisationName} n'a aucun compte de validateur actif : personne ne peut la valider (convention, art. 4). Créez un compte de validateur pour cet organisme ou contactez-le.`,
});

export interface NoticeParams {
  organisationId: string;
  organisationName: string;
  year: number;
  versionId: string;
  versionNumber: number;
  comment: string | null;
}

const notices: Partial<Record<WorkflowAction, Notice[]>> = {
  submit: [
    {
      permission: "validate:submission",
      within: "organisation",
      title: (p) => `À valider : indicateurs ${p.year} de ${p.organisationName}`,
      body: (p) => `La version ${p.versionNumber} a été transmise pour validation par votre institution avant son envoi à l'ODPE (convention, art. 4).`,
      fallback: [noValidator("review:submission"), noValidator("create:user")],
    },
  ],
  validate: [
    {
      permission: "review:submission",
      within: "everyone",
      title: (p) => `Données ${p.year} reçues : ${p.organisationName}`,
      body: (p) => `La version ${p.versionNumber}, validée par l'institution, attend l'examen de l'ODPE.`,
    },
    {
      permission: "submit:submission",
      within: "organisation",
      title: (p) => `Indicateurs ${p.year} validés par votre institution`,
      body: () => "Les données ont été transmises à l'ODPE.",
    },
  ],
  send_back: [
    {
      permission: "submit:submission",
      within: "organisation",
      title: (p) => `Indicateurs ${p.year} renvoyés par votre validateur`,
      body: (p) => reasonSentence(p.comment),
    },
  ],
  return: [
    {
      permission: "submit:submission",
      within: "organisation",
      title: (p) => `Indicateurs ${p.year} retournés par l'ODPE`,
      body: (p) => `${reasonSentence(p.comment)} Déposez une version corrigée.`,
    },
  ],
  accept: [
    {
      permission: "read:submission",
      within: "organisation",
      title: (p) => `Indicateurs ${p.year} acceptés par l'ODPE`,
      body: (p) => `La version ${p.versionNumber} devient la donnée officielle de ${p.organisationName} pour ${p.year}. Merci !`,
    },
  ],
};

/** Notification and mail to the people concerned by a transition, in the transition's transaction (exactly once per version and action). */
export async function announceTransition(trx: Transaction<Database>, action: WorkflowAction, params: NoticeParams, publicUrl: string) {
  const link = `/collection/${params.year}/${encodeURIComponent(await orgCode(trx, params.organisationId))}`;
  const queue = [...(notices[action] ?? [])];
  for (let notice = queue.shift(); notice; notice = queue.shift()) {
    const users = await recipients(trx, notice.permission, params.organisationId, notice.within);
    if (users.length === 0) {
      queue.push(...(notice.fallback ?? []));
      continue;
    }
    const title = notice.title(params);
    const body = notice.body(params);
    const key = `submission.${action}:${params.versionId}:${notice.permission}`;
    await notify(trx, { userIds: users.map((u) => u.id), kind: `submission.${action}`, title, body, link, dedupeKey: key });
    for (const user of users) {
      await enqueueMail(trx, {
        to: user.email,
        subject: `[ODPE] ${title}`,
        text: `${body}\n\nOuvrir le dossier : ${publicUrl}${link}\n\n— Portail de l'observatoire départemental de la protection de l'enfance`,
        dedupeKey: `${key}:${user.id}`,
        kind: `submission.${action}`,
        organisationId: params.organisationId,
      });
    }
  }
}

async function orgCode(db: Executor, id: string) {
  const row = await db.selectFrom("organisation").select("code").where("id", "=", id).executeTakeFirstOrThrow();
  return row.code;
}

/**
 * The daily campaign reminder rule: on each reminder day of its deadline
 * (default 14 and 3 days before, 1 day after), every expected organisation
 * that has not transmitted yet (no version validated by its institution and
 * awaiting or holding the ODPE's acceptance: Art. 4) is reminded — its correspondents and validators.
 * Dedupe keys carry the date: a rerun the same day sends nothing twice.
 */
export async function campaignDeadlineReminders(db: Db, today: IsoDate, publicUrl: string) {
  const rows = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .leftJoin("submission as s", (j) => j.onRef("s.campaign_id", "=", "c.id").onRef("s.organisation_id", "=", "e.organisation_id"))
    .select(["c.id as campaign_id", "c.reference_year", "c.status", "c.reminder_days_before", "c.reminder_days_after", "e.deadline", "e.reopened_at", "o.id as organisation_id", "o.code", "o.name", "o.withdrawal_effective_date"])
    // Art. 4: transmitted means validated by the institution; a return by the ODPE re-opens the reminders.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("submission_version as tv")
            .select("tv.id")
            .whereRef("tv.submission_id", "=", "s.id")
            .where("tv.status", "in", [...transmittedStatuses]),
        ),
      ),
    )
    .where((eb) => eb.or([eb("c.status", "=", "open"), eb("e.reopened_at", "is not", null)]))
    .execute();
  let mails = 0;
  let notifications = 0;
  for (const row of rows) {
    if (row.withdrawal_effective_date && row.withdrawal_effective_date <= today) continue;
    const due = reminderDates(row.deadline, row.reminder_days_before, row.reminder_days_after).find((r) => r.date === today);
    if (!due) continue;
    const when = due.offset > 0 ? `dans ${due.offset} jour${due.offset > 1 ? "s" : ""}` : `depuis ${-due.offset} jour${due.offset < -1 ? "s" : ""}`;
    const title = due.offset > 0 ? `Rappel : indicateurs ${row.reference_year} attendus ${when}` : `Indicateurs ${row.reference_year} en retard (échéance dépassée ${when})`;
    const link = `/collection/${row.reference_year}/${encodeURIComponent(row.code)}`;
    await db.transaction().execute(async (trx) => {
      const users = await recipients(trx, "read:submission", row.organisation_id, "organisation");
      if (users.length === 0) return;
      const key = `reminder:${row.campaign_id}:${row.organisation_id}:${today}`;
      notifications += (await notify(trx, { userIds: users.map((u) => u.id), kind: "reminder", title, body: `${row.name} n'a pas encore transmis ses indicateurs ${row.reference_year}.`, link, dedupeKey: key })).created;
      for (const user of users) {
        const mail = await enqueueMail(trx, {
          to: user.email,
          subject: `[ODPE] ${title}`,
          text: `${row.name} n'a pas encore transmis ses indicateurs ${row.reference_year} (date limite : ${row.deadline}).\n\nDéposer le tableau : ${publicUrl}${link}`,
          dedupeKey: `${key}:${user.id}`,
          kind: "reminder",
          organisationId: row.organisation_id,
        });
        if (mail.created) mails++;
      }
    });
  }
  return { mails, notifications };
}
