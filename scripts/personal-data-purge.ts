// npm run personal-data:purge — runs the retention purge now (the same code as the daily job).
import { getEnv } from "~/server/env.server";
import { describePurge, purgeExpiredPersonalData, retentionSettingsFrom } from "~/server/personal-data/retention.server";
import { runCli } from "./cli";

await runCli(async (handle) => {
  const result = await purgeExpiredPersonalData(handle.db, retentionSettingsFrom(getEnv()));
  console.log(`Purge des données personnelles / personal-data purge: ${describePurge(result)}`);
  return 0;
});
