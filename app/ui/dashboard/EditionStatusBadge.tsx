import { Badge } from "@mantine/core";
import { editionStatusColors, editionStatusLabels, type EditionStatus } from "~/domain/dashboard";

export function EditionStatusBadge({ status }: { status: EditionStatus }) {
  return (
    <Badge color={editionStatusColors[status]} variant="light">
      {editionStatusLabels[status]}
    </Badge>
  );
}
