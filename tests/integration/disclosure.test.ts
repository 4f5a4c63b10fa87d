import ExcelJS from "exceljs";
import { unzipSync, strFromU8 } from "fflate";
import GLPK, { type LP } from "glpk.js/node";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { pdfPages } from "../support/pdf";
import { makeOrganisation, makeRequest, makeUser, sessionCookie, testContext } from "../factories";
import { acceptValues, ensureCodelist, makeAgreement, makeIndicator, type TestIndicator } from "../factories/collection";
import { userActor, type UserActor } from "~/server/command.server";
import { assembleFromDb } from "~/server/dashboard/load.server";
import { toPublicEdition } from "~/domain/edition-assembly";
import { createEdition, getEdition, loadSnapshot, publishEdition, recordOnpeTransmission, saveEditionTexts, transitionEdition } from "~/server/dashboard/editions.server";
import { todayIso } from "~/domain/dates";
import { getFile } from "~/server/storage/files.server";
import { getReleasedPublication } from "~/server/publications/released.server";
import { addFrozenItem, createPublication, submitPublication, validatePublication } from "~/server/publications/publication-commands.server";
import { getExtranetPublication } from "~/server/publications/publication-queries.server";
import { getPublicationRow, loadContent } from "~/server/publications/content.server";
import { buildTable, maskTable, type ExplorerQuery } from "~/domain/explorer";
import type { DashboardEdition, Figure, IndicatorBlock } from "~/domain/dashboard";
import { FOREWORD_MIN } from "~/domain/dashboard";
import { SECRET_EXPLANATION, SECRET_LABEL } from "~/domain/secrecy";
import { loader as extranetReport } from "~/routes/extranet_.tableau-de-bord.$year";
import express from "express";
import type { AddressInfo } from "node:net";
import { publicReportFastPath } from "~/server/http/artefact-route.server";
import { staticSecurityHeaders } from "~/server/http/security.server";
import { artefactCacheFor, stopProcessArtefactCache } from "~/server/artefacts/artefact-cache.server";
import { loader as extranetFile } from "~/routes/extranet_.tableau-de-bord.$year_.$number.$file";
import { loader as diffusionsList } from "~/routes/diffusions._index";
import { loader as diffusionPage } from "~/routes/diffusions.$id";

/**
 * ADR 015, the four attacks on statistical secrecy, through the portal
 * (convention Art. 5; CASF D226-3-4: no direct or indirect identification):
 * each is refused or protected. The intruder is an independent LP (glpk.js),
 * not the engine's code. Scenarios use reference years five apart, so each
 * edition's trend window holds only its own indicator.
 */

const t = useTestDb();
type Glpk = Awaited<ReturnType<typeof GLPK>>;
let glpk: Glpk;
let referent: UserActor & { id: string };
let author: UserActor & { id: string };

/** Words and classes that would tell a primary secret from a secondary one, or lie about a secondary one. */
const FORBIDDEN = /primaire|secondaire|primary|secondary|< ?seuil|&lt; ?seuil/i;

beforeAll(async () => {
  glpk = await GLPK();
  const team = await makeOrganisation(t.db, { code: "ODPE", isTeam: true, kind: "observatory" });
  const asso = await makeOrganisation(t.db, { code: "ASSO", name: "Association d'études" });
  const r = await makeUser(t.db, "odpe_referent", team.id, { displayName: "Camille Référente" });
  const a = await makeUser(t.db, "partner_correspondent", asso.id, { displayName: "Alex Auteur" });
  referent = {
    ...userActor(
      { id: r.id, role: "odpe_referent", organisationId: team.id, displayName: "Camille Référente" },
      { actorUserId: r.id, actorLabel: "Camille Référente", organisationId: team.id, ip: "127.0.0.1", requestId: "test" },
    ),
    id: r.id,
  };
  author = {
    ...userActor(
      { id: a.id, role: "partner_correspondent", organisationId: asso.id, displayName: "Alex Auteur" },
      { actorUserId: a.id, actorLabel: "Alex Auteur", organisationId: asso.id, ip: "127.0.0.1", requestId: "test" },
    ),
    id: a.id,
  };
  await ensureCodelist(t.db, "SEXE", [
    ["F", "Fille"],
    ["M", "Garçon"],
  ]);
}, 120_000);

// ── Helpers ───────────────────────────────────────────────────────────────

async function organisationsWith(indicator: TestIndicator, year: number, values: Record<string, Record<string, number>>) {
  const ids: Record<string, string> = {};
  for (const [code, cells] of Object.entries(values)) {
    const existing = await t.db.selectFrom("organisation").select("id").where("code", "=", code).executeTakeFirst();
    const org = existing ?? (await makeOrganisation(t.db, { code, name: `Hôpital ${code}` }));
    ids[code] = org.id;
    await makeAgreement(t.db, org.id, [{ indicator, usageRights: "open" }], { startsOn: "2000-01-01", endsOn: null });
    await acceptValues(t.db, { organisationId: org.id, year, indicator, values: cells });
  }
  return ids;
}

async function publishYear(year: number, correctionNote?: string): Promise<string> {
  const id = await createEdition(t.db, referent, { year, correctionNote: correctionNote ?? null });
  await saveEditionTexts(t.db, referent, id, { foreword: "Avant-propos de l'édition de test. ".padEnd(FOREWORD_MIN + 10, "."), comments: {} });
  await transitionEdition(t.db, referent, id, "validate");
  await publishEdition(t.db, referent, id);
  return id;
}

async function publishPublication(title: string, query: ExplorerQuery): Promise<string> {
  const id = await createPublication(t.db, author, { title, audience: "extranet", body: "Résultats de l'observatoire." });
  await addFrozenItem(t.db, author, id, { query, title: "Tableau", kind: "table" });
  await submitPublication(t.db, author, id);
  await validatePublication(t.db, referent, id);
  return id;
}

const blockOf = (e: DashboardEdition, code: string): IndicatorBlock => e.sections.flatMap((s) => s.blocks).find((b) => b.code === code)!;

/**
 * The intruder: min and max of `target` over x ≥ 0, every additive relation,
 * every public value fixed (integrality relaxed), solved by glpk.js.
 */
function intruder(sums: { total: string; parts: string[] }[], publicValues: Record<string, number>, target: string) {
  const ids = new Set<string>([target, ...Object.keys(publicValues)]);
  for (const s of sums) for (const id of [s.total, ...s.parts]) ids.add(id);
  const name = new Map([...ids].map((id, i) => [id, `x${i}`]));
  const subjectTo: LP["subjectTo"] = sums.map((s, i) => ({
    name: `r${i}`,
    vars: [{ name: name.get(s.total)!, coef: 1 }, ...s.parts.map((p) => ({ name: name.get(p)!, coef: -1 }))],
    bnds: { type: glpk.GLP_FX, lb: 0, ub: 0 },
  }));
  const bounds: NonNullable<LP["bounds"]> = [...ids].map((id) =>
    id in publicValues ? { name: name.get(id)!, type: glpk.GLP_FX, lb: publicValues[id]!, ub: publicValues[id]! } : { name: name.get(id)!, type: glpk.GLP_LO, lb: 0, ub: 0 },
  );
  const solve = (direction: number) => {
    const r = glpk.solve({ name: "attack", objective: { direction, name: "z", vars: [{ name: name.get(target)!, coef: 1 }] }, subjectTo, bounds }, { msglev: glpk.GLP_MSG_OFF });
    if (r.result.status === glpk.GLP_UNBND) return Number.POSITIVE_INFINITY;
    if (r.result.status !== glpk.GLP_OPT) throw new Error(`GLPK status ${r.result.status}`);
    return r.result.z;
  };
  return { min: solve(glpk.GLP_MIN), max: solve(glpk.GLP_MAX) };
}

/** The audit criterion of ADR 015 (3a): upper bound ≥ t and width ≥ t. */
const passes = (i: { min: number; max: number }, threshold: number) => i.max >= threshold - 1e-6 && i.max - i.min >= threshold - 1e-6;

async function runLoader(fn: (args: never) => Promise<unknown>, url: string, params: Record<string, string>): Promise<Response> {
  try {
    const result = await fn({ request: new Request(url), params, context: testContext() } as never);
    return result as Response;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** Every text a workbook holds (cells, notes), one string per cell. */
async function workbookTexts(bytes: Uint8Array): Promise<string[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const texts: string[] = [];
  wb.eachSheet((ws) => {
    texts.push(ws.name);
    ws.eachRow((row) => row.eachCell((cell) => texts.push(String(cell.text ?? ""), cell.note ? JSON.stringify(cell.note) : "")));
  });
  return texts;
}

// ── (a) Flags give it away ───────────────────────────────────────────────

describe("Art. 5, D226-3-4 — one secret mark: a public output never tells primary from secondary", () => {
  it("D226-3-4 (attack a): a breakdown by sex with total 6 — both cells « s », same status everywhere, never « < seuil »; every public output scanned", async () => {
    const ind = await makeIndicator(t.db, { code: "FLAG_SEXE", label: "Signalements par sexe", breakdowns: ["SEXE"] });
    await organisationsWith(ind, 2010, { HFLAG: { "": 6, "SEXE=F": 1, "SEXE=M": 5 } });
    const id = await publishYear(2010);
    const pub = await loadSnapshot(t.db, id, "public");
    const block = blockOf(pub, "FLAG_SEXE");
    expect(block.current.value).toBe(6);
    expect(block.breakdown!.current["SEXE=F"]).toEqual({ value: null, secret: true });
    expect(block.breakdown!.current["SEXE=M"]).toEqual({ value: null, secret: true });
    expect(JSON.stringify(pub)).not.toMatch(FORBIDDEN);

    const { files } = await getEdition(t.db, id);
    const bytesOf = async (kind: string) => (await getFile(t.db, files.find((f) => f.kind === kind)!.id))!.content;
    // XLSX: the two masked cells have the same value and the same status; no word tells them apart.
    const xlsx = await bytesOf("xlsx_public");
    const texts = await workbookTexts(xlsx);
    for (const text of texts) expect(text).not.toMatch(FORBIDDEN);
    expect(texts).toContain(SECRET_EXPLANATION);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx as unknown as ArrayBuffer);
    const long = wb.worksheets.find((w) => w.name.startsWith("Données"))!;
    const rows = (long.getSheetValues().slice(2) as unknown[][]).filter((r) => r[1] === "FLAG_SEXE" && r[6] === 2010 && String(r[5]).startsWith("SEXE="));
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => [r[7], r[9]])).toEqual([
      [SECRET_LABEL, "secret statistique"],
      [SECRET_LABEL, "secret statistique"],
    ]);
    // PDF text.
    const pdf = (await pdfPages(await bytesOf("pdf_public"))).join("\n");
    expect(pdf).not.toMatch(FORBIDDEN);
    expect(pdf).toContain(SECRET_EXPLANATION);
    // ONPE package: the manifest and every file in it.
    const zip = unzipSync(new Uint8Array(await bytesOf("onpe_package")));
    for (const [name, content] of Object.entries(zip)) {
      if (name.endsWith(".json")) expect(strFromU8(content)).not.toMatch(FORBIDDEN);
      if (name.endsWith(".xlsx")) for (const text of await workbookTexts(content)) expect(text).not.toMatch(FORBIDDEN);
      if (name.endsWith(".pdf")) expect((await pdfPages(content)).join("\n")).not.toMatch(FORBIDDEN);
    }
    // Extranet HTML: markup, tooltips, classes.
    const page = await runLoader(extranetReport as never, "http://localhost/extranet/tableau-de-bord/2010", { year: "2010" });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(FORBIDDEN);
    expect(html).toContain(SECRET_EXPLANATION);
    const marks = html.match(/<span class="rp-secret"[^>]*>[^<]*<\/span>/g) ?? [];
    expect(marks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(marks).size).toBe(1);
    // A publication of the same table on the extranet: the same mark, no reason.
    const pubId = await publishPublication("Signalements par sexe 2010", { indicator: "FLAG_SEXE", from: null, to: null, organisations: [], view: "breakdown", year: 2010, rate: null });
    const extranet = await getExtranetPublication(t.db, pubId);
    const table = extranet.rendered.items[0]!.table;
    expect(JSON.stringify(extranet)).not.toMatch(FORBIDDEN);
    const girls = table.rows.find((r) => r.id === "SEXE=F")!.cells[0]!;
    const boys = table.rows.find((r) => r.id === "SEXE=M")!.cells[0]!;
    expect([girls, boys].map((c) => [c.value, c.masked])).toEqual([
      [SECRET_LABEL, true],
      [SECRET_LABEL, true],
    ]);
  }, 240_000);

  it("Art. 5: the disclosure ledger records each cell of the release (secret as null) and refuses UPDATE and DELETE", async () => {
    const edition = await t.db.selectFrom("dashboard_edition").select("id").where("reference_year", "=", 2010).executeTakeFirstOrThrow();
    const release = await t.db.selectFrom("disclosure_release").selectAll().where("subject_id", "=", edition.id).where("kind", "=", "dashboard_edition").executeTakeFirstOrThrow();
    const cells = await t.db.selectFrom("disclosure_cell").selectAll().where("release_id", "=", release.id).where("indicator_code", "=", "FLAG_SEXE").execute();
    const byKey = Object.fromEntries(cells.filter((c) => c.reference_year === 2010).map((c) => [c.breakdown_key, c]));
    expect(byKey[""]).toMatchObject({ value: 6, secret: false });
    expect(byKey["SEXE=F"]).toMatchObject({ value: null, secret: true });
    expect(byKey["SEXE=M"]).toMatchObject({ value: null, secret: true });
    expect(byKey[""]!.source_hash).toMatch(/^[0-9a-f]{32}$/);
    const event = await t.db.selectFrom("audit_event").select("summary").where("action", "=", "disclosure.release_recorded").where("entity_id", "=", release.id).executeTakeFirst();
    expect(event?.summary).toMatch(/Registre des diffusions/);
    // The ONPE package, once transmitted, is a release of its own with the same cells.
    await recordOnpeTransmission(t.db, referent, edition.id, { transmittedOn: todayIso(), note: null });
    const onpe = await t.db.selectFrom("disclosure_release").selectAll().where("subject_id", "=", edition.id).where("kind", "=", "onpe_package").executeTakeFirstOrThrow();
    expect([onpe.cell_count, onpe.secret_count]).toEqual([release.cell_count, release.secret_count]);
    // The referent reads the register: every release, then one with its cells (secret ones as « s »).
    const cookie = await sessionCookie(referent.id);
    const list = (await diffusionsList({ request: makeRequest("/diffusions", { cookie }), params: {}, context: testContext() } as never)) as { releases: { id: string; label: string }[] };
    expect(list.releases.map((r) => r.label)).toEqual(expect.arrayContaining(["Tableau de bord 2010, édition n° 1", "Paquet ONPE du tableau de bord 2010, édition n° 1"]));
    const one = (await diffusionPage({ request: makeRequest(`/diffusions/${release.id}`, { cookie }), params: { id: release.id }, context: testContext() } as never)) as {
      cells: { key: string; indicatorCode: string; breakdownKey: string; secret: boolean; value: number | null }[];
    };
    expect(one.cells.filter((c) => c.indicatorCode === "FLAG_SEXE" && c.secret).map((c) => c.breakdownKey).sort()).toEqual(["SEXE=F", "SEXE=M"]);
    await expect(t.db.updateTable("disclosure_cell").set({ value: 1 }).where("release_id", "=", release.id).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.deleteFrom("disclosure_cell").where("release_id", "=", release.id).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.deleteFrom("disclosure_release").where("id", "=", release.id).execute()).rejects.toThrow(/append-only/);
  });
});

// ── (c) Tables protected one at a time ───────────────────────────────────

describe("Art. 5, D226-3-4 — linked tables: the dashboard and a publication are protected together", () => {
  it("D226-3-4 (attack c): dashboard total of 7 hospitals, then a publication of the 6 larger ones — the small hospital's count cannot be worked back", async () => {
    const ind = await makeIndicator(t.db, { code: "SIGNAL_HOP", label: "Signalements des hôpitaux" });
    const values = { H1: 40, H2: 35, H3: 30, H4: 25, H5: 22, H6: 20, H7: 2 };
    const ids = await organisationsWith(ind, 2016, Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { "": v }])));
    const editionId = await publishYear(2016);
    const total = blockOf(await loadSnapshot(t.db, editionId, "public"), "SIGNAL_HOP").current;
    expect(total).toEqual({ value: 174 });

    const six = ["H1", "H2", "H3", "H4", "H5", "H6"].map((c) => ids[c]!).sort();
    const query: ExplorerQuery = { indicator: "SIGNAL_HOP", from: null, to: null, organisations: six, view: "series", year: null, rate: null };
    // The local rule alone, one table at a time, masks nothing: 174 − 172 gives the small hospital's 2 back.
    const pubId = await publishPublication("Signalements des six grands hôpitaux", query);
    const content = await loadContent(t.db, await getPublicationRow(t.db, pubId));
    const local = maskTable(buildTable(query, content.items[0]!.snapshot), content.items[0]!.snapshot.indicator);
    expect(local.maskedCount).toBe(0);

    // What the extranet shows, combined with the dashboard's total.
    const shown = (await getExtranetPublication(t.db, pubId)).rendered.items[0]!.table;
    // Art. 5: the élus' « Publications » space shows exactly what the ledger released, never a masking recomputed per table.
    expect((await getReleasedPublication(t.db, pubId)).rendered.items[0]!.table).toEqual(shown);
    const publicValues: Record<string, number> = { all: 174 };
    for (const row of shown.rows) {
      const cell = row.cells.find((c) => c.id.endsWith("|2016"))!;
      if (typeof cell.value === "number") publicValues[row.id === "*" ? "six" : row.id] = cell.value;
    }
    const sums = [
      { total: "all", parts: [...six, ids.H7!] },
      { total: "six", parts: six },
    ];
    const h7 = intruder(sums, publicValues, ids.H7!);
    expect(passes(h7, 5)).toBe(true);
    // And the local rule's output would not have: the intruder pins the count exactly.
    const leaked = intruder(sums, { all: 174, six: 172, ...Object.fromEntries(six.map((id, i) => [id, Object.values(values)[i]!])) }, ids.H7!);
    expect(leaked).toEqual({ min: 2, max: 2 });
  }, 240_000);
});

// ── (d) Local rule only ──────────────────────────────────────────────────

describe("Art. 5, D226-3-4 — a 3 × 3 breakdown with margins added to the catalogue", () => {
  const A = ["X", "Y", "Z"];
  const B = ["P", "Q", "R"];
  const inner = [
    [0, 10, 0],
    [1, 3, 0],
    [2, 15, 3],
  ];
  const cross = (a: string, b: string) => `L3A=${a}|L3B=${b}`;

  /** The table's relations: rows, columns and margins. */
  function relations() {
    const sums: { total: string; parts: string[] }[] = [];
    for (const a of A) sums.push({ total: `L3A=${a}`, parts: B.map((b) => cross(a, b)) });
    for (const b of B) sums.push({ total: `L3B=${b}`, parts: A.map((a) => cross(a, b)) });
    sums.push({ total: "", parts: A.map((a) => `L3A=${a}`) });
    sums.push({ total: "", parts: B.map((b) => `L3B=${b}`) });
    return sums;
  }
  const publicOf = (block: IndicatorBlock) => {
    const values: Record<string, number> = {};
    if (block.current.value !== null) values[""] = block.current.value;
    for (const [k, f] of Object.entries(block.breakdown!.current) as [string, Figure][]) if (f.value !== null) values[k] = f.value;
    return values;
  };

  it("D226-3-4 (attack d): two blocks of small cells joined by one small cell — the local 0-or-≥2 rule leaks it, the release is protected", async () => {
    await ensureCodelist(t.db, "L3A", A.map((c) => [c, `Ligne ${c}`]));
    await ensureCodelist(t.db, "L3B", B.map((c) => [c, `Colonne ${c}`]));
    const ind = await makeIndicator(t.db, { code: "CROISE_3X3", label: "Mesures croisées", breakdowns: ["L3A", "L3B"] });
    const values: Record<string, number> = { "": 34 };
    A.forEach((a, i) => B.forEach((b, j) => (values[cross(a, b)] = inner[i]![j]!)));
    await organisationsWith(ind, 2022, { H3X3: values });

    // The former rule: every line has 0 or ≥ 2 masked cells, yet Y×P = 1 comes back exactly.
    const internal = await assembleFromDb(t.db, 2022);
    const before = blockOf(toPublicEdition(internal), "CROISE_3X3");
    expect(intruder(relations(), publicOf(before), cross("Y", "P"))).toEqual({ min: 1, max: 1 });

    const id = await publishYear(2022);
    const block = blockOf(await loadSnapshot(t.db, id, "public"), "CROISE_3X3");
    const truth = blockOf(internal, "CROISE_3X3");
    const primaries = Object.entries(truth.breakdown!.current).filter(([, f]) => f.value !== null && f.value > 0 && f.value < 5);
    expect(primaries.length).toBeGreaterThanOrEqual(4);
    for (const [key] of primaries) {
      expect(block.breakdown!.current[key]).toEqual({ value: null, secret: true });
      const interval = intruder(relations(), publicOf(block), key);
      expect(passes(interval, 5), `${key}: [${interval.min}, ${interval.max}]`).toBe(true);
    }
  }, 240_000);
});

// ── (b) Editions differ ──────────────────────────────────────────────────

describe("Art. 5, D226-3-4 — a correction is protected together with the edition it supersedes", () => {
  it("D226-3-4 (attack b): edition and correction masking different pairs never combine into a secret cell; otherwise the old edition is withdrawn (410)", async () => {
    await ensureCodelist(t.db, "TRI", [
      ["A", "Première"],
      ["B", "Deuxième"],
      ["C", "Troisième"],
    ]);
    const ind = await makeIndicator(t.db, { code: "CORRIGE_ABC", label: "Mesures corrigées", breakdowns: ["TRI"] });
    const org = await organisationsWith(ind, 2028, { HCOR: { "": 31, "TRI=A": 1, "TRI=B": 10, "TRI=C": 20 } });
    const first = await publishYear(2028);
    const oldPublic = blockOf(await loadSnapshot(t.db, first, "public"), "CORRIGE_ABC");
    // The data change (B: 10 → 25); A (1, secret) and C (20) do not.
    await acceptValues(t.db, { organisationId: org.HCOR!, year: 2028, indicator: ind, values: { "": 46, "TRI=B": 25 } });
    const sums = [
      { total: "old", parts: ["A", "oldB", "C"] },
      { total: "new", parts: ["A", "newB", "C"] },
    ];
    const publicOf = (o: IndicatorBlock, n: IndicatorBlock) => {
      const values: Record<string, number> = {};
      const put = (b: IndicatorBlock, prefix: "old" | "new") => {
        if (b.current.value !== null) values[prefix] = b.current.value;
        const cur = b.breakdown!.current;
        if (cur["TRI=A"]!.value !== null) values.A = cur["TRI=A"]!.value!;
        if (cur["TRI=B"]!.value !== null) values[`${prefix}B`] = cur["TRI=B"]!.value!;
        if (cur["TRI=C"]!.value !== null) values.C = cur["TRI=C"]!.value!;
      };
      put(o, "old");
      put(n, "new");
      return values;
    };
    // Each edition masked on its own (the former rule) masks another pair: together they give A back.
    const localNew = blockOf(toPublicEdition(await assembleFromDb(t.db, 2028)), "CORRIGE_ABC");
    expect(intruder(sums, publicOf(oldPublic, localNew), "A")).toEqual({ min: 1, max: 1 });

    const second = await publishYear(2028, "Correction de la deuxième catégorie transmise par l'hôpital.");
    const newPublic = blockOf(await loadSnapshot(t.db, second, "public"), "CORRIGE_ABC");
    const withdrawn = await t.db
      .selectFrom("disclosure_withdrawal as w")
      .innerJoin("disclosure_release as r", "r.id", "w.release_id")
      .select("r.subject_id")
      .where("r.subject_id", "=", first)
      .executeTakeFirst();
    if (withdrawn) {
      const gone = await runLoader(extranetReport as never, "http://localhost/extranet/tableau-de-bord/2028?edition=1", { year: "2028" });
      expect(gone.status).toBe(410);
      expect(await gone.text()).toMatch(/retirée du site public[\s\S]*\/extranet\/tableau-de-bord\/2028/);
      const file = await runLoader(extranetFile as never, "http://localhost/x", { year: "2028", number: "1", file: "rapport-public.pdf" });
      expect(file.status).toBe(410);
      const events = await t.db.selectFrom("audit_event").select("id").where("action", "=", "disclosure.release_withdrawn").execute();
      expect(events.length).toBeGreaterThan(0);
      return;
    }
    // Both stay public: A is protected against both editions together.
    expect(passes(intruder(sums, publicOf(oldPublic, newPublic), "A"), 5)).toBe(true);
    const current = await runLoader(extranetReport as never, "http://localhost/extranet/tableau-de-bord/2028?edition=1", { year: "2028" });
    expect(current.status).toBe(200);
  }, 240_000);

  it("D226-3-4 (3b): a superseded edition whose pair with its correction cannot pass is withdrawn: 410 with a notice pointing to the current edition, audited", async () => {
    await ensureCodelist(t.db, "DUO", [
      ["U", "Un"],
      ["V", "Deux"],
    ]);
    const ind = await makeIndicator(t.db, { code: "RETRAIT_UV", label: "Mesures retirées", breakdowns: ["DUO"] });
    const org = await organisationsWith(ind, 2034, { HRET: { "": 40, "DUO=U": 2, "DUO=V": 38 } });
    const first = await publishYear(2034);
    const oldPublic = blockOf(await loadSnapshot(t.db, first, "public"), "RETRAIT_UV");
    expect(oldPublic.current.value).toBe(40);
    expect(oldPublic.breakdown!.current["DUO=U"]).toEqual({ value: null, secret: true });
    // V (38) is public elsewhere (a release recorded in the ledger): with edition 1's total it gives U.
    const release = await t.db.selectFrom("disclosure_release").select("id").where("subject_id", "=", first).executeTakeFirstOrThrow();
    const v = await t.db.selectFrom("disclosure_cell").selectAll().where("release_id", "=", release.id).where("breakdown_key", "=", "DUO=V").where("reference_year", "=", 2034).executeTakeFirstOrThrow();
    const other = await t.db
      .insertInto("disclosure_release")
      .values({ kind: "publication", subject_id: first, label: "Étude externe", released_by: null, cell_count: 1, secret_count: 0 })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto("disclosure_cell")
      .values({ ...v, id: undefined, release_id: other.id, value: 38, secret: false, organisation_ids: null, released_at: new Date() } as never)
      .execute();
    // Edition 1 served over HTTP by the fast path from the bytes held in the process (ADR 033); Remix behind it.
    const app = express();
    app.use(publicReportFastPath(staticSecurityHeaders({ secureCookies: false }, false)));
    app.use((req, res) => {
      void runLoader(extranetReport as never, `http://localhost${req.originalUrl}`, { year: req.path.split("/").pop()! }).then(async (response) => {
        res.status(response.status).set("X-Answered-By", "remix").end(Buffer.from(await response.arrayBuffer()));
      });
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    let second = "";
    const edition1 = `http://127.0.0.1:${(server.address() as AddressInfo).port}/extranet/tableau-de-bord/2034?edition=1`;
    try {
      expect((await fetch(edition1)).status).toBe(200); // rendered and stored by the route
      await expect.poll(() => artefactCacheFor(t.db)?.isListening).toBe(true);
      await fetch(edition1);
      const held = await fetch(edition1);
      expect(held.status).toBe(200);
      expect(held.headers.get("X-Answered-By")).toBeNull();
      expect(held.headers.get("X-Frame-Options")).toBe("DENY");
      expect(held.headers.get("Content-Security-Policy")).toContain("script-src 'self'");

      // The correction: U becomes 7 (no longer secret); the total 45.
      await acceptValues(t.db, { organisationId: org.HRET!, year: 2034, indicator: ind, values: { "": 45, "DUO=U": 7 } });
      second = await publishYear(2034, "Correction de la première catégorie.");
      // Withdrawn with the correction: 410 at once, not the bytes held before.
      const goneOverHttp = await fetch(edition1);
      expect(goneOverHttp.status).toBe(410);
      expect(goneOverHttp.headers.get("X-Answered-By")).toBe("remix");
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await stopProcessArtefactCache();
    }
    expect(blockOf(await loadSnapshot(t.db, second, "public"), "RETRAIT_UV").current.value).toBe(45);
    const gone = await runLoader(extranetReport as never, "http://localhost/extranet/tableau-de-bord/2034?edition=1", { year: "2034" });
    expect(gone.status).toBe(410);
    const notice = await gone.text();
    expect(notice).toMatch(/retirée du site public/);
    expect(notice).toContain('href="/extranet/tableau-de-bord/2034"');
    const file = await runLoader(extranetFile as never, "http://localhost/x", { year: "2034", number: "1", file: "rapport-public.pdf" });
    expect(file.status).toBe(410);
    expect((await runLoader(extranetReport as never, "http://localhost/extranet/tableau-de-bord/2034", { year: "2034" })).status).toBe(200);
    const event = await t.db.selectFrom("audit_event").select("summary").where("action", "=", "disclosure.release_withdrawn").where("entity_id", "=", release.id).executeTakeFirst();
    expect(event?.summary).toMatch(/Retrait du site public/);
  }, 240_000);

  it("Art. 5 (3a): a release that no masking can protect is refused in French, naming the tables; nothing enters the ledger", async () => {
    await ensureCodelist(t.db, "DUO", [
      ["U", "Un"],
      ["V", "Deux"],
    ]);
    const ind = await makeIndicator(t.db, { code: "REFUS_UV", label: "Mesures refusées", breakdowns: ["DUO"] });
    await organisationsWith(ind, 2040, { HREF: { "": 40, "DUO=U": 2, "DUO=V": 38 } });
    const first = await publishYear(2040);
    const release = await t.db.selectFrom("disclosure_release").select("id").where("subject_id", "=", first).executeTakeFirstOrThrow();
    const v = await t.db.selectFrom("disclosure_cell").selectAll().where("release_id", "=", release.id).where("breakdown_key", "=", "DUO=V").where("reference_year", "=", 2040).executeTakeFirstOrThrow();
    const other = await t.db
      .insertInto("disclosure_release")
      .values({ kind: "publication", subject_id: first, label: "Étude externe 2040", released_by: null, cell_count: 1, secret_count: 0 })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("disclosure_cell").values({ ...v, id: undefined, release_id: other.id, value: 38, secret: false, organisation_ids: null, released_at: new Date() } as never).execute();
    const before = await t.db.selectFrom("disclosure_release").select("id").execute();
    const id = await createPublication(t.db, author, { title: "Ventilation 2040", audience: "extranet", body: "Résultats." });
    await addFrozenItem(t.db, author, id, { query: { indicator: "REFUS_UV", from: null, to: null, organisations: [], view: "breakdown", year: 2040, rate: null }, title: "Ventilation U/V", kind: "table" });
    await submitPublication(t.db, author, id);
    const error = await validatePublication(t.db, referent, id).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/Mise en ligne refusée : le secret statistique ne peut pas être garanti/);
    expect(error?.message).toMatch(/Tableau de bord 2040, édition n° 1|Étude externe 2040/);
    expect(error?.message).toMatch(/Ventilation 2040 — Ventilation U\/V/);
    expect(await t.db.selectFrom("disclosure_release").select("id").execute()).toHaveLength(before.length);
    expect((await t.db.selectFrom("publication").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status).toBe("awaiting_referent");
  }, 240_000);
});
