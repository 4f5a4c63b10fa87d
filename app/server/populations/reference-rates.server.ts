import type { Db, Executor } from "../db.server";
import { recordAudit } from "../audit/audit.server";
import { run, type Actor } from "../command.server";
import { DomainError } from "../errors.server";
import type { ReferenceRate } from "~/domain/rates";

/**
 * Reference rates of France and the region (ADR 019):
 * published figures (DREES, ONPE…) imported with their source, shown beside
 * the département's rate. The file: CSV (UTF-8, « ; », decimal comma) with
 * the header `taux;territoire;libelle;annee;valeur;source`; `territoire` is
 * « FR » for France or a region code (« 84 »). Every import is kept; the
 * latest import of a rate, territory and year is the one shown.
 */

const HEADER = ["taux", "territoire", "libelle", "annee", "valeur", "source"] as const;

interface ParsedReferenceRate {
  rateCode: string;
  geoLevel: "region" | "france";
  geoCode: string;
  geoLabel: string;
  year: number;
  value: number;
  source: string;
}

const fail = (message: string): never => {
  throw new DomainError("validation", message);
};

function parseReferenceCsv(text: string, knownRates: Set<string>): ParsedReferenceRate[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const header = (lines[0] ?? "").split(";").map((h) => h.trim().toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""));
  if (HEADER.some((h, i) => header[i] !== h)) {
    fail(`Ligne 1 : en-tête attendu « ${HEADER.join(";")} » (séparateur « ; »), trouvé « ${lines[0] ?? ""} ».`);
  }
  const rows: ParsedReferenceRate[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const cells = line.split(";").map((c) => c.trim());
    const where = (column: number) => `Ligne ${i + 1}, colonne ${String.fromCharCode(65 + column)} (${HEADER[column]})`;
    const [rate = "", territory = "", label = "", year = "", value = "", source = ""] = cells;
    if (!knownRates.has(rate.toUpperCase())) fail(`${where(0)} : « ${rate} » n'est pas un taux du catalogue (conventions/rates.json).`);
    if (!/^(FR|\d{2,3})$/i.test(territory)) fail(`${where(1)} : « ${territory} » n'est ni « FR » (France) ni un code de région (ex. « 84 »).`);
    if (!label) fail(`${where(2)} : indiquez le nom du territoire.`);
    if (!/^\d{4}$/.test(year)) fail(`${where(3)} : « ${year} » n'est pas une année.`);
    const number = Number(value.replace(/[\s\u00a0\u202f]/g, "").replace(",", "."));
    if (!value || !Number.isFinite(number) || number < 0) fail(`${where(4)} : « ${value} » n'est pas un taux (nombre positif, virgule décimale).`);
    if (source.length < 2) fail(`${where(5)} : citez la source du taux (ex. « DREES, enquête Aide sociale 2024 »).`);
    rows.push({
      rateCode: rate.toUpperCase(),
      geoLevel: territory.toUpperCase() === "FR" ? "france" : "region",
      geoCode: territory.toUpperCase(),
      geoLabel: label,
      year: Number(year),
      value: number,
      source,
    });
  }
  if (!rows.length) fail("Le fichier ne contient aucun taux de référence (une ligne par taux, territoire et année).");
  return rows;
}

/** Imports reference rates in one transaction, audited; a refused file leaves only an audit event. */
export async function importReferenceRates(db: Db, actor: Actor, input: { bytes: Uint8Array; filename: string }) {
  try {
    const known = new Set((await db.selectFrom("rate_definition").select("code").execute()).map((r) => r.code));
    const rows = parseReferenceCsv(new TextDecoder("utf-8").decode(input.bytes), known);
    return await run(db, actor, "manage:dashboard", async (trx, command) => {
      await trx
        .insertInto("reference_rate")
        .values(
          rows.map((r) => ({
            rate_code: r.rateCode,
            geo_level: r.geoLevel,
            geo_code: r.geoCode,
            geo_label: r.geoLabel,
            reference_year: r.year,
            value: r.value,
            source: r.source,
            filename: input.filename,
            imported_by: actor.id,
          })),
        )
        .execute();
      await command.audit({
        action: "populations.reference_rates_imported",
        entityType: "reference_rate",
        summary: `Taux de référence importés : ${rows.length} valeur(s) (${[...new Set(rows.map((r) => r.geoLabel))].join(", ")}), fichier ${input.filename}.`,
        details: { filename: input.filename, rows: rows.length, rates: [...new Set(rows.map((r) => r.rateCode))] },
      });
      return { rows: rows.length };
    });
  } catch (error) {
    if (error instanceof DomainError) {
      await recordAudit(db, actor.audit, {
        action: "populations.reference_rates_refused",
        entityType: "reference_rate",
        summary: `Import de taux de référence refusé (${input.filename}) : ${error.message}`,
        details: { filename: input.filename, reason: error.message },
      });
    }
    throw error;
  }
}

/** The latest imported reference rates of the given rates and years: code → year → rows (France first). */
export async function loadReferenceRates(db: Executor, codes: readonly string[], years: readonly number[]): Promise<Map<string, ReferenceRate[]>> {
  const result = new Map<string, ReferenceRate[]>();
  if (!codes.length || !years.length) return result;
  const rows = await db
    .selectFrom("reference_rate")
    .select(["rate_code", "geo_level", "geo_code", "geo_label", "reference_year", "value", "source", "imported_at"])
    .where("rate_code", "in", [...codes])
    .where("reference_year", "in", [...years])
    .orderBy("imported_at", "desc")
    .execute();
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.rate_code}|${r.geo_level}|${r.geo_code}|${r.reference_year}`;
    if (seen.has(key)) continue; // an older import: kept as history, not shown
    seen.add(key);
    const list = result.get(r.rate_code) ?? [];
    list.push({ territory: r.geo_label, level: r.geo_level, year: r.reference_year, value: r.value, source: r.source });
    result.set(r.rate_code, list);
  }
  for (const list of result.values()) list.sort((a, b) => (a.level === b.level ? a.territory.localeCompare(b.territory, "fr") : a.level === "france" ? -1 : 1) || a.year - b.year);
  return result;
}
