import { Badge } from "@mantine/core";
import {
  approvalStatusColors,
  approvalStatusLabels,
  publicationStatusColors,
  publicationStatusLabels,
  sourceRequirementLabels,
  type ApprovalStatus,
  type PublicationStatus,
  type SourceRequirement,
} from "~/domain/publications";

/** Publication and approval statuses, apart from ./diffusion (tables, charts) so that a list page carries only its badges (ADR 036). */

/** Badges whose label wraps in narrow table cells instead of being cut. */
const wrapping = { root: { height: "auto", paddingBlock: 2, maxWidth: "100%" }, label: { whiteSpace: "normal" as const } };

export function PublicationStatusBadge({ status }: { status: PublicationStatus }) {
  return (
    <Badge color={publicationStatusColors[status]} variant="filled" tt="none" styles={wrapping}>
      {publicationStatusLabels[status]}
    </Badge>
  );
}

export function ApprovalStatusBadge({ status }: { status: ApprovalStatus }) {
  return (
    <Badge color={approvalStatusColors[status]} variant="light" tt="none" styles={wrapping}>
      {approvalStatusLabels[status]}
    </Badge>
  );
}

const requirementColors: Record<SourceRequirement, string> = { approval: "orange.9", open: "green.9", blocked: "red.9", observatory: "indigo.8" };
export function RequirementBadge({ requirement }: { requirement: SourceRequirement }) {
  return (
    <Badge color={requirementColors[requirement]} variant="light" tt="none" styles={wrapping}>
      {sourceRequirementLabels[requirement]}
    </Badge>
  );
}
