import { z } from "zod";
import { addDays, isIsoDate, type IsoDate } from "./dates";
import type { PermissionRequest } from "./permissions";

/**
 * Yearly collection campaigns (Art. 4: data sent once a year on an agreed
 * calendar). The status workflow is THE transition table below.
 */
export const campaignStatuses = ["draft", "open", "closed"] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export const campaignStatusLabels: Record<CampaignStatus, string> = {
  draft: "En préparation",
  open: "Ouverte",
  closed: "Clôturée",
};
export const campaignStatusColors: Record<CampaignStatus, string> = {
  draft: "gray.8",
  open: "green.9",
  closed: "indigo.9",
};

export interface CampaignTransition {
  /** The statuses a campaign may leave for this one. */
  from: readonly CampaignStatus[];
  /** Who may make the move, checked through the one permission table. */
  permission: PermissionRequest;
  /** The button's French label. */
  action: string;
  audit: string;
}

/** For each target status: the statuses it may come from and the permission needed. */
export const campaignTransitions: Partial<Record<CampaignStatus, CampaignTransition>> = {
  open: { from: ["draft"], permission: "manage:campaign", action: "Ouvrir la campagne", audit: "campaign.opened" },
  closed: { from: ["open"], permission: "manage:campaign", action: "Clôturer la campagne", audit: "campaign.closed" },
};

/** The transition from `from` to `to`, or null when the table has none. */
export function findTransition(from: CampaignStatus, to: CampaignStatus): CampaignTransition | null {
  const transition = campaignTransitions[to];
  return transition && transition.from.includes(from) ? transition : null;
}

/** The statuses a campaign in `from` may move to. */
export function nextStatuses(from: CampaignStatus): CampaignStatus[] {
  return campaignStatuses.filter((to) => findTransition(from, to) !== null);
}

/** Default reminders: 14 and 3 days before the deadline, 1 day after. */
export const DEFAULT_REMINDER_DAYS_BEFORE = [14, 3] as const;
export const DEFAULT_REMINDER_DAYS_AFTER = [1] as const;

export interface Reminder {
  date: IsoDate;
  /** Days before (positive) or after (negative) the deadline. */
  offset: number;
}

/** The reminder dates of a deadline, in date order. */
export function reminderDates(deadline: IsoDate, before: readonly number[], after: readonly number[]): Reminder[] {
  return [...before.map((d) => ({ date: addDays(deadline, -d), offset: d })), ...after.map((d) => ({ date: addDays(deadline, d), offset: -d }))].sort(
    (a, b) => a.date.localeCompare(b.date),
  );
}

export interface SubmissionWindowInput {
  campaignStatus: CampaignStatus;
  campaignClosedAt: Date | string | null;
  deadline: IsoDate;
  reopenedAt: Date | string | null;
  /** The organisation's withdrawal effective date (Art. 7), if any. */
  withdrawalEffectiveDate: IsoDate | null;
}

export type SubmissionWindow =
  | { open: true; late: boolean }
  | { open: false; reason: "draft" | "closed" | "withdrawn" | "reopening_expired"; message: string };

/**
 * May the organisation submit for this campaign on `today`?
 * - never once its withdrawal has taken effect (Art. 7);
 * - while the campaign is open, yes (after its own deadline, as a late submission);
 * - once closed, only if the referent reopened it individually after closing, until the new deadline.
 */
export function submissionWindow(input: SubmissionWindowInput, today: IsoDate): SubmissionWindow {
  if (input.withdrawalEffectiveDate && input.withdrawalEffectiveDate <= today) {
    return {
      open: false,
      reason: "withdrawn",
      message: "Votre organisme s'est retiré de la convention : il ne peut plus transmettre de données (art. 7).",
    };
  }
  if (input.campaignStatus === "draft") {
    return { open: false, reason: "draft", message: "La campagne n'est pas encore ouverte." };
  }
  if (input.campaignStatus === "open") return { open: true, late: today > input.deadline };
  const closedAt = input.campaignClosedAt ? new Date(input.campaignClosedAt).getTime() : 0;
  const reopened = input.reopenedAt !== null && new Date(input.reopenedAt).getTime() >= closedAt;
  if (!reopened) {
    return { open: false, reason: "closed", message: "La campagne est clôturée : demandez au référent de l'ODPE de la rouvrir pour votre organisme." };
  }
  if (today > input.deadline) {
    return {
      open: false,
      reason: "reopening_expired",
      message: "Le délai accordé après la réouverture est dépassé : contactez le référent de l'ODPE.",
    };
  }
  return { open: true, late: false };
}

// ── Forms ─────────────────────────────────────────────────────────────────

const isoDate = (message: string) => z.string({ error: message }).trim().refine(isIsoDate, { error: message });

const dayList = (message: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => v ?? "")
    .refine((v) => v === "" || /^\d{1,3}(\s*[,;]\s*\d{1,3})*$/.test(v), { error: message })
    .transform((v) =>
      v === ""
        ? []
        : [...new Set(v.split(/[,;]/).map((s) => Number(s.trim())))].filter((n) => n > 0 && n <= 365).sort((a, b) => b - a),
    );

export const campaignFormSchema = z
  .object({
    referenceYear: z
      .string({ error: "Indiquez l'année de référence." })
      .trim()
      .regex(/^\d{4}$/, { error: "Indiquez l'année de référence sur 4 chiffres." })
      .transform(Number)
      .refine((y) => y >= 2000 && y <= 2200, { error: "Année de référence invalide." }),
    opensOn: isoDate("Indiquez la date d'ouverture (jj/mm/aaaa)."),
    deadline: isoDate("Indiquez la date limite (jj/mm/aaaa)."),
    reminderDaysBefore: dayList("Jours avant l'échéance : des nombres séparés par des virgules (exemple : 14, 3)."),
    reminderDaysAfter: dayList("Jours après l'échéance : des nombres séparés par des virgules (exemple : 1)."),
    note: z
      .string()
      .trim()
      .max(1000, { error: "1 000 caractères au plus." })
      .optional()
      .transform((v) => (v ? v : null)),
  })
  .refine((c) => c.deadline > c.opensOn, { path: ["deadline"], error: "La date limite doit suivre la date d'ouverture." });
export type CampaignFormInput = z.infer<typeof campaignFormSchema>;

export const reopenFormSchema = z.object({
  organisationId: z.uuid({ error: "Choisissez l'organisme." }),
  deadline: isoDate("Indiquez la nouvelle date limite (jj/mm/aaaa)."),
  reason: z.string({ error: "Indiquez le motif." }).trim().min(3, { error: "Indiquez le motif (il est tracé dans le journal)." }).max(500, { error: "500 caractères au plus." }),
});
export type ReopenFormInput = z.infer<typeof reopenFormSchema>;

export interface CalendarEvent {
  date: IsoDate;
  referenceYear: number;
  kind: "opening" | "reminder" | "deadline";
  label: string;
}

/**
 * The referent's calendar: planned openings of campaigns in preparation,
 * reminders and deadlines of open ones, from `today` on, in date order.
 */
export function campaignCalendar(
  campaigns: readonly { reference_year: number; status: CampaignStatus; opens_on: IsoDate; deadline: IsoDate; reminder_days_before: readonly number[]; reminder_days_after: readonly number[] }[],
  today: IsoDate,
): CalendarEvent[] {
  const events: CalendarEvent[] = [];
  for (const c of campaigns) {
    if (c.status === "closed") continue;
    const year = c.reference_year;
    if (c.status === "draft") events.push({ date: c.opens_on, referenceYear: year, kind: "opening", label: `Ouverture prévue de la campagne ${year}` });
    for (const r of reminderDates(c.deadline, c.reminder_days_before, c.reminder_days_after)) {
      events.push({
        date: r.date,
        referenceYear: year,
        kind: "reminder",
        label: r.offset > 0 ? `Relance ${r.offset} jour(s) avant l'échéance ${year}` : `Relance ${-r.offset} jour(s) après l'échéance ${year}`,
      });
    }
    events.push({ date: c.deadline, referenceYear: year, kind: "deadline", label: `Date limite de la campagne ${year}` });
  }
  return events.filter((e) => e.date >= today).sort((a, b) => a.date.localeCompare(b.date) || a.referenceYear - b.referenceYear);
}
