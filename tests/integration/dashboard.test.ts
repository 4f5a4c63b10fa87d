import path from "node:path";
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { unzipSync, strFromU8 } from "fflate";
import ExcelJS from "exceljs";
import { sql } from "kysely";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { useTestDb } from "../support/db";
import { pdfImageCount, pdfPages } from "../support/pdf";
import sharp from "sharp";
import { makeRequest, makeUser, sessionCookie, testContext } from "../factories";
import { loadObservatoryFiles } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { seedDemoReferential } from "~/server/observatory/demo-referential.server";
import { seedDemoDashboard, splitInteger } from "~/server/dashboard/demo-data.server";
import { systemContext, verifyAuditChain, type AuditContext } from "~/server/audit/audit.server";
import { systemActor, userActor, type UserActor } from "~/server/command.server";
import { assembleFromDb } from "~/server/dashboard/load.server";
import { toPublicEdition } from "~/domain/edition-assembly";
import {
  createEdition,
  editionHash,
  generateEditionFiles,
  findPublishedEdition,
  getEdition,
  listPublishedEditions,
  loadSnapshot,
  publishEdition,
  recordOnpeTransmission,
  saveEditionTexts,
  transitionEdition,
} from "~/server/dashboard/editions.server";
import { setOrganisationLogo } from "~/server/organisations/organisations.server";
import { createDerivedIndicator, deleteDerivedIndicator, setKeyFigures } from "~/server/dashboard/catalogue.server";
import { getFile } from "~/server/storage/files.server";
import { DomainError } from "~/server/errors.server";
import { LONG_SHEET } from "~/server/dashboard/xlsx.server";
import { listVintages, loadPopulations } from "~/server/populations/populations.server";
import { explorerOptions, runQuery } from "~/server/explorer/explorer.server";
import { buildTable, snapshotSources, sourcesLine } from "~/domain/explorer";
import { LEGEND_NAME, MANIFEST_NAME, VALUES_CSV_NAME, type OnpeManifest } from "~/server/dashboard/package.server";
import { ANCHOR_FILE_NAME, anchorDocumentSchema } from "~/server/audit/anchor.server";
import type { BreakdownList, DashboardEdition, IndicatorBlock } from "~/domain/dashboard";
import { SECRET_TEXT } from "~/domain/dashboard";
import * as reportRoute from "~/routes/dashboard.$year";
import * as homeRoute from "~/routes/dashboard._index";
import * as editionsRoute from "~/routes/dashboard.editions._index";
import * as filesRoute from "~/routes/dashboard.editions.$id_.fichiers.$file";
import * as extranetRoute from "~/routes/extranet_.tableau-de-bord.$year";
import * as extranetHome from "~/routes/extranet._index";
import * as extranetFiles from "~/routes/extranet_.tableau-de-bord.$year_.$number.$file";
import * as extranetLogos from "~/routes/extranet_.tableau-de-bord.logos.$fileId";
import * as memberLogos from "~/routes/dashboard.logos.$fileId";
import * as editionRoute from "~/routes/dashboard.editions.$id";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import express from "express";
import type { AddressInfo } from "node:net";
import { extranetReportKey, invalidateReportArtefacts } from "~/server/dashboard/report-artefacts.server";
import { publicReportFastPath } from "~/server/http/artefact-route.server";

const t = useTestDb();
const root = path.resolve(__dirname, "../..");
const sys = systemContext("test");
const sysActor = systemActor("test");
let referent: UserActor;
let audit: AuditContext;
let internal2024: DashboardEdition;

/** Codes an agreement of the demo marks internal (courts, prosecutors, police and gendarmerie). */
const INTERNAL_CODES = ["OPP", "DELAISSEMENT", "VIF_MINEURS_POL", "VIF_MINEURS_GEN"];

const blocks = (e: DashboardEdition): IndicatorBlock[] => e.sections.flatMap((s) => s.blocks);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

type Loader = (args: LoaderFunctionArgs) => Promise<unknown>;
async function run(fn: Loader, request: Request, params: Record<string, string> = {}) {
  try {
    const result = await fn({ request, params, context: testContext() } as never);
    if (result instanceof Response) return { status: result.status, response: result, data: undefined };
    return { status: 200, data: result as Record<string, unknown>, response: undefined };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, response: thrown, data: undefined };
    throw thrown;
  }
}

async function userCookie(role: "reader" | "committee_member" | "odpe_referent" | "partner_correspondent" | "admin", orgCode = "DEP42") {
  const org = await t.db.selectFrom("organisation").select("id").where("code", "=", orgCode).executeTakeFirstOrThrow();
  const user = await makeUser(t.db, role, org.id);
  return { user, cookie: await sessionCookie(user.id) };
}

const expectDomainError = async (promise: Promise<unknown>, code: DomainError["code"], pattern?: RegExp) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  if (pattern) expect(JSON.stringify([(error as DomainError).message, (error as DomainError).fieldErrors])).toMatch(pattern);
};

beforeAll(async () => {
  await importObservatory(t.db, system(sys), loadObservatoryFiles(root), { isDemo: true });
  await seedDemoReferential(t.db, system(sys), "demo");
  await seedDemoDashboard(t.db, sysActor, "demo", { publishYears: 0 });
  const team = await t.db.selectFrom("organisation").select("id").where("is_observatory_team", "=", true).executeTakeFirstOrThrow();
  const user = await makeUser(t.db, "odpe_referent", team.id, { displayName: "Référente Test" });
  audit = { actorUserId: user.id, actorLabel: `Référente Test <${user.email}>`, organisationId: team.id, ip: "127.0.0.1", requestId: "test" };
  referent = userActor({ id: user.id, displayName: "Référente Test", role: "odpe_referent", organisationId: team.id }, audit);
  internal2024 = await assembleFromDb(t.db, 2024);
}, 300_000);

describe("demo data (deterministic, with lineage)", () => {
  it("fills accepted values for the closed campaigns 2019–2024, each from an accepted version of a stored workbook", async () => {
    const years = await t.db.selectFrom("accepted_value").select("reference_year").distinct().orderBy("reference_year").execute();
    expect(years.map((y) => y.reference_year)).toEqual([2019, 2020, 2021, 2022, 2023, 2024]);
    const mismatched = await t.db
      .selectFrom("accepted_value as av")
      .innerJoin("submission_version as sv", "sv.id", "av.source_version_id")
      .innerJoin("submission as s", "s.id", "sv.submission_id")
      .select(sql<number>`count(*)::int`.as("n"))
      .where((eb) => eb.or([eb("s.organisation_id", "<>", eb.ref("av.organisation_id")), eb("sv.status", "<>", "accepted")]))
      .executeTakeFirstOrThrow();
    expect(mismatched.n).toBe(0);
    const version = await t.db.selectFrom("submission_version").select("file_id").limit(1).executeTakeFirstOrThrow();
    const file = (await getFile(t.db, version.file_id))!;
    expect(sha256(file.content)).toBe(file.sha256);
    expect(file.content.subarray(0, 2).toString("latin1")).toBe("PK");
  });

  it("breakdown cells add up to the total (largest remainders)", () => {
    expect(splitInteger(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitInteger(2269, [0.46, 0.54]).reduce((a, b) => a + b)).toBe(2269);
    const confies = blocks(internal2024).find((b) => b.code === "CONFIES")!;
    const sexes = ["F", "M"].map((s) => confies.breakdown!.current[`SEXE=${s}`]!.value!);
    expect(sexes[0]! + sexes[1]!).toBe(confies.current.value);
  });

  it("is labelled as a demonstration", () => {
    expect(internal2024.observatory.isDemo).toBe(true);
  });
});

describe("assembly from the database", () => {
  it("Art. 5: the annual dashboard cites every contributor, exactly the organisations of the values' lineage", async () => {
    const lineage = await t.db
      .selectFrom("accepted_value as av")
      .innerJoin("submission_version as sv", "sv.id", "av.source_version_id")
      .innerJoin("submission as s", "s.id", "sv.submission_id")
      .innerJoin("organisation as o", "o.id", "s.organisation_id")
      .select("o.code")
      .distinct()
      .where("av.reference_year", ">=", 2020)
      .where("av.reference_year", "<=", 2024)
      .where("av.value", "is not", null)
      .execute();
    expect(internal2024.contributors.map((c) => c.code).sort()).toEqual(lineage.map((l) => l.code).sort());
    expect(internal2024.contributors.every((c) => c.logoFileId)).toBe(true);
  });

  it("eight domain sections, key figures first, rates from the catalogue's rates over the Insee population of the same universe", async () => {
    expect(internal2024.sections.map((s) => s.domainCode)).toEqual(["CONTEXTE", "PREVENTION", "DANGER", "PROT_ADMIN", "MNA", "PROT_JUD", "ACCUEIL", "FINANCES"]);
    expect(internal2024.keyFigures[0]!.code).toBe("CONFIES");
    const all = blocks(internal2024);
    const rate = all.find((b) => b.code === "TX_CONFIES")!;
    const confies = all.find((b) => b.code === "CONFIES")!;
    // Children in care at 31/12/2024 over the Insee population aged 0–20 at 1/1/2025, cell by cell.
    const population = (await loadPopulations(t.db, { level: "departement", code: "42" }, [2025])).get(2025)!;
    const ages = (sexes: string[], from: number, to: number) => {
      let n = 0;
      for (const sex of sexes) for (let a = from; a <= to; a++) n += population.counts.get(`${sex}|${a}`)!;
      return n;
    };
    expect(rate.current.value).toBeCloseTo((confies.current.value! / ages(["F", "M"], 0, 20)) * 1000, 10);
    expect(rate.breakdown!.current["SEXE=F"]!.value).toBeCloseTo((confies.breakdown!.current["SEXE=F"]!.value! / ages(["F"], 0, 20)) * 1000, 10);
    expect(rate.breakdown!.current["AGE_BAND=0-2|SEXE=M"]!.value).toBeCloseTo((confies.breakdown!.current["AGE_BAND=0-2|SEXE=M"]!.value! / ages(["M"], 0, 2)) * 1000, 10);
  });

  it("Art. 5 (sources citées) : every rate cites « Insee, estimations de population (millésime) », never the Département; the demo holds two vintages", async () => {
    expect((await listVintages(t.db)).map((v) => v.label)).toEqual(["estimations provisoires au 1er janvier 2025", "estimations provisoires au 1er janvier 2024"]);
    const rates = blocks(internal2024).filter((b) => ["TX_CONFIES", "TX_AED_MIN", "TX_AEMO", "TX_IP_MIN", "DEP_PAR_JEUNE"].includes(b.code));
    expect(rates).toHaveLength(5);
    for (const r of rates) {
      expect(r.sources).toContain("Insee, estimations de population (estimations provisoires au 1er janvier 2025)");
      expect(r.sources).not.toContain("DEP42-POP");
      expect(r.notes[0]).toMatch(/^Population de référence : Insee, estimations de population/);
    }
    // France and the region beside the département (demo reference rates, with their source).
    const confies = rates.find((b) => b.code === "TX_CONFIES")!;
    expect(confies.references!.filter((r) => r.year === 2024).map((r) => r.territory)).toEqual(["France", "Auvergne-Rhône-Alpes"]);
    expect(confies.notes.some((n) => /^Références 2024 : France \d+,\d ; Auvergne-Rhône-Alpes \d+,\d .*source : DREES/.test(n))).toBe(true);
    // TX_IP_MIN is about minors: the 18–20 band of its numerator is « non défini », never a number.
    const ip = rates.find((b) => b.code === "TX_IP_MIN")!;
    expect(ip.breakdown!.current["AGE_BAND=18-20"]).toEqual({ value: null, notDefined: true });
    expect(typeof ip.breakdown!.current["AGE_BAND=16-17"]!.value).toBe("number");
  });

  it("Art. 5 (taux) : the explorer offers the catalogue's rates of the indicator and divides each cell by the matching Insee cell", async () => {
    const options = await explorerOptions(t.db);
    expect(options.rates.filter((r) => r.numerator === "CONFIES").map((r) => r.code)).toEqual(["TX_CONFIES"]);
    const { query, snapshot } = await runQuery(t.db, { indicator: "CONFIES", from: null, to: null, organisations: [], view: "breakdown", year: 2024, rate: "TX_CONFIES" });
    expect(query.rate).toBe("TX_CONFIES");
    const table = buildTable(query, snapshot);
    const population = (await loadPopulations(t.db, { level: "departement", code: "42" }, [2025])).get(2025)!;
    // Girls aged 3 to 5 in care over the girls aged 3 to 5 (not over the whole population).
    let girls = 0;
    for (let a = 3; a <= 5; a++) girls += population.counts.get(`F|${a}`)!;
    const count = snapshot.values.find((v) => v.key === "AGE_BAND=3-5|SEXE=F")!.value!;
    expect(table.rows.find((r) => r.id === "AGE_BAND=3-5|SEXE=F")!.cells[0]!.value).toBe(Math.round((count / girls) * 1000 * 100) / 100);
    expect(sourcesLine(snapshotSources(snapshot))).toContain("Insee, estimations de population (estimations provisoires au 1er janvier 2025)");
    // A population indicator (any age range) is no longer accepted as a rate: the query falls back to counts.
    expect((await runQuery(t.db, { ...query, rate: "POP_0_17" })).query.rate).toBeNull();
    const ip = await runQuery(t.db, { indicator: "IP_MIN", from: null, to: null, organisations: [], view: "breakdown", year: 2024, rate: "TX_IP_MIN" });
    const adults = buildTable(ip.query, ip.snapshot).rows.filter((r) => r.id.split("|").includes("AGE_BAND=18-20"));
    expect(adults.length).toBeGreaterThan(0);
    expect(adults.every((r) => r.cells.every((c) => c.notDefined && c.value === null))).toBe(true);
  });

  it("data quality: missing transmissions and the break in series of IP_NB (2022)", () => {
    const hpl = internal2024.quality.transmissions.find((r) => r.organisationCode === "HPL")!;
    expect(hpl.timing).toBe("missing");
    expect(internal2024.quality.transmissions.some((r) => r.timing === "late")).toBe(true);
    expect(internal2024.quality.missing.find((m) => m.code === "IP_HOP_EMISES")!.organisations).toContain("Hôpital privé de la Loire");
    expect(internal2024.quality.breaks.map((b) => [b.code, b.year])).toEqual([["IP_NB", 2022]]);
  });
});

describe("« non disponible » downstream (ADR 030), from accepted values declared ND/NC", () => {
  it("Art. 5/Art. 6: a total with an ND part is published as partial, naming the organisation, never as complete", async () => {
    const stored = await t.db
      .selectFrom("accepted_value as av")
      .innerJoin("organisation as o", "o.id", "av.organisation_id")
      .innerJoin("indicator as i", "i.id", "av.indicator_id")
      .select(["o.code", "av.value", "av.not_available_code", "av.not_available_reason"])
      .where("i.code", "=", "IP_HOP_EMISES")
      .where("av.reference_year", "=", 2024)
      .where("av.not_available_code", "is not", null)
      .orderBy("o.code")
      .execute();
    expect(stored.map((r) => [r.code, r.value, r.not_available_code])).toEqual([
      ["CH-FEURS", null, "ND"],
      ["CH-GIER", null, "NC"],
    ]);
    const hop = blocks(internal2024).find((b) => b.code === "IP_HOP_EMISES")!;
    expect(hop.current.partial).toBe(true);
    expect(hop.current.value).toBeGreaterThan(0);
    expect(hop.notes.join(" ")).toContain("Total 2024 partiel (somme des valeurs connues) : donnée non disponible pour Centre hospitalier de Feurs (logiciel des urgences");
    expect(hop.notes.join(" ")).not.toContain("CH-FEURS");
    expect(hop.missingParts).toEqual([
      { year: 2024, code: "ND", organisation: "Centre hospitalier de Feurs", reason: "logiciel des urgences remplacé en cours d'année, extraction impossible" },
      { year: 2024, code: "NC", organisation: "Centre hospitalier du Pays du Gier", reason: "plus de service d'urgences pédiatriques depuis 2024" },
    ]);
  });

  it("no trend arrow when either year has an ND part; NC excluded with footnote", () => {
    const hop = blocks(internal2024).find((b) => b.code === "IP_HOP_EMISES")!;
    expect(hop.change).toBeNull();
    expect(hop.changeNote).toMatch(/^Évolution non calculée : donnée non disponible pour Centre hospitalier de Feurs en 2024/);
    expect(hop.notes).toContain("Non concerné en 2024 : Centre hospitalier du Pays du Gier (hors total).");
    // Completeness: both hospitals transmitted (without a figure); one ND counted.
    expect(internal2024.quality.missing.find((m) => m.code === "IP_HOP_EMISES")!.organisations).not.toContain("Centre hospitalier de Feurs");
    expect(internal2024.quality.completeness.find((c) => c.domainCode === "DANGER")!.notAvailable).toBe(1);
  });

  it("secrecy engine accepts ND cells: the public edition keeps the partial total marked, never a 0", () => {
    const hop = blocks(toPublicEdition(internal2024)).find((b) => b.code === "IP_HOP_EMISES")!;
    expect(hop.current.secret ? true : hop.current.partial).toBe(true);
    expect(hop.change).toBeNull();
  });
});

describe("the public edition (Art. 5)", () => {
  const pub = () => toPublicEdition(internal2024);

  it("Art. 5: indicators marked internal in an agreement are left out of the public edition and listed in the internal one", () => {
    expect(internal2024.internalIndicators.map((i) => i.code).sort()).toEqual([...INTERNAL_CODES].sort());
    const p = pub();
    for (const code of INTERNAL_CODES) expect(blocks(p).some((b) => b.code === code)).toBe(false);
    expect(p.excludedInternalCount).toBe(INTERNAL_CODES.length);
    expect(JSON.stringify(p)).not.toContain("VIF_MINEURS_POL");
  });

  it("CASF D226-3-4: statistical secrecy masks small counts and what would let them be recomputed", () => {
    const p = pub();
    const internalIp = blocks(internal2024).find((b) => b.code === "IP_MIN")!;
    const publicIp = blocks(p).find((b) => b.code === "IP_MIN")!;
    const maskedKeys = Object.entries(publicIp.breakdown!.current).filter(([, f]) => f.secret);
    expect(maskedKeys.length).toBeGreaterThanOrEqual(2);
    for (const [key, f] of maskedKeys) {
      expect(f.value).toBeNull();
      expect(f.secret).toBe(true);
      expect(internalIp.breakdown!.current[key]!.value).not.toBeNull();
    }
    // No line or column of the cross table, with its margin, has exactly one masked cell (it could be recomputed).
    const [a, b] = publicIp.breakdown!.lists as [BreakdownList, BreakdownList];
    const cells = publicIp.breakdown!.current;
    const lines = [
      ...a.items.map((ia) => [`${a.code}=${ia.code}`, ...b.items.map((ib) => `${a.code}=${ia.code}|${b.code}=${ib.code}`)]),
      ...b.items.map((ib) => [`${b.code}=${ib.code}`, ...a.items.map((ia) => `${a.code}=${ia.code}|${b.code}=${ib.code}`)]),
    ];
    for (const line of lines) {
      const masked = line.filter((key) => cells[key]!.secret).length;
      expect(masked === 0 || masked >= 2, line.join(" ")).toBe(true);
    }
    expect(p.maskedCount).toBeGreaterThan(0);
  });
});

describe("editions: prepare, write, validate, publish, correct (Art. 3 and 5)", () => {
  let first: string;
  let second: string;

  it("prepares an edition only for a year with accepted values and a closed campaign, one at a time", async () => {
    await expectDomainError(createEdition(t.db, referent, { year: 2025, correctionNote: null }), "validation", /Aucune valeur/);
    first = await createEdition(t.db, referent, { year: 2024, correctionNote: null });
    await expectDomainError(createEdition(t.db, referent, { year: 2024, correctionNote: null }), "conflict", /déjà en préparation/);
    const events = await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", first).execute();
    expect(events.map((e) => e.action)).toEqual(["dashboard.edition_created"]);
  });

  it("the referent writes the foreword and per-domain comments; validation needs a foreword", async () => {
    await expectDomainError(transitionEdition(t.db, referent, first, "validate"), "validation", /avant-propos/);
    await saveEditionTexts(t.db, referent, first, {
      foreword: "Avant-propos de l'édition 2024 : les données de l'année, commentées pour les élus.",
      comments: { DANGER: "Hausse des informations préoccupantes.", ACCUEIL: "" },
    });
    const { meta } = await getEdition(t.db, first);
    expect(meta.comments).toEqual({ DANGER: "Hausse des informations préoccupantes." });
    const reader = userActor({ id: null, displayName: "Lecteur", role: "reader", organisationId: referent.organisationId }, audit);
    await expectDomainError(transitionEdition(t.db, reader, first, "validate"), "forbidden");
    await transitionEdition(t.db, referent, first, "validate");
    await expectDomainError(saveEditionTexts(t.db, referent, first, { foreword: "x".repeat(30), comments: {} }), "conflict", /reprenez la rédaction/);
  });

  it("publishing freezes the values, texts and files; a refused publication leaves no trace", async () => {
    const before = await t.db.selectFrom("audit_event").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    await expectDomainError(publishEdition(t.db, userActor({ id: null, displayName: "Membre du comité", role: "committee_member", organisationId: referent.organisationId }, audit), first), "forbidden");
    const after = await t.db.selectFrom("audit_event").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);

    const { sha256: hash } = await publishEdition(t.db, referent, first, new Date("2025-09-20T08:00:00Z"));
    const { row, files } = await getEdition(t.db, first);
    expect(row.status).toBe("published");
    expect(files.map((f) => f.kind).sort()).toEqual(["onpe_package", "pdf_internal", "pdf_public", "xlsx_internal", "xlsx_public"]);
    const snapshot = await loadSnapshot(t.db, first, "internal");
    expect(editionHash(snapshot)).toBe(hash);
    expect(row.snapshot_sha256).toBe(hash);
    const events = await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", first).orderBy("id").execute();
    expect(events.map((e) => e.action)).toEqual(["dashboard.edition_created", "dashboard.texts_saved", "dashboard.validated", "dashboard.published"]);
  });

  it("editions are frozen: the database refuses any change to a published edition's content", async () => {
    await expect(sql`update dashboard_edition set foreword = 'changé' where id = ${first}`.execute(t.db)).rejects.toThrow(/frozen/);
    await expect(sql`update dashboard_edition set snapshot = '{}'::jsonb where id = ${first}`.execute(t.db)).rejects.toThrow(/frozen/);
    await expect(sql`delete from dashboard_edition where id = ${first}`.execute(t.db)).rejects.toThrow(/never deleted/);
    await expect(
      sql`insert into dashboard_edition_comment (edition_id, domain_code, body) values (${first}, 'MNA', 'ajout')`.execute(t.db),
    ).rejects.toThrow(/frozen/);
    await expect(sql`delete from dashboard_edition_file where edition_id = ${first}`.execute(t.db)).rejects.toThrow(/never changed/);
    await expectDomainError(saveEditionTexts(t.db, referent, first, { foreword: "x".repeat(40), comments: {} }), "conflict", /figée/);
  });

  it("later changes to accepted values do not change a published edition", async () => {
    const value = await t.db
      .selectFrom("accepted_value as av")
      .innerJoin("indicator as i", "i.id", "av.indicator_id")
      .select(["av.organisation_id", "av.indicator_id", "av.value"])
      .where("i.code", "=", "CONFIES")
      .where("av.reference_year", "=", 2024)
      .where("av.breakdown_key", "=", "")
      .executeTakeFirstOrThrow();
    await t.db
      .updateTable("accepted_value")
      .set({ value: value.value! + 100 })
      .where("organisation_id", "=", value.organisation_id)
      .where("indicator_id", "=", value.indicator_id)
      .where("reference_year", "=", 2024)
      .where("breakdown_key", "=", "")
      .execute();
    const frozen = blocks(await loadSnapshot(t.db, first, "internal")).find((b) => b.code === "CONFIES")!;
    const live = blocks(await assembleFromDb(t.db, 2024)).find((b) => b.code === "CONFIES")!;
    expect(live.current.value).toBe(frozen.current.value! + 100);
  });

  it("a correction makes a new edition that says why; the former stays readable with its date", async () => {
    await expectDomainError(createEdition(t.db, referent, { year: 2024, correctionNote: null }), "validation", /expliquez ce que corrige/);
    second = await createEdition(t.db, referent, { year: 2024, correctionNote: "Correction du nombre d'enfants confiés transmis par le Département." });
    const { row, meta } = await getEdition(t.db, second);
    expect(row.number).toBe(2);
    expect(meta.comments.DANGER).toBe("Hausse des informations préoccupantes.");
    await transitionEdition(t.db, referent, second, "validate");
    await publishEdition(t.db, referent, second, new Date("2025-10-01T08:00:00Z"));
    const latest = await findPublishedEdition(t.db, 2024);
    expect(latest!.row.number).toBe(2);
    const former = await findPublishedEdition(t.db, 2024, 1);
    expect(former!.meta.supersededAt).toBe("2025-10-01T08:00:00.000Z");
    expect(former!.meta.publishedAt).toBe("2025-09-20T08:00:00.000Z");
    expect(blocks(await loadSnapshot(t.db, second, "internal")).find((b) => b.code === "CONFIES")!.current.value).toBe(
      blocks(await loadSnapshot(t.db, first, "internal")).find((b) => b.code === "CONFIES")!.current.value! + 100,
    );
  });

  it("Art. 5: the ONPE package holds the public PDF and XLSX, and its manifest's checksums match the files", async () => {
    const { files, row } = await getEdition(t.db, first);
    const pkg = (await getFile(t.db, files.find((f) => f.kind === "onpe_package")!.id))!;
    const entries = unzipSync(new Uint8Array(pkg.content));
    const manifest = JSON.parse(strFromU8(entries[MANIFEST_NAME]!)) as OnpeManifest;
    expect(manifest).toMatchObject({
      observatory: { code: "ODPE42" },
      departement: { code: "42", name: "Loire" },
      referenceYear: 2024,
      edition: { number: 1, publishedAt: "2025-09-20T08:00:00.000Z", variant: "public" },
      generatedAt: "2025-09-20T08:00:00.000Z",
      isDemo: true,
    });
    expect(Object.keys(entries).sort()).toEqual([MANIFEST_NAME, ...manifest.files.map((f) => f.name)].sort());
    for (const f of manifest.files) {
      expect(sha256(entries[f.name]!)).toBe(f.sha256);
      expect(entries[f.name]!.byteLength).toBe(f.size);
    }
    const publicPdf = (await getFile(t.db, files.find((f) => f.kind === "pdf_public")!.id))!;
    expect(manifest.files.find((f) => f.name.endsWith(".pdf"))!.sha256).toBe(publicPdf.sha256);
    expect(row.reference_year).toBe(2024);
    // ADR 024: a signed anchor of the audit chain leaves the portal with the package, and the chain agrees with it.
    expect(manifest.files.map((f) => f.name)).toContain(ANCHOR_FILE_NAME);
    const anchor = anchorDocumentSchema.parse(JSON.parse(strFromU8(entries[ANCHOR_FILE_NAME]!)));
    expect(anchor.reason).toBe("onpe_package");
    expect(anchor.eventCount).toBeGreaterThan(0);
    expect(await verifyAuditChain(t.db, { externalAnchors: [anchor] })).toMatchObject({ ok: true, anchorProblems: [] });
  });

  it("ADR 030: ONPE package carries code and reason, with the legend; the published edition stores what it shows", async () => {
    const { files } = await getEdition(t.db, first);
    const pkg = (await getFile(t.db, files.find((f) => f.kind === "onpe_package")!.id))!;
    const entries = unzipSync(new Uint8Array(pkg.content));
    const manifest = JSON.parse(strFromU8(entries[MANIFEST_NAME]!)) as OnpeManifest;
    expect(manifest.notAvailableLegend.join(" ")).toMatch(/ND — non disponible.*NC — non concerné/);
    expect(strFromU8(entries[LEGEND_NAME]!)).toContain("jamais complétée par 0");
    const lines = strFromU8(entries[VALUES_CSV_NAME]!).replace(/^\ufeff/, "").split("\r\n");
    expect(lines[0]).toBe("indicateur;libelle;ventilation;annee;valeur;affichage;code_nd_nc;organismes_et_motifs");
    const hop = lines.find((l) => l.startsWith("IP_HOP_EMISES;") && l.includes(";2024;"))!;
    expect(hop).toContain("(total partiel);ND;");
    expect(hop).toContain("ND Centre hospitalier de Feurs : logiciel des urgences remplacé en cours d'année");
    expect(hop).toContain("NC Centre hospitalier du Pays du Gier");
    const frozen = blocks(await loadSnapshot(t.db, first, "public")).find((b) => b.code === "IP_HOP_EMISES")!;
    expect(frozen.current.partial).toBe(true);
    expect(frozen.missingParts?.map((p) => p.code)).toEqual(["ND", "NC"]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await getFile(t.db, files.find((f) => f.kind === "xlsx_public")!.id))!.content as unknown as ArrayBuffer);
    const long = wb.getWorksheet(LONG_SHEET)!;
    const row = long.getSheetValues().find((r) => Array.isArray(r) && r[1] === "IP_HOP_EMISES" && r[5] === "" && r[6] === 2024) as unknown[];
    expect(row[9]).toBe("total partiel (part ND)");
    expect(row[11]).toBe("ND");
    expect(String(row[12])).toContain("Centre hospitalier de Feurs");
  });

  it("the PDF has the report's titles, French typography, page numbers; the public one leaves internal indicators out", async () => {
    const { files } = await getEdition(t.db, first);
    const read = async (kind: string) => (await getFile(t.db, files.find((f) => f.kind === kind)!.id))!.content;
    const pages = await pdfPages(await read("pdf_public"));
    const text = pages.join("\n").replace(/\s+/g, " ");
    for (const title of [
      "Tableau de bord annuel de la protection de l'enfance",
      "Avant-propos",
      "Chiffres clés 2024",
      "3. Enfance en danger",
      "7. Capacités d'accueil et enfants accueillis",
      "Qualité des données",
      "Contributeurs",
      "Méthode et secret statistique",
    ]) {
      expect(text).toContain(title);
    }
    expect(pages[0]).toContain("Page 1 sur");
    expect(pages.at(-1)).toContain(`Page ${pages.length} sur ${pages.length}`);
    expect(text).toContain("édition 2024 : les données"); // a no-break space before the colon, read back as a space
    expect(text).not.toContain("Mineurs victimes de violences intrafamiliales");
    const internalText = (await pdfPages(await read("pdf_internal"))).join("\n").replace(/\s+/g, " ");
    expect(internalText).toContain("Indicateurs à usage interne");
    expect(internalText).toContain("Mineurs victimes de violences intrafamiliales");
  });

  it("Art. 5: the PDF draws every contributor's logo, a WebP one too (converted to PNG)", async () => {
    const contributors = internal2024.contributors.filter((c) => c.logoFileId);
    expect(contributors.length).toBeGreaterThan(1);
    const webp = await sharp({ create: { width: 120, height: 48, channels: 3, background: "#1c7ed6" } }).webp().toBuffer();
    const org = await t.db.selectFrom("organisation").select("id").where("code", "=", contributors[0]!.code).executeTakeFirstOrThrow();
    await setOrganisationLogo(t.db, system(audit), org.id, { field: "logo", filename: "logo.webp", bytes: webp });
    const edition = await assembleFromDb(t.db, 2024);
    expect(edition.contributors.filter((c) => c.logoFileId).length).toBe(contributors.length);
    const meta: Parameters<typeof generateEditionFiles>[3] = {
      ...{ id: "x", year: 2024, number: 1, status: "draft", foreword: "Avant-propos.", comments: {} },
      ...{ correctionNote: null, publishedAt: null, supersededAt: null, transmittedOn: null },
    };
    const files = await generateEditionFiles(t.db, edition, toPublicEdition(edition), meta, new Date());
    expect(await pdfImageCount(files.pdfInternal)).toBe(contributors.length);
  });

  it("the XLSX has a sheet per domain and a long-format sheet (indicator, breakdown, year, value, status, source)", async () => {
    const { files } = await getEdition(t.db, first);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await getFile(t.db, files.find((f) => f.kind === "xlsx_public")!.id))!.content as unknown as ArrayBuffer);
    const names = wb.worksheets.map((w) => w.name);
    expect(names).toContain("3 Enfance en danger");
    expect(names).toContain(LONG_SHEET);
    const long = wb.getWorksheet(LONG_SHEET)!;
    expect((long.getRow(1).values as unknown[]).slice(1)).toEqual(["Code indicateur", "Indicateur", "Domaine", "Ventilation", "Clé de ventilation", "Année", "Valeur", "Unité", "Statut", "Source", "Non disponible (ND/NC)", "Organismes et motifs (ND/NC)"]);
    const rows = long.getSheetValues().slice(2) as unknown[][];
    const secret = rows.find((r) => r[7] === SECRET_TEXT);
    expect(secret?.[9]).toMatch(/secret statistique/);
    const confies = rows.find((r) => r[1] === "CONFIES" && r[4] === "Total" && r[6] === 2024)!;
    expect(confies[10]).toBe("Département de la Loire");
  });

  it("Art. 5: sources print organisation names, never codes, in the PDF and the XLSX", async () => {
    const { files } = await getEdition(t.db, first);
    const read = async (kind: string) => (await getFile(t.db, files.find((f) => f.kind === kind)!.id))!.content;
    const codes = internal2024.contributors.map((c) => c.code);
    const pdf = (await pdfPages(await read("pdf_internal"))).join("\n").replace(/\s+/g, " ");
    const pdfSources = [...pdf.matchAll(/sources : (.*?)(?= [A-ZÉ][a-zé]|$)/g)].map((m) => m[1]!);
    expect(pdfSources.length).toBeGreaterThan(0);
    expect(pdf).toContain("sources : Département de la Loire");
    for (const code of codes) expect(pdf).not.toMatch(new RegExp(`sources : [^.]*\\b${code}\\b`));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await read("xlsx_internal")) as unknown as ArrayBuffer);
    const names = new Set(internal2024.contributors.map((c) => c.name));
    let cells = 0;
    for (const ws of wb.worksheets) {
      const header = (ws.getRow(1).values as unknown[]).indexOf("Sources");
      if (header < 1) continue;
      ws.eachRow((row, n) => {
        const value = row.getCell(header).value;
        if (n === 1 || typeof value !== "string" || !value) return;
        cells++;
        // Organisation names (never codes); a rate also cites its population (« Insee, estimations de population… »).
        for (const part of value.split(", ")) expect(codes.includes(part), `${ws.name} ligne ${n} : « ${part} »`).toBe(false);
        if (!value.startsWith("Insee")) expect(names.has(value.split(", ")[0]!), `${ws.name} ligne ${n} : « ${value} »`).toBe(true);
      });
    }
    expect(cells).toBeGreaterThan(0);
  });

  it("Art. 5: recording the transmission to ONPE keeps the date, who and the package checksum, once", async () => {
    await expectDomainError(recordOnpeTransmission(t.db, referent, first, { transmittedOn: "2099-01-01", note: null }, "2025-10-02"), "validation", /entre la publication/);
    await recordOnpeTransmission(t.db, referent, first, { transmittedOn: "2025-09-25", note: "Dépôt sur la plateforme de l'ONPE" }, "2025-10-02");
    const { row, transmission, files } = await getEdition(t.db, first);
    expect(row.status).toBe("transmitted");
    expect(transmission).toMatchObject({ transmitted_on: "2025-09-25", recorded_by_label: audit.actorLabel, note: "Dépôt sur la plateforme de l'ONPE" });
    expect(transmission!.package_sha256).toBe(files.find((f) => f.kind === "onpe_package")!.sha256);
    await expectDomainError(recordOnpeTransmission(t.db, referent, first, { transmittedOn: "2025-09-26", note: null }, "2025-10-02"), "conflict", /l'édition est « .+ » \(règle « statut de départ »\)/);
    const event = await t.db.selectFrom("audit_event").select(["summary", "details"]).where("action", "=", "dashboard.transmitted").executeTakeFirstOrThrow();
    expect(event.summary).toContain("transmise à l'ONPE le 25 septembre 2025");
    await expect(sql`update onpe_transmission set package_sha256 = ${"0".repeat(64)}`.execute(t.db)).rejects.toThrow(/never changed/);
  });

  it("listPublishedEditions gives the extranet every published edition with its public links and contributors' logos", async () => {
    const list = await listPublishedEditions(t.db);
    expect(list.map((e) => [e.year, e.number])).toEqual([
      [2024, 2],
      [2024, 1],
    ]);
    expect(list[0]).toMatchObject({ url: "/extranet/tableau-de-bord/2024", pdfUrl: "/extranet/tableau-de-bord/2024/2/rapport-public.pdf", supersededAt: null });
    expect(list[1]).toMatchObject({ url: "/extranet/tableau-de-bord/2024?edition=1", transmittedOn: "2025-09-25" });
    expect(list[0]!.contributors.length).toBeGreaterThan(20);
    expect(list[0]!.contributors[0]!.logoUrl).toMatch(/^\/extranet\/tableau-de-bord\/logos\/[0-9a-f-]{36}$/);
  });

  it("ADR 044: /extranet lists each current edition with its number of contributors, not their names and logos (those are on the edition's page it links to)", async () => {
    const list = await listPublishedEditions(t.db);
    const home = await run(extranetHome.loader, makeRequest("/extranet"));
    const dashboards = (home.data as { dashboards: Record<string, unknown>[] }).dashboards;
    // The current edition of each year only (the superseded 2024 n° 1 is reached from the edition's page).
    expect(dashboards.map((d) => [d.year, d.number])).toEqual([[2024, 2]]);
    expect(dashboards[0]).toEqual({
      id: list[0]!.id,
      year: 2024,
      number: 2,
      publishedAt: list[0]!.publishedAt,
      transmittedOn: list[0]!.transmittedOn,
      url: "/extranet/tableau-de-bord/2024",
      pdfUrl: "/extranet/tableau-de-bord/2024/2/rapport-public.pdf",
      xlsxUrl: list[0]!.xlsxUrl,
      contributorCount: list[0]!.contributors.length,
    });
    // Nothing the page does not render is serialised for the browser: no contributor list, no logo address.
    expect(JSON.stringify(home.data)).not.toContain("/extranet/tableau-de-bord/logos/");
    // The card's link to the contributors lands on the edition page's section that names each of them with its logo.
    const page = await run(extranetRoute.loader, makeRequest("/extranet/tableau-de-bord/2024"), { year: "2024" });
    const html = await page.response!.text();
    expect(html).toContain('id="contributeurs"');
    const logos = list[0]!.contributors.filter((c) => c.logoUrl).map((c) => c.logoUrl!.split("/").pop()!);
    expect(logos.length).toBeGreaterThan(20);
    for (const logo of logos) expect(html).toContain(logo);
  });
});

describe("catalogue: derived indicators and key figures", () => {
  it("a derived indicator needs known numerator and denominator; changes are audited", async () => {
    await expectDomainError(
      createDerivedIndicator(t.db, system(audit), { code: "TX_X", domain: "MNA", label: "Taux", definition: null, numerator: "NOPE", denominator: "POP_0_17", multiplier: 1000, unit: "‰", decimals: 1 }),
      "validation",
      /NOPE/,
    );
    await createDerivedIndicator(t.db, system(audit), { code: "TX_MNA", domain: "MNA", label: "MNA pour 1 000 mineurs", definition: null, numerator: "MNA_STOCK", denominator: "POP_0_17", multiplier: 1000, unit: "pour 1 000 mineurs", decimals: 2 });
    await expectDomainError(setKeyFigures(t.db, system(audit), { codes: ["TX_MNA", "INCONNU"] }), "validation", /INCONNU/);
    await setKeyFigures(t.db, system(audit), { codes: ["TX_MNA", "CONFIES"] });
    const edition = await assembleFromDb(t.db, 2024);
    expect(edition.keyFigures.map((k) => k.code)).toEqual(["TX_MNA", "CONFIES"]);
    await deleteDerivedIndicator(t.db, system(audit), "TX_MNA");
    expect((await assembleFromDb(t.db, 2024)).keyFigures.map((k) => k.code)).toEqual(["CONFIES"]);
    const actions = (await t.db.selectFrom("audit_event").select("action").where("action", "like", "dashboard.derived%").execute()).map((a) => a.action);
    // Only this one (the demo's rates come from conventions/rates.json, ADR 019), created then deleted.
    expect(actions.filter((a) => a === "dashboard.derived_indicator_created")).toHaveLength(1);
    expect(actions.filter((a) => a === "dashboard.derived_indicator_deleted")).toHaveLength(1);
  });
});

describe("pages and access (readers see published reports only, never raw submissions)", () => {
  it("a reader (elected official) reads the public edition; members read the internal one", async () => {
    const { cookie } = await userCookie("reader");
    const page = await run(reportRoute.loader, makeRequest("/dashboard/2024", { cookie }), { year: "2024" });
    expect(page.status).toBe(200);
    expect(page.response!.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    const html = await page.response!.text();
    expect(html).toContain("Tableau de bord annuel de la protection de l&#x27;enfance 2024");
    expect(html).toContain("édition publique");
    expect(html).toContain("<strong aria-current=\"page\">n° 2");
    expect(html).not.toContain("Mineurs victimes de violences intrafamiliales");
    expect(html).not.toContain("Voir l&#x27;édition interne");
    // An unchanged report is not sent twice.
    const etag = page.response!.headers.get("ETag")!;
    const again = await run(reportRoute.loader, new Request("http://localhost/dashboard/2024", { headers: { Cookie: cookie, "If-None-Match": etag } }), { year: "2024" });
    expect(again.status).toBe(304);
    const member = await userCookie("committee_member", "PREF42");
    const internal = await (await run(reportRoute.loader, makeRequest("/dashboard/2024", { cookie: member.cookie }), { year: "2024" })).response!.text();
    expect(internal).toContain("édition interne");
    expect(internal).toContain("Mineurs victimes de violences intrafamiliales");
    const older = await (await run(reportRoute.loader, makeRequest("/dashboard/2024?edition=1", { cookie }), { year: "2024" })).response!.text();
    expect(older).toContain("Cette édition a été remplacée le");
    expect((await run(reportRoute.loader, makeRequest("/dashboard/2019", { cookie }), { year: "2019" })).status).toBe(404);
    const anonymous = await run(reportRoute.loader, makeRequest("/dashboard/2024"), { year: "2024" });
    expect(anonymous.status).toBe(302);
    const home = (await run(homeRoute.loader, makeRequest("/dashboard", { cookie }))).data as { latest: { year: number; number: number } };
    expect(home.latest).toMatchObject({ year: 2024, number: 2 });
  });

  it("Art. 5: the report's sources print organisation names, never codes", async () => {
    const { cookie } = await userCookie("reader");
    const html = await (await run(reportRoute.loader, makeRequest("/dashboard/2024", { cookie }), { year: "2024" })).response!.text();
    const cells = [...html.matchAll(/<td class="rp-sources">(.*?)<\/td>/g)].map((m) => m[1]!.replace(/&#x27;/g, "'"));
    expect(cells.length).toBeGreaterThan(0);
    const names = new Set(internal2024.contributors.map((c) => c.name));
    const codes = internal2024.contributors.map((c) => c.code);
    // Organisation names (never codes); a rate also cites its population (« Insee, estimations de population… »).
    for (const cell of cells) for (const part of cell.split(", ")) expect(codes.includes(part), `« ${part} »`).toBe(false);
    for (const cell of cells) if (!cell.startsWith("Insee")) expect(names.has(cell.split(", ")[0]!), `« ${cell} »`).toBe(true);
    expect(cells.some((c) => c.includes("Département de la Loire"))).toBe(true);
  });

  it("a reader downloads the public PDF but not the internal files, the ONPE package or the editions screen", async () => {
    const { cookie } = await userCookie("reader");
    const { row } = (await findPublishedEdition(t.db, 2024))!;
    const pdf = await run(filesRoute.loader, makeRequest(`/dashboard/editions/${row.id}/fichiers/rapport-public.pdf`, { cookie }), { id: row.id, file: "rapport-public.pdf" });
    expect(pdf.status).toBe(200);
    expect(pdf.response!.headers.get("Content-Type")).toBe("application/pdf");
    expect(Buffer.from(await pdf.response!.arrayBuffer()).subarray(0, 5).toString()).toBe("%PDF-");
    for (const file of ["rapport-interne.pdf", "donnees-interne.xlsx", "paquet-onpe.zip"]) {
      expect((await run(filesRoute.loader, makeRequest(`/dashboard/editions/${row.id}/fichiers/${file}`, { cookie }), { id: row.id, file })).status).toBe(403);
    }
    expect((await run(editionsRoute.loader, makeRequest("/dashboard/editions", { cookie }))).status).toBe(403);
  });

  it("a draft's files are the referent's only", async () => {
    const draft = await createEdition(t.db, referent, { year: 2023, correctionNote: null });
    const reader = await userCookie("reader");
    expect((await run(filesRoute.loader, makeRequest(`/dashboard/editions/${draft}/fichiers/rapport-public.pdf`, { cookie: reader.cookie }), { id: draft, file: "rapport-public.pdf" })).status).toBe(404);
    const ref = await userCookie("odpe_referent", "ODPE42");
    const preview = await run(filesRoute.loader, makeRequest(`/dashboard/editions/${draft}/fichiers/donnees-public.xlsx`, { cookie: ref.cookie }), { id: draft, file: "donnees-public.xlsx" });
    expect(preview.status).toBe(200);
    expect(preview.response!.headers.get("Cache-Control")).toBe("private, no-store");
  });

  it("the extranet shows the public edition without login, its public files and contributors' logos, nothing else", async () => {
    const page = await run(extranetRoute.loader, makeRequest("/extranet/tableau-de-bord/2024"), { year: "2024" });
    const html = await page.response!.text();
    expect(html).toContain("édition publique");
    expect(html).toContain("/extranet/tableau-de-bord/logos/");
    expect(html).toContain("/extranet/tableau-de-bord/2024/2/rapport-public.pdf");
    expect(page.response!.headers.get("Cache-Control")).toBe("public, max-age=300, stale-while-revalidate=86400");
    expect((await run(extranetRoute.loader, makeRequest("/extranet/tableau-de-bord/2019"), { year: "2019" })).status).toBe(404);
    const file = await run(extranetFiles.loader, makeRequest("/extranet/tableau-de-bord/2024/1/rapport-public.pdf"), { year: "2024", number: "1", file: "rapport-public.pdf" });
    expect(file.status).toBe(200);
    expect((await run(extranetFiles.loader, makeRequest("/x"), { year: "2024", number: "1", file: "rapport-interne.pdf" })).status).toBe(404);
    expect((await run(extranetFiles.loader, makeRequest("/x"), { year: "2024", number: "1", file: "paquet-onpe.zip" })).status).toBe(404);
    const logo = (await listPublishedEditions(t.db))[0]!.contributors[0]!.logoUrl!.split("/").pop()!;
    expect((await run(extranetLogos.loader, makeRequest("/x"), { fileId: logo })).status).toBe(200);
    // A stored file that is not a contributor's logo (a submitted workbook) is never served.
    const workbook = await t.db.selectFrom("submission_version").select("file_id").limit(1).executeTakeFirstOrThrow();
    expect((await run(extranetLogos.loader, makeRequest("/x"), { fileId: workbook.file_id })).status).toBe(404);
    const { cookie } = await userCookie("reader");
    expect((await run(memberLogos.loader, makeRequest("/x", { cookie }), { fileId: workbook.file_id })).status).toBe(404);
    expect((await run(memberLogos.loader, makeRequest("/x", { cookie }), { fileId: logo })).status).toBe(200);
  });
});

describe("published pages stored as artefacts (ADR 021)", () => {
  const key = extranetReportKey(2024);
  const stored = () => t.db.selectFrom("published_artefact").selectAll().where("key", "=", key).executeTakeFirst();

  it("Art. 5: the public report is rendered once and stored with its gzip and brotli variants under a strong ETag (sha256 of its bytes)", async () => {
    await t.db.transaction().execute((trx) => invalidateReportArtefacts(trx, 2024));
    const first = await run(extranetRoute.loader, makeRequest("/extranet/tableau-de-bord/2024"), { year: "2024" });
    const html = Buffer.from(await first.response!.arrayBuffer());
    const row = (await stored())!;
    expect(Buffer.compare(row.body, html)).toBe(0);
    expect(row.etag).toBe(`"${createHash("sha256").update(html).digest("base64url")}"`);
    expect(first.response!.headers.get("ETag")).toBe(row.etag);
    expect(Buffer.compare(gunzipSync(row.body_gzip), html)).toBe(0);
    expect(Buffer.compare(brotliDecompressSync(row.body_br), html)).toBe(0);
    expect(row.body_br.length).toBeLessThan(html.length / 3);
    expect(first.response!.headers.get("Vary")).toBe("Accept-Encoding");
    // The same request again: the stored bytes, not a new render.
    await t.db.updateTable("published_artefact").set({ created_at: new Date("2000-01-01T00:00:00Z") }).where("key", "=", key).execute();
    const second = await run(extranetRoute.loader, new Request("http://localhost/extranet/tableau-de-bord/2024", { headers: { "Accept-Encoding": "gzip, br" } }), { year: "2024" });
    expect(second.response!.headers.get("Content-Encoding")).toBe("br");
    expect(Buffer.compare(brotliDecompressSync(Buffer.from(await second.response!.arrayBuffer())), html)).toBe(0);
    expect((await stored())!.created_at.toISOString()).toBe("2000-01-01T00:00:00.000Z");
  });

  it("the HTTP fast path answers from the stored bytes before Remix: 304 on If-None-Match, brotli or gzip as accepted, public caching", async () => {
    await run(extranetRoute.loader, makeRequest("/extranet/tableau-de-bord/2024"), { year: "2024" });
    const { etag, body } = (await stored())!;
    const app = express();
    app.use(publicReportFastPath());
    app.use((_req, res) => res.status(599).end("remix"));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const gz = await fetch(`${base}/extranet/tableau-de-bord/2024`, { headers: { "Accept-Encoding": "gzip" } });
      expect(gz.status).toBe(200);
      expect(gz.headers.get("Cache-Control")).toBe("public, max-age=300, stale-while-revalidate=86400");
      expect(gz.headers.get("Vary")).toBe("Accept-Encoding");
      expect(Buffer.compare(Buffer.from(await gz.arrayBuffer()), body)).toBe(0); // fetch decodes gzip
      const notModified = await fetch(`${base}/extranet/tableau-de-bord/2024`, { headers: { "If-None-Match": etag } });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get("ETag")).toBe(etag);
      // Not stored yet (edition 1 of 2024), another year, another query: Remix answers.
      expect((await fetch(`${base}/extranet/tableau-de-bord/2024?edition=1`)).status).toBe(599);
      expect((await fetch(`${base}/extranet/tableau-de-bord/2024?vue=interne`)).status).toBe(599);
      expect((await fetch(`${base}/extranet/tableau-de-bord/2019`)).status).toBe(599);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a reader's report: the session check, then the same stored bytes for every reader; a 304 on If-None-Match", async () => {
    const a = await userCookie("reader");
    const b = await userCookie("reader", "PREF42");
    const first = await run(reportRoute.loader, makeRequest("/dashboard/2024", { cookie: a.cookie }), { year: "2024" });
    const second = await run(reportRoute.loader, makeRequest("/dashboard/2024", { cookie: b.cookie }), { year: "2024" });
    expect(second.response!.headers.get("ETag")).toBe(first.response!.headers.get("ETag"));
    expect(first.response!.headers.get("Cache-Control")).toBe("private, no-cache");
    expect(first.response!.headers.get("Vary")).toBe("Accept-Encoding, Cookie");
    const again = await run(reportRoute.loader, new Request("http://localhost/dashboard/2024", { headers: { Cookie: a.cookie, "If-None-Match": first.response!.headers.get("ETag")! } }), { year: "2024" });
    expect(again.status).toBe(304);
    expect((await run(reportRoute.loader, makeRequest("/dashboard/2024"), { year: "2024" })).status).toBe(302);
  });

  it("Art. 5: a correction deletes the year's stored pages in its transaction; the public page then shows the new edition", async () => {
    await run(extranetRoute.loader, makeRequest("/extranet/tableau-de-bord/2024"), { year: "2024" });
    const before = (await stored())!;
    expect(before.body.toString()).toContain("<strong aria-current=\"page\">n° 2");
    const id = await createEdition(t.db, referent, { year: 2024, correctionNote: "Correction des délais de placement transmis par le Département." });
    await transitionEdition(t.db, referent, id, "validate");
    const { cookie } = await userCookie("odpe_referent", "ODPE42");
    const published = await run(
      editionRoute.action as Loader,
      makeRequest(`/dashboard/editions/${id}?intent=publish`, { cookie, form: {} }),
      { id },
    );
    expect(published.status).toBe(200);
    // Rendered again right after the publication's commit.
    const after = (await stored())!;
    expect(after.etag).not.toBe(before.etag);
    expect(after.body.toString()).toContain("<strong aria-current=\"page\">n° 3");
    expect(await t.db.selectFrom("published_artefact").select("key").where("scope", "=", "report:2024").where("key", "<>", key).execute()).toEqual([]);
  });
});
