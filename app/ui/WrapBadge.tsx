import { Badge } from "@mantine/core";

/**
 * A status badge whose label wraps instead of being cut with an ellipsis
 * (« ERRE… », « ACCEPTÉ P… » in narrow columns): the whole status stays readable.
 */
export function WrapBadge({ color, children }: { color: string; children: React.ReactNode }) {
  return (
    <Badge color={color} variant="light" h="auto" py={2} maw="100%" styles={{ root: { flexShrink: 0 }, label: { whiteSpace: "normal", overflow: "visible", textOverflow: "clip" } }}>
      {children}
    </Badge>
  );
}
