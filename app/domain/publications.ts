import type { PermissionRequest } from "./permissions";
import type { UsageRights } from "./agreements";

/**
 * Publications: external diffusion of raw data, studies and analyses
 * (convention Art. 5). Nothing leaves the observatory without the prior
 * approval of every source organisation and the ODPE referent's validation.
 * This module holds the workflow's transition table and the pure rules the
 * server applies (lineage requirements, clearance to publish).
 */

export const publicationStatuses = ["draft", "awaiting_sources", "awaiting_referent", "published", "rejected", "unpublished"] as const;
export type PublicationStatus = (typeof publicationStatuses)[number];

export const publicationStatusLabels: Record<PublicationStatus, string> = {
  draft: "Brouillon",
  awaiting_sources: "En attente de l'accord des sources",
  awaiting_referent: "En attente de validation du référent",
  published: "Publiée",
  rejected: "Refusée par le référent",
  unpublished: "Retirée de la diffusion",
};

export const publicationStatusColors: Record<PublicationStatus, string> = {
  draft: "gray.8",
  awaiting_sources: "orange.9",
  awaiting_referent: "indigo.8",
  published: "green.9",
  rejected: "red.9",
  unpublished: "gray.8",
};

/** Art. 5: the audiences of the observatory's productions. */
export const publicationAudiences = ["extranet", "onpe", "press", "institution"] as const;
export type PublicationAudience = (typeof publicationAudiences)[number];
export const publicationAudienceLabels: Record<PublicationAudience, string> = {
  extranet: "Extranet de l'observatoire (grand public, professionnels de terrain)",
  onpe: "ONPE et institutions nationales",
  press: "Presse",
  institution: "Institutions : élus, directions",
};

// ── Workflow: the one transition table ────────────────────────────────────

export type PublicationTransition =
  | "submit"
  | "sources_approved"
  | "source_refused"
  | "content_changed"
  | "withdraw"
  | "validate"
  | "reject"
  | "unpublish";

export interface TransitionRule {
  from: readonly PublicationStatus[];
  to: PublicationStatus;
  /** The permission (checked on the publication's organisation) of who may move it; "system" when the portal moves it itself. */
  by: PermissionRequest | "system";
  label: string;
}

/**
 * draft → awaiting_sources → awaiting_referent → published | rejected;
 * published → unpublished (history kept). A content change in any
 * non-published status sends the publication back to draft and invalidates
 * every approval; a source's refusal sends it back to draft too.
 */
export const publicationWorkflow: Record<PublicationTransition, TransitionRule> = {
  submit: { from: ["draft"], to: "awaiting_sources", by: "update:publication", label: "Demander l'accord des organismes sources" },
  sources_approved: { from: ["awaiting_sources"], to: "awaiting_referent", by: "system", label: "Tous les accords nécessaires sont donnés" },
  source_refused: { from: ["awaiting_sources"], to: "draft", by: "system", label: "Un organisme source a refusé" },
  content_changed: {
    from: ["draft", "awaiting_sources", "awaiting_referent", "rejected", "unpublished"],
    to: "draft",
    by: "update:publication",
    label: "Contenu modifié",
  },
  withdraw: { from: ["awaiting_sources", "awaiting_referent"], to: "draft", by: "update:publication", label: "Retirer la demande" },
  validate: { from: ["awaiting_referent"], to: "published", by: "validate:publication", label: "Valider la mise en ligne" },
  reject: { from: ["awaiting_referent"], to: "rejected", by: "validate:publication", label: "Refuser la mise en ligne" },
  unpublish: { from: ["published"], to: "unpublished", by: "validate:publication", label: "Retirer de la diffusion" },
};

export function canTransition(status: PublicationStatus, transition: PublicationTransition): boolean {
  return publicationWorkflow[transition].from.includes(status);
}

/** Content may change in every status but `published` (unpublish first). */
export const isEditable = (status: PublicationStatus) => canTransition(status, "content_changed");

// ── Approvals ─────────────────────────────────────────────────────────────

export const approvalStatuses = ["pending", "approved", "refused", "invalidated", "cancelled"] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];
export const approvalStatusLabels: Record<ApprovalStatus, string> = {
  pending: "En attente",
  approved: "Accord donné",
  refused: "Refusé",
  invalidated: "Invalidé (contenu modifié)",
  cancelled: "Clos sans décision",
};
export const approvalStatusColors: Record<ApprovalStatus, string> = {
  pending: "orange.9",
  approved: "green.9",
  refused: "red.9",
  invalidated: "gray.8",
  cancelled: "gray.8",
};

// ── Lineage and what each source must do ──────────────────────────────────

/** What a source organisation's data require before diffusion. */
export type SourceRequirement = "approval" | "open" | "blocked" | "observatory";
export const sourceRequirementLabels: Record<SourceRequirement, string> = {
  approval: "Accord préalable requis",
  open: "Diffusion pré-autorisée par la convention d'application",
  blocked: "Usage interne uniquement : diffusion externe impossible",
  observatory: "Production de l'observatoire : validée par le référent",
};

export interface SourceUse {
  indicatorCode: string;
  indicatorLabel: string;
  years: number[];
  usageRights: UsageRights;
}

export interface LineageSource {
  organisationId: string;
  code: string;
  name: string;
  isObservatoryTeam: boolean;
  /** Art. 7: withdrawn; its data stay its property and still need its approval outside. */
  withdrawn: boolean;
  hasLogo: boolean;
  /** Frozen values of this organisation, per indicator. */
  uses: SourceUse[];
  /** Attached workspace documents it owns. */
  documents: { documentId: string; title: string }[];
  requirement: SourceRequirement;
}

/**
 * Art. 5 and the bilateral agreements: an `internal` indicator blocks external
 * diffusion outright; an `open` one needs no approval; anything else (and
 * any document the organisation owns) needs the organisation's prior
 * approval. The observatory team's own documents are validated by the referent.
 */
export function sourceRequirement(source: Pick<LineageSource, "uses" | "documents" | "isObservatoryTeam">): SourceRequirement {
  if (source.uses.some((u) => u.usageRights === "internal")) return "blocked";
  if (source.uses.some((u) => u.usageRights === "with_approval")) return "approval";
  if (source.documents.length > 0 && !source.isObservatoryTeam) return "approval";
  return source.isObservatoryTeam && source.uses.length === 0 ? "observatory" : "open";
}

/** The French explanation of why a publication cannot go out (internal indicators). */
export function blockingExplanation(sources: readonly LineageSource[]): string | null {
  const blocked = sources.flatMap((s) =>
    s.uses.filter((u) => u.usageRights === "internal").map((u) => `« ${u.indicatorLabel} » (${u.indicatorCode}) de ${s.name}`),
  );
  if (blocked.length === 0) return null;
  return (
    `Diffusion externe impossible : ${blocked.join(", ")} ${blocked.length > 1 ? "sont réservés" : "est réservé"} à un usage interne ` +
    "par la convention d'application de l'organisme (art. 4 et 5). Retirez ces données de la publication ; elles restent utilisables au sein de l'observatoire."
  );
}

export interface ApprovalLike {
  organisationId: string;
  status: ApprovalStatus;
  contentHash: string;
}

export interface Clearance {
  ok: boolean;
  /** Explanation when internal indicators block diffusion. */
  blocked: string | null;
  /** Sources whose approval of this exact content is missing. */
  missing: string[];
  /** Sources that refused this exact content. */
  refused: string[];
}

/**
 * May this exact content (its hash) go out? Every source requiring approval
 * must have approved this very content; one refusal or one missing approval
 * is enough to refuse; `internal` indicators block outright.
 */
export function diffusionClearance(sources: readonly LineageSource[], approvals: readonly ApprovalLike[], contentHash: string): Clearance {
  const blocked = blockingExplanation(sources);
  const needing = sources.filter((s) => s.requirement === "approval");
  const decided = (s: LineageSource, status: ApprovalStatus) =>
    approvals.some((a) => a.organisationId === s.organisationId && a.contentHash === contentHash && a.status === status);
  const refused = needing.filter((s) => decided(s, "refused")).map((s) => s.organisationId);
  const missing = needing.filter((s) => !decided(s, "approved")).map((s) => s.organisationId);
  return { ok: !blocked && missing.length === 0 && refused.length === 0, blocked, missing, refused };
}

// ── Items ─────────────────────────────────────────────────────────────────

export const itemKinds = ["chart", "table"] as const;
export type ItemKind = (typeof itemKinds)[number];
export const itemKindLabels: Record<ItemKind, string> = { chart: "Graphique (avec son tableau)", table: "Tableau" };

/** A short form of a content hash for people: the first 12 hex digits in groups of 4. */
export const shortHash = (hash: string) => hash.slice(0, 12).replace(/(.{4})(?!$)/g, "$1 ");
