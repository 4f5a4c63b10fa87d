import { formatFigure, type DashboardEdition, type Figure, type IndicatorBlock, type TrendPoint } from "./dashboard";

/**
 * One description of each chart of the annual report (Art. 5), computed once
 * from the edition and drawn by both renderers: the HTML report (inline SVG,
 * app/server/dashboard/report-document.server.tsx) and the PDF (pdfkit,
 * app/server/dashboard/pdf.server.ts). Each keeps its drawing technology;
 * what is drawn — the points, where a line is cut, the scale, the title and
 * the alternative text — is decided here, so the two reports cannot drift.
 */

/** One year of a trend line, as the report writes it. */
export interface TrendChartPoint {
  year: number;
  /** null: nothing drawn (missing, masked by secrecy, not available…). */
  value: number | null;
  /** The figure as the report's tables write it (« secret », « n.d. », « 1 234 (partiel) »…). */
  text: string;
  /** A new definition starts this year: the line is cut before it. */
  breakBefore: boolean;
}

/** The trend of an indicator over the edition's years (a sparkline). */
export interface TrendChart {
  kind: "trend";
  title: string;
  unit: string;
  points: TrendChartPoint[];
  /** Runs of point indexes drawn as one line: a missing year or a series break starts a new run. */
  segments: number[][];
  /** The value axis: lowest and highest known values; null when fewer than two are known (an empty chart). */
  axis: { min: number; max: number } | null;
  /** The year axis. */
  years: { first: number; last: number };
  /** Index of the emphasised point (the edition's year), when known. */
  emphasised: number | null;
  /** What a reader who cannot see the chart is told: every year and its figure. */
  altText: string;
}

/** One bar of a breakdown chart. */
export interface Bar {
  label: string;
  /** null: no bar (missing, masked…). */
  value: number | null;
  text: string;
  secret: boolean;
}

/** A breakdown's first list for the edition's year, as horizontal bars. */
export interface BarsChart {
  kind: "bars";
  title: string;
  unit: string;
  bars: Bar[];
  /** The value of a full-length bar: the largest value, at least 1. */
  max: number;
  altText: string;
}

/** The charts of one indicator block. */
export interface BlockCharts {
  trend: TrendChart;
  /** null when the block has no breakdown to draw. */
  bars: BarsChart | null;
}

/** A drawing area, in the renderer's own units (SVG pixels, PDF points), y growing downwards. */
export interface ChartBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The trend line of an indicator (its label, unit and trend points). */
export function describeTrend(block: Pick<IndicatorBlock, "label" | "unit" | "decimals" | "trend">): TrendChart {
  const trend: readonly TrendPoint[] = block.trend;
  const points = trend.map((p) => ({ year: p.year, value: p.value, text: formatFigure(p, block.decimals), breakBefore: !!p.breakBefore }));
  const known = points.flatMap((p) => (p.value === null ? [] : [p.value]));
  const segments: number[][] = [];
  let run: number[] = [];
  points.forEach((p, i) => {
    if (p.value === null || p.breakBefore) {
      if (run.length) segments.push(run);
      run = [];
    }
    if (p.value !== null) run.push(i);
  });
  if (run.length) segments.push(run);
  const last = points.length - 1;
  return {
    kind: "trend",
    title: block.label,
    unit: block.unit,
    points,
    segments,
    axis: known.length < 2 ? null : { min: Math.min(...known), max: Math.max(...known) },
    years: { first: points[0]?.year ?? NaN, last: points.at(-1)?.year ?? NaN },
    emphasised: last >= 0 && points[last]!.value !== null ? last : null,
    altText: `Tendance ${trend[0]?.year}–${trend.at(-1)?.year} : ${points.map((p) => `${p.year} ${p.text}`).join(", ")}`,
  };
}

/**
 * Where point `index` of a trend falls in `box`: years spread evenly from the
 * left edge to the right one, values from the bottom (lowest) to the top
 * (highest); a flat series sits mid-height. Only for points with a value on
 * a chart with an axis.
 */
export function trendPosition(chart: TrendChart, index: number, box: ChartBox): { x: number; y: number } {
  const { min, max } = chart.axis!;
  const value = chart.points[index]!.value!;
  return {
    x: box.x + (index * box.w) / Math.max(1, chart.points.length - 1),
    y: max === min ? box.y + box.h / 2 : box.y + box.h - ((value - min) * box.h) / (max - min),
  };
}

/** The first list of a block's breakdown for the edition's year, as bars; null without a breakdown. */
export function describeBreakdownBars(block: Pick<IndicatorBlock, "label" | "unit" | "decimals" | "breakdown">, year: number): BarsChart | null {
  const list = block.breakdown?.lists[0];
  if (!block.breakdown || !list?.items.length) return null;
  const current = block.breakdown.current;
  const bars = list.items.map((item): Bar => {
    const figure: Figure = current[`${list.code}=${item.code}`] ?? { value: null };
    return { label: item.label, value: figure.value, text: formatFigure(figure, block.decimals), secret: !!figure.secret };
  });
  const title = `${block.label} par ${list.label.toLowerCase()}, ${year}`;
  return {
    kind: "bars",
    title,
    unit: block.unit,
    bars,
    max: Math.max(1, ...bars.map((b) => b.value ?? 0)),
    altText: `${title} : ${bars.map((b) => `${b.label} ${b.text}`).join(", ")}`,
  };
}

/** Every chart of an edition, by indicator code: described once, drawn by each renderer. */
export function reportCharts(edition: Pick<DashboardEdition, "year" | "sections">): Map<string, BlockCharts> {
  return new Map(
    edition.sections.flatMap((s) => s.blocks).map((b) => [b.code, { trend: describeTrend(b), bars: describeBreakdownBars(b, edition.year) }]),
  );
}
