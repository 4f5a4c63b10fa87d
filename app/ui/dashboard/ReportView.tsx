import { useEffect, useRef } from "react";
import { Anchor, Button, Group, Text } from "@mantine/core";

export interface ReportLink {
  href: string;
  label: string;
}

/**
 * Shows a report rendered on the server (ReportDocument as HTML) inside the
 * portal (the referent's preview; the route links /dashboard-report.css), with its
 * toolbar: downloads, other editions, print. Before printing, every
 * breakdown is opened so the paper copy is complete.
 */
export function ReportView({ html, downloads, editions, notice }: { html: string; downloads: ReportLink[]; editions?: ReportLink[]; notice?: React.ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opened: HTMLDetailsElement[] = [];
    const before = () => {
      ref.current?.querySelectorAll("details:not([open])").forEach((d) => {
        (d as HTMLDetailsElement).open = true;
        opened.push(d as HTMLDetailsElement);
      });
    };
    const after = () => {
      for (const d of opened.splice(0)) d.open = false;
    };
    window.addEventListener("beforeprint", before);
    window.addEventListener("afterprint", after);
    return () => {
      window.removeEventListener("beforeprint", before);
      window.removeEventListener("afterprint", after);
    };
  }, []);
  return (
    <div>
      <div className="rp-noprint">
        {notice}
        <Group gap="sm" mb="sm" wrap="wrap">
          {downloads.map((d) => (
            <Button key={d.href} component="a" href={d.href} variant="outline" size="xs">
              {d.label}
            </Button>
          ))}
          <Button type="button" variant="subtle" size="xs" onClick={() => window.print()}>
            Imprimer
          </Button>
        </Group>
        {editions && editions.length > 1 && (
          <Text size="sm" mb="sm">
            Éditions de cette année :{" "}
            {editions.map((e, i) => (
              <span key={e.href}>
                {i > 0 && " · "}
                <Anchor href={e.href}>{e.label}</Anchor>
              </span>
            ))}
          </Text>
        )}
      </div>
      <div ref={ref} dangerouslySetInnerHTML={{ __html: html }} />
    </div>
  );
}
