import "@mantine/charts/styles.css";
import { lazy, Suspense } from "react";
import { useMounted } from "@mantine/hooks";
import { Anchor, Box, Group, List, Stack, Table, Text, Title, TypographyStylesProvider } from "@mantine/core";
import { SECRET_LABEL } from "~/domain/secrecy";
import type { ChartSpec, PublishedTable, PublishedValue } from "~/domain/explorer";
import { NOT_AGGREGABLE_LABEL, NOT_DEFINED_TEXT } from "~/domain/cell-marks";
import { describeNotAvailable } from "~/domain/not-available";
import { INCOMPLETE_MARK } from "~/domain/partial-totals";
import { formatBytes } from "~/domain/files";
import { formatDecimal, formatInteger } from "~/domain/format";
import { TableScroll } from "./TableScroll";
import { Contributors } from "./contributors";

/** Shared views of pooled data and publications: tables, charts, rendered publications (statuses: ./publication-badges). */

function formatValue(value: PublishedValue, isRate: boolean) {
  if (value === SECRET_LABEL) return SECRET_LABEL;
  if (value === NOT_AGGREGABLE_LABEL) return NOT_AGGREGABLE_LABEL;
  if (value === null) return "—";
  return isRate || !Number.isInteger(value) ? formatDecimal(value) : formatInteger(value);
}

/** A data table (internal true values or published values with the secret mark « s »), keyboard-scrollable. */
export function DataTableView({ table, label }: { table: PublishedTable; label: string }) {
  return (
    <Stack gap={4}>
      <TableScroll label={label} minWidth={Math.min(1200, 200 + table.columns.length * (table.view === "series" ? 76 : 110))}>
        <Table striped withTableBorder withColumnBorders>
          <caption style={{ captionSide: "top", textAlign: "left", fontWeight: 600, paddingBottom: 4 }}>{table.caption}</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{table.rowHeader}</Table.Th>
              {table.columns.map((c) => (
                <Table.Th key={c.id} scope="col" ta="right" miw={table.view === "series" ? 72 : 110} style={{ whiteSpace: table.view === "series" ? "nowrap" : undefined }}>
                  {c.label}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {table.rows.map((row) => (
              <Table.Tr key={row.id} fw={row.isTotal ? 700 : undefined}>
                <Table.Th scope="row" fw={row.isTotal ? 700 : 500}>
                  {row.label}
                </Table.Th>
                {row.cells.map((cell) => (
                  <Table.Td key={cell.id} ta="right" style={{ whiteSpace: "nowrap" }} title={
                    cell.masked
                      ? "Secret statistique"
                      : cell.notDefined
                        ? "Taux non défini pour cette case (règle de ventilation du taux)"
                        : cell.notAvailableCode
                          ? describeNotAvailable(cell.notAvailableCode, cell.notAvailableReason)
                          : cell.incomplete
                            ? "Ensemble incomplet : une part est non disponible (ND), somme des valeurs connues"
                            : cell.value === null
                              ? "Non renseigné"
                              : undefined
                  }>
                    {cell.notDefined
                      ? NOT_DEFINED_TEXT
                      : cell.notAvailableCode && !cell.masked
                        ? cell.notAvailableCode
                        : `${formatValue(cell.value, table.isRate)}${cell.incomplete && !cell.masked ? ` ${INCOMPLETE_MARK}` : ""}`}
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
      {table.notes.map((note) => (
        <Text key={note} size="sm" c="dimmed">
          {note}
        </Text>
      ))}
    </Stack>
  );
}

const chartColors = ["indigo.8", "orange.9", "teal.9", "grape.8", "red.9", "cyan.9", "lime.9", "pink.9"];

/** The plot itself, in its own chunk: the chart library loads only when a page draws a chart (issue 14 item 6, ADR 036). */
const ChartPlot = lazy(() => import("./chart-plot"));

/** The plot's height, kept by the placeholder so that the page does not move when the chart arrives. */
const CHART_HEIGHT = 320;

/**
 * The chart of a table (Mantine charts, loaded on demand in the browser); the
 * table next to it is its accessible equivalent. Until the chart's code has
 * arrived, a box of the same height says so; the caption and legend are there
 * at once, in the server's HTML too.
 */
export function DataChart({ spec, title, tableId }: { spec: ChartSpec; title: string; tableId?: string }) {
  const series = spec.series.map((s, i) => ({ name: s.name, label: s.label, color: chartColors[i % chartColors.length]! }));
  // Drawn in the browser only, after hydration: recharts draws no SVG on the server (its responsive container needs the
  // width), and a lazy plot inside a hydrating Suspense boundary made React give up that boundary's hydration (error #421).
  const mounted = useMounted();
  const placeholder = (
    <Box h={CHART_HEIGHT} style={{ display: "flex", alignItems: "center", justifyContent: "center" }}>
      <Text size="sm" c="dimmed">
        Chargement du graphique…
      </Text>
    </Box>
  );
  return (
    <figure style={{ margin: 0 }} aria-describedby={tableId}>
      <figcaption>
        <Text size="sm" fw={600}>
          {title} — {spec.unitLabel}
        </Text>
        <Text size="xs" c="dimmed">
          Graphique ; les valeurs exactes figurent dans le tableau.
        </Text>
      </figcaption>
      {mounted ? (
        <Suspense fallback={placeholder}>
          <ChartPlot spec={spec} series={series} height={CHART_HEIGHT} />
        </Suspense>
      ) : (
        placeholder
      )}
      <Group gap="md" mt="xs" role="list" aria-label="Légende">
        {series.map((s) => (
          <Group key={s.name} gap={6} wrap="nowrap" role="listitem">
            <span aria-hidden="true" style={{ width: 12, height: 12, borderRadius: 6, background: `var(--mantine-color-${s.color.replace(".", "-")})`, flex: "none" }} />
            <Text size="sm">{s.label}</Text>
          </Group>
        ))}
      </Group>
    </figure>
  );
}

export interface RenderedItemView {
  id: string;
  kind: "chart" | "table";
  title: string;
  table: PublishedTable;
  chart: ChartSpec;
  sources: string;
}

export interface RenderedPublicationView {
  title: string;
  bodyHtml: string;
  items: RenderedItemView[];
  attachments: { documentId: string; title: string; filename: string; sizeBytes: number; ownerName: string; versionNumber: number }[];
  sources: string;
  contributors: { id: string; name: string; hasLogo: boolean }[];
  external: boolean;
}


/**
 * A publication as it reads: Markdown body (already sanitised on the
 * server), frozen charts and tables with their sources, attachments, the
 * sources of the whole publication. Headings start at level 3.
 */
export function PublicationContentView({
  view,
  attachmentUrl,
  logoUrl,
}: {
  view: RenderedPublicationView;
  attachmentUrl: (documentId: string) => string;
  logoUrl: (organisationId: string) => string;
}) {
  return (
    <Stack gap="lg">
      {view.bodyHtml && (
        <TypographyStylesProvider>
          {/* Sanitised server-side (app/server/publications/render.server.ts): an allow-list, no raw HTML. */}
          <div dangerouslySetInnerHTML={{ __html: view.bodyHtml }} />
        </TypographyStylesProvider>
      )}
      {view.items.map((item) => (
        <Stack key={item.id} gap="xs" component="section" aria-labelledby={`item-${item.id}`}>
          <Title order={3} size="h4" id={`item-${item.id}`}>
            {item.title}
          </Title>
          {item.kind === "chart" && <DataChart spec={item.chart} title={item.title} tableId={`table-${item.id}`} />}
          <div id={`table-${item.id}`}>
            <DataTableView table={item.table} label={`Tableau : ${item.title}`} />
          </div>
          <Text size="sm" fs="italic">
            {item.sources}
          </Text>
        </Stack>
      ))}
      {view.attachments.length > 0 && (
        <Stack gap="xs" component="section" aria-labelledby="documents-joints">
          <Title order={3} size="h4" id="documents-joints">
            Documents joints
          </Title>
          <List>
            {view.attachments.map((a) => (
              <List.Item key={a.documentId}>
                <Anchor href={attachmentUrl(a.documentId)}>{a.title}</Anchor>{" "}
                <Text span size="sm" c="dimmed">
                  ({a.filename}, {formatBytes(a.sizeBytes)}, version {a.versionNumber} — {a.ownerName})
                </Text>
              </List.Item>
            ))}
          </List>
        </Stack>
      )}
      <Stack gap={6}>
        <Text fw={600}>{view.sources}</Text>
        <Contributors contributors={view.contributors} logoUrl={logoUrl} />
      </Stack>
    </Stack>
  );
}
