// npm run observatory:import [-- --dir <folder>] — loads partners/ and conventions/ into the database.
import path from "node:path";
import { getEnv } from "~/server/env.server";
import { systemActor } from "~/server/command.server";
import { loadObservatoryFiles } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { runCli } from "./cli";

const dirFlag = process.argv.indexOf("--dir");
const baseDir = dirFlag > 0 && process.argv[dirFlag + 1] ? path.resolve(process.argv[dirFlag + 1]!) : getEnv().OBSERVATORY_DIR;

await runCli(async (handle) => {
  const data = loadObservatoryFiles(baseDir);
  const result = await importObservatory(handle.db, systemActor("import en ligne de commande"), data, {
    isDemo: getEnv().APP_MODE === "demo",
  });
  console.log(`Import terminé : ${result.organisations} organismes (${result.added} nouveaux). / Import done.`);
});
