import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import ExcelJS from "exceljs";
import pg from "pg";
import { createDb, migrateToLatest, type Db, type DbHandle } from "~/server/db.server";
import type { CollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate, SHEET_PROTECTION_PASSWORD } from "~/server/collection/template.server";
import { COLUMNS, COVER_SHEET, DATA_SHEET, FIRST_DATA_ROW, HEADER_ROW, META_SHEET, TEMPLATE_VERSION, type MetaKey } from "~/domain/template-layout";

/**
 * The synthetic referential and workbook of the import benchmark.
 *
 * One organisation, one agreement, one open campaign; `lines / 25`
 * indicators, each broken down by sex (2 items) × age band (12 items):
 * 1 total + 24 cells = 25 lines per indicator, every cell filled and the
 * cells summing to the total, so a correct run stores 0 errors.
 *
 * Every identifier that ends up in the workbook (organisation code,
 * indicator codes, indicator version ids → plan hash, campaign id) is
 * deterministic: the generator process and the measuring processes each
 * build their own database, and the file one wrote is the template the
 * others expect.
 */

export const BENCH_YEAR = 2025;
export const BENCH_ORG_CODE = "BENCH";
export const LINES_PER_INDICATOR = 25;
const SEX = { code: "BENCH_SEXE", items: ["F", "M"] };
const AGE = { code: "BENCH_AGE", items: Array.from({ length: 12 }, (_, i) => `A${String(i).padStart(2, "0")}`) };
const TEMPLATE_CONTEXT = { observatoryName: "ODPE banc d'essai", contactEmail: "odpe@example.org", generatedAt: new Date("2026-01-02T00:00:00Z") };

/** A stable UUID derived from a name (same name → same id in every process). */
export function uuidFrom(name: string): string {
  const h = createHash("sha256").update(`odpe-bench:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function indicatorCount(lines: number): number {
  if (!Number.isInteger(lines) || lines <= 0 || lines % LINES_PER_INDICATOR !== 0) {
    throw new Error(`The number of lines must be a positive multiple of ${LINES_PER_INDICATOR} (got ${lines}).`);
  }
  return lines / LINES_PER_INDICATOR;
}

// ---------------------------------------------------------------------------
// Database

export interface BenchDb extends DbHandle {
  /** "pglite" (embedded, in memory) or "pg" (DATABASE_URL, in a fresh schema dropped on close). */
  label: string;
}

/** A fresh, migrated database: in-memory PGlite, or a fresh schema of DATABASE_URL (as tests/support/db.ts does). */
export async function openBenchDb(): Promise<BenchDb> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const handle = await createDb({});
    await migrateToLatest(handle.db);
    return { ...handle, label: "pglite" };
  }
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const handle = await createDb({ databaseUrl: url, schema, poolMax: 5 });
  for (let attempt = 1; ; attempt++) {
    try {
      await migrateToLatest(handle.db);
      break;
    } catch (error) {
      // Kysely's migrator lists the tables of every schema; a test run dropping its own schema meanwhile
      // makes that listing fail ("schema … does not exist", 3F000). Transient on a shared database: try again.
      if ((error as { code?: string }).code !== "3F000" || attempt >= 5) throw error;
    }
  }
  return {
    ...handle,
    label: "pg",
    close: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

export interface BenchReferential {
  organisationId: string;
  campaignId: string;
  year: number;
  indicators: number;
}

/** Inserts the referential for `lines` data lines (direct inserts, like tests/factories/campaign-setup.ts). */
export async function seedReferential(db: Db, lines: number): Promise<BenchReferential> {
  const count = indicatorCount(lines);
  const year = BENCH_YEAR;
  const organisationId = uuidFrom("organisation");
  await db
    .insertInto("organisation")
    .values({ id: organisationId, code: BENCH_ORG_CODE, name: "Organisme du banc d'essai", kind: "association", member_since: "2019-01-28" })
    .execute();
  const domain = await db.selectFrom("indicator_domain").select("code").orderBy("position").executeTakeFirst();
  const domainCode = domain?.code ?? "BENCH";
  if (!domain) await db.insertInto("indicator_domain").values({ code: domainCode, label: "Enfance en danger", position: 1 }).execute();
  for (const list of [SEX, AGE]) {
    await db.insertInto("codelist").values({ code: list.code, label: list.code }).execute();
    await db
      .insertInto("codelist_item")
      .values(list.items.map((code, position) => ({ codelist_code: list.code, code, label: `Libellé ${list.code} ${code}`, position })))
      .execute();
  }
  const agreementId = uuidFrom("agreement");
  await db.insertInto("agreement").values({ id: agreementId, organisation_id: organisationId, starts_on: "2019-01-01" }).execute();

  const BATCH = 500;
  for (let start = 0; start < count; start += BATCH) {
    const slice = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => start + i);
    const indicators = slice.map((n) => ({ id: uuidFrom(`indicator:${n}`), code: indicatorCode(n), domain_code: domainCode }));
    await db.insertInto("indicator").values(indicators).execute();
    await db
      .insertInto("indicator_version")
      .values(
        slice.map((n) => ({
          id: uuidFrom(`indicator_version:${n}`),
          indicator_id: uuidFrom(`indicator:${n}`),
          version: 1,
          valid_from_year: null,
          label: `Indicateur de banc d'essai n° ${n + 1} — mineurs concernés`,
          unit: "nombre",
          value_type: "integer" as const,
          measure: "flow" as const,
          non_negative: true,
          min_value: null,
          max_value: null,
          breakdown_sum_equals_total: true,
        })),
      )
      .execute();
    await db
      .insertInto("indicator_version_breakdown")
      .values(
        slice.flatMap((n) => [
          { indicator_version_id: uuidFrom(`indicator_version:${n}`), position: 0, codelist_code: SEX.code },
          { indicator_version_id: uuidFrom(`indicator_version:${n}`), position: 1, codelist_code: AGE.code },
        ]),
      )
      .execute();
    await db
      .insertInto("agreement_indicator")
      .values(slice.map((n) => ({ agreement_id: agreementId, indicator_id: uuidFrom(`indicator:${n}`), usage_rights: "with_approval" as const })))
      .execute();
  }
  const campaignId = uuidFrom(`campaign:${year}`);
  const deadline = `${year + 1}-12-31`;
  await db
    .insertInto("campaign")
    .values({ id: campaignId, reference_year: year, opens_on: `${year + 1}-01-01`, deadline, status: "open", opened_at: new Date() })
    .execute();
  // The expected submission's own deadline decides whether uploads are still open: far away, whatever today is.
  await db
    .insertInto("expected_submission")
    .values({ campaign_id: campaignId, organisation_id: organisationId, agreement_id: agreementId, deadline: "2099-12-31" })
    .execute();
  return { organisationId, campaignId, year, indicators: count };
}

const indicatorCode = (n: number) => `BENCH${String(n).padStart(6, "0")}`;

// ---------------------------------------------------------------------------
// Workbooks

/** The value filled in for each line: breakdown cells 1..N, totals their sum (so validation finds nothing). */
export function valuesFor(plan: CollectionPlan): Map<string, number> {
  const values = new Map<string, number>();
  const totals = new Map<string, string>();
  const sums = new Map<string, number>();
  plan.lines.forEach((line, i) => {
    if (line.breakdownKey === "") {
      totals.set(line.indicatorCode, line.key);
      sums.set(line.indicatorCode, 0);
      return;
    }
    const value = ((i * 7919) % 97) + 1;
    values.set(line.key, value);
    sums.set(line.indicatorCode, (sums.get(line.indicatorCode) ?? 0) + value);
  });
  for (const [indicator, key] of totals) values.set(key, sums.get(indicator) ?? 0);
  return values;
}

export type GeneratorStyle = "template" | "stream";

/**
 * Writes the organisation's workbook, filled, to `file`:
 * - "template": the portal's own generator (`buildTemplate`, in-memory
 *   exceljs), loaded again and filled like tests/support/workbook.ts does;
 *   memory grows with the lines (fine up to ~10k);
 * - "stream": exceljs's streaming `WorkbookWriter` reproducing the same
 *   layout (cover, data sheet A..H with the key in H, protections, input
 *   validation, very hidden metadata sheet), shared strings like Excel.
 */
export async function writeFilledWorkbook(plan: CollectionPlan, file: string, style: GeneratorStyle): Promise<void> {
  const values = valuesFor(plan);
  if (style === "template") {
    const template = await buildTemplate(plan, TEMPLATE_CONTEXT);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(template as unknown as ArrayBuffer);
    const ws = wb.getWorksheet(DATA_SHEET);
    if (!ws) throw new Error("template without data sheet");
    for (let r = FIRST_DATA_ROW; r <= ws.rowCount; r++) {
      const key = ws.getCell(`${COLUMNS.key}${r}`).value;
      if (typeof key === "string" && values.has(key)) ws.getCell(`${COLUMNS.value}${r}`).value = values.get(key)!;
    }
    await fs.promises.writeFile(file, Buffer.from(await wb.xlsx.writeBuffer()));
    return;
  }
  await writeStreamed(plan, values, file);
}

const protectionOptions = {
  selectLockedCells: true,
  selectUnlockedCells: true,
  formatColumns: true,
  formatRows: false,
  insertRows: false,
  insertColumns: false,
  deleteRows: false,
  deleteColumns: false,
  sort: false,
  autoFilter: false,
};

/** Same layout as app/server/collection/template.server.ts, written row by row. */
async function writeStreamed(plan: CollectionPlan, values: Map<string, number>, file: string): Promise<void> {
  const year = plan.campaign.year;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true, useStyles: true });
  wb.creator = TEMPLATE_CONTEXT.observatoryName;
  wb.created = TEMPLATE_CONTEXT.generatedAt;

  const cover = wb.addWorksheet(COVER_SHEET, { properties: { tabColor: { argb: "FF364FC7" } } });
  cover.columns = [{ width: 34 }, { width: 90 }];
  cover.getCell("A1").value = `Tableau annuel des indicateurs ${year}`;
  cover.getCell("A1").font = { bold: true, size: 16 };
  const coverRows: [string, string][] = [
    ["Observatoire", TEMPLATE_CONTEXT.observatoryName],
    ["Organisme", `${plan.organisation.name} (${plan.organisation.code})`],
    ["Année de référence", String(year)],
    ["Date limite de transmission", plan.campaign.deadline],
    ["Contact ODPE", TEMPLATE_CONTEXT.contactEmail],
    ["Version du modèle", TEMPLATE_VERSION],
  ];
  coverRows.forEach(([label, value], i) => {
    cover.getCell(`A${i + 3}`).value = label;
    cover.getCell(`A${i + 3}`).font = { bold: true };
    cover.getCell(`B${i + 3}`).value = value;
  });
  cover.getCell(`A${coverRows.length + 4}`).value = "Mode d'emploi";
  await cover.protect(SHEET_PROTECTION_PASSWORD, protectionOptions);
  cover.commit();

  const ws = wb.addWorksheet(DATA_SHEET, { views: [{ state: "frozen", ySplit: HEADER_ROW }] });
  ws.columns = [
    { key: "code", width: 18 },
    { key: "label", width: 60 },
    { key: "breakdown", width: 38 },
    { key: "unit", width: 16 },
    { key: "value", width: 16 },
    { key: "previous", width: 16 },
    { key: "comment", width: 40 },
    { key: "key", width: 10, hidden: true },
  ];
  ws.getCell("A1").value = `${plan.organisation.name} — indicateurs ${year}`;
  ws.getCell("A1").font = { bold: true, size: 14 };
  ws.getCell("A2").value = `À transmettre au plus tard le ${plan.campaign.deadline}. Saisissez les valeurs dans la colonne E.`;
  ws.getCell("A3").value = "Cellules blanches : à remplir. Cellules grisées : protégées.";
  const header = ws.getRow(HEADER_ROW);
  header.values = ["Code", "Indicateur", "Ventilation", "Unité", `Valeur ${year}`, `Valeur ${year - 1} (rappel)`, "Commentaire", "Clé"];
  header.font = { bold: true };
  header.eachCell((cell) => {
    cell.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFDBE4FF" } };
    cell.border = { bottom: { style: "thin" } };
  });
  const grey = { type: "pattern", pattern: "solid", fgColor: { argb: "FFF1F3F5" } } as const;
  const thin = { style: "thin" } as const;
  plan.lines.forEach((line, i) => {
    const rowNumber = FIRST_DATA_ROW + i;
    const row = ws.getRow(rowNumber);
    row.values = [line.indicatorCode, line.indicatorLabel, line.breakdownLabel, line.unit, values.get(line.key) ?? null, line.previous, null, line.key];
    if (line.breakdownKey === "") row.font = { bold: true };
    for (const col of [COLUMNS.code, COLUMNS.label, COLUMNS.breakdown, COLUMNS.unit, COLUMNS.previous]) row.getCell(col).fill = grey;
    const input = row.getCell(COLUMNS.value);
    input.protection = { locked: false };
    input.numFmt = "# ##0";
    input.border = { top: thin, bottom: thin, left: thin, right: thin };
    input.dataValidation = {
      type: "whole",
      allowBlank: true,
      operator: "greaterThanOrEqual",
      formulae: [0],
      showErrorMessage: true,
      errorStyle: "stop",
      errorTitle: "Valeur non admise",
      error: `Nombre entier supérieur ou égal à 0 attendu (${line.unit}).`,
    };
    const comment = row.getCell(COLUMNS.comment);
    comment.protection = { locked: false };
    comment.dataValidation = {
      type: "textLength",
      operator: "lessThanOrEqual",
      formulae: [1000],
      allowBlank: true,
      showErrorMessage: true,
      errorTitle: "Commentaire trop long",
      error: "1 000 caractères au plus.",
    };
    row.commit();
  });
  await ws.protect(SHEET_PROTECTION_PASSWORD, protectionOptions);
  ws.commit();

  const meta = wb.addWorksheet(META_SHEET, { state: "veryHidden" });
  const entries: Record<MetaKey, string> = {
    template_version: TEMPLATE_VERSION,
    organisation_code: plan.organisation.code,
    reference_year: String(year),
    campaign_id: plan.campaign.id,
    plan_hash: plan.hash,
    line_count: String(plan.lines.length),
    generated_at: TEMPLATE_CONTEXT.generatedAt.toISOString(),
  };
  const versions = [...new Map(plan.lines.map((l) => [l.indicatorCode, l.indicatorVersionId])).entries()];
  const metaRows = Math.max(Object.keys(entries).length, versions.length);
  const entryList = Object.entries(entries);
  for (let i = 0; i < metaRows; i++) {
    const row = meta.getRow(i + 1);
    const entry = entryList[i];
    if (entry) {
      row.getCell("A").value = entry[0];
      row.getCell("B").value = entry[1];
    }
    const version = versions[i];
    if (version) {
      row.getCell("D").value = version[0];
      row.getCell("E").value = version[1];
    }
    row.commit();
  }
  await meta.protect(SHEET_PROTECTION_PASSWORD, protectionOptions);
  meta.commit();

  wb.views = [{ x: 0, y: 0, width: 20000, height: 12000, firstSheet: 0, activeTab: 1, visibility: "visible" }];
  await wb.commit();
}
