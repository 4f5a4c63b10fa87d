import { BarChart, LineChart } from "@mantine/charts";
import type { ChartSpec } from "~/domain/explorer";
import { formatDecimal } from "~/domain/format";

/**
 * The plot of a chart (Mantine charts, over recharts: ~570 KiB of JavaScript).
 * Only app/ui/diffusion.tsx's DataChart loads this module, with import(), so
 * that no page carries the chart library in its first load (issue 14 item 6,
 * ADR 036); tests/unit/client-bundles.test.ts checks the static imports.
 */
export default function ChartPlot({ spec, series, height }: { spec: ChartSpec; series: { name: string; label: string; color: string }[]; height: number }) {
  const common = {
    h: height,
    data: spec.data,
    dataKey: spec.dataKey,
    series,
    withLegend: false,
    valueFormatter: (value: number) => formatDecimal(value),
    yAxisProps: { width: 72 },
    xAxisProps: { padding: { left: 24, right: 24 } },
  };
  return spec.kind === "line" ? <LineChart {...common} curveType="linear" connectNulls={false} /> : <BarChart {...common} />;
}
