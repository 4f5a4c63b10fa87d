import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { useTestDb } from "../support/db";
import { loadObservatoryFiles, ObservatoryFileError } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { systemContext } from "~/server/audit/audit.server";
import { DomainError } from "~/server/errors.server";
import { writeInseeWorkbook, type InseeSheet } from "~/server/populations/insee-layout.server";
import { importPopulations, listVintages, loadPopulations } from "~/server/populations/populations.server";
import { listRates } from "~/server/populations/rates.server";
import { importReferenceRates, loadReferenceRates } from "~/server/populations/reference-rates.server";
import { populationCell } from "~/domain/rates";

/**
 *  (ADR 019): rates shipped in conventions/, Insee
 * population estimates imported with their vintage, a newer vintage replacing
 * an older one for rates while the older stays as history.
 */
const t = useTestDb();
const root = path.resolve(__dirname, "../..");
const sys = systemContext("test");

/** A small fixture in Insee's layout: Loir-et-Cher, Loire, France; ages 0 to 25 (« 25 ou plus »). */
function sheet(year: number, loireGirlsAt: (age: number) => number): InseeSheet {
  const flat = (n: number) => Array.from({ length: 26 }, () => n);
  return {
    year,
    maxAge: 25,
    status: "Estimations provisoires",
    rows: [
      { code: "41", name: "Loir-et-Cher", men: flat(1500), women: flat(1400) },
      { code: "42", name: "Loire", men: flat(4800), women: Array.from({ length: 26 }, (_, a) => loireGirlsAt(a)) },
    ],
    france: { men: flat(400000), women: flat(390000) },
  };
}
const fixture = (years: number[], girls: (age: number) => number = () => 4600) => writeInseeWorkbook(years.map((y) => sheet(y, girls)));

async function edit(bytes: Buffer, change: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  change(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

beforeAll(async () => {
  await importObservatory(t.db, system(sys), loadObservatoryFiles(root), { isDemo: false });
}, 120_000);

describe("rates in production (conventions/rates.json)", () => {
  it("Art. 3 (indicateurs convenus) : l'import du référentiel charge les taux avec leur convention de calcul, sans réécrire l'existant", async () => {
    const rates = await listRates(t.db);
    expect(rates.map((r) => r.code)).toEqual(["TX_CONFIES", "TX_AED_MIN", "TX_AEMO", "TX_IP_MIN", "DEP_PAR_JEUNE"]);
    expect(rates.find((r) => r.code === "TX_CONFIES")!.populationUniverse).toEqual({ ageMin: 0, ageMax: 20, sex: "all", territory: "departement", referenceDate: "01-01-N+1" });
    expect(rates.every((r) => /DREES|ONPE/.test(r.sourceConvention))).toBe(true);
    const again = await importObservatory(t.db, system(sys), loadObservatoryFiles(root), { isDemo: false });
    expect(again.ratesAdded).toBe(0);
  });

  it("Art. 5 (taux) : un fichier de taux dont les univers diffèrent est refusé à la lecture, en français, avec le fichier et le taux", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-rates-"));
    fs.cpSync(path.join(root, "partners"), path.join(dir, "partners"), { recursive: true });
    fs.cpSync(path.join(root, "conventions"), path.join(dir, "conventions"), { recursive: true });
    const file = path.join(dir, "conventions/rates.json");
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    json.rates[3].populationUniverse.ageMax = 20; // TX_IP_MIN: minors over 0–20
    fs.writeFileSync(file, JSON.stringify(json));
    expect(() => loadObservatoryFiles(dir)).toThrow(ObservatoryFileError);
    expect(() => loadObservatoryFiles(dir)).toThrow(/rates\.json.*TX_IP_MIN refusé : le numérateur et la population de référence n'ont pas le même univers \(âges 0 à 17 ans au numérateur, 0 à 20 ans/);
    json.rates[3].populationUniverse.ageMax = 17;
    json.rates[3].numerator = "INCONNU";
    fs.writeFileSync(file, JSON.stringify(json));
    expect(() => loadObservatoryFiles(dir)).toThrow(/TX_IP_MIN\).*indicateur numérateur inconnu INCONNU/);
  });
});

describe("Insee population estimates with their vintage", () => {
  it("Art. 5 (sources citées) : un millésime s'importe, audité, pour le département de l'observatoire et la France", async () => {
    const result = await importPopulations(t.db, system(sys), { bytes: await fixture([2023, 2024]), filename: "estim-pop-2024.xlsx", vintage: "estimations provisoires au 1er janvier 2024" });
    expect(result.label).toBe("estimations provisoires au 1er janvier 2024");
    expect(result.years).toEqual([2023, 2024]);
    expect(result.territories).toEqual(["departement:42", "france:FR"]);
    const loire = await loadPopulations(t.db, { level: "departement", code: "42" }, [2024]);
    const universe = { ageMin: 0, ageMax: 20, sex: "all", territory: "departement", referenceDate: "01-01-N" } as const;
    expect(populationCell(loire.get(2024)!.counts, universe, "SEXE=F", { SEXE: "matching_cell" })).toEqual({ kind: "value", value: 21 * 4600 });
    expect(loire.get(2024)!.vintageLabel).toBe("estimations provisoires au 1er janvier 2024");
    const audit = await t.db.selectFrom("audit_event").select(["summary"]).where("action", "=", "populations.imported").execute();
    expect(audit.map((a) => a.summary)).toEqual(["Populations Insee importées : estimations provisoires au 1er janvier 2024, années 2023 à 2024 (estim-pop-2024.xlsx)."]);
  });

  it("Art. 5 (sources citées) : un millésime plus récent remplace l'ancien pour les taux ; l'ancien reste dans l'historique", async () => {
    await importPopulations(t.db, system(sys), { bytes: await fixture([2023, 2024, 2025], () => 4700), filename: "estim-pop-2025.xlsx", vintage: "Provisoires au 1er janvier 2025" });
    const vintages = await listVintages(t.db);
    expect(vintages.map((v) => v.label)).toEqual(["estimations provisoires au 1er janvier 2025", "estimations provisoires au 1er janvier 2024"]);
    const loire = await loadPopulations(t.db, { level: "departement", code: "42" }, [2023, 2024, 2025]);
    expect([...loire.values()].map((p) => p.vintageLabel)).toEqual(Array(3).fill("estimations provisoires au 1er janvier 2025"));
    expect(loire.get(2024)!.counts.get("F|3")).toBe(4700);
    const old = await t.db.selectFrom("population_estimate").select((eb) => eb.fn.countAll<number>().as("n")).where("vintage_id", "=", vintages[1]!.id).executeTakeFirstOrThrow();
    expect(Number(old.n)).toBe(2 * 2 * 2 * 26);
    const france = await loadPopulations(t.db, { level: "france", code: "FR" }, [2025]);
    expect(france.get(2025)!.counts.get("M|0")).toBe(400000);
    // A vintage is never rewritten.
    const again = await refusal(importPopulations(t.db, system(sys), { bytes: await fixture([2025]), filename: "x.xlsx", vintage: "estimations provisoires au 1er janvier 2025" }));
    expect(again.code).toBe("conflict");
    expect(again.message).toMatch(/déjà importé/);
  });

  it("Art. 4 (fichiers Excel) : un fichier mal formé est refusé en français en nommant la feuille, la ligne et la colonne ; seul un événement d'audit reste", async () => {
    const before = (await listVintages(t.db)).length;
    const good = await fixture([2022]);
    const cases: [Promise<Buffer> | Buffer, string, RegExp][] = [
      [edit(good, (wb) => (wb.getWorksheet("2022")!.getCell("AF7").value = -3)), "estimations définitives au 1er janvier 2022", /Feuille « 2022 », ligne 7 \(42\), colonne AF \(Hommes, 2 ans\) : « -3 » n'est pas un effectif/],
      [edit(good, (wb) => (wb.getWorksheet("2022")!.getCell("AF7").value = "n.d.")), "estimations définitives au 1er janvier 2022", /colonne AF \(Hommes, 2 ans\) : « n\.d\. » n'est pas un effectif/],
      [edit(good, (wb) => (wb.getWorksheet("2022")!.getCell("AF5").value = "deux")), "estimations définitives au 1er janvier 2022", /Feuille « 2022 », ligne 5, colonne AF : âge « deux » illisible/],
      [edit(good, (wb) => (wb.getWorksheet("2022")!.getCell("A7").value = "43")), "estimations définitives au 1er janvier 2022", /Feuille « 2022 » : le département 42 de l'observatoire est absent/],
      [edit(good, (wb) => (wb.getWorksheet("2022")!.getCell("A4").value = "Territoire")), "estimations définitives au 1er janvier 2022", /Feuille « 2022 » : ligne d'en-tête introuvable/],
      [edit(good, (wb) => (wb.getWorksheet("2022")!.name = "Données")), "estimations définitives au 1er janvier 2022", /Aucune feuille nommée par une année/],
      [Buffer.from("pas un classeur"), "estimations définitives au 1er janvier 2022", /n'est pas un classeur Excel/],
      [good, "millésime 2022", /Millésime « millésime 2022 » illisible : écrivez par exemple « estimations provisoires au 1er janvier 2025 »/],
      [good, "estimations définitives au 1er janvier 2021", /Feuille « 2022 » : une estimation au 1er janvier 2022 ne peut pas appartenir au millésime/],
    ];
    for (const [bytes, vintage, message] of cases) {
      const error = await refusal(importPopulations(t.db, system(sys), { bytes: await bytes, filename: "mauvais.xlsx", vintage }));
      expect(error.code).toBe("validation");
      expect(error.message).toMatch(message);
    }
    expect((await listVintages(t.db)).length).toBe(before);
    const refused = await t.db.selectFrom("audit_event").select("summary").where("action", "=", "populations.import_refused").execute();
    expect(refused.length).toBeGreaterThanOrEqual(cases.length);
    expect(refused.some((r) => /^Import de populations Insee refusé \(mauvais\.xlsx\) : Feuille « 2022 », ligne 7/.test(r.summary))).toBe(true);
  });
});

describe("reference rates of France and the region, with their source", () => {
  const csv = (lines: string[]) => new TextEncoder().encode(["taux;territoire;libelle;annee;valeur;source", ...lines].join("\n"));

  it("Art. 5 (sources citées) : les taux de France et de la région s'importent avec leur source ; le dernier import l'emporte, l'ancien reste", async () => {
    await importReferenceRates(t.db, system(sys), { bytes: csv(["TX_CONFIES;FR;France;2024;10,2;DREES, enquête Aide sociale 2024", "TX_CONFIES;84;Auvergne-Rhône-Alpes;2024;9,6;DREES, enquête Aide sociale 2024"]), filename: "taux.csv" });
    await importReferenceRates(t.db, system(sys), { bytes: csv(["TX_CONFIES;FR;France;2024;10,3;DREES, enquête Aide sociale 2024 (révisée)"]), filename: "taux-revises.csv" });
    const refs = (await loadReferenceRates(t.db, ["TX_CONFIES"], [2024])).get("TX_CONFIES")!;
    expect(refs).toEqual([
      { territory: "France", level: "france", year: 2024, value: 10.3, source: "DREES, enquête Aide sociale 2024 (révisée)" },
      { territory: "Auvergne-Rhône-Alpes", level: "region", year: 2024, value: 9.6, source: "DREES, enquête Aide sociale 2024" },
    ]);
    const stored = await t.db.selectFrom("reference_rate").select("value").where("geo_code", "=", "FR").execute();
    expect(stored.map((r) => r.value).sort()).toEqual([10.2, 10.3]);
  });

  it("Art. 5 (sources citées) : un fichier de taux de référence mal formé est refusé en nommant la ligne et la colonne ; seul un événement d'audit reste", async () => {
    const before = (await t.db.selectFrom("reference_rate").select("id").execute()).length;
    const cases: [Uint8Array, RegExp][] = [
      [csv(["TX_INCONNU;FR;France;2024;10,2;DREES"]), /Ligne 2, colonne A \(taux\) : « TX_INCONNU » n'est pas un taux du catalogue/],
      [csv(["TX_CONFIES;France;France;2024;10,2;DREES"]), /Ligne 2, colonne B \(territoire\) : « France » n'est ni « FR »/],
      [csv(["TX_CONFIES;FR;France;2024;dix;DREES"]), /Ligne 2, colonne E \(valeur\) : « dix » n'est pas un taux/],
      [csv(["TX_CONFIES;FR;France;2024;10,2;"]), /Ligne 2, colonne F \(source\) : citez la source/],
      [new TextEncoder().encode("code,valeur\nTX_CONFIES,10"), /Ligne 1 : en-tête attendu « taux;territoire;libelle;annee;valeur;source »/],
    ];
    for (const [bytes, message] of cases) {
      const error = await refusal(importReferenceRates(t.db, system(sys), { bytes, filename: "mauvais.csv" }));
      expect(error.message).toMatch(message);
    }
    expect((await t.db.selectFrom("reference_rate").select("id").execute()).length).toBe(before);
    const refused = await t.db.selectFrom("audit_event").select("id").where("action", "=", "populations.reference_rates_refused").execute();
    expect(refused.length).toBe(cases.length);
  });
});
