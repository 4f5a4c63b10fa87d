import type ExcelJS from "exceljs";
import { loadExcelJS } from "~/server/excel.server";
import type { Db, Executor } from "../db.server";
import { recordAudit } from "../audit/audit.server";
import { run, type Actor } from "../command.server";
import { DomainError } from "../errors.server";
import { compareVintages, parseVintage, populationCounts, vintageLabel, type Vintage, type YearPopulation } from "~/domain/rates";

/**
 * Reference populations (ADR 019): Insee population
 * estimates by territory, sex and single year of age, imported from Insee's
 * published workbook layout with their vintage. A newer vintage replaces an
 * older one for rates; the older stays in the database as history.
 *
 * The layout read (« Estimation de la population au 1er janvier », par
 * département, sexe et âge) — one sheet per reference year, named by the
 * year (« 2025 »); title lines; a header row whose first cell is
 * « Départements » (or « Régions »), carrying the sex blocks (« Hommes »,
 * « Femmes », optionally « Ensemble », ignored); below it a row of ages
 * (« 0 », « 1 », … « 100 ou plus », « Total »); then one row per territory:
 * code, name, counts. A row without code named « France » (or « France
 * entière ») is the national reference.
 */

export const INSEE_SOURCE = "Insee, estimations de population";

export type GeoLevel = "departement" | "region" | "france";

export interface ParsedEstimate {
  geoLevel: GeoLevel;
  geoCode: string;
  referenceYear: number;
  sex: "F" | "M";
  age: number;
  population: number;
}

const fail = (message: string): never => {
  throw new DomainError("validation", message);
};

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") {
    if ("richText" in value) return value.richText.map((r) => r.text).join("").trim();
    if ("result" in value) return cellText(value.result as ExcelJS.CellValue);
    if ("text" in value) return String(value.text).trim();
    if (value instanceof Date) return value.toISOString();
    return "";
  }
  return String(value).trim();
}

const columnName = (col: number) => {
  let s = "";
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
};

function parseAge(text: string): number | "total" | null {
  const t = text.toLowerCase().replace(/\s+/g, " ").trim();
  if (t === "total") return "total";
  const m = /^(\d{1,3})(?: ans?)?(?: (?:ou plus|et plus|\+)|\+)?$/.exec(t);
  if (!m) return null;
  const age = Number(m[1]);
  return age <= 120 ? age : null;
}

function sexOf(text: string): "F" | "M" | "ensemble" | null {
  const t = text.toLowerCase();
  if (/^hommes?$/.test(t)) return "M";
  if (/^femmes?$/.test(t)) return "F";
  if (/^ensemble$/.test(t)) return "ensemble";
  return null;
}

/**
 * Reads an Insee estimates workbook. Keeps the rows of `departementCode`,
 * every region row and the France row; throws a French DomainError naming
 * the sheet, row and column of the first problem.
 */
export async function parseInseeWorkbook(bytes: Uint8Array, departementCode: string): Promise<{ estimates: ParsedEstimate[]; years: number[] }> {
  const wb = new (await loadExcelJS()).Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    fail("Le fichier n'est pas un classeur Excel (.xlsx) lisible : enregistrez le fichier de l'Insee au format .xlsx et recommencez.");
  }
  const sheets = wb.worksheets.filter((ws) => /^\d{4}$/.test(ws.name.trim()));
  if (!sheets.length) {
    fail("Aucune feuille nommée par une année (ex. « 2025 ») : le fichier n'a pas la présentation des estimations de population de l'Insee (une feuille par année au 1er janvier).");
  }
  const estimates: ParsedEstimate[] = [];
  const years: number[] = [];
  for (const ws of sheets) {
    const sheet = ws.name.trim();
    const referenceYear = Number(sheet);
    let headerRow = 0;
    let level: GeoLevel = "departement";
    for (let r = 1; r <= Math.min(ws.rowCount, 20) && !headerRow; r++) {
      const first = cellText(ws.getRow(r).getCell(1).value).toLowerCase();
      if (first.startsWith("départements") || first.startsWith("departements")) headerRow = r;
      else if (first.startsWith("régions") || first.startsWith("regions")) {
        headerRow = r;
        level = "region";
      }
    }
    if (!headerRow) fail(`Feuille « ${sheet} » : ligne d'en-tête introuvable (colonne A « Départements » ou « Régions » dans les 20 premières lignes).`);
    const sexRow = ws.getRow(headerRow);
    const ageRow = ws.getRow(headerRow + 1);
    const columns: { col: number; sex: "F" | "M"; age: number }[] = [];
    const totals: { col: number; sex: "F" | "M" }[] = [];
    let currentSex: "F" | "M" | "ensemble" | null = null;
    const lastCol = Math.max(sexRow.cellCount, ageRow.cellCount);
    for (let c = 3; c <= lastCol; c++) {
      const sexText = cellText(sexRow.getCell(c).value);
      if (sexText) {
        const s = sexOf(sexText);
        if (!s) fail(`Feuille « ${sheet} », ligne ${headerRow}, colonne ${columnName(c)} : « ${sexText} » n'est pas un sexe (attendu « Hommes », « Femmes » ou « Ensemble »).`);
        currentSex = s;
      }
      const ageText = cellText(ageRow.getCell(c).value);
      if (!ageText) continue;
      if (!currentSex) fail(`Feuille « ${sheet} », ligne ${headerRow}, colonne ${columnName(c)} : le bloc de sexe (« Hommes », « Femmes ») manque au-dessus des âges.`);
      if (currentSex === "ensemble") continue;
      const age = parseAge(ageText);
      if (age === null) fail(`Feuille « ${sheet} », ligne ${headerRow + 1}, colonne ${columnName(c)} : âge « ${ageText} » illisible (attendu 0, 1, 2… « 100 ou plus », « Total »).`);
      if (age === "total") totals.push({ col: c, sex: currentSex as "F" | "M" });
      else columns.push({ col: c, sex: currentSex as "F" | "M", age: age as number });
    }
    for (const sex of ["M", "F"] as const) {
      const ages = columns.filter((col) => col.sex === sex).map((col) => col.age);
      const label = sex === "M" ? "Hommes" : "Femmes";
      if (!ages.length) fail(`Feuille « ${sheet} », ligne ${headerRow} : le bloc « ${label} » (un âge par colonne) manque.`);
      const sorted = [...ages].sort((a, b) => a - b);
      if (sorted[0] !== 0 || sorted.some((a, i) => a !== i)) {
        fail(`Feuille « ${sheet} », ligne ${headerRow + 1} : les âges du bloc « ${label} » doivent aller de 0 à l'âge le plus élevé, une colonne par année d'âge, sans trou.`);
      }
    }
    let found = false;
    for (let r = headerRow + 2; r <= ws.rowCount; r++) {
      const row = ws.getRow(r);
      const code = cellText(row.getCell(1).value);
      const name = cellText(row.getCell(2).value);
      let geoLevel: GeoLevel;
      let geoCode: string;
      if (code) {
        const normalized = level === "departement" && /^\d$/.test(code) ? `0${code}` : code.toUpperCase();
        if (level === "departement" && normalized !== departementCode.toUpperCase()) continue;
        geoLevel = level;
        geoCode = normalized;
      } else if (/^france( entière| \(hors mayotte\))?$/i.test(name) || /^france$/i.test(cellText(row.getCell(1).value))) {
        geoLevel = "france";
        geoCode = "FR";
      } else {
        continue; // notes, sources, sub-totals (« France métropolitaine »)
      }
      found = found || geoLevel === "departement";
      const where = (c: number) => `Feuille « ${sheet} », ligne ${r} (${code || name}), colonne ${columnName(c)}`;
      const sums = { F: 0, M: 0 };
      for (const col of columns) {
        const raw = row.getCell(col.col).value;
        const text = cellText(raw);
        const value = typeof raw === "number" ? raw : Number(text.replace(/[\s\u00a0\u202f]/g, ""));
        if (text === "" || !Number.isInteger(value) || value < 0) {
          fail(`${where(col.col)} (${col.sex === "M" ? "Hommes" : "Femmes"}, ${col.age} ans) : « ${text || "vide"} » n'est pas un effectif (entier positif ou nul).`);
        }
        sums[col.sex] += value;
        estimates.push({ geoLevel, geoCode, referenceYear, sex: col.sex, age: col.age, population: value });
      }
      for (const t of totals) {
        const raw = row.getCell(t.col).value;
        const total = typeof raw === "number" ? raw : Number(cellText(raw).replace(/[\s\u00a0\u202f]/g, ""));
        if (cellText(raw) !== "" && total !== sums[t.sex]) {
          fail(`${where(t.col)} (${t.sex === "M" ? "Hommes" : "Femmes"}, Total) : le total ${cellText(raw)} ne correspond pas à la somme des âges (${sums[t.sex]}).`);
        }
      }
    }
    if (level === "departement" && !found) fail(`Feuille « ${sheet} » : le département ${departementCode} de l'observatoire est absent (colonne A).`);
    years.push(referenceYear);
  }
  return { estimates, years: years.sort((a, b) => a - b) };
}

export interface PopulationImportInput {
  bytes: Uint8Array;
  filename: string;
  vintage: string;
}

/** Imports a vintage of Insee estimates in one transaction, audited; a refused file leaves only an audit event. */
export async function importPopulations(db: Db, actor: Actor, input: PopulationImportInput) {
  try {
    const vintage = parseVintage(input.vintage);
    if (!vintage) {
      fail(`Millésime « ${input.vintage} » illisible : écrivez par exemple « estimations provisoires au 1er janvier 2025 » ou « estimations définitives au 1er janvier 2022 ».`);
    }
    const v = vintage as Vintage;
    const observatory = await db.selectFrom("observatory").select(["departement_code", "departement_name"]).executeTakeFirst();
    if (!observatory) fail("L'observatoire n'est pas encore configuré : importez d'abord le référentiel (npm run observatory:import).");
    const { estimates, years } = await parseInseeWorkbook(input.bytes, observatory!.departement_code);
    const tooRecent = years.filter((y) => y > v.year);
    if (tooRecent.length) fail(`Feuille « ${tooRecent[0]} » : une estimation au 1er janvier ${tooRecent[0]} ne peut pas appartenir au millésime « ${vintageLabel(v)} ».`);
    return await run(db, actor, "manage:dashboard", async (trx, command) => {
      const existing = await trx.selectFrom("population_vintage").select("id").where("vintage_year", "=", v.year).where("status", "=", v.status).executeTakeFirst();
      if (existing) throw new DomainError("conflict", `Le millésime « ${vintageLabel(v)} » est déjà importé : il est conservé tel quel (un millésime n'est jamais réécrit).`);
      const row = await trx
        .insertInto("population_vintage")
        .values({ vintage_year: v.year, status: v.status, label: vintageLabel(v), source: INSEE_SOURCE, filename: input.filename, imported_by: actor.id })
        .returning("id")
        .executeTakeFirstOrThrow();
      for (let i = 0; i < estimates.length; i += 1000) {
        await trx
          .insertInto("population_estimate")
          .values(
            estimates.slice(i, i + 1000).map((e) => ({
              vintage_id: row.id,
              geo_level: e.geoLevel,
              geo_code: e.geoCode,
              reference_year: e.referenceYear,
              sex: e.sex,
              age: e.age,
              population: e.population,
            })),
          )
          .execute();
      }
      const territories = [...new Set(estimates.map((e) => `${e.geoLevel}:${e.geoCode}`))].sort();
      await command.audit({
        action: "populations.imported",
        entityType: "population_vintage",
        entityId: row.id,
        summary: `Populations Insee importées : ${vintageLabel(v)}, années ${years[0]} à ${years[years.length - 1]} (${input.filename}).`,
        details: { vintage: vintageLabel(v), filename: input.filename, years, territories, rows: estimates.length },
      });
      return { id: row.id, label: vintageLabel(v), years, rows: estimates.length, territories };
    });
  } catch (error) {
    if (error instanceof DomainError) {
      await recordAudit(db, actor.audit, {
        action: "populations.import_refused",
        entityType: "population_vintage",
        summary: `Import de populations Insee refusé (${input.filename}) : ${error.message}`,
        details: { filename: input.filename, vintage: input.vintage, reason: error.message },
      });
    }
    throw error;
  }
}

/** Every imported vintage, newest first (history). */
export async function listVintages(db: Executor) {
  const rows = await db.selectFrom("population_vintage").selectAll().execute();
  return rows.sort((a, b) => compareVintages({ year: a.vintage_year, status: a.status }, { year: b.vintage_year, status: b.status }));
}

/**
 * The population of a territory for each year asked, from the newest vintage
 * holding that year (older vintages stay as history). Years without any
 * vintage are absent from the map.
 */
export async function loadPopulations(db: Executor, geo: { level: GeoLevel; code: string }, years: readonly number[]): Promise<Map<number, YearPopulation>> {
  const result = new Map<number, YearPopulation>();
  if (!years.length) return result;
  const rows = await db
    .selectFrom("population_estimate as e")
    .innerJoin("population_vintage as v", "v.id", "e.vintage_id")
    .select(["e.reference_year", "e.sex", "e.age", "e.population", "v.id as vintage_id", "v.vintage_year", "v.status", "v.label"])
    .where("e.geo_level", "=", geo.level)
    .where("e.geo_code", "=", geo.code)
    .where("e.reference_year", "in", [...new Set(years)])
    .execute();
  const byYear = new Map<number, typeof rows>();
  for (const r of rows) {
    const list = byYear.get(r.reference_year);
    if (list) list.push(r);
    else byYear.set(r.reference_year, [r]);
  }
  for (const [year, list] of byYear) {
    const best = [...list].sort((a, b) => compareVintages({ year: a.vintage_year, status: a.status }, { year: b.vintage_year, status: b.status }))[0]!;
    result.set(year, { vintageLabel: best.label, counts: populationCounts(list.filter((r) => r.vintage_id === best.vintage_id)) });
  }
  return result;
}

/** The observatory's département, as the territory of its rates. */
export async function observatoryTerritory(db: Executor): Promise<{ level: GeoLevel; code: string } | null> {
  const row = await db.selectFrom("observatory").select("departement_code").executeTakeFirst();
  return row ? { level: "departement", code: row.departement_code } : null;
}
