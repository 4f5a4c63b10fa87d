import type { Db } from "../db.server";
import type { Actor } from "../command.server";
import { writeInseeWorkbook, type InseeSheet } from "./insee-layout.server";
import { importPopulations } from "./populations.server";
import { importReferenceRates } from "./reference-rates.server";

/** Deterministic pseudo-random in [0, 1) from a label (the demo's values are fictitious). */
function unit(label: string): number {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return ((h >>> 0) % 100000) / 100000;
}

const MAX_AGE = 100;

function ages(departement: string, year: number, revision: number, scale: number): { men: number[]; women: number[] } {
  const men: number[] = [];
  const women: number[] = [];
  for (let age = 0; age <= MAX_AGE; age++) {
    const base = age < 18 ? 9555 : age <= 20 ? 7566 : age < 60 ? 9300 : age < 80 ? 8200 - (age - 60) * 180 : Math.max(60, 4600 - (age - 80) * 260);
    const drift = (1 - 0.004 * (year - 2019)) * (1 + revision * (year >= 2022 ? 1 : 0));
    const noise = 1 + (unit(`${departement}|${year}|${age}`) - 0.5) * 0.03;
    const total = Math.round(base * drift * noise * scale);
    const w = Math.round(total * (age < 60 ? 0.488 : 0.55));
    men.push(total - w);
    women.push(w);
  }
  return { men, women };
}

/**
 * Demo: Insee populations of two vintages for the observatory's département
 * and France (fictitious numbers in Insee's layout, imported like a real
 * file): « estimations provisoires au 1er janvier 2024 » (2019–2024) then
 * « estimations provisoires au 1er janvier 2025 » (2019–2025, 2022 onwards
 * revised), which replaces it for rates and keeps it as history.
 */
export async function seedDemoPopulations(db: Db, actor: Actor): Promise<number> {
  if (await db.selectFrom("population_vintage").select("id").limit(1).executeTakeFirst()) return 0;
  const observatory = await db.selectFrom("observatory").select(["departement_code", "departement_name"]).executeTakeFirst();
  if (!observatory) return 0;
  let imported = 0;
  for (const [vintageYear, revision] of [
    [2024, 0],
    [2025, 0.006],
  ] as const) {
    const sheets: InseeSheet[] = [];
    for (let year = 2019; year <= vintageYear; year++) {
      sheets.push({
        year,
        maxAge: MAX_AGE,
        status: `Estimations provisoires au 1er janvier ${vintageYear} (démonstration : valeurs fictives)`,
        rows: [
          { code: "41", name: "Loir-et-Cher", ...ages("41", year, revision, 0.42) },
          { code: observatory.departement_code, name: observatory.departement_name, ...ages(observatory.departement_code, year, revision, 1) },
        ],
        france: ages("FR", year, revision, 88),
      });
    }
    await importPopulations(db, actor, {
      bytes: await writeInseeWorkbook(sheets),
      filename: `demo-estim-pop-dep-sexe-age-${vintageYear}.xlsx`,
      vintage: `estimations provisoires au 1er janvier ${vintageYear}`,
    });
    imported++;
  }
  // Reference rates of France and Auvergne-Rhône-Alpes (fictitious), imported like a real file.
  const rates = (await db.selectFrom("rate_definition").select(["code"]).execute()).map((r) => r.code);
  const levels: Record<string, number> = { TX_CONFIES: 10.4, TX_AED_MIN: 5.6, TX_AEMO: 8.9, TX_IP_MIN: 11.2, DEP_PAR_JEUNE: 575 };
  const lines = ["taux;territoire;libelle;annee;valeur;source"];
  for (const code of rates.filter((c) => c in levels)) {
    for (let year = 2019; year <= 2024; year++) {
      for (const [territory, label, factor] of [
        ["FR", "France", 1],
        ["84", "Auvergne-Rhône-Alpes", 0.93],
      ] as const) {
        const value = levels[code]! * factor * (1 + 0.015 * (year - 2019)) * (1 + (unit(`${code}|${territory}|${year}`) - 0.5) * 0.02);
        const source = code === "TX_IP_MIN" ? "ONPE, chiffres clés (démonstration : valeurs fictives)" : "DREES, enquête Aide sociale (démonstration : valeurs fictives)";
        lines.push([code, territory, label, year, (Math.round(value * 10) / 10).toString().replace(".", ","), source].join(";"));
      }
    }
  }
  if (lines.length > 1) await importReferenceRates(db, actor, { bytes: new TextEncoder().encode(lines.join("\n")), filename: "demo-taux-de-reference.csv" });
  return imported;
}
