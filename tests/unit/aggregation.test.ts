import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { aggregateContributions, aggregationOf, NOT_AGGREGABLE_LABEL, type IndicatorAggregation } from "~/domain/aggregation";
import { buildTable, maskTable, unmaskedTable, type DataSnapshot, type ExplorerQuery, type SnapshotValue } from "~/domain/explorer";
import { formatFigure } from "~/domain/dashboard";
import { indicatorsFile } from "~/domain/observatory-files";
import { assembleEdition, type AssemblyInput, type AssemblyVersion } from "~/domain/edition-assembly";
import { assemblyVersion } from "../support/assembly";

/**
 * Weighted averages (ADR 018): every non-additive indicator declares
 * how several organisations' values make one figure; the explorer, the
 * dashboard and the exports follow it. Two homes: 90 % with 10 places and
 * 50 % with 100 places → (90 × 10 + 50 × 100) / 110 = 53.636… %, not 70 %.
 */
const WEIGHTED: IndicatorAggregation = { kind: "weighted_mean", weightedBy: ["PLACES_MECS"] };
const EXPECTED = (90 * 10 + 50 * 100) / 110;

describe("aggregation rules of the catalogue", () => {
  it("a weighted mean weighs each organisation's rate by its weight indicator: 53.6 %, not 70 %", () => {
    const result = aggregateContributions(
      [
        { value: 90, inputs: { PLACES_MECS: 10 } },
        { value: 50, inputs: { PLACES_MECS: 100 } },
      ],
      WEIGHTED,
    );
    expect(result.value).toBeCloseTo(EXPECTED, 10);
    expect(result.value).toBeCloseTo(53.64, 2);
  });

  it("a weighted mean sums several weight indicators and leaves out an organisation without a weight, never an unweighted mean", () => {
    const both: IndicatorAggregation = { kind: "weighted_mean", weightedBy: ["PLACES_MECS", "PLACES_FDE"] };
    expect(aggregateContributions([{ value: 90, inputs: { PLACES_MECS: 10 } }, { value: 50, inputs: { PLACES_FDE: 100 } }], both).value).toBeCloseTo(EXPECTED, 10);
    expect(aggregateContributions([{ value: 90, inputs: { PLACES_MECS: 10 } }, { value: 50, inputs: {} }], both).value).toBe(90);
    expect(aggregateContributions([{ value: 90 }, { value: 50 }], both).value).toBeNull();
  });

  it("a ratio of sums recomputes the ratio from its parts; « non agrégeable » is never a number; one organisation's value is itself", () => {
    const ratio: IndicatorAggregation = { kind: "ratio_of_sums", numerator: "JOURS_REAL", denominator: "JOURS_THEO", multiplier: 100 };
    expect(aggregateContributions([{ value: 90, inputs: { JOURS_REAL: 900, JOURS_THEO: 1000 } }, { value: 50, inputs: { JOURS_REAL: 5000, JOURS_THEO: 10000 } }], ratio).value).toBeCloseTo(
      (5900 / 11000) * 100,
      10,
    );
    expect(aggregateContributions([{ value: 90 }, { value: 50 }], { kind: "not_aggregable" })).toEqual({ value: null, notAggregable: true });
    expect(aggregateContributions([{ value: 90 }], { kind: "not_aggregable" })).toEqual({ value: 90, notAggregable: false });
    expect(aggregationOf(null, "pourcentage")).toEqual({ kind: "not_aggregable" });
    expect(aggregationOf(null, "nombre")).toEqual({ kind: "sum" });
  });

  it("the catalogue file: TX_OCCUP and PRIX_JOUR_MECS are weighted means by places; a non-additive indicator without a declaration is refused", () => {
    const file = indicatorsFile.parse(JSON.parse(readFileSync("conventions/indicators.json", "utf8")));
    const of = (code: string) => file.indicators.find((i) => i.code === code)!.aggregation;
    expect(of("TX_OCCUP")).toEqual({ kind: "weighted_mean", weightedBy: ["PLACES_MECS", "PLACES_FDE"] });
    expect(of("PRIX_JOUR_MECS")).toEqual({ kind: "weighted_mean", weightedBy: ["PLACES_MECS"] });
    for (const i of file.indicators) if (["pourcentage", "euros", "jours", "années"].includes(i.unit)) expect([i.code, i.aggregation?.kind]).not.toEqual([i.code, undefined]);

    const raw = JSON.parse(readFileSync("conventions/indicators.json", "utf8")) as { indicators: Record<string, unknown>[] };
    const without = { indicators: raw.indicators.map((i) => (i.code === "TX_OCCUP" ? { ...i, aggregation: undefined } : i)) };
    const refused = indicatorsFile.safeParse(without);
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.error?.issues)).toContain("TX_OCCUP: a non-additive indicator");
    const badWeight = { indicators: raw.indicators.map((i) => (i.code === "TX_OCCUP" ? { ...i, aggregation: { kind: "weighted_mean", weightedBy: ["INCONNU"] } } : i)) };
    expect(JSON.stringify(indicatorsFile.safeParse(badWeight).error?.issues)).toContain("aggregation input INCONNU");
  });
});

const H1 = "00000000-0000-4000-8000-000000000001";
const H2 = "00000000-0000-4000-8000-000000000002";
const value = (organisationId: string, year: number, v: number): SnapshotValue => ({ organisationId, year, key: "", value: v, sourceVersionId: "sv", indicatorVersionId: "iv" });

function occupancy(aggregation: IndicatorAggregation | undefined): DataSnapshot {
  return {
    indicator: { id: "tx", code: "TX_OCCUP", label: "Taux d'occupation", unit: "pourcentage", valueType: "decimal", secrecyThreshold: 0, domainLabel: "Accueil", aggregation },
    organisations: [
      { id: H1, code: "MECS1", name: "Maison A" },
      { id: H2, code: "MECS2", name: "Maison B" },
    ],
    lists: [],
    values: [value(H1, 2024, 90), value(H2, 2024, 50)],
    denominator: null,
    breaks: [],
    aggregationInputs: [{ code: "PLACES_MECS", label: "Places installées en MECS", values: [value(H1, 2024, 10), value(H2, 2024, 100)] }],
  };
}
const query: ExplorerQuery = { indicator: "TX_OCCUP", from: null, to: null, organisations: [], view: "series", year: null, rate: null };

describe("the explorer and its exports follow the catalogue's aggregation", () => {
  it("the « Ensemble » of occupancy rates is their mean weighted by places (53,64 %), with a note saying so", () => {
    const table = buildTable(query, occupancy(WEIGHTED));
    const ensemble = table.rows.find((r) => r.isTotal)!;
    expect(ensemble.label).toBe("Ensemble des organismes");
    expect(ensemble.cells[0]!.value).toBe(53.64);
    expect(table.notes.join(" ")).toContain("pondérée par « Places installées en MECS »");
    // What the exports and publications carry (internal and published forms).
    expect(unmaskedTable(table).rows.at(-1)!.cells[0]!.value).toBe(53.64);
    expect(maskTable(table, occupancy(WEIGHTED).indicator).rows.at(-1)!.cells[0]!.value).toBe(53.64);
  });

  it("not aggregable: the « Ensemble » reads « non agrégeable » in every form, never a number", () => {
    const table = buildTable(query, occupancy({ kind: "not_aggregable" }));
    expect(unmaskedTable(table).rows.at(-1)!.cells[0]!.value).toBe(NOT_AGGREGABLE_LABEL);
    expect(maskTable(table, occupancy(undefined).indicator).rows.at(-1)!.cells[0]!.value).toBe(NOT_AGGREGABLE_LABEL);
    // A snapshot frozen before declarations existed: a percentage is « non agrégeable » too.
    expect(unmaskedTable(buildTable(query, occupancy(undefined))).rows.at(-1)!.cells[0]!.value).toBe(NOT_AGGREGABLE_LABEL);
  });
});

const version = (id: string, over: Partial<AssemblyVersion>) => assemblyVersion(id, { measure: "stock", ...over });

function dashboardInput(aggregation: IndicatorAggregation | null): AssemblyInput {
  const put = (org: string, indicatorId: string, year: number, v: number) => ({ indicatorId, year, breakdownKey: "", value: v, lineageOrganisationId: org });
  return {
    year: 2024,
    assembledAt: new Date("2025-09-01T08:00:00Z"),
    observatory: { code: "ODPE99", name: "Observatoire test", label: "ODPE test", departementCode: "99", departementName: "Test", isDemo: true },
    domains: [{ code: "ACCUEIL", label: "Capacités d'accueil", position: 7 }],
    indicators: [
      { id: "TX", code: "TX_OCCUP", domainCode: "ACCUEIL", secrecyThreshold: 0, aggregation, versions: [version("TX", { label: "Taux d'occupation", unit: "pourcentage", value_type: "decimal" })] },
      { id: "PL", code: "PLACES_MECS", domainCode: "ACCUEIL", secrecyThreshold: 0, versions: [version("PL", { label: "Places installées en MECS", unit: "places" })] },
    ],
    codelists: [],
    derived: [],
    keyFigureCodes: [],
    organisations: [
      { id: "h1", code: "MECS1", name: "Maison A", logoFileId: null },
      { id: "h2", code: "MECS2", name: "Maison B", logoFileId: null },
    ],
    values: [put("h1", "TX", 2024, 90), put("h2", "TX", 2024, 50), put("h1", "PL", 2024, 10), put("h2", "PL", 2024, 100)],
    usage: [],
    expectedPairs: [],
    campaign: null,
    expected: [],
    submissions: [],
  };
}

describe("the dashboard follows the catalogue's aggregation", () => {
  const blockOf = (edition: ReturnType<typeof assembleEdition>, code: string) => edition.sections.flatMap((s) => s.blocks).find((b) => b.code === code)!;

  it("the département occupancy rate is weighted by places: 53,6 %, not 70 %", () => {
    const tx = blockOf(assembleEdition(dashboardInput(WEIGHTED)), "TX_OCCUP");
    expect(tx.aggregation).toBe("weighted_mean");
    expect(tx.current.value).toBeCloseTo(EXPECTED, 10);
    expect(formatFigure(tx.current, tx.decimals)).toBe("53,6");
    expect(tx.notes.join(" ")).toContain("pondérée par « Places installées en MECS »");
    expect(blockOf(assembleEdition(dashboardInput(WEIGHTED)), "PLACES_MECS").current.value).toBe(110);
  });

  it("not aggregable: the block shows « non agrégeable », never a number", () => {
    const tx = blockOf(assembleEdition(dashboardInput({ kind: "not_aggregable" })), "TX_OCCUP");
    expect(tx.current).toEqual({ value: null, notAggregable: true });
    expect(formatFigure(tx.current, 1)).toBe(NOT_AGGREGABLE_LABEL);
  });
});
