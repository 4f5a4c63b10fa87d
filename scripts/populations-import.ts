// npm run populations:import -- --file <estimations.xlsx> --vintage "estimations provisoires au 1er janvier 2025"
// Imports Insee population estimates (département, sex, single year of age) with their vintage (ADR 019).
import fs from "node:fs";
import path from "node:path";
import { systemContext } from "~/server/audit/audit.server";
import { importPopulations } from "~/server/populations/populations.server";
import { runCli } from "./cli";

const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

await runCli(async (handle) => {
  const file = flag("--file");
  const vintage = flag("--vintage");
  if (!file || !vintage) {
    console.error('Usage : npm run populations:import -- --file <fichier Insee .xlsx> --vintage "estimations provisoires au 1er janvier 2025"');
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(path.resolve(file)));
  } catch {
    console.error(`Fichier introuvable ou illisible : ${file}. / File not found: ${file}.`);
    return 1;
  }
  const result = await importPopulations(handle.db, systemContext("import des populations en ligne de commande"), { bytes, filename: path.basename(file), vintage });
  console.log(`Populations importées : ${result.label}, années ${result.years.join(", ")} (${result.rows} lignes : ${result.territories.join(", ")}). / Population estimates imported.`);
});
