import { describe, expect, it } from "vitest";
import {
  buildTable,
  chartSpec,
  explorerSearchParams,
  formatYears,
  maskTable,
  parseExplorerQuery,
  snapshotSources,
  sourcesLine,
  type DataSnapshot,
  type ExplorerQuery,
  type SnapshotValue,
} from "~/domain/explorer";
import { SECRET_LABEL } from "~/domain/secrecy";

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
const C = "00000000-0000-4000-8000-00000000000c";

const v = (organisationId: string, year: number, key: string, value: number | null): SnapshotValue => ({
  organisationId,
  year,
  key,
  value,
  sourceVersionId: `${organisationId}-${year}`,
  indicatorVersionId: "iv",
});

function snapshot(values: SnapshotValue[], overrides: Partial<DataSnapshot> = {}): DataSnapshot {
  return {
    indicator: { id: "i", code: "CONFIES", label: "Enfants confiés", unit: "nombre", valueType: "integer", secrecyThreshold: 5, domainLabel: "Accueil" },
    organisations: [
      { id: A, code: "CAF42", name: "CAF de la Loire" },
      { id: B, code: "DEP42", name: "Département de la Loire" },
      { id: C, code: "TJ", name: "Tribunal judiciaire" },
    ],
    lists: [
      {
        code: "SEXE",
        label: "Sexe",
        items: [
          { code: "F", label: "Fille" },
          { code: "M", label: "Garçon" },
          { code: "X", label: "Non précisé" },
        ],
      },
    ],
    values,
    denominator: null,
    breaks: [],
    ...overrides,
  };
}

const query = (overrides: Partial<ExplorerQuery> = {}): ExplorerQuery => ({ indicator: "CONFIES", from: null, to: null, organisations: [], view: "series", year: null, rate: null, ...overrides });

describe("explorer query in the URL", () => {
  it("round-trips, accepts a comma-separated organisation list and drops malformed parts", () => {
    const q = query({ from: 2019, to: 2024, organisations: [A, B], view: "breakdown", year: 2023, rate: "POP_0_17" });
    expect(parseExplorerQuery(explorerSearchParams(q))).toEqual(q);
    const parsed = parseExplorerQuery(new URLSearchParams(`indicator=confies&org=${B},${A},nope&from=2024&to=2019&year=abc&rate=<script>`));
    expect(parsed).toEqual(query({ organisations: [A, B], from: 2019, to: 2024 }));
    expect(parseExplorerQuery(new URLSearchParams("indicator="))).toBeNull();
  });
});

describe("Art. 5 — sources always cited", () => {
  it('one source and one year: "Source : CAF de la Loire, données 2024"', () => {
    expect(sourcesLine([{ name: "CAF de la Loire", years: [2024] }])).toBe("Source : CAF de la Loire, données 2024");
  });

  it("several sources, ranges and gaps", () => {
    expect(formatYears([2021, 2019, 2020])).toBe("2019 à 2021");
    expect(formatYears([2023, 2024])).toBe("2023 et 2024");
    expect(formatYears([2019, 2021, 2024])).toBe("2019, 2021 et 2024");
    expect(
      sourcesLine([
        { name: "Département de la Loire", years: [2024] },
        { name: "CAF de la Loire", years: [2019, 2020, 2021, 2022, 2023, 2024] },
      ]),
    ).toBe("Sources : CAF de la Loire (données 2019 à 2024) ; Département de la Loire (données 2024)");
  });

  it("the sources of a snapshot are the organisations behind its non-empty values, denominator included", () => {
    const s = snapshot([v(A, 2023, "", 10), v(C, 2023, "", null)], {
      denominator: {
        indicator: { id: "p", code: "POP", label: "Population", unit: "habitants", valueType: "integer", secrecyThreshold: 0, domainLabel: "Contexte" },
        values: [v(B, 2023, "", 180000)],
      },
    });
    expect(sourcesLine(snapshotSources(s))).toBe("Sources : CAF de la Loire (données 2023) ; Département de la Loire (données 2023)");
  });
});

describe("tables built from accepted values", () => {
  it("series: organisations × years, with an « Ensemble » total per year for counts, and its constraints", () => {
    const table = buildTable(query(), snapshot([v(A, 2023, "", 10), v(A, 2024, "", 12), v(B, 2023, "", 100), v(B, 2024, "", 110)]));
    expect(table.columns.map((c) => c.label)).toEqual(["2023", "2024"]);
    expect(table.rows.map((r) => [r.label, r.cells.map((c) => c.value)])).toEqual([
      ["CAF de la Loire", [10, 12]],
      ["Département de la Loire", [100, 110]],
      ["Ensemble des organismes", [110, 122]],
    ]);
    expect(table.constraints).toEqual([
      { total: "*|2023", members: [`${A}|2023`, `${B}|2023`] },
      { total: "*|2024", members: [`${A}|2024`, `${B}|2024`] },
    ]);
  });

  it("rates per 1,000 of a population of the same year (hand-computed)", () => {
    const s = snapshot([v(A, 2023, "", 2538)], {
      denominator: {
        indicator: { id: "p", code: "POP_0_20", label: "Population des jeunes de 0 à 20 ans", unit: "habitants", valueType: "integer", secrecyThreshold: 0, domainLabel: "Contexte" },
        values: [v(B, 2023, "", 194700)],
      },
    });
    const table = buildTable(query({ rate: "POP_0_20" }), s);
    // 2538 / 194700 × 1000 = 13.035…
    expect(table.rows[0]!.cells[0]).toMatchObject({ value: 13.04, count: 2538 });
    expect(table.isRate).toBe(true);
    expect(table.unitLabel).toBe("pour 1 000 (population des jeunes de 0 à 20 ans)");
  });

  it("decimals (rates, amounts) are never summed across organisations", () => {
    const s = snapshot([v(A, 2023, "", 12.5), v(B, 2023, "", 14)], {
      indicator: { id: "i", code: "TX", label: "Taux d'occupation", unit: "pourcentage", valueType: "decimal", secrecyThreshold: 0, domainLabel: "Accueil" },
    });
    const table = buildTable(query(), s);
    expect(table.rows.map((r) => r.label)).toEqual(["CAF de la Loire", "Département de la Loire", "Ensemble des organismes"]);
    // No aggregation declared for a percentage: the « Ensemble » is « non agrégeable », never a number (ADR 018).
    expect(table.rows[2]!.cells).toEqual([{ id: "*|2023", count: null, value: null, notAggregable: true }]);
    expect(table.constraints).toEqual([]);
  });

  it("breakdown: cells in code-list order × organisations, a total row, an « Ensemble » column", () => {
    const s = snapshot([v(A, 2024, "", 30), v(A, 2024, "SEXE=M", 18), v(A, 2024, "SEXE=F", 12), v(B, 2024, "", 50), v(B, 2024, "SEXE=F", 20), v(B, 2024, "SEXE=M", 30)]);
    const table = buildTable(query({ view: "breakdown", year: 2024 }), s);
    expect(table.columns.map((c) => c.label)).toEqual(["CAF de la Loire", "Département de la Loire", "Ensemble des organismes"]);
    expect(table.rows.map((r) => [r.label, r.cells.map((c) => c.value)])).toEqual([
      ["Fille", [12, 20, 32]],
      ["Garçon", [18, 30, 48]],
      ["Total", [30, 50, 80]],
    ]);
    const chart = chartSpec(maskTable(table, s.indicator));
    expect(chart.kind).toBe("bar");
    expect(chart.data).toEqual([
      { ventilation: "Fille", s0: 32 },
      { ventilation: "Garçon", s0: 48 },
    ]);
  });
});

describe("Art. 3 and 5 — statistical secrecy at the gate (hand-worked tables)", () => {
  it("primary: a count of 1..4 is shown « < seuil »; 0 is not secret", () => {
    const s = snapshot([v(A, 2023, "", 3), v(A, 2024, "", 0)]);
    const table = maskTable(buildTable(query(), s), s.indicator);
    expect(table.rows[0]!.cells.map((c) => c.value)).toEqual([SECRET_LABEL, 0]);
    expect(table.maskedCount).toBe(1);
  });

  it("secondary: one masked count in a year column forces a second one, so the « Ensemble » total cannot give it back", () => {
    // 2023: CAF 3 (secret), Département 100, Tribunal 40, Ensemble 143 → 3 = 143 − 100 − 40 unless another is masked.
    const s = snapshot([v(A, 2023, "", 3), v(B, 2023, "", 100), v(C, 2023, "", 40)]);
    const table = maskTable(buildTable(query(), s), s.indicator);
    expect(table.rows.map((r) => [r.label, r.cells[0]!.value, r.cells[0]!.masked])).toEqual([
      ["CAF de la Loire", SECRET_LABEL, true],
      ["Département de la Loire", 100, false],
      ["Tribunal judiciaire", SECRET_LABEL, true],
      ["Ensemble des organismes", 143, false],
    ]);
  });

  it("secondary: a single suppressed cell in a breakdown line forces a second one in that line and in its column", () => {
    //               CAF  Dép. | Ensemble
    //   Fille         2    20  |   22
    //   Garçon       28    30  |   58
    //   Total        30    50  |   80
    const s = snapshot([v(A, 2024, "", 30), v(A, 2024, "SEXE=F", 2), v(A, 2024, "SEXE=M", 28), v(B, 2024, "", 50), v(B, 2024, "SEXE=F", 20), v(B, 2024, "SEXE=M", 30)]);
    const table = maskTable(buildTable(query({ view: "breakdown", year: 2024 }), s), s.indicator);
    const grid = table.rows.map((r) => r.cells.map((c) => c.value));
    // CAF girls 2: primary. Column CAF: 2 = 30 − 28 → CAF boys masked. Row Fille: 2 = 22 − 20 → Dép. girls masked;
    // then column Dép. has one masked (20) → Dép. boys masked; row Garçon now has two masked. Nothing is recomputable.
    expect(grid).toEqual([
      [SECRET_LABEL, SECRET_LABEL, 22],
      [SECRET_LABEL, SECRET_LABEL, 58],
      [30, 50, 80],
    ]);
    expect(table.notes.join(" ")).toMatch(/s : secret statistique \(4 case\(s\)/);
  });

  it("rates of masked counts are masked too, and masked values become gaps in the chart", () => {
    const s = snapshot([v(A, 2023, "", 2), v(B, 2023, "", 90)], {
      denominator: {
        indicator: { id: "p", code: "POP", label: "Population", unit: "habitants", valueType: "integer", secrecyThreshold: 0, domainLabel: "Contexte" },
        values: [v(B, 2023, "", 1000)],
      },
    });
    const table = maskTable(buildTable(query({ rate: "POP" }), s), s.indicator);
    expect(table.rows.map((r) => r.cells[0]!.value)).toEqual([SECRET_LABEL, SECRET_LABEL, 92]);
    const chart = chartSpec(table);
    expect(chart.data).toEqual([{ annee: "2023", s0: 92, s1: null, s2: null }]);
  });

  it("indicators with threshold 0 (populations, places) are never masked", () => {
    const s = snapshot([v(A, 2023, "", 3)], {
      indicator: { id: "i", code: "PLACES", label: "Places", unit: "places", valueType: "integer", secrecyThreshold: 0, domainLabel: "Accueil" },
    });
    expect(maskTable(buildTable(query(), s), s.indicator).maskedCount).toBe(0);
  });
});
