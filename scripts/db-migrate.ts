// npm run db:migrate — applies pending migrations (also done at every start).
import { runCli } from "./cli";

await runCli(async (handle) => {
  console.log(`Base à jour (${handle.driver}) / database up to date.`);
});
