import { describe, expect, it } from "vitest";
import { assembleEdition, toPublicEdition, type AssemblyInput, type AssemblyValue, type AssemblyVersion } from "~/domain/edition-assembly";
import type { DashboardEdition, IndicatorBlock } from "~/domain/dashboard";
import { aggregationFor, formatChange, formatFigure, frenchTypography } from "~/domain/dashboard";
import { renderEditionPdf } from "~/server/dashboard/pdf.server";
import { pdfPages } from "../support/pdf";
import { assemblyVersion } from "../support/assembly";

/**
 * A small hand-made observatory: 4 organisations, 6 indicators, 5 years.
 * Every expected figure below is computed by hand in the comments.
 */
const version = (id: string, over: Partial<AssemblyVersion> = {}) => assemblyVersion(id, { definition: `Définition de ${id}`, measure: "stock", ...over });

const ORGS = [
  { id: "org-a", code: "DEP", name: "Département", logoFileId: "logo-a" },
  { id: "org-b", code: "CAF", name: "Caisse d'allocations familiales", logoFileId: null },
  { id: "org-c", code: "TJ", name: "Tribunal judiciaire", logoFileId: null },
  { id: "org-d", code: "MECS", name: "Maison d'enfants", logoFileId: null },
];

function fixture(): AssemblyInput {
  const values: AssemblyValue[] = [];
  const put = (org: string, indicator: string, year: number, key: string, value: number | null) =>
    values.push({ indicatorId: indicator, year, breakdownKey: key, value, lineageOrganisationId: org });

  // POP: 98 000 girls + 102 000 boys = 200 000 every year (provider A).
  for (let y = 2020; y <= 2024; y++) {
    put("org-a", "POP", y, "", 200000);
    put("org-a", "POP", y, "SEXE=F", 98000);
    put("org-a", "POP", y, "SEXE=M", 102000);
  }
  // CONF (children in care), AGE × SEXE, from A and C (summed).
  // 2023: A 100 (20, 30, 25, 25), C 10 (2, 3, 2, 3) → 110.
  // 2024: A 120 (30 ×4), C 12 (3 ×4) → 132; change +22 = +20 %.
  const cells = (org: string, y: number, v: [number, number, number, number]) => {
    put(org, "CONF", y, "AGE=0-10|SEXE=F", v[0]);
    put(org, "CONF", y, "AGE=0-10|SEXE=M", v[1]);
    put(org, "CONF", y, "AGE=11-17|SEXE=F", v[2]);
    put(org, "CONF", y, "AGE=11-17|SEXE=M", v[3]);
  };
  put("org-a", "CONF", 2023, "", 100);
  cells("org-a", 2023, [20, 30, 25, 25]);
  put("org-c", "CONF", 2023, "", 10);
  cells("org-c", 2023, [2, 3, 2, 3]);
  put("org-a", "CONF", 2024, "", 120);
  cells("org-a", 2024, [30, 30, 30, 30]);
  // C sent only its cells in 2024, no total: its total is their sum (12).
  cells("org-c", 2024, [3, 3, 3, 3]);
  put("org-a", "CONF", 2022, "", 95);
  // TXO (occupancy rate, %): averaged. 2024: A 90, C 80 → 85. 2023: A 88, C blank → 88.
  put("org-a", "TXO", 2024, "", 90);
  put("org-c", "TXO", 2024, "", 80);
  put("org-a", "TXO", 2023, "", 88);
  put("org-c", "TXO", 2023, "", null);
  // SMALL: 3 in 2024 (under the threshold 5), 7 in 2023 (provider B).
  put("org-b", "SMALL", 2024, "", 3);
  put("org-b", "SMALL", 2023, "", 7);
  // SMALL2 by sex: F 3 (primary) forces M 10 (secondary); total 13 stays.
  put("org-b", "SMALL2", 2024, "", 13);
  put("org-b", "SMALL2", 2024, "SEXE=F", 3);
  put("org-b", "SMALL2", 2024, "SEXE=M", 10);
  // IPX: definition changed in 2024 (break in series): 50 → 70, no change computed.
  put("org-b", "IPX", 2023, "", 50);
  put("org-b", "IPX", 2024, "", 70);
  // SECRET: internal-use only in C's agreement.
  put("org-c", "SECRET", 2024, "", 40);

  return {
    year: 2024,
    assembledAt: new Date("2025-09-01T08:00:00Z"),
    observatory: { code: "ODPE99", name: "Observatoire test", label: "ODPE test", departementCode: "99", departementName: "Test", isDemo: true },
    domains: [
      { code: "CONTEXTE", label: "Contexte départemental", position: 1 },
      { code: "DANGER", label: "Enfance en danger", position: 3 },
      { code: "PROT_JUD", label: "Protection judiciaire", position: 6 },
      { code: "ACCUEIL", label: "Capacités d'accueil et enfants accueillis", position: 7 },
    ],
    indicators: [
      { id: "POP", code: "POP", domainCode: "CONTEXTE", secrecyThreshold: 0, versions: [version("POP", { label: "Population 0-17", unit: "habitants", breakdowns: ["SEXE"] })] },
      { id: "CONF", code: "CONF", domainCode: "ACCUEIL", secrecyThreshold: 5, versions: [version("CONF", { label: "Enfants confiés", breakdowns: ["AGE", "SEXE"] })] },
      { id: "TXO", code: "TXO", domainCode: "ACCUEIL", secrecyThreshold: 0, versions: [version("TXO", { label: "Taux d'occupation", unit: "pourcentage", value_type: "decimal" })] },
      { id: "SMALL", code: "SMALL", domainCode: "DANGER", secrecyThreshold: 5, versions: [version("SMALL", { label: "Petit effectif" })] },
      { id: "SMALL2", code: "SMALL2", domainCode: "DANGER", secrecyThreshold: 5, versions: [version("SMALL2", { label: "Petit effectif par sexe", breakdowns: ["SEXE"] })] },
      {
        id: "IPX",
        code: "IPX",
        domainCode: "DANGER",
        secrecyThreshold: 5,
        versions: [version("IPX-1", { label: "IP reçues" }), version("IPX-2", { version: 2, valid_from_year: 2024, label: "IP reçues", definition: "Comptées par enfant." })],
      },
      { id: "SECRET", code: "SECRET", domainCode: "PROT_JUD", secrecyThreshold: 5, versions: [version("SECRET", { label: "Indicateur interne" })] },
      // In force from 2026 only: not part of the 2024 edition.
      { id: "LATER", code: "LATER", domainCode: "DANGER", secrecyThreshold: 5, versions: [version("LATER", { valid_from_year: 2026 })] },
    ],
    codelists: [
      { code: "SEXE", label: "Sexe", items: [{ code: "F", label: "Féminin" }, { code: "M", label: "Masculin" }] },
      { code: "AGE", label: "Âge", items: [{ code: "0-10", label: "0 à 10 ans" }, { code: "11-17", label: "11 à 17 ans" }] },
    ],
    derived: [
      { code: "CONF_TX", domainCode: "ACCUEIL", label: "Taux d'enfants confiés", definition: null, numeratorCode: "CONF", denominatorCode: "POP", multiplier: 1000, unit: "‰ des 0-17 ans", decimals: 2 },
      { code: "SMALL_TX", domainCode: "DANGER", label: "Taux du petit effectif", definition: null, numeratorCode: "SMALL", denominatorCode: "POP", multiplier: 100000, unit: "pour 100 000", decimals: 1 },
      { code: "SECRET_TX", domainCode: "PROT_JUD", label: "Taux interne", definition: null, numeratorCode: "SECRET", denominatorCode: "POP", multiplier: 1000, unit: "‰", decimals: 1 },
    ],
    keyFigureCodes: ["CONF", "CONF_TX", "SECRET", "UNKNOWN"],
    organisations: ORGS,
    values,
    usage: [{ organisationId: "org-c", indicatorId: "SECRET", usageRights: "internal" }, { organisationId: "org-a", indicatorId: "POP", usageRights: "open" }],
    expectedPairs: [
      { organisationId: "org-a", indicatorId: "POP" },
      { organisationId: "org-a", indicatorId: "CONF" },
      { organisationId: "org-a", indicatorId: "TXO" },
      { organisationId: "org-b", indicatorId: "SMALL" },
      { organisationId: "org-b", indicatorId: "SMALL2" },
      { organisationId: "org-b", indicatorId: "IPX" },
      { organisationId: "org-c", indicatorId: "CONF" },
      { organisationId: "org-c", indicatorId: "TXO" },
      { organisationId: "org-c", indicatorId: "SECRET" },
      { organisationId: "org-d", indicatorId: "TXO" },
    ],
    campaign: { deadline: "2025-03-31", status: "closed" },
    expected: [
      { organisationId: "org-a", deadline: "2025-03-31" },
      { organisationId: "org-b", deadline: "2025-03-31" },
      { organisationId: "org-c", deadline: "2025-04-30" },
      { organisationId: "org-d", deadline: "2025-03-31" },
    ],
    submissions: [
      { organisationId: "org-a", firstTransmittedAt: "2025-03-20T10:00:00Z", acceptedAt: "2025-04-01T10:00:00Z" },
      { organisationId: "org-b", firstTransmittedAt: "2025-04-02T10:00:00Z", acceptedAt: "2025-04-10T10:00:00Z" },
      // 20:00 UTC on 30 April is 22:00 in Paris, still 30 April: on time.
      { organisationId: "org-c", firstTransmittedAt: "2025-04-30T20:00:00Z", acceptedAt: "2025-05-05T10:00:00Z" },
    ],
  };
}

const block = (edition: DashboardEdition, code: string): IndicatorBlock => {
  const found = edition.sections.flatMap((s) => s.blocks).find((b) => b.code === code);
  if (!found) throw new Error(`no block ${code}`);
  return found;
};
const has = (edition: DashboardEdition, code: string) => edition.sections.some((s) => s.blocks.some((b) => b.code === code));

describe("dashboard assembly (Art. 3 and 5: the annual dashboard)", () => {
  const edition = assembleEdition(fixture());

  it("sections follow the eight domains' order; key figures come first and unknown codes are ignored", () => {
    expect(edition.sections.map((s) => s.domainCode)).toEqual(["CONTEXTE", "DANGER", "PROT_JUD", "ACCUEIL"]);
    expect(edition.keyFigures.map((k) => k.code)).toEqual(["CONF", "CONF_TX", "SECRET"]);
    expect(edition.years).toEqual([2020, 2021, 2022, 2023, 2024]);
    expect(has(edition, "LATER")).toBe(false);
  });

  it("totals add up the organisations' values; an organisation without a total counts the sum of its cells", () => {
    const conf = block(edition, "CONF");
    expect(conf.current.value).toBe(132);
    expect(conf.previous.value).toBe(110);
    expect(conf.change).toEqual({ absolute: 22, relative: 0.2 });
    expect(conf.trend.map((p) => p.value)).toEqual([null, null, 95, 110, 132]);
    expect(conf.sources).toEqual(["DEP", "TJ"]);
    expect(conf.notes).toEqual([]);
  });

  it("Art. 5: a change made of other organisations than the year before is computed like with like, and says so", () => {
    const input = fixture();
    input.values = input.values.filter((v) => !(v.indicatorId === "CONF" && v.year === 2023 && v.lineageOrganisationId === "org-c"));
    const edition = assembleEdition(input);
    const conf = block(edition, "CONF");
    // The totals stay as transmitted: 2023 = 100 (DEP alone), 2024 = 132 (DEP 120 + TJ 12).
    expect(conf.previous.value).toBe(100);
    expect(conf.current.value).toBe(132);
    // The change is DEP's alone, present both years: 100 → 120 = +20 %, not +32 %.
    expect(conf.change).toEqual({ absolute: 20, relative: 0.2 });
    const note =
      "Évolution à périmètre constant, calculée sur 1 contributeur présent en 2023 et en 2024 : 1 contributeur de 2024 n'avait pas transmis en 2023 (Tribunal judiciaire).";
    expect(conf.changeNote).toBe(note);
    expect(conf.notes).toEqual([note]);
    expect(edition.keyFigures.find((k) => k.code === "CONF")!.changeNote).toBe(note);
    // The rate built on it has no change, and says why.
    const rate = block(edition, "CONF_TX");
    expect(rate.change).toBeNull();
    expect(rate.notes[0]).toMatch(/^Évolution non calculée : le numérateur/);
  });

  it("Art. 5: no contributor present both years: no trend arrow, the reason in words", () => {
    const input = fixture();
    // 2023 from TJ only, 2024 from DEP only: nothing alike to compare.
    input.values = input.values.filter(
      (v) => !(v.indicatorId === "CONF" && ((v.year === 2023 && v.lineageOrganisationId === "org-a") || (v.year === 2024 && v.lineageOrganisationId === "org-c"))),
    );
    const conf = block(assembleEdition(input), "CONF");
    expect(conf.previous.value).toBe(10);
    expect(conf.current.value).toBe(120);
    expect(conf.change).toBeNull();
    expect(formatChange(conf.change, 0)).toBe("—");
    expect(conf.changeNote).toBe(
      "Évolution non calculée : 1 contributeur de 2023 n'a pas transmis en 2024 (Tribunal judiciaire) ; 1 contributeur de 2024 n'avait pas transmis en 2023 (Département).",
    );
  });

  it("CASF D226-3-4: a like-with-like change over a small count is not published", () => {
    const input = fixture();
    // 2023: TJ 3; 2024: TJ 4 and DEP 120. Like with like: TJ 3 → 4, both under the threshold 5.
    input.values = input.values.filter((v) => !(v.indicatorId === "CONF" && [2023, 2024].includes(v.year)));
    input.values.push(
      { indicatorId: "CONF", year: 2023, breakdownKey: "", value: 3, lineageOrganisationId: "org-c" },
      { indicatorId: "CONF", year: 2023, breakdownKey: "", value: 50, lineageOrganisationId: "org-d" },
      { indicatorId: "CONF", year: 2024, breakdownKey: "", value: 4, lineageOrganisationId: "org-c" },
      { indicatorId: "CONF", year: 2024, breakdownKey: "", value: 120, lineageOrganisationId: "org-a" },
    );
    const internal = assembleEdition(input);
    expect(block(internal, "CONF").change).toEqual({ absolute: 1, relative: 1 / 3 });
    const pub = block(toPublicEdition(internal), "CONF");
    expect(pub.current.value).toBe(124);
    expect(pub.change).toBeNull();
    expect(pub.changeNote).toMatch(/^Évolution non publiée/);
    expect(JSON.stringify(pub)).not.toContain("contributeur présent");
  });

  it("breakdowns: cross cells and one-list margins summed over organisations", () => {
    const b = block(edition, "CONF").breakdown!;
    expect(b.lists.map((l) => l.code)).toEqual(["AGE", "SEXE"]);
    expect(b.current["AGE=0-10|SEXE=F"]!.value).toBe(33);
    expect(b.current["AGE=0-10"]!.value).toBe(66);
    expect(b.current["SEXE=M"]!.value).toBe(66);
    expect(b.previous!["AGE=0-10|SEXE=M"]!.value).toBe(33);
    expect(b.previous!["SEXE=F"]!.value).toBe(20 + 25 + 2 + 2);
  });

  it("a percentage whose aggregation the catalogue does not declare is « non agrégeable » across organisations, never an unweighted mean", () => {
    const txo = block(edition, "TXO");
    expect(txo.aggregation).toBe("not_aggregable");
    expect(txo.current).toEqual({ value: null, notAggregable: true });
    expect(formatFigure(txo.current, 1)).toBe("non agrégeable");
    // One organisation's value is itself (2023: A alone).
    expect(txo.previous.value).toBe(88);
    expect(txo.change).toBeNull();
    // The expected MECS did not transmit: the figure says it is incomplete.
    expect(txo.notes).toContain("Valeur 2024 incomplète : Maison d'enfants n'a pas transmis.");
    expect(aggregationFor("milliers d'euros")).toBe("sum");
    expect(aggregationFor("euros")).toBe("not_aggregable");
  });

  it("rates per 1,000 from the catalogue's derived indicators: 132 / 200 000 × 1 000 = 0.66", () => {
    const rate = block(edition, "CONF_TX");
    expect(rate.kind).toBe("derived");
    expect(rate.current.value).toBeCloseTo(0.66, 10);
    expect(rate.previous.value).toBeCloseTo(0.55, 10);
    expect(rate.change!.relative).toBeCloseTo(0.2, 10);
    expect(rate.sources).toEqual(["DEP", "TJ"]);
    expect(formatFigure(rate.current, rate.decimals)).toBe("0,66");
  });

  it("a break in series: no one-year change, a note, and the quality section lists it", () => {
    const ipx = block(edition, "IPX");
    expect(ipx.comparable).toBe(false);
    expect(ipx.change).toBeNull();
    expect(ipx.notes[0]).toMatch(/Rupture de série en 2024/);
    expect(ipx.trend.at(-1)!.breakBefore).toBe(true);
    expect(edition.quality.breaks).toEqual([{ code: "IPX", label: "IP reçues", year: 2024, changes: ["définition"], breaksComparability: true }]);
  });

  it("Art. 5: the dashboard cites every contributor, derived from lineage, with its logo", () => {
    expect(edition.contributors.map((c) => c.code)).toEqual(["CAF", "DEP", "TJ"]);
    expect(edition.contributors.find((c) => c.code === "DEP")).toEqual({ code: "DEP", name: "Département", logoFileId: "logo-a", indicators: ["CONF", "POP", "TXO"] });
    // MECS transmitted nothing: not a contributor.
    expect(edition.contributors.some((c) => c.code === "MECS")).toBe(false);
  });

  it("data quality: on time or late (deadline read in Paris), completeness per domain, missing indicators", () => {
    expect(edition.quality.transmissions.map((t) => [t.organisationCode, t.timing])).toEqual([
      ["CAF", "late"],
      ["DEP", "on_time"],
      ["MECS", "missing"],
      ["TJ", "on_time"],
    ]);
    expect(edition.quality.completeness).toEqual([
      { domainCode: "CONTEXTE", domainLabel: "Contexte départemental", expected: 1, received: 1, rate: 1 },
      { domainCode: "DANGER", domainLabel: "Enfance en danger", expected: 3, received: 3, rate: 1 },
      { domainCode: "PROT_JUD", domainLabel: "Protection judiciaire", expected: 1, received: 1, rate: 1 },
      { domainCode: "ACCUEIL", domainLabel: "Capacités d'accueil et enfants accueillis", expected: 5, received: 4, rate: 0.8 },
    ]);
    expect(edition.quality.missing).toEqual([{ code: "TXO", label: "Taux d'occupation", domainCode: "ACCUEIL", organisations: ["Maison d'enfants"] }]);
  });

  it("Art. 5: the internal edition lists the indicators an agreement keeps internal, with true values", () => {
    expect(edition.internalIndicators).toEqual([{ code: "SECRET", label: "Indicateur interne", domainCode: "PROT_JUD", organisations: ["Tribunal judiciaire"] }]);
    expect(block(edition, "SECRET").current.value).toBe(40);
    expect(block(edition, "SMALL").current.value).toBe(3);
  });
});

describe("public edition (Art. 5, CASF D226-3-4: statistical secrecy; internal indicators left out)", () => {
  const internal = assembleEdition(fixture());
  const pub = toPublicEdition(internal);
  const json = JSON.stringify(pub);

  it("Art. 5: indicators marked internal in an agreement and the rates built on them are left out", () => {
    expect(has(pub, "SECRET")).toBe(false);
    expect(has(pub, "SECRET_TX")).toBe(false);
    expect(pub.keyFigures.map((k) => k.code)).toEqual(["CONF", "CONF_TX"]);
    expect(pub.internalIndicators).toEqual([]);
    expect(pub.excludedInternalCount).toBe(1);
    expect(pub.sections.map((s) => s.domainCode)).not.toContain("PROT_JUD");
  });

  it("primary secrecy: a count under the threshold is masked, its change and its rate too", () => {
    const small = block(pub, "SMALL");
    expect(small.current).toEqual({ value: null, secret: true });
    expect(small.previous.value).toBe(7);
    expect(small.change).toBeNull();
    expect(small.trend.at(-1)).toEqual({ year: 2024, value: null, secret: true });
    const rate = block(pub, "SMALL_TX");
    expect(rate.current).toEqual({ value: null, secret: true });
    expect(rate.previous.value).toBeCloseTo(3.5, 10);
    expect(formatFigure(small.current, 0)).toBe("s");
  });

  it("secondary secrecy: the only other cell of a breakdown is masked so the first cannot be recomputed", () => {
    const b = block(pub, "SMALL2");
    expect(b.breakdown!.current["SEXE=F"]).toEqual({ value: null, secret: true });
    expect(b.breakdown!.current["SEXE=M"]).toEqual({ value: null, secret: true });
    expect(b.current.value).toBe(13);
  });

  it("large counts, zero-threshold indicators and averages are published as they are", () => {
    expect(block(pub, "CONF").current.value).toBe(132);
    expect(block(pub, "POP").current.value).toBe(200000);
    expect(block(pub, "TXO").current).toEqual({ value: null, notAggregable: true });
    expect(block(pub, "TXO").previous.value).toBe(88);
    expect(pub.maskedCount).toBeGreaterThanOrEqual(4);
  });

  it("the public edition carries no masked true value and no internal indicator", () => {
    expect(json).not.toContain("SECRET");
    expect(json).not.toContain('"value":3,');
    expect(json).not.toContain('"value":10}');
    expect(pub.contributors.find((c) => c.code === "TJ")!.indicators).toEqual(["CONF", "TXO"]);
  });
});

describe("French formatting", () => {
  it("numbers, changes and typography", () => {
    expect(formatFigure({ value: 2538 }, 0)).toBe("2\u202f538");
    expect(formatChange({ absolute: 22, relative: 0.2 }, 0)).toBe("+20,0\u00a0%");
    expect(formatChange({ absolute: -5, relative: null }, 0)).toBe("−5");
    expect(frenchTypography("Attention : voir « ici » ; merci !")).toBe("Attention\u00a0: voir «\u00a0ici\u00a0»\u202f; merci\u202f!");
  });

  it("public PDF « Qualité des données » : a long organisation name wraps in its row, whole, without running into the next one", async () => {
    const long = "Centre hospitalier universitaire de Saint-Étienne, service de pédiatrie et unité d'accueil pédiatrique enfance en danger";
    const edition = assembleEdition(fixture());
    const withLong: DashboardEdition = {
      ...edition,
      quality: { ...edition.quality, transmissions: edition.quality.transmissions.map((r, i) => (i === 0 ? { ...r, organisationName: long } : r)) },
    };
    const pages = await pdfPages(await renderEditionPdf(withLong, null));
    const quality = pages.find((p) => p.includes("Transmissions de la campagne"))!.replace(/\s+/g, " ");
    // the whole name is printed (it was cut with an ellipsis and overflowed the row)
    expect(quality).toContain("enfance en danger");
    expect(quality).not.toContain("…");
    // and the next organisation's row follows the complete name
    expect(quality.indexOf("enfance en danger")).toBeLessThan(quality.indexOf(edition.quality.transmissions[1]!.organisationName));
    // the row is as tall as the wrapped name: the next row starts below its last line (PDF y grows upwards)
    const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");
    const doc = await getDocument({ data: new Uint8Array(await renderEditionPdf(withLong, null)), verbosity: 0 }).promise;
    const page = await doc.getPage(pages.findIndex((p) => p.includes("Transmissions de la campagne")) + 1);
    const items = (await page.getTextContent()).items.flatMap((i) => ("str" in i ? [{ str: i.str, y: i.transform[5] as number }] : []));
    const nameLines = items.filter((i) => i.str.length > 3 && long.includes(i.str.trim()));
    expect(nameLines.length).toBeGreaterThan(1);
    const next = items.find((i) => i.str.startsWith(edition.quality.transmissions[1]!.organisationName))!;
    expect(Math.min(...nameLines.map((l) => l.y)) - next.y).toBeGreaterThanOrEqual(8);
    await doc.destroy();
  });
});
