import { describe, expect, it } from "vitest";
import { assembleEdition, toPublicEdition, type AssemblyInput, type AssemblyValue } from "~/domain/edition-assembly";
import { formatFigure, type DashboardEdition, type IndicatorBlock } from "~/domain/dashboard";
import { changeNotComputedNote, notAvailableFor, summariseParts, sumOfKnownParts } from "~/domain/partial-totals";
import { applySecrecy, withoutPartialEquations } from "~/domain/secrecy";
import type { NotAvailableCode } from "~/domain/not-available";
import { assemblyVersion } from "../support/assembly";

/**
 * ADR 030: « non disponible » downstream. Three organisations feed IP (a
 * count broken down by sex); in 2024 the hospital declares ND, the IDEF is
 * not concerned by ACC. Every expected figure is computed by hand below.
 */

const ORGS = [
  { id: "dep", code: "DEP42", name: "Département de la Loire", logoFileId: null },
  { id: "ch", code: "CH-FEURS", name: "CH de Feurs", logoFileId: null },
  { id: "idef", code: "IDEF", name: "Institut départemental de l'enfance", logoFileId: null },
];

function fixture(over: { ndBothYears?: boolean; allNd?: boolean } = {}): AssemblyInput {
  const values: AssemblyValue[] = [];
  const put = (org: string, indicator: string, year: number, key: string, value: number | null, code?: NotAvailableCode, reason?: string) =>
    values.push({ indicatorId: indicator, year, breakdownKey: key, value, lineageOrganisationId: org, notAvailableCode: code ?? null, notAvailableReason: reason ?? null });
  // IP: 2023 DEP 100 (F 60, M 40) + CH 30 (F 10, M 20) = 130.
  put("dep", "IP", 2023, "", 100);
  put("dep", "IP", 2023, "SEXE=F", 60);
  put("dep", "IP", 2023, "SEXE=M", 40);
  if (over.ndBothYears) {
    put("ch", "IP", 2023, "", null, "ND", "logiciel en migration");
  } else {
    put("ch", "IP", 2023, "", 30);
    put("ch", "IP", 2023, "SEXE=F", 10);
    put("ch", "IP", 2023, "SEXE=M", 20);
  }
  // 2024: DEP 90 (F 50, M 40); CH: ND (« logiciel en migration ») → total partiel 90, not 90 + 0 « complete ».
  if (!over.allNd) {
    put("dep", "IP", 2024, "", 90);
    put("dep", "IP", 2024, "SEXE=F", 50);
    put("dep", "IP", 2024, "SEXE=M", 40);
  } else {
    put("dep", "IP", 2024, "", null, "ND", "changement d'outil");
  }
  put("ch", "IP", 2024, "", null, "ND", "logiciel en migration");
  // ACC: DEP 40 and IDEF 5 in 2023; 2024 DEP 44, IDEF NC (« pas d'accueil d'urgence ») → total 44, not partial.
  put("dep", "ACC", 2023, "", 40);
  put("dep", "ACC", 2024, "", 44);
  put("idef", "ACC", 2023, "", null, "NC");
  put("idef", "ACC", 2024, "", null, "NC", "pas d'accueil d'urgence");
  // POP: 10 000 both years.
  put("dep", "POP", 2023, "", 10000);
  put("dep", "POP", 2024, "", 10000);
  return {
    year: 2024,
    assembledAt: new Date("2025-09-01T08:00:00Z"),
    observatory: { code: "ODPE42", name: "ODPE Loire", label: "ODPE", departementCode: "42", departementName: "Loire", isDemo: true },
    domains: [
      { code: "CONTEXTE", label: "Contexte", position: 1 },
      { code: "DANGER", label: "Enfance en danger", position: 3 },
    ],
    indicators: [
      { id: "POP", code: "POP", domainCode: "CONTEXTE", secrecyThreshold: 0, versions: [assemblyVersion("POP", { label: "Population" })] },
      { id: "IP", code: "IP", domainCode: "DANGER", secrecyThreshold: 5, versions: [assemblyVersion("IP", { label: "IP émises", breakdowns: ["SEXE"] })] },
      { id: "ACC", code: "ACC", domainCode: "DANGER", secrecyThreshold: 5, versions: [assemblyVersion("ACC", { label: "Accueils d'urgence" })] },
    ],
    codelists: [{ code: "SEXE", label: "Sexe", items: [{ code: "F", label: "Féminin" }, { code: "M", label: "Masculin" }] }],
    derived: [{ code: "IP_TX", domainCode: "DANGER", label: "Taux d'IP", definition: null, numeratorCode: "IP", denominatorCode: "POP", multiplier: 1000, unit: "‰", decimals: 1 }],
    keyFigureCodes: ["IP"],
    organisations: ORGS,
    values,
    usage: [],
    expectedPairs: [
      { organisationId: "dep", indicatorId: "IP" },
      { organisationId: "ch", indicatorId: "IP" },
      { organisationId: "dep", indicatorId: "ACC" },
      { organisationId: "idef", indicatorId: "ACC" },
    ],
    campaign: null,
    expected: [],
    submissions: [],
  };
}

const block = (edition: DashboardEdition, code: string): IndicatorBlock => {
  const found = edition.sections.flatMap((s) => s.blocks).find((b) => b.code === code);
  if (!found) throw new Error(`no block ${code}`);
  return found;
};

describe("ADR 030 — pure rules of partial totals", () => {
  it("Art. 5/Art. 6: parts with an ND are partial, all ND is not available, NC alone is not partial", () => {
    expect(summariseParts([{ organisationId: "a", value: 3 }, { organisationId: "b", value: null, notAvailableCode: "ND" }]).status).toBe("partial");
    expect(summariseParts([{ organisationId: "b", value: null, notAvailableCode: "ND" }]).status).toBe("not_available");
    expect(summariseParts([{ organisationId: "a", value: 3 }, { organisationId: "c", value: null, notAvailableCode: "NC" }]).status).toBe("complete");
    expect(summariseParts([{ organisationId: "c", value: null, notAvailableCode: "NC" }]).status).toBe("not_applicable");
    expect(sumOfKnownParts([{ organisationId: "b", value: null, notAvailableCode: "ND" }]).value).toBeNull();
    expect(sumOfKnownParts([{ organisationId: "a", value: 3 }, { organisationId: "b", value: 4 }, { organisationId: "b", value: null, notAvailableCode: "ND" }]).value).toBe(7);
  });
  it("names organisations with their reason, sorted, once", () => {
    expect(notAvailableFor([{ name: "IDEF" }, { name: "CH de Feurs", reason: "migration" }, { name: "IDEF" }])).toBe("donnée non disponible pour CH de Feurs (migration), IDEF");
    expect(changeNotComputedNote([{ year: 2023, names: [] }, { year: 2024, names: ["CH de Feurs"] }])).toMatch(/^Évolution non calculée : donnée non disponible pour CH de Feurs en 2024/);
    expect(changeNotComputedNote([{ year: 2024, names: [] }])).toBeNull();
  });
  it("formats a partial total, a not available figure and a non calculable rate in words", () => {
    expect(formatFigure({ value: 90, partial: true }, 0)).toBe("90 (total partiel)");
    expect(formatFigure({ value: null, notAvailable: true }, 0)).toBe("non disponible");
    expect(formatFigure({ value: null, notComputable: true }, 1)).toBe("non calculable");
  });
});

describe("ADR 030 — the dashboard edition is honest about « non disponible »", () => {
  const edition = assembleEdition(fixture());
  const ip = block(edition, "IP");

  it("Art. 5/Art. 6: a total with an ND part is published as partial, naming the organisation, never as complete", () => {
    expect(ip.current).toEqual({ value: 90, partial: true });
    expect(formatFigure(ip.current, 0)).toBe("90 (total partiel)");
    expect(ip.notes.join(" ")).toContain("Total 2024 partiel (somme des valeurs connues) : donnée non disponible pour CH de Feurs (logiciel en migration).");
    expect(ip.notes.join(" ")).not.toContain("CH-FEURS");
    // The hospital did transmit (it declared ND): it is not said to be silent.
    expect(ip.notes.join(" ")).not.toMatch(/n'a pas transmis/);
    expect(ip.previous).toEqual({ value: 130 });
  });

  it("no trend arrow when either year has an ND part, the reason in words", () => {
    expect(ip.change).toBeNull();
    expect(ip.changeNote).toMatch(/^Évolution non calculée : donnée non disponible pour CH de Feurs en 2024/);
    expect(edition.keyFigures[0]!.change).toBeNull();
    expect(edition.keyFigures[0]!.changeNote).toBe(ip.changeNote);
    const both = block(assembleEdition(fixture({ ndBothYears: true })), "IP");
    // Same organisations ND both years: still no arrow (a partial total is not a total).
    expect(both.change).toBeNull();
    expect(both.changeNote).toContain("en 2023 ; donnée non disponible pour CH de Feurs en 2024");
  });

  it("breakdown cells with an ND part are partial too", () => {
    expect(ip.breakdown!.current["SEXE=F"]).toEqual({ value: 50, partial: true });
    expect(ip.breakdown!.previous!["SEXE=F"]).toEqual({ value: 70 });
  });

  it("every part ND: no value, « non disponible », never 0", () => {
    const allNd = block(assembleEdition(fixture({ allNd: true })), "IP");
    expect(allNd.current).toEqual({ value: null, notAvailable: true });
    expect(formatFigure(allNd.current, 0)).toBe("non disponible");
    expect(allNd.notes.join(" ")).toContain("Valeur 2024 non disponible : donnée non disponible pour CH de Feurs (logiciel en migration), Département de la Loire (changement d'outil).");
  });

  it("NC excluded with footnote: the total is not partial because of NC", () => {
    const acc = block(edition, "ACC");
    expect(acc.current).toEqual({ value: 44 });
    expect(acc.notes).toContain("Non concerné en 2024 : Institut départemental de l'enfance (hors total).");
    expect(acc.change).toEqual({ absolute: 4, relative: 0.1 });
    expect(acc.changeNote).toBeUndefined();
  });

  it("rate with ND numerator is non calculable", () => {
    const rate = block(edition, "IP_TX");
    expect(rate.current).toEqual({ value: null, notComputable: true });
    expect(rate.previous.value).toBeCloseTo(13);
    expect(rate.change).toBeNull();
    expect(rate.notes.join(" ")).toContain("Taux 2024 non calculable : numérateur incomplet, donnée non disponible pour CH de Feurs.");
    expect(rate.changeNote).toMatch(/^Évolution non calculée/);
  });

  it("completeness counts ND cells: transmitted, without a figure, counted apart", () => {
    const danger = edition.quality.completeness.find((c) => c.domainCode === "DANGER")!;
    expect(danger).toMatchObject({ expected: 4, received: 4, notAvailable: 1 });
    expect(edition.quality.missing).toEqual([]);
  });

  it("secrecy engine accepts ND cells: the public edition neither crashes nor treats them as 0", () => {
    const pub = toPublicEdition(edition);
    const published = block(pub, "IP");
    expect(published.current).toEqual({ value: 90, partial: true });
    const allNd = block(toPublicEdition(assembleEdition(fixture({ allNd: true }))), "IP");
    expect(allNd.current).toEqual({ value: null, notAvailable: true });
  });

  it("secrecy: a partial total is not used as a margin equation", () => {
    // Total 9 (partial), F 3 (primary), M 6. As an equation 9 = F + M would force M to be masked;
    // the partial total is not the sum of all parts, so M stays.
    const constraints = [{ total: "", members: ["F", "M"] }];
    const cells = [
      { id: "", value: 9, threshold: 5 },
      { id: "F", value: 3, threshold: 5 },
      { id: "M", value: 6, threshold: 5 },
    ];
    expect([...applySecrecy(cells, constraints).keys()].sort()).toEqual(["F", "M"]);
    expect([...applySecrecy(cells, withoutPartialEquations(constraints, (id) => id === "")).keys()]).toEqual(["F"]);
  });
});
