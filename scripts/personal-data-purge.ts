// npm run personal-data:purge — runs the retention purge now (the same code as the daily job).
import { getEnv } from "~/server/env.server";
import { purgeExpiredPersonalData, retentionSettingsFrom } from "~/server/personal-data/retention.server";
import { runCli } from "./cli";

await runCli(async (handle) => {
  const result = await purgeExpiredPersonalData(handle.db, retentionSettingsFrom(getEnv()));
  console.log(
    `Purge des données personnelles : ${result.sessions} session(s), ${result.loginAttempts} tentative(s) de connexion, ${result.passwordResets} lien(s), ${result.notifications} notification(s) supprimés ; ${result.redactedMails} courriel(s) caviardé(s). / Personal-data purge done.`,
  );
  return 0;
});
