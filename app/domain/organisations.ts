import { z } from "zod";
import { organisationKinds, type OrganisationKind } from "./observatory-files";
import { addCalendarMonths, isIsoDate, type IsoDate } from "./dates";

export const organisationKindLabels: Record<OrganisationKind, string> = {
  observatory: "Équipe de l'observatoire",
  departement: "Département",
  state: "Services de l'État",
  health: "Santé",
  justice: "Justice",
  social_security: "Sécurité sociale",
  disability: "Handicap",
  bar: "Barreau",
  establishment: "Établissement",
  association: "Association",
  federation: "Fédération",
  ombudsman: "Défenseur des droits",
  hospital: "Établissement de santé",
  network: "Réseau",
  professional_order: "Ordre professionnel",
  training: "Formation",
  research: "Recherche",
  university: "Université",
};

// ── Membership lifecycle (convention Art. 7) ─────────────────────────────

/** Art. 7: a withdrawal takes effect three calendar months after the registered letter. */
export const WITHDRAWAL_NOTICE_MONTHS = 3;

/** The effective date of a withdrawal notified on `noticeDate` (Art. 7). */
export function withdrawalEffectiveDate(noticeDate: IsoDate): IsoDate {
  return addCalendarMonths(noticeDate, WITHDRAWAL_NOTICE_MONTHS);
}

export const membershipStatuses = ["not_member", "member", "withdrawal_notified", "withdrawn"] as const;
export type MembershipStatus = (typeof membershipStatuses)[number];

export const membershipStatusLabels: Record<MembershipStatus, string> = {
  not_member: "Non membre",
  member: "Membre",
  withdrawal_notified: "Retrait notifié",
  withdrawn: "Retiré",
};

/** Badge colours (shade 8/9 for contrast). */
export const membershipStatusColors: Record<MembershipStatus, string> = {
  not_member: "gray.8",
  member: "green.9",
  withdrawal_notified: "orange.9",
  withdrawn: "red.9",
};

export interface MembershipDates {
  member_since: IsoDate | null;
  withdrawal_notice_date: IsoDate | null;
  withdrawal_effective_date: IsoDate | null;
}

/** Where an organisation stands on `today` (Art. 7). */
export function membershipStatus(org: MembershipDates, today: IsoDate): MembershipStatus {
  if (org.withdrawal_effective_date && org.withdrawal_effective_date <= today) return "withdrawn";
  if (org.withdrawal_notice_date) return "withdrawal_notified";
  if (org.member_since && org.member_since <= today) return "member";
  return "not_member";
}

/** A member on `date`: joined on or before it, and no withdrawal in effect yet. */
export function isMemberOn(org: MembershipDates, date: IsoDate): boolean {
  if (!org.member_since || org.member_since > date) return false;
  return !org.withdrawal_effective_date || org.withdrawal_effective_date > date;
}

/** Art. 7: the withdrawal has taken effect on `today`. */
export function isWithdrawn(org: Pick<MembershipDates, "withdrawal_effective_date">, today: IsoDate): boolean {
  return !!org.withdrawal_effective_date && org.withdrawal_effective_date <= today;
}

/** "Membre depuis le 28 janvier 2019 (convention-cadre)". */
export function joinedByLabel(amendmentNumber: number | null | undefined): string {
  return amendmentNumber ? `avenant n° ${amendmentNumber}` : "convention-cadre";
}

// ── Forms ─────────────────────────────────────────────────────────────────

const optionalText = (max: number, message: string) =>
  z
    .string()
    .trim()
    .max(max, { error: message })
    .optional()
    .transform((v) => (v ? v : null));

const isoDateField = (message: string) =>
  z.string({ error: message }).trim().refine(isIsoDate, { error: message });

export const organisationFormSchema = z.object({
  code: z
    .string({ error: "Indiquez le code." })
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, { error: "Code : lettres capitales, chiffres, - ou _ (32 caractères au plus)." }),
  name: z.string({ error: "Indiquez le nom." }).trim().min(2, { error: "Le nom doit contenir au moins 2 caractères." }).max(200, { error: "200 caractères au plus." }),
  kind: z.enum(organisationKinds, { error: "Choisissez une catégorie dans la liste." }),
  note: optionalText(500, "500 caractères au plus."),
});
export type OrganisationFormInput = z.infer<typeof organisationFormSchema>;

/** Membership: since a date, by the framework convention ("convention") or an amendment (its id). */
export const membershipFormSchema = z.object({
  memberSince: isoDateField("Indiquez la date d'adhésion (jj/mm/aaaa)."),
  joinedBy: z.union([z.literal("convention"), z.uuid()], { error: "Choisissez le texte qui a fait adhérer l'organisme." }),
});
export type MembershipFormInput = z.infer<typeof membershipFormSchema>;

export const withdrawalFormSchema = z.object({
  noticeDate: isoDateField("Indiquez la date de la lettre recommandée (jj/mm/aaaa)."),
  note: optionalText(500, "500 caractères au plus."),
});
export type WithdrawalFormInput = z.infer<typeof withdrawalFormSchema>;

export const contactFormSchema = z
  .object({
    name: z.string({ error: "Indiquez le nom du contact." }).trim().min(2, { error: "Indiquez le nom du contact." }).max(120, { error: "120 caractères au plus." }),
    jobTitle: optionalText(120, "120 caractères au plus."),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .optional()
      .transform((v) => (v ? v : null))
      .refine((v) => v === null || z.email().safeParse(v).success, { error: "Adresse e-mail invalide (exemple : prenom.nom@organisme.fr)." }),
    phone: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : null))
      .refine((v) => v === null || /^[+0-9 ().-]{6,25}$/.test(v), { error: "Numéro de téléphone invalide (exemple : 04 77 00 00 00)." }),
  })
  .refine((c) => c.email || c.phone, { path: ["email"], error: "Indiquez au moins une adresse e-mail ou un téléphone." });
export type ContactFormInput = z.infer<typeof contactFormSchema>;
