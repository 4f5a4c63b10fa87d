import type { PermissionRequest } from "./permissions";
import { campaignStatusLabels, campaignTransitions, type CampaignStatus } from "./campaigns";
import { editionStatusLabels, editionTransitions, type EditionAction, type EditionStatus } from "./dashboard";
import { approvalStatusLabels, publicationStatusLabels, publicationWorkflow, type ApprovalStatus, type PublicationStatus, type PublicationTransition } from "./publications";
import { versionStatusLabels, workflowTransitions, type VersionStatus, type WorkflowAction } from "./submissions";

/**
 * One transition-table shape for every workflow (docs/architecture.md,
 * « Workflows »): `{ action, from[], to, permission, guards[] }`, and one
 * `applyTransition` that answers the new status or a French refusal naming
 * the rule. Guards are named rules checked on the facts of the moment.
 */

/** The facts a guard looks at; each workflow passes those it has. */
export interface TransitionFacts {
  actorId?: string;
  /** Who submitted the version (Art. 4 four-eyes rule). */
  submittedBy?: string | null;
  /** The bilateral agreement lets the same person submit and validate (Art. 4 exception). */
  samePersonMayValidate?: boolean;
  errorCount?: number;
  warningCount?: number;
  comment?: string | null;
}

export interface Guard {
  /** The rule's name, as the table in docs/architecture.md shows it. */
  name: string;
  /** The French refusal when the rule does not hold. */
  refusal: string;
  holds: (facts: TransitionFacts) => boolean;
}

export interface Transition<S extends string, A extends string = string> {
  action: A;
  from: readonly S[];
  to: S;
  /** Who may move it, through the one permission table; "system" when the portal moves it itself. */
  permission: PermissionRequest | "system";
  guards: readonly Guard[];
}

/** Art. 4: the institutional validation is made by another person than the one who submitted, unless the agreement allows it. */
export const fourEyes: Guard = {
  name: "quatre yeux",
  refusal:
    "La validation institutionnelle doit être faite par une autre personne que celle qui a transmis (convention, art. 4 ; votre convention d'application ne prévoit pas d'exception).",
  holds: (f) => f.samePersonMayValidate === true || !f.actorId || f.submittedBy !== f.actorId,
};

/** Art. 4: a version with errors is not transmitted. */
export const noErrors: Guard = {
  name: "aucune erreur",
  refusal: "La version contient des erreurs : corrigez le fichier et déposez-le de nouveau.",
  holds: (f) => (f.errorCount ?? 0) === 0,
};

/** Art. 4: warnings are explained in the transmission comment. */
export const commentRequiredWithWarnings: Guard = {
  name: "commentaire si avertissements",
  refusal: "Cette version comporte des avertissements : expliquez-les dans le commentaire de transmission.",
  holds: (f) => (f.warningCount ?? 0) === 0 || Boolean(f.comment?.trim()),
};

/** A return or a refusal says why. */
export const reasonRequired: Guard = {
  name: "motif obligatoire",
  refusal: "Indiquez le motif : il sera communiqué à l'organisme.",
  holds: (f) => Boolean(f.comment?.trim()),
};

export type TransitionOutcome<S extends string> = { ok: true; to: S } | { ok: false; rule: string; refusal: string };

/** The one way to apply a transition: the status must be one it leaves from, then every guard must hold. */
export function applyTransition<S extends string, A extends string>(
  table: readonly Transition<S, A>[],
  action: A,
  from: S,
  facts: TransitionFacts,
  labels: Record<S, string>,
): TransitionOutcome<S> {
  const transition = table.find((t) => t.action === action);
  if (!transition) return { ok: false, rule: "action inconnue", refusal: "Action inconnue : rechargez la page et réessayez." };
  if (!transition.from.includes(from)) {
    const allowed = transition.from.map((s) => `« ${labels[s]} »`).join(" ou ");
    return {
      ok: false,
      rule: "statut de départ",
      refusal: `Action impossible depuis l'état « ${labels[from]} » (règle « statut de départ » : seulement depuis ${allowed}). Rechargez la page.`,
    };
  }
  const broken = transition.guards.find((g) => !g.holds(facts));
  if (broken) return { ok: false, rule: broken.name, refusal: `${broken.refusal} (règle « ${broken.name} »)` };
  return { ok: true, to: transition.to };
}

// ── Every workflow in the one shape ─────────────────────────────────────────

const submissionGuards: Partial<Record<WorkflowAction, readonly Guard[]>> = {
  submit: [noErrors, commentRequiredWithWarnings],
  validate: [fourEyes],
  send_back: [reasonRequired],
  return: [reasonRequired],
};

export const submissionTable: readonly Transition<VersionStatus, WorkflowAction>[] = (Object.keys(workflowTransitions) as WorkflowAction[]).map((action) => ({
  action,
  from: workflowTransitions[action].from,
  to: workflowTransitions[action].to,
  permission: workflowTransitions[action].permission,
  guards: submissionGuards[action] ?? [],
}));

const publicationGuards: Partial<Record<PublicationTransition, readonly Guard[]>> = { reject: [reasonRequired], unpublish: [reasonRequired] };

export const publicationTable: readonly Transition<PublicationStatus, PublicationTransition>[] = (Object.keys(publicationWorkflow) as PublicationTransition[]).map(
  (action) => ({
    action,
    from: publicationWorkflow[action].from,
    to: publicationWorkflow[action].to,
    permission: publicationWorkflow[action].by,
    guards: publicationGuards[action] ?? [],
  }),
);

/** Art. 5: a source organisation's validator decides once on the submitted content; a content change invalidates. */
export const approvalTable: readonly Transition<ApprovalStatus, "approve" | "refuse" | "invalidate" | "cancel">[] = [
  { action: "approve", from: ["pending"], to: "approved", permission: "decide:approval", guards: [] },
  { action: "refuse", from: ["pending"], to: "refused", permission: "decide:approval", guards: [reasonRequired] },
  { action: "invalidate", from: ["pending", "approved"], to: "invalidated", permission: "system", guards: [] },
  { action: "cancel", from: ["pending"], to: "cancelled", permission: "system", guards: [] },
];

export const campaignTable: readonly Transition<CampaignStatus, string>[] = (Object.keys(campaignTransitions) as CampaignStatus[]).map((to) => {
  const t = campaignTransitions[to]!;
  return { action: t.audit.replace(/^campaign\./, ""), from: t.from, to, permission: t.permission, guards: [] };
});

export const editionTable: readonly Transition<EditionStatus, EditionAction>[] = (Object.keys(editionTransitions) as EditionAction[]).map((action) => ({
  action,
  from: editionTransitions[action].from,
  to: editionTransitions[action].to,
  permission: editionTransitions[action].permission,
  guards: [],
}));

const workflows = [
  { name: "Submissions (versions, Art. 4)", table: submissionTable, labels: versionStatusLabels as Record<string, string> },
  { name: "Publications (Art. 5)", table: publicationTable, labels: publicationStatusLabels as Record<string, string> },
  { name: "Approvals (Art. 5)", table: approvalTable, labels: approvalStatusLabels as Record<string, string> },
  { name: "Campaigns", table: campaignTable, labels: campaignStatusLabels as Record<string, string> },
  { name: "Dashboard editions (Art. 3 and 5)", table: editionTable, labels: editionStatusLabels as Record<string, string> },
] as const;

/** The tables as docs/architecture.md shows them (a test keeps the two equal). */
export function workflowsMarkdown(): string {
  return workflows
    .map(({ name, table }) =>
      [
        `**${name}**`,
        "",
        "| action | from | to | permission | guards |",
        "|---|---|---|---|---|",
        ...(table as readonly Transition<string>[]).map(
          (t) => `| ${t.action} | ${t.from.join(", ")} | ${t.to} | ${t.permission} | ${t.guards.map((g) => g.name).join(", ") || "—"} |`,
        ),
      ].join("\n"),
    )
    .join("\n\n");
}
