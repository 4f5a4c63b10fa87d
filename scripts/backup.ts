// npm run backup [-- --out <file>] — a full backup (data and stored files) for either driver.
import path from "node:path";
import { parseArgs } from "node:util";
import { getEnv } from "~/server/env.server";
import { backupEmbedded, backupPostgres } from "~/server/ops/backup.server";
import { writeBackupAnchor } from "~/server/audit/anchor.server";
import { runCli } from "./cli";

const { values } = parseArgs({ options: { out: { type: "string" } } });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");

await runCli(async (handle) => {
  const env = getEnv();
  const out = path.resolve(values.out ?? `backups/odpe-${stamp}.${handle.driver === "pg" ? "dump" : "tar.gz"}`);
  // ADR 024: a signed anchor of the audit chain, in the backup and beside it.
  const { file: anchorFile } = await writeBackupAnchor(handle.db, out);
  if (handle.driver === "pg") await backupPostgres(env.DATABASE_URL!, out);
  else await backupEmbedded(handle, out);
  console.log(`Sauvegarde écrite / backup written: ${out}`);
  console.log(`Ancre du journal d'audit / audit anchor: ${anchorFile}`);
});
