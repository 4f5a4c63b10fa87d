import { describe, expect, it } from "vitest";
import { buildTable, maskTable, snapshotSources, sourcesLine, type DataSnapshot, type ExplorerQuery, type SnapshotValue } from "~/domain/explorer";
import { formatFigure } from "~/domain/dashboard";
import {
  compareVintages,
  referenceNote,
  parseVintage,
  populationCell,
  rateCell,
  rateDefinitionSchema,
  ratesFile,
  vintageLabel,
  type RateDefinition,
  type StoredRate,
  type Universe,
} from "~/domain/rates";
import { assembleEdition, toPublicEdition, type AssemblyInput, type AssemblyValue } from "~/domain/edition-assembly";
import fs from "node:fs";
import path from "node:path";

/**
 *  (ADR 019): a rate is a numerator over a population
 * of the SAME universe, cell by cell. The reference example of the issue:
 * 800 girls in care, 98 000 girls aged 0–20 (200 000 in all) → 8.16 ‰,
 * never 800 / 200 000 = 4.0 ‰.
 */

const U020: Universe = { ageMin: 0, ageMax: 20, sex: "all", territory: "departement", referenceDate: "01-01-N+1" };
const U017: Universe = { ...U020, ageMax: 17 };

/** `total` spread over ages 0..maxAge (the remainder on age 0). */
function spread(counts: Map<string, number>, sex: "F" | "M", total: number, maxAge: number) {
  const each = Math.floor(total / (maxAge + 1));
  for (let age = 0; age <= maxAge; age++) counts.set(`${sex}|${age}`, each + (age === 0 ? total - each * (maxAge + 1) : 0));
}
/** 98 000 girls and 102 000 boys aged 0–20; ages 21–25 too (outside every universe here). */
function population(): Map<string, number> {
  const counts = new Map<string, number>();
  spread(counts, "F", 98000, 20);
  spread(counts, "M", 102000, 20);
  for (let age = 21; age <= 25; age++) {
    counts.set(`F|${age}`, 5000);
    counts.set(`M|${age}`, 5000);
  }
  return counts;
}
const ages = (counts: Map<string, number>, from: number, to: number) => {
  let n = 0;
  for (let a = from; a <= to; a++) n += counts.get(`F|${a}`)! + counts.get(`M|${a}`)!;
  return n;
};

const definition = (over: Record<string, unknown> = {}) => ({
  code: "TX_CONFIES",
  domain: "ACCUEIL",
  label: "Enfants confiés pour 1 000 jeunes de 0 à 20 ans",
  numerator: "CONFIES",
  numeratorUniverse: U020,
  populationUniverse: U020,
  multiplier: 1000,
  unit: "pour 1 000 jeunes de 0 à 20 ans",
  decimals: 2,
  breakdowns: { SEXE: "matching_cell", AGE_BAND: "matching_cell" },
  sourceConvention: "DREES, enquête Aide sociale",
  ...over,
});

describe("rate definitions: the numerator and the population have the same universe", () => {
  it("Art. 5 (taux) : une définition dont les univers diffèrent (0–17 ans au numérateur, 0–20 ans en population) est refusée, message en français", () => {
    const parsed = rateDefinitionSchema.safeParse(definition({ numeratorUniverse: U017 }));
    expect(parsed.success).toBe(false);
    const message = parsed.error!.issues.map((i) => i.message).join(" ");
    expect(message).toMatch(/TX_CONFIES refusé : le numérateur et la population de référence n'ont pas le même univers/);
    expect(message).toMatch(/âges 0 à 17 ans au numérateur, 0 à 20 ans dans la population/);
    // Sex and reference date are part of the universe too.
    expect(rateDefinitionSchema.safeParse(definition({ numeratorUniverse: { ...U020, sex: "F" } })).error!.issues[0]!.message).toMatch(/sexe « filles » au numérateur/);
    expect(rateDefinitionSchema.safeParse(definition({ numeratorUniverse: { ...U020, referenceDate: "01-01-N" } })).error!.issues[0]!.message).toMatch(/date de référence/);
    expect(rateDefinitionSchema.safeParse(definition()).success).toBe(true);
  });

  it("Art. 5 (taux) : une ventilation que la population n'a pas (territoire) ne peut être que « non définie »", () => {
    const parsed = rateDefinitionSchema.safeParse(definition({ breakdowns: { TERRITOIRE: "matching_cell" } }));
    expect(parsed.error!.issues[0]!.message).toMatch(/n'est pas ventilée par TERRITOIRE/);
  });

  it("the shipped conventions/rates.json is valid: every rate cites its source convention (DREES/ONPE)", () => {
    const file = ratesFile.parse(JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../conventions/rates.json"), "utf8")));
    expect(file.rates.map((r) => r.code)).toEqual(["TX_CONFIES", "TX_AED_MIN", "TX_AEMO", "TX_IP_MIN", "DEP_PAR_JEUNE"]);
    for (const r of file.rates) expect(r.sourceConvention).toMatch(/DREES|ONPE/);
    expect(file.rates.find((r) => r.code === "TX_IP_MIN")!.populationUniverse).toMatchObject({ ageMin: 0, ageMax: 17 });
  });
});

describe("rate cells: the matching population cell, or « non défini »", () => {
  const counts = population();
  const rules = { SEXE: "matching_cell", AGE_BAND: "matching_cell" } as const;

  it("Art. 5 (taux) : par sexe, chaque case est rapportée à la population du même sexe : 800 / 98 000 × 1 000 = 8,16 ‰", () => {
    const girls = populationCell(counts, U020, "SEXE=F", rules);
    expect(girls).toEqual({ kind: "value", value: 98000 });
    expect(rateCell(800, girls, 1000).value).toBeCloseTo(8.163, 3);
    expect(populationCell(counts, U020, "", rules)).toEqual({ kind: "value", value: 200000 });
    // By age band, both sexes: the ages of the band only; a cross cell: that sex and those ages.
    expect(populationCell(counts, U020, "AGE_BAND=0-2", rules)).toEqual({ kind: "value", value: ages(counts, 0, 2) });
    const cross = populationCell(counts, U020, "AGE_BAND=3-5|SEXE=M", rules);
    expect(cross).toEqual({ kind: "value", value: counts.get("M|3")! + counts.get("M|4")! + counts.get("M|5")! });
  });

  it("Art. 5 (taux) : une case hors univers (18-20 ans pour un taux des 0–17 ans) ou sans règle est « non définie », jamais un nombre", () => {
    expect(populationCell(counts, U017, "AGE_BAND=18-20", rules)).toEqual({ kind: "not_defined" });
    expect(populationCell(counts, U017, "AGE_BAND=16-17|SEXE=F", rules)).toEqual({ kind: "value", value: counts.get("F|16")! + counts.get("F|17")! });
    expect(populationCell(counts, U020, "TERRITOIRE=ROANNE", rules)).toEqual({ kind: "not_defined" });
    expect(populationCell(counts, U020, "SEXE=F", {})).toEqual({ kind: "not_defined" });
    expect(rateCell(12, { kind: "not_defined" }, 1000)).toEqual({ value: null, notDefined: true });
    expect(formatFigure({ value: null, notDefined: true }, 1)).toBe("non défini");
    // A population lacking an age is missing (n.d.), not a smaller denominator.
    const partial = new Map(counts);
    partial.delete("F|7");
    expect(populationCell(partial, U020, "", rules)).toEqual({ kind: "missing" });
  });
});

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
const v = (organisationId: string, year: number, key: string, value: number | null): SnapshotValue => ({ organisationId, year, key, value, sourceVersionId: "sv", indicatorVersionId: "iv" });
const query = (over: Partial<ExplorerQuery> = {}): ExplorerQuery => ({ indicator: "CONFIES", from: null, to: null, organisations: [], view: "breakdown", year: 2024, rate: null, ...over });
function snapshot(values: SnapshotValue[], over: Partial<DataSnapshot> = {}): DataSnapshot {
  return {
    indicator: { id: "i", code: "CONFIES", label: "Enfants confiés", unit: "nombre", valueType: "integer", secrecyThreshold: 5, domainLabel: "Accueil" },
    organisations: [
      { id: A, code: "DEP42", name: "Département de la Loire" },
      { id: B, code: "ADSEA", name: "ADSEA" },
    ],
    lists: [{ code: "SEXE", label: "Sexe", items: [{ code: "F", label: "Féminin" }, { code: "M", label: "Masculin" }] }],
    values,
    denominator: null,
    breaks: [],
    ...over,
  };
}
const CONFIES_2024 = [v(A, 2024, "", 1800), v(A, 2024, "SEXE=F", 800), v(A, 2024, "SEXE=M", 1000)];

describe("the explorer's rates", () => {
  it("Art. 5 (taux) : dans l'explorateur, 800 filles confiées / 98 000 filles de 0 à 20 ans = 8,16 ‰ (et non 4,0 ‰ sur la population totale)", () => {
    const counts = population();
    const rules = { SEXE: "matching_cell" } as const;
    const populations = Object.fromEntries(
      ["", "SEXE=F", "SEXE=M"].map((key) => {
        const cell = populationCell(counts, U020, key, rules);
        return [`2024|${key}`, { value: cell.kind === "value" ? cell.value : null }];
      }),
    );
    const s = snapshot(CONFIES_2024, {
      rate: {
        code: "TX_CONFIES",
        label: "Enfants confiés pour 1 000 jeunes de 0 à 20 ans",
        unit: "pour 1 000 jeunes de 0 à 20 ans",
        multiplier: 1000,
        decimals: 1,
        citation: "Insee, estimations de population (estimations provisoires au 1er janvier 2025)",
        universe: "0 à 20 ans",
        sourceConvention: "DREES",
        populations,
      },
    });
    const table = buildTable(query({ rate: "TX_CONFIES" }), s);
    expect(table.isRate).toBe(true);
    expect(table.rows.find((r) => r.id === "SEXE=F")!.cells[0]!.value).toBe(8.16);
    expect(table.rows.find((r) => r.id === "SEXE=M")!.cells[0]!.value).toBe(9.8);
    expect(table.rows.find((r) => r.isTotal)!.cells[0]!.value).toBe(9);
    expect(table.unitLabel).toBe("pour 1 000 jeunes de 0 à 20 ans");
    // Every rate cites Insee and the vintage, beside the organisations of the numerator.
    expect(sourcesLine(snapshotSources(s))).toContain("Insee, estimations de population (estimations provisoires au 1er janvier 2025)");
    expect(table.notes.join(" ")).toContain("Insee, estimations de population (estimations provisoires au 1er janvier 2025)");
    // Reference rates of France and the region beside the département's.
    const withReferences = buildTable(query({ rate: "TX_CONFIES" }), { ...s, rate: { ...s.rate!, references: [{ territory: "France", level: "france", year: 2024, value: 10.2, source: "DREES" }] } });
    expect(withReferences.notes).toContain("Références 2024 : France 10,2 (pour 1 000 jeunes de 0 à 20 ans) — source : DREES.");
    expect(referenceNote([{ territory: "France", level: "france", year: 2023, value: 1, source: "DREES" }], 2024, "‰", 1)).toBeNull();
  });

  it("Art. 5 (taux) : un ancien taux sur le total d'une population ne divise plus une case par sexe par le total : « non défini »", () => {
    const s = snapshot(CONFIES_2024, {
      denominator: {
        indicator: { id: "p", code: "POP_0_20", label: "Population des jeunes de 0 à 20 ans", unit: "habitants", valueType: "integer", secrecyThreshold: 0, domainLabel: "Contexte" },
        values: [v(A, 2024, "", 200000)],
      },
    });
    const table = buildTable(query({ rate: "POP_0_20" }), s);
    const girls = table.rows.find((r) => r.id === "SEXE=F")!.cells[0]!;
    expect(girls.value).toBeNull();
    expect(girls.notDefined).toBe(true);
    expect(table.rows.find((r) => r.isTotal)!.cells[0]!.value).toBe(9);
    expect(maskTable(table, s.indicator).rows.find((r) => r.id === "SEXE=F")!.cells[0]!.notDefined).toBe(true);
  });

  it("Art. 5 (taux) : avec plusieurs organismes, le taux n'est défini que pour l'ensemble (la population est celle du département)", () => {
    const s = snapshot([v(A, 2024, "", 1000), v(B, 2024, "", 800)], {
      rate: { code: "T", label: "T", unit: "‰", multiplier: 1000, decimals: 1, citation: "Insee", universe: "", sourceConvention: "", populations: { "2024|": { value: 200000 } } },
    });
    const table = buildTable(query({ rate: "T", view: "breakdown" }), s);
    const total = table.rows.find((r) => r.isTotal)!;
    expect(total.cells.map((c) => c.notDefined ?? false)).toEqual([true, true, false]);
    expect(total.cells[2]!.value).toBe(9);
  });
});

describe("the dashboard's rates", () => {
  const stored = (def: RateDefinition): StoredRate => ({
    code: def.code,
    domainCode: def.domain,
    label: def.label,
    definition: def.definition ?? null,
    numeratorCode: def.numerator,
    numeratorUniverse: def.numeratorUniverse,
    populationUniverse: def.populationUniverse,
    multiplier: def.multiplier,
    unit: def.unit,
    decimals: def.decimals,
    rules: def.breakdowns,
    sourceConvention: def.sourceConvention,
  });
  function input(): AssemblyInput {
    const values: AssemblyValue[] = [];
    for (let y = 2020; y <= 2024; y++) {
      values.push({ indicatorId: "CONFIES", year: y, breakdownKey: "", value: 1800, lineageOrganisationId: "dep" });
      values.push({ indicatorId: "CONFIES", year: y, breakdownKey: "SEXE=F", value: y === 2024 ? 800 : 3, lineageOrganisationId: "dep" });
      values.push({ indicatorId: "CONFIES", year: y, breakdownKey: "SEXE=M", value: y === 2024 ? 1000 : 1797, lineageOrganisationId: "dep" });
    }
    const rate = stored(rateDefinitionSchema.parse(definition({ breakdowns: { SEXE: "matching_cell" } })));
    return {
      year: 2024,
      assembledAt: new Date("2025-09-01T08:00:00Z"),
      observatory: { code: "ODPE42", name: "Observatoire", label: "ODPE", departementCode: "42", departementName: "Loire", isDemo: true },
      domains: [{ code: "ACCUEIL", label: "Accueil", position: 7 }],
      indicators: [
        {
          id: "CONFIES",
          code: "CONFIES",
          domainCode: "ACCUEIL",
          secrecyThreshold: 5,
          versions: [
            {
              id: "CONFIES-1",
              version: 1,
              valid_from_year: null,
              label: "Enfants confiés",
              definition: null,
              unit: "nombre",
              value_type: "integer",
              measure: "stock",
              non_negative: true,
              min_value: null,
              max_value: null,
              breakdown_sum_equals_total: true,
              breakdowns: ["SEXE"],
            },
          ],
        },
      ],
      codelists: [{ code: "SEXE", label: "Sexe", items: [{ code: "F", label: "Féminin" }, { code: "M", label: "Masculin" }] }],
      derived: [],
      keyFigureCodes: ["TX_CONFIES"],
      organisations: [{ id: "dep", code: "DEP42", name: "Département de la Loire", logoFileId: null }],
      values,
      usage: [],
      expectedPairs: [],
      campaign: null,
      expected: [],
      submissions: [],
      rates: [rate],
      references: new Map([
        [
          "TX_CONFIES",
          [
            { territory: "France", level: "france" as const, year: 2024, value: 10.2, source: "DREES, enquête Aide sociale 2024" },
            { territory: "Auvergne-Rhône-Alpes", level: "region" as const, year: 2024, value: 9.6, source: "DREES, enquête Aide sociale 2024" },
          ],
        ],
      ]),
      // Population years N+1 (2021–2025); 2021 missing: the 2020 rate is not computed.
      populations: new Map(
        [2022, 2023, 2024, 2025].map((y) => [y, { vintageLabel: "estimations provisoires au 1er janvier 2025", counts: population() }]),
      ),
    };
  }

  it("Art. 5 (taux) : au tableau de bord, le taux par sexe rapporte chaque case à la population du même sexe et cite l'Insee et le millésime", () => {
    const edition = assembleEdition(input());
    const block = edition.sections.flatMap((s) => s.blocks).find((b) => b.code === "TX_CONFIES")!;
    expect(block.current.value).toBeCloseTo(9, 10);
    expect(block.breakdown!.current["SEXE=F"]!.value).toBeCloseTo(8.163265, 5);
    expect(block.breakdown!.current["SEXE=M"]!.value).toBeCloseTo((1000 / 102000) * 1000, 10);
    expect(block.trend.find((p) => p.year === 2020)!.value).toBeNull();
    expect(block.sources).toContain("Insee, estimations de population (estimations provisoires au 1er janvier 2025)");
    expect(block.sources).not.toContain("Département");
    expect(block.population!.sourceConvention).toBe("DREES, enquête Aide sociale");
    expect(edition.keyFigures.map((k) => k.code)).toEqual(["TX_CONFIES"]);
    // France and the region beside the département, with their source.
    expect(block.references!.map((r) => r.territory)).toEqual(["France", "Auvergne-Rhône-Alpes"]);
    expect(block.notes).toContain("Références 2024 : France 10,20 ; Auvergne-Rhône-Alpes 9,60 (pour 1 000 jeunes de 0 à 20 ans) — source : DREES, enquête Aide sociale 2024.");
    // Public edition: the rate of a masked numerator cell (3 girls in 2023) is masked too.
    const pub = toPublicEdition(edition);
    const published = pub.sections.flatMap((s) => s.blocks).find((b) => b.code === "TX_CONFIES")!;
    expect(published.breakdown!.previous!["SEXE=F"]!.secret).toBe(true);
    expect(published.breakdown!.current["SEXE=F"]!.value).toBeCloseTo(8.163265, 5);
  });
});

describe("vintages of Insee estimates", () => {
  it("Art. 5 (sources citées) : le millésime se lit et se cite « estimations provisoires au 1er janvier 2025 » ; le plus récent passe devant", () => {
    expect(parseVintage("estimations provisoires au 1er janvier 2025")).toEqual({ year: 2025, status: "provisional" });
    expect(parseVintage("Définitives au 1er janvier 2022")).toEqual({ year: 2022, status: "final" });
    expect(parseVintage("2025")).toBeNull();
    expect(vintageLabel({ year: 2022, status: "final" })).toBe("estimations définitives au 1er janvier 2022");
    const sorted = [
      { year: 2024, status: "provisional" as const },
      { year: 2025, status: "provisional" as const },
      { year: 2024, status: "final" as const },
    ].sort(compareVintages);
    expect(sorted.map(vintageLabel)).toEqual([
      "estimations provisoires au 1er janvier 2025",
      "estimations définitives au 1er janvier 2024",
      "estimations provisoires au 1er janvier 2024",
    ]);
  });
});
