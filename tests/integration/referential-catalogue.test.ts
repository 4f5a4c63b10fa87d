import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { sql } from "kysely";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { ctx, indicatorInput, makeIndicator, runRoute, samplePng, sampleSvg, seedReferentialBase } from "../factories/referential";
import { getFile } from "~/server/storage/files.server";
import { loadObservatoryFiles, ObservatoryFileError } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { addIndicatorVersion, getIndicator, indicatorVersionForYear, listCatalogue, listCodelists, listDomains } from "~/server/indicators/indicators.server";
import { DEFAULT_SECRECY_THRESHOLD } from "~/domain/indicators";
import * as indicatorPage from "~/routes/indicators.$code";

const t = useTestDb();
const repoRoot = path.resolve(__dirname, "../..");

const definitionOf = (v: { label: string; definition: string | null; unit: string; value_type: "integer" | "decimal"; measure: "stock" | "flow"; breakdowns: string[] }) => ({
  label: v.label,
  definition: v.definition ?? "",
  unit: v.unit,
  valueType: v.value_type,
  measure: v.measure,
  breakdowns: v.breakdowns,
  nonNegative: true,
  minValue: null,
  maxValue: null,
  sumEqualsTotal: true,
});

describe("Art. 3–4: the indicator catalogue from conventions/", () => {
  it("seeds the eight domains, every code list and all 77 indicators with a definition, providers and secrecy threshold", async () => {
    const data = loadObservatoryFiles(repoRoot);
    const result = await importObservatory(t.db, system(ctx), data, { isDemo: true });
    expect(result).toMatchObject({ indicators: 77, indicatorsAdded: 77, versionsAdded: 0 });
    const domains = await listDomains(t.db);
    expect(domains.map((d) => d.code)).toEqual(["CONTEXTE", "PREVENTION", "DANGER", "PROT_ADMIN", "MNA", "PROT_JUD", "ACCUEIL", "FINANCES"]);
    const codelists = await listCodelists(t.db);
    expect(codelists.map((c) => c.code).sort()).toEqual(data.codelists.map((c) => c.code).sort());
    expect(codelists.find((c) => c.code === "SEXE")).toMatchObject({ label: "Sexe", items: [{ code: "F", label: "Féminin" }, { code: "M", label: "Masculin" }] });

    const catalogue = await listCatalogue(t.db);
    expect(catalogue).toHaveLength(77);
    for (const entry of catalogue) {
      expect(entry.current.version).toBe(1);
      expect(entry.current.definition?.length, entry.code).toBeGreaterThan(20);
      expect(entry.providers.length, entry.code).toBeGreaterThan(0);
    }
    const confies = catalogue.find((i) => i.code === "CONFIES")!;
    expect(confies.current.breakdowns).toEqual(["AGE_BAND", "SEXE"]);
    expect(confies.secrecy_threshold).toBe(DEFAULT_SECRECY_THRESHOLD);
    const poverty = catalogue.find((i) => i.code === "PAUV_MIN")!;
    expect(poverty.secrecy_threshold).toBe(0);
    expect(poverty.current).toMatchObject({ value_type: "decimal", min_value: 0, max_value: 100 });
    expect(catalogue.find((i) => i.code === "PLACES_MECS")!.providers.map((p) => p.code)).toContain("ADSEA42");

    // Art. 7: every signatory of the file is a member since the framework convention.
    const members = await t.db.selectFrom("organisation").select(["code", "member_since", "joined_amendment_id"]).execute();
    expect(members.every((m) => m.member_since === data.convention.signatureDate && m.joined_amendment_id === null)).toBe(true);

    // Importing again changes nothing.
    const again = await importObservatory(t.db, system(ctx), data, { isDemo: true });
    expect(again).toMatchObject({ added: 0, indicatorsAdded: 0, versionsAdded: 0 });
    const versions = await t.db.selectFrom("indicator_version").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    expect(versions.n).toBe(77);
  });

  it("adds the later versions a catalogue file declares, once", async () => {
    const data = loadObservatoryFiles(repoRoot);
    const changed = structuredClone(data);
    const entry = changed.indicators.find((i) => i.code === "AEMO")!;
    entry.versions = [{ validFrom: 2024, changeNote: "Les mesures d'AEMO renforcée sont désormais incluses.", definition: "Nombre de mesures d'AEMO, y compris renforcées, en cours au 31 décembre." }];
    expect((await importObservatory(t.db, system(ctx), changed, { isDemo: true })).versionsAdded).toBe(1);
    expect((await importObservatory(t.db, system(ctx), changed, { isDemo: true })).versionsAdded).toBe(0);
    const aemo = await getIndicator(t.db, "AEMO");
    expect(aemo.versions.map((v) => [v.version, v.valid_from_year, v.endYear])).toEqual([
      [1, null, 2023],
      [2, 2024, null],
    ]);
    expect(aemo.current.breakdowns).toEqual(["TERRITOIRE"]);
  });

  it("refuses a catalogue file naming an unknown code list, saying which file and indicator", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-files-"));
    fs.cpSync(path.join(repoRoot, "conventions"), path.join(dir, "conventions"), { recursive: true });
    fs.cpSync(path.join(repoRoot, "partners"), path.join(dir, "partners"), { recursive: true });
    const file = path.join(dir, "conventions", "indicators.json");
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { indicators: { code: string; breakdowns: string[] }[] };
    json.indicators[0]!.breakdowns = ["INCONNUE"];
    fs.writeFileSync(file, JSON.stringify(json));
    expect(() => loadObservatoryFiles(dir)).toThrow(ObservatoryFileError);
    expect(() => loadObservatoryFiles(dir)).toThrow(/POP_0_17.*liste de codes inconnue INCONNUE/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("partner logos from partners/", () => {
  it("imports a partner's PNG logo once, and refuses an SVG logo file naming the organisation", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-logos-"));
    fs.cpSync(path.join(repoRoot, "conventions"), path.join(dir, "conventions"), { recursive: true });
    fs.cpSync(path.join(repoRoot, "partners"), path.join(dir, "partners"), { recursive: true });
    fs.mkdirSync(path.join(dir, "partners", "logos"));
    fs.writeFileSync(path.join(dir, "partners", "logos", "caf.png"), samplePng());
    fs.writeFileSync(path.join(dir, "partners", "logos", "caf.svg"), sampleSvg());
    const file = path.join(dir, "partners", "organisations.json");
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as { organisations: { code: string; logo?: string }[] };
    json.organisations.find((o) => o.code === "CAF42")!.logo = "logos/caf.png";
    fs.writeFileSync(file, JSON.stringify(json));
    await importObservatory(t.db, system(ctx), loadObservatoryFiles(dir), { isDemo: true });
    const caf = await t.db.selectFrom("organisation").select("logo_file_id").where("code", "=", "CAF42").executeTakeFirstOrThrow();
    expect((await getFile(t.db, caf.logo_file_id!))?.contentType).toBe("image/png");

    json.organisations.find((o) => o.code === "CAF42")!.logo = "logos/caf.png.svg";
    fs.renameSync(path.join(dir, "partners", "logos", "caf.svg"), path.join(dir, "partners", "logos", "caf.png.svg"));
    fs.writeFileSync(file, JSON.stringify(json));
    expect(() => loadObservatoryFiles(dir)).toThrow(/logo/);
    fs.writeFileSync(path.join(dir, "partners", "logos", "fake.png"), sampleSvg());
    json.organisations.find((o) => o.code === "CAF42")!.logo = "logos/fake.png";
    fs.writeFileSync(file, JSON.stringify(json));
    expect(() => loadObservatoryFiles(dir)).toThrow(/CAF42.*SVG sont refusés/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("versioned indicators: a definition change makes a new version from a year", () => {
  it("versioned indicator keeps old values' version: years before the change still resolve to the old, unchanged version", async () => {
    await seedReferentialBase(t.db);
    const { code } = await makeIndicator(t.db, indicatorInput({ definition: "Une information préoccupante par famille." }));
    const v1 = (await indicatorVersionForYear(t.db, code, 2020))!;
    const { version } = await addIndicatorVersion(t.db, system(ctx), code, {
      ...definitionOf(v1),
      definition: "Une information préoccupante par enfant concerné.",
      validFromYear: 2022,
      changeNote: "Comptage par enfant.",
    });
    expect(version).toBe(2);
    const for2021 = await indicatorVersionForYear(t.db, code, 2021);
    const for2022 = await indicatorVersionForYear(t.db, code, 2022);
    expect(for2021?.id).toBe(v1.id);
    expect(for2021?.definition).toBe("Une information préoccupante par famille.");
    expect(for2022?.version).toBe(2);
    expect(for2022?.id).not.toBe(v1.id);

    // A value recorded under version 1 points at a row the database will not let anyone change or remove.
    await expect(t.db.updateTable("indicator_version").set({ definition: "réécrite" }).where("id", "=", v1.id).execute()).rejects.toThrow(/immutable/);
    await expect(t.db.deleteFrom("indicator_version").where("id", "=", v1.id).execute()).rejects.toThrow(/immutable/);
    await expect(t.db.deleteFrom("indicator_version_breakdown").where("indicator_version_id", "=", v1.id).execute()).rejects.toThrow(/immutable/);

    // The catalogue flags the break in series.
    const indicator = await getIndicator(t.db, code);
    expect(indicator.breaks).toEqual([{ year: 2022, version: 2, changes: ["définition"], breaksComparability: true }]);
    expect(indicator.versions.find((v) => v.version === 1)?.endYear).toBe(2021);
  });

  it("refuses a version that does not follow the current one or changes nothing", async () => {
    await seedReferentialBase(t.db);
    const { code } = await makeIndicator(t.db, indicatorInput({ validFromYear: 2020 }));
    const v1 = (await indicatorVersionForYear(t.db, code, 2020))!;
    await expect(addIndicatorVersion(t.db, system(ctx), code, { ...definitionOf(v1), unit: "mesures", validFromYear: 2020, changeNote: "Unité" })).rejects.toThrow(/après la version en vigueur/);
    await expect(addIndicatorVersion(t.db, system(ctx), code, { ...definitionOf(v1), validFromYear: 2023, changeNote: "Rien" })).rejects.toThrow(/identique/);
    expect(await indicatorVersionForYear(t.db, code, 2019)).toBeNull();
  });

  it("the referent changes a definition from the indicator page; a correspondent may not (403)", async () => {
    await seedReferentialBase(t.db);
    const { code } = await makeIndicator(t.db);
    const team = await makeOrganisation(t.db, { isTeam: true });
    const referent = await sessionCookie((await makeUser(t.db, "odpe_referent", team.id)).id);
    const form = {
      label: "Informations préoccupantes reçues",
      definition: "Nombre d'informations préoccupantes reçues, comptées par enfant.",
      unit: "nombre",
      valueType: "integer",
      measure: "flow",
      breakdowns: "SEXE,AGE_BAND",
      nonNegative: "on",
      sumEqualsTotal: "on",
      validFromYear: "2024",
      changeNote: "Ajout de la tranche d'âge.",
    };
    const result = await runRoute(indicatorPage.action, makeRequest(`/indicators/${code}?intent=version`, { cookie: referent, form }), { code });
    expect(result.status).toBe(200);
    expect(result.data).toMatchObject({ ok: true, intent: "version" });
    expect((await indicatorVersionForYear(t.db, code, 2024))?.breakdowns).toEqual(["SEXE", "AGE_BAND"]);

    const partnerOrg = await makeOrganisation(t.db);
    const partner = await sessionCookie((await makeUser(t.db, "partner_correspondent", partnerOrg.id)).id);
    const refused = await runRoute(indicatorPage.action, makeRequest(`/indicators/${code}?intent=version`, { cookie: partner, form: { ...form, validFromYear: "2025" } }), { code });
    expect(refused.status).toBe(403);
    const page = await runRoute(indicatorPage.loader, makeRequest(`/indicators/${code}`, { cookie: partner }), { code });
    expect(page.status).toBe(200);
    expect(page.data).toMatchObject({ canManage: false, indicator: { breaks: [{ year: 2024 }] } });
  });
});
