import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { IndicatorBlock } from "~/domain/dashboard";
import { assembleEdition, type AssemblyInput, type AssemblyValue } from "~/domain/edition-assembly";
import { describeBreakdownBars, describeTrend, reportCharts, trendPosition } from "~/domain/report-charts";
import { renderEditionPdf } from "~/server/dashboard/pdf.server";
import { renderReportHtml } from "~/server/dashboard/render.server";
import { pdfPages } from "../support/pdf";
import { assemblyVersion } from "../support/assembly";

/**
 * One chart description (app/domain/report-charts.ts) drawn by the HTML
 * report (SVG) and the PDF (pdfkit). The trend of IP below: 2020 100,
 * 2021 120, 2022 nothing, 2023 140, 2024 180 — two runs (2020–2021 and
 * 2023–2024), value axis 100 to 180. Every coordinate is computed by hand.
 */

function input(): AssemblyInput {
  const values: AssemblyValue[] = [];
  const put = (year: number, key: string, value: number) => values.push({ indicatorId: "IP", year, breakdownKey: key, value, lineageOrganisationId: "dep" });
  for (const [year, total] of [
    [2020, 100],
    [2021, 120],
    [2023, 140],
    [2024, 180],
  ] as const) {
    put(year, "", total);
    put(year, "SEXE=F", total / 2 + 10);
    put(year, "SEXE=M", total / 2 - 10);
  }
  return {
    year: 2024,
    assembledAt: new Date("2025-09-01T08:00:00Z"),
    observatory: { code: "ODPE42", name: "ODPE Loire", label: "ODPE", departementCode: "42", departementName: "Loire", isDemo: true },
    domains: [{ code: "DANGER", label: "Enfance en danger", position: 1 }],
    indicators: [{ id: "IP", code: "IP", domainCode: "DANGER", secrecyThreshold: 5, versions: [assemblyVersion("IP", { label: "IP émises", breakdowns: ["SEXE"] })] }],
    codelists: [{ code: "SEXE", label: "Sexe", items: [{ code: "F", label: "Féminin" }, { code: "M", label: "Masculin" }] }],
    derived: [],
    keyFigureCodes: ["IP"],
    organisations: [{ id: "dep", code: "DEP42", name: "Département de la Loire", logoFileId: null }],
    values,
    usage: [],
    expectedPairs: [{ organisationId: "dep", indicatorId: "IP" }],
    campaign: null,
    expected: [],
    submissions: [],
  };
}

const trendBlock = (trend: IndicatorBlock["trend"]): Pick<IndicatorBlock, "label" | "unit" | "decimals" | "trend"> => ({ label: "Mesures", unit: "nombre", decimals: 0, trend });

/** Every path of a PDF's content streams as runs of points (`x y m` then `x y l`…), pdfkit's coordinates (y downwards). */
function pdfPaths(pdf: Buffer): { x: number; y: number }[][] {
  const paths: { x: number; y: number }[][] = [];
  let from = 0;
  for (;;) {
    const start = pdf.indexOf("stream\n", from);
    if (start < 0) break;
    const end = pdf.indexOf("\nendstream", start);
    if (end < 0) break;
    from = end + "\nendstream".length;
    let text: string;
    try {
      text = inflateSync(pdf.subarray(start + "stream\n".length, end)).toString("latin1");
    } catch {
      continue; // not a deflated stream
    }
    for (const m of text.matchAll(/(-?[\d.]+) (-?[\d.]+) m((?:\s+-?[\d.]+ -?[\d.]+ l)*)/g)) {
      const points = [{ x: Number(m[1]), y: Number(m[2]) }];
      for (const l of m[3]!.matchAll(/(-?[\d.]+) (-?[\d.]+) l/g)) points.push({ x: Number(l[1]), y: Number(l[2]) });
      paths.push(points);
    }
  }
  return paths;
}

/** A run's shape: each step from the previous point. */
const steps = (points: { x: number; y: number }[]) => points.slice(1).map((p, i) => ({ dx: +(p.x - points[i]!.x).toFixed(3), dy: +(p.y - points[i]!.y).toFixed(3) }));

describe("report charts: one description for the HTML and the PDF", () => {
  it("a missing year cuts the trend line; the value axis spans the known values; the edition's year is emphasised", () => {
    const edition = assembleEdition(input());
    const chart = reportCharts(edition).get("IP")!.trend;
    expect(chart.points.map((p) => [p.year, p.value])).toEqual([
      [2020, 100],
      [2021, 120],
      [2022, null],
      [2023, 140],
      [2024, 180],
    ]);
    expect(chart.segments).toEqual([
      [0, 1],
      [3, 4],
    ]);
    expect(chart.axis).toEqual({ min: 100, max: 180 });
    expect(chart.emphasised).toBe(4);
    expect(chart.years).toEqual({ first: 2020, last: 2024 });
    // the lowest value at the bottom of the box, the highest at the top, years evenly spread
    expect(trendPosition(chart, 0, { x: 10, y: 20, w: 80, h: 40 })).toEqual({ x: 10, y: 60 });
    expect(trendPosition(chart, 4, { x: 10, y: 20, w: 80, h: 40 })).toEqual({ x: 90, y: 20 });
    expect(trendPosition(chart, 1, { x: 10, y: 20, w: 80, h: 40 })).toEqual({ x: 30, y: 50 });
  });

  it("a series break and a masked year cut the line too; the alternative text names every year with the figure the tables show", () => {
    const chart = describeTrend(
      trendBlock([
        { year: 2020, value: 10 },
        { year: 2021, value: 12 },
        { year: 2022, value: 9, breakBefore: true },
        { year: 2023, value: null, secret: true },
        { year: 2024, value: 1500 },
      ]),
    );
    expect(chart.segments).toEqual([[0, 1], [2], [4]]);
    expect(chart.altText).toBe("Tendance 2020–2024 : 2020 10, 2021 12, 2022 9, 2023 s, 2024 1\u202f500");
  });

  it("fewer than two known values: no value axis (an empty chart), nothing emphasised when the edition's year is unknown", () => {
    const chart = describeTrend(trendBlock([2020, 2021, 2022, 2023, 2024].map((year) => ({ year, value: year === 2021 ? 5 : null }))));
    expect(chart.axis).toBeNull();
    expect(chart.emphasised).toBeNull();
    expect(chart.altText).toBe("Tendance 2020–2024 : 2020 n.d., 2021 5, 2022 n.d., 2023 n.d., 2024 n.d.");
  });

  it("breakdown bars: the first list's cells for the edition's year, scaled to the largest; a masked cell has no bar and says « s »", () => {
    const edition = assembleEdition(input());
    const bars = reportCharts(edition).get("IP")!.bars!;
    expect(bars.title).toBe("IP émises par sexe, 2024");
    expect(bars.bars.map((b) => [b.label, b.value])).toEqual([
      ["Féminin", 100],
      ["Masculin", 80],
    ]);
    expect(bars.max).toBe(100);
    const block = edition.sections[0]!.blocks[0]!;
    const masked = describeBreakdownBars({ ...block, breakdown: { ...block.breakdown!, current: { "SEXE=F": { value: null, secret: true }, "SEXE=M": { value: 3 } } } }, 2024)!;
    expect(masked.bars.map((b) => [b.value, b.text, b.secret])).toEqual([
      [null, "s", true],
      [3, "3", false],
    ]);
    expect(masked.altText).toBe("IP émises par sexe, 2024 : Féminin s, Masculin 3");
    expect(describeBreakdownBars({ ...block, breakdown: null }, 2024)).toBeNull();
  });

  it("the HTML report draws the described runs (cut at 2022) and gives the described alternative text", () => {
    const edition = assembleEdition(input());
    const chart = reportCharts(edition).get("IP")!.trend;
    const html = renderReportHtml(edition, null, { logoBase: "/logos/" });
    // box 4,4,112,24 in a 120×32 sparkline: x = 4 + 28 i, y = 28 − (v − 100) × 24 / 80
    const lines = [...html.matchAll(/<polyline points="([^"]+)" class="rp-spark-line"/g)].map((m) => m[1]);
    // twice: the key figure and the section's table
    expect(lines).toEqual(["4.0,28.0 32.0,22.0", "88.0,16.0 116.0,4.0", "4.0,28.0 32.0,22.0", "88.0,16.0 116.0,4.0"]);
    const labels = [...html.matchAll(/<svg class="rp-spark"[^>]*aria-label="([^"]+)"/g)].map((m) => m[1]);
    expect(labels).toEqual([chart.altText, chart.altText]);
    expect(chart.altText).toBe("Tendance 2020–2024 : 2020 100, 2021 120, 2022 n.d., 2023 140, 2024 180");
  });

  it("the PDF draws the same runs as the HTML report — the same cut, the same shape in its own boxes — and the described bar chart", async () => {
    const edition = assembleEdition(input());
    const pdf = await renderEditionPdf(edition, null);
    const shapes = pdfPaths(pdf).map((p) => JSON.stringify(steps(p)));
    // key figure box 86×26: a year every 21.5 pt; 2020→2021 rises 20/80 of 26, 2023→2024 40/80 of 26
    expect(shapes).toContain(JSON.stringify([{ dx: 21.5, dy: -6.5 }]));
    expect(shapes).toContain(JSON.stringify([{ dx: 21.5, dy: -13 }]));
    // table box 74×18: a year every 18.5 pt
    expect(shapes).toContain(JSON.stringify([{ dx: 18.5, dy: -4.5 }]));
    expect(shapes).toContain(JSON.stringify([{ dx: 18.5, dy: -9 }]));
    // never one line through the missing year
    expect(shapes.filter((s) => s.includes("21.5") || s.includes("18.5")).every((s) => (JSON.parse(s) as unknown[]).length === 1)).toBe(true);
    const text = (await pdfPages(pdf)).join("\n");
    expect(text).toContain("IP émises par sexe, 2024");
  });
});
