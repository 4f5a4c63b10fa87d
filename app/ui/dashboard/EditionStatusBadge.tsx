import { editionStatusColors, editionStatusLabels, type EditionStatus } from "~/domain/dashboard";
import { WrapBadge } from "~/ui/WrapBadge";

export function EditionStatusBadge({ status }: { status: EditionStatus }) {
  return (
    <WrapBadge color={editionStatusColors[status]}>
      {editionStatusLabels[status]}
    </WrapBadge>
  );
}
