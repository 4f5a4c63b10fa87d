import { z } from "zod";
import { isIsoDate } from "./dates";
import { idList } from "./convention";

/**
 * Governance (convention Art. 2): the conférence stratégique and the comité de
 * suivi, their members, meetings and decisions; and indicator proposals
 * (Art. 2–3: the list of data is agreed beforehand by the signatories
 * concerned; Art. 7: it enters the catalogue by an amendment).
 */
export const governanceBodyCodes = ["conference_strategique", "comite_de_suivi"] as const;
export type GovernanceBodyCode = (typeof governanceBodyCodes)[number];

/** What a decision may cite: another record of the portal. */
export const decisionSubjectTypes = ["dashboard_edition", "amendment", "publication", "indicator_proposal"] as const;
export type DecisionSubjectType = (typeof decisionSubjectTypes)[number];
export const decisionSubjectLabels: Record<DecisionSubjectType, string> = {
  dashboard_edition: "Édition du tableau de bord",
  amendment: "Avenant",
  publication: "Publication",
  indicator_proposal: "Proposition d'indicateur",
};

const isoDate = (message: string) => z.string({ error: message }).trim().refine(isIsoDate, { error: message });
const text = (missing: string, max: number) =>
  z
    .string({ error: missing })
    .trim()
    .min(1, { error: missing })
    .max(max, { error: `${max.toLocaleString("fr-FR")} caractères au plus.` });
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { error: `${max.toLocaleString("fr-FR")} caractères au plus.` })
    .optional()
    .transform((v) => (v ? v : null));
const bodyCode = z.enum(governanceBodyCodes, { error: "Choisissez l'instance." });

export const memberFormSchema = z
  .object({
    bodyCode,
    organisationId: z.uuid({ error: "Choisissez l'organisme représenté." }),
    personName: text("Indiquez le nom de la personne.", 200),
    position: optionalText(200),
    since: isoDate("Indiquez la date de début du mandat (jj/mm/aaaa)."),
    until: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : null))
      .refine((v) => v === null || isIsoDate(v), { error: "Date de fin invalide (jj/mm/aaaa)." }),
  })
  .refine((m) => m.until === null || m.until >= m.since, { path: ["until"], error: "La fin du mandat doit suivre son début." });
export type MemberFormInput = z.infer<typeof memberFormSchema>;

export const meetingFormSchema = z.object({
  bodyCode,
  heldOn: isoDate("Indiquez la date de la réunion (jj/mm/aaaa)."),
  title: text("Indiquez l'intitulé de la réunion.", 200),
  agenda: text("Indiquez l'ordre du jour.", 10_000),
});
export type MeetingFormInput = z.infer<typeof meetingFormSchema>;

export const decisionFormSchema = z
  .object({
    text: text("Indiquez le texte de la décision.", 2000),
    subjectType: z
      .string()
      .optional()
      .transform((v) => (v ? v : null))
      .pipe(z.enum(decisionSubjectTypes, { error: "Type d'objet invalide." }).nullable()),
    subjectId: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : null))
      .pipe(z.uuid({ error: "Choisissez l'objet de la décision." }).nullable()),
  })
  .refine((d) => (d.subjectType === null) === (d.subjectId === null), {
    path: ["subjectId"],
    error: "Choisissez à la fois le type d'objet et l'objet, ou aucun des deux.",
  });
export type DecisionFormInput = z.infer<typeof decisionFormSchema>;

/** Subjects a decision can cite, encoded "type:id" in one select. */
export const decisionSubjectValue = (type: DecisionSubjectType, id: string) => `${type}:${id}`;

// ---------------------------------------------------------------------------
// Indicator proposals

export const proposalKinds = ["new", "change"] as const;
export type ProposalKind = (typeof proposalKinds)[number];
export const proposalKindLabels: Record<ProposalKind, string> = {
  new: "Nouvel indicateur",
  change: "Modification d'un indicateur",
};

export const proposalStatuses = ["open", "adopted", "rejected"] as const;
export type ProposalStatus = (typeof proposalStatuses)[number];
export const proposalStatusLabels: Record<ProposalStatus, string> = {
  open: "En consultation",
  adopted: "Adoptée par avenant",
  rejected: "Non retenue",
};
export const proposalStatusColors: Record<ProposalStatus, string> = {
  open: "blue.9",
  adopted: "green.9",
  rejected: "gray.8",
};

export type OpinionPosition = "agree" | "object";
export const opinionLabels: Record<OpinionPosition | "pending", string> = {
  agree: "Accord",
  object: "Objection",
  pending: "En attente",
};

export const proposalFormSchema = z
  .object({
    kind: z.enum(proposalKinds, { error: "Choisissez le type de proposition." }),
    indicatorId: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : null))
      .pipe(z.uuid({ error: "Choisissez l'indicateur à modifier." }).nullable()),
    title: text("Indiquez l'intitulé proposé.", 200),
    definition: text("Indiquez la définition proposée (ce qui est compté, unité, ventilations).", 5000),
    rationale: text("Indiquez pourquoi cet indicateur est utile à l'observatoire.", 5000),
    organisationIds: idList,
  })
  .refine((p) => p.kind === "new" || p.indicatorId !== null, { path: ["indicatorId"], error: "Choisissez l'indicateur à modifier." })
  .refine((p) => p.organisationIds.length > 0, {
    path: ["organisationIds"],
    error: "Choisissez au moins un signataire concerné (l'organisme qui produirait la donnée).",
  });
export type ProposalFormInput = z.infer<typeof proposalFormSchema>;

export const opinionFormSchema = z
  .object({
    position: z.enum(["agree", "object"], { error: "Choisissez accord ou objection." }),
    comment: optionalText(2000),
  })
  .refine((o) => o.position !== "object" || o.comment !== null, { path: ["comment"], error: "Une objection doit être motivée." });
export type OpinionFormInput = z.infer<typeof opinionFormSchema>;

export const adoptionFormSchema = z.object({
  amendmentId: z.uuid({ error: "Choisissez l'avenant qui adopte la proposition." }),
  indicatorId: z.uuid({ error: "Choisissez l'indicateur du catalogue qui en résulte." }),
});
export type AdoptionFormInput = z.infer<typeof adoptionFormSchema>;

export const rejectionFormSchema = z.object({
  reason: text("Indiquez le motif (il est communiqué au proposant et tracé).", 1000),
});

export interface OpinionState {
  position: OpinionPosition | null;
}

/**
 * Art. 2–3: a proposal may enter the catalogue only with the agreement of
 * every signatory concerned. Returns null when it may, or the French reason.
 */
export function adoptionRefusal(status: ProposalStatus, opinions: readonly (OpinionState & { organisationName: string })[]): string | null {
  if (status !== "open") return `La proposition est déjà ${status === "adopted" ? "adoptée" : "close"} : elle ne peut plus être adoptée.`;
  const objecting = opinions.filter((o) => o.position === "object").map((o) => o.organisationName);
  if (objecting.length) {
    return `Art. 2–3 : la liste des données est convenue avec les signataires concernés ; objection de ${objecting.join(", ")}. Levez l'objection ou ne retenez pas la proposition.`;
  }
  const pending = opinions.filter((o) => o.position === null).map((o) => o.organisationName);
  if (pending.length) {
    return `Art. 2–3 : la liste des données est convenue au préalable ; l'accord de ${pending.join(", ")} manque encore.`;
  }
  return null;
}
