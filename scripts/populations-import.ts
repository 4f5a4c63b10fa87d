// npm run populations:import -- --file <estimations.xlsx> --vintage "estimations provisoires au 1er janvier 2025"
// npm run populations:import -- --reference-rates <taux.csv>
// Imports Insee population estimates (département, sex, single year of age) with their vintage,
// or reference rates of France and the region with their source (ADR 019).
import fs from "node:fs";
import path from "node:path";
import { systemActor } from "~/server/command.server";
import { importPopulations } from "~/server/populations/populations.server";
import { importReferenceRates } from "~/server/populations/reference-rates.server";
import { runCli } from "./cli";

const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

function read(file: string): Uint8Array | null {
  try {
    return new Uint8Array(fs.readFileSync(path.resolve(file)));
  } catch {
    console.error(`Fichier introuvable ou illisible : ${file}. / File not found: ${file}.`);
    return null;
  }
}

await runCli(async (handle) => {
  const references = flag("--reference-rates");
  if (references) {
    const bytes = read(references);
    if (!bytes) return 1;
    const result = await importReferenceRates(handle.db, systemActor("import des taux de référence en ligne de commande"), { bytes, filename: path.basename(references) });
    console.log(`Taux de référence importés : ${result.rows}. / Reference rates imported.`);
    return;
  }
  const file = flag("--file");
  const vintage = flag("--vintage");
  if (!file || !vintage) {
    console.error('Usage : npm run populations:import -- --file <fichier Insee .xlsx> --vintage "estimations provisoires au 1er janvier 2025"  |  -- --reference-rates <taux.csv>');
    return 2;
  }
  const bytes = read(file);
  if (!bytes) return 1;
  const result = await importPopulations(handle.db, systemActor("import des populations en ligne de commande"), { bytes, filename: path.basename(file), vintage });
  console.log(`Populations importées : ${result.label}, années ${result.years.join(", ")} (${result.rows} lignes : ${result.territories.join(", ")}). / Population estimates imported.`);
});
