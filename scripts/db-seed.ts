// npm run db:seed — demo observatory and demo accounts into an empty database. Refused in production mode.
import { getEnv } from "~/server/env.server";
import { bootstrap } from "~/server/bootstrap.server";
import { runCli } from "./cli";

await runCli(async () => {
  if (getEnv().APP_MODE !== "demo") {
    console.error("Les données de démonstration sont refusées en mode production. / Demo seeding is refused when APP_MODE=production.");
    return 1;
  }
  const result = await bootstrap();
  console.log(`Démonstration prête : ${result.demoLogins.length} comptes / demo ready.`);
});
