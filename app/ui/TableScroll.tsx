/**
 * A horizontally scrollable area for wide tables, reachable with the keyboard
 * (axe: scrollable-region-focusable) and named for screen readers.
 * Use it instead of Mantine's Table.ScrollContainer.
 *
 * On a narrow screen, shadows on the clipped edges (pure CSS, see
 * `.table-scroll` in app.css) show that the table goes on, and a short hint
 * says so in words; both disappear when everything fits.
 */
export function TableScroll({ label, minWidth, children }: { label: string; minWidth?: number; children: React.ReactNode }) {
  return (
    <div className="table-scroll-wrap" style={{ "--table-min-width": minWidth ? `${minWidth}px` : "0px" } as React.CSSProperties}>
      {minWidth ? (
        <p className="table-scroll-hint" aria-hidden="true">
          Tableau large : faites-le défiler horizontalement →
        </p>
      ) : null}
      <div role="region" aria-label={label} tabIndex={0} className="table-scroll" style={{ overflowX: "auto", maxWidth: "100%" }}>
        <div style={{ minWidth }}>{children}</div>
      </div>
    </div>
  );
}
