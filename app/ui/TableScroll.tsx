/**
 * A horizontally scrollable area for wide tables, reachable with the keyboard
 * (axe: scrollable-region-focusable) and named for screen readers.
 * Use it instead of Mantine's Table.ScrollContainer.
 */
export function TableScroll({ label, minWidth, children }: { label: string; minWidth?: number; children: React.ReactNode }) {
  return (
    <div role="region" aria-label={label} tabIndex={0} style={{ overflowX: "auto", maxWidth: "100%" }}>
      <div style={{ minWidth }}>{children}</div>
    </div>
  );
}
