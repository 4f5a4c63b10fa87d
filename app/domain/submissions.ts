import type { PermissionRequest, Subject } from "./permissions";

/**
 * The collection workflow (Art. 4) as a transition table: for each action,
 * the statuses a version may come from, the status it goes to, and the
 * permission required (checked through the one authorization module).
 *
 *   draft (uploaded) → submitted (correspondent; only a version with no error)
 *   submitted → institution_validated (validator of the same organisation,
 *               not the submitter unless the agreement allows it)
 *   institution_validated → accepted (ODPE referent) | returned (with a reason)
 *   submitted → returned (the organisation's validator sends it back)
 *   returned → the partner uploads a corrected version (a new draft)
 */
export const submissionStatuses = ["draft", "submitted", "institution_validated", "accepted", "returned"] as const;
export type SubmissionStatus = (typeof submissionStatuses)[number];
export type VersionStatus = SubmissionStatus | "superseded";

export type WorkflowAction = "submit" | "validate" | "accept" | "return" | "send_back";

export interface WorkflowTransition {
  from: readonly VersionStatus[];
  to: VersionStatus;
  permission: PermissionRequest;
  label: string;
}

export const workflowTransitions: Record<WorkflowAction, WorkflowTransition> = {
  submit: { from: ["draft"], to: "submitted", permission: "submit:submission", label: "Transmettre pour validation interne" },
  validate: {
    from: ["submitted"],
    to: "institution_validated",
    permission: "validate:submission",
    label: "Valider au nom de mon institution",
  },
  send_back: { from: ["submitted"], to: "returned", permission: "validate:submission", label: "Renvoyer au correspondant" },
  accept: { from: ["institution_validated"], to: "accepted", permission: "review:submission", label: "Accepter les données" },
  return: { from: ["institution_validated"], to: "returned", permission: "review:submission", label: "Retourner au partenaire" },
};

export const versionStatusLabels: Record<VersionStatus, string> = {
  draft: "Brouillon déposé",
  submitted: "Transmis pour validation interne",
  institution_validated: "Validé par l'institution",
  accepted: "Accepté par l'ODPE",
  returned: "Retourné",
  superseded: "Remplacé par une version plus récente",
};

export const versionStatusColors: Record<VersionStatus, string> = {
  draft: "gray.8",
  submitted: "blue.9",
  institution_validated: "violet.9",
  accepted: "green.9",
  returned: "orange.9",
  superseded: "gray.7",
};

export function canTransition(action: WorkflowAction, from: VersionStatus): boolean {
  return workflowTransitions[action].from.includes(from);
}

/** The actions available from a status (before permission checks). */
export function actionsFrom(from: VersionStatus): WorkflowAction[] {
  return (Object.keys(workflowTransitions) as WorkflowAction[]).filter((a) => canTransition(a, from));
}

/**
 * Art. 4: the partner's institution validates, *then* transmits. A version is
 * transmitted to the ODPE when its institution validates it: from then on it
 * is institution_validated, accepted, or (returned by the ODPE, superseded)
 * carries its validation date. A draft or a version submitted for internal
 * validation is still the partner's own work.
 */
export const transmittedStatuses: readonly VersionStatus[] = ["institution_validated", "accepted"];

export function isTransmitted(version: { status: VersionStatus | string; validated_at?: Date | string | null }): boolean {
  return (transmittedStatuses as readonly string[]).includes(version.status) || Boolean(version.validated_at);
}

/**
 * Art. 4: who may open a version (its file, its problems) among those allowed
 * to read the organisation's submissions: the organisation's own users see
 * every version of their own; anyone else (the ODPE) only transmitted ones.
 */
export function versionVisibleTo(viewer: Subject, ownerOrganisationId: string, version: { status: VersionStatus | string; validated_at?: Date | string | null }): boolean {
  return viewer.organisationId === ownerOrganisationId || isTransmitted(version);
}
