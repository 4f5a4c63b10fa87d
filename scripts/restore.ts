// npm run restore -- --from <file> [--force] — restores a backup made by `npm run backup`.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { getEnv } from "~/server/env.server";
import { restoreEmbedded, restorePostgres } from "~/server/ops/backup.server";

const { values } = parseArgs({ options: { from: { type: "string" }, force: { type: "boolean", default: false } } });

try {
  const env = getEnv();
  if (!values.from) throw new Error("Indiquez la sauvegarde : npm run restore -- --from <fichier>");
  const file = path.resolve(values.from);
  if (env.DATABASE_URL) {
    await restorePostgres(env.DATABASE_URL, file);
  } else {
    const current = path.join(env.DATA_DIR, "pgdata");
    if (fs.existsSync(path.join(env.DATA_DIR, "portal.lock"))) {
      throw new Error(`Le portail semble ouvert sur ${env.DATA_DIR} (portal.lock) : arrêtez-le avant de restaurer.`);
    }
    if (values.force && fs.existsSync(current)) {
      const aside = `${current}.avant-restauration-${Date.now()}`;
      fs.renameSync(current, aside);
      console.log(`Base actuelle déplacée / current database moved to: ${aside}`);
    }
    await restoreEmbedded(file, env.DATA_DIR);
  }
  console.log(`Restauration terminée / restore done from ${file}`);
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
