import { monthDayInYear, type IsoDate } from "./dates";

/**
 * Bilateral agreements (convention Art. 4): per producer, the data it
 * provides, the format, the statistical level, the transmission calendar and
 * the usage terms protecting its rights over some data (Art. 5).
 */
export const agreementFormats = ["excel", "api"] as const;
export type AgreementFormat = (typeof agreementFormats)[number];
export const agreementFormatLabels: Record<AgreementFormat, string> = {
  excel: "Tableau Excel (modèle fourni par l'observatoire)",
  api: "Transmission automatisée (API)",
};

export const statisticalLevels = ["departement", "territory"] as const;
export type StatisticalLevel = (typeof statisticalLevels)[number];
export const statisticalLevelLabels: Record<StatisticalLevel, string> = {
  departement: "Département",
  territory: "Territoire (infra-départemental)",
};

export const usageRightsValues = ["internal", "with_approval", "open"] as const;
export type UsageRights = (typeof usageRightsValues)[number];

/** Art. 5: external diffusion needs the source's prior approval unless the agreement says otherwise. */
export const DEFAULT_USAGE_RIGHTS: UsageRights = "with_approval";

export const usageRightsLabels: Record<UsageRights, string> = {
  internal: "Usage interne uniquement",
  with_approval: "Diffusion externe sur accord",
  open: "Diffusion externe pré-autorisée",
};

/** Short labels for badges. */
export const usageRightsShortLabels: Record<UsageRights, string> = {
  internal: "Interne",
  with_approval: "Sur accord",
  open: "Ouvert",
};

/** Plain-French meaning, for the partner's "Ma convention" page. */
export const usageRightsExplanations: Record<UsageRights, string> = {
  internal:
    "Réservé aux membres de l'observatoire, pour l'analyse et les études : jamais diffusé à l'extérieur, même avec un accord ponctuel.",
  with_approval:
    "Utilisable par les membres ; toute diffusion hors de l'observatoire (données brutes ou analyses) demande d'abord votre accord.",
  open: "Utilisable par les membres et diffusable à l'extérieur sans nouvel accord, en citant votre organisme comme source.",
};

export const usageRightsColors: Record<UsageRights, string> = {
  internal: "red.9",
  with_approval: "orange.9",
  open: "green.9",
};

/** Does the agreement's period overlap the reference year? */
export function agreementCoversYear(a: { starts_on: IsoDate; ends_on: IsoDate | null }, year: number): boolean {
  return a.starts_on <= `${year}-12-31` && (a.ends_on === null || a.ends_on >= `${year}-01-01`);
}

/** Is the agreement in force on `date`? */
export function agreementInForce(a: { starts_on: IsoDate; ends_on: IsoDate | null }, date: IsoDate): boolean {
  return a.starts_on <= date && (a.ends_on === null || a.ends_on >= date);
}

/**
 * An organisation's deadline in a campaign (Art. 4: a calendar agreed with
 * each partner): the campaign's deadline, unless the agreement's annual due
 * date — in the year after the reference year — falls later. The campaign
 * may give more time than agreed, never less.
 */
export function organisationDeadline(dueMonthDay: string | null, campaign: { reference_year: number; deadline: IsoDate }): IsoDate {
  if (!dueMonthDay) return campaign.deadline;
  const agreed = monthDayInYear(dueMonthDay, campaign.reference_year + 1);
  return agreed > campaign.deadline ? agreed : campaign.deadline;
}

/** The indicators an agreement covers, with their usage rights: `rights.<indicatorId>` fields. */
export interface AgreementIndicatorInput {
  indicatorId: string;
  usageRights: UsageRights;
  /** The organisation may declare the indicator « non disponible » (ND/NC) — ADR 026. */
  notAvailableAllowed?: boolean;
}
