import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import pg from "pg";
import { createDb, migrateToLatest, type Db, type DbHandle } from "~/server/db.server";
import { buildCollectionPlan, type CollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate, writeTemplateFile } from "~/server/collection/template.server";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW } from "~/domain/template-layout";

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
 * - "stream": the portal's generator through exceljs's streaming
 *   `WorkbookWriter` (`writeTemplateFile`), values written in place, shared
 *   strings like Excel; memory stays flat.
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
  await writeTemplateFile(plan, TEMPLATE_CONTEXT, file, values);
}



/** The bench's referential for `lines` lines, its organisation's plan, and that plan's filled workbook written as `dir`/`name`. */
export async function seededWorkbook(db: Db, lines: number, dir: string, name: string, style: GeneratorStyle) {
  const ref = await seedReferential(db, lines);
  const plan = await buildCollectionPlan(db, ref.year, ref.organisationId);
  const file = path.join(dir, name);
  await writeFilledWorkbook(plan, file, style);
  return { ref, plan, file, bytes: fs.readFileSync(file) };
}
