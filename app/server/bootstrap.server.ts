import { sql } from "kysely";
import { getEnv } from "./env.server";
import { openRuntimeDb } from "./runtime.server";
import { systemActor } from "./command.server";
import { loadObservatoryFiles } from "./observatory/files.server";
import { DEMO_PASSWORD, importObservatory, seedDemoUsers, type DemoLogin } from "./observatory/seed.server";
import { seedDemoReferential } from "./observatory/demo-referential.server";
import { seedDemoDashboard } from "./dashboard/demo-data.server";
import { seedDemoPublications } from "./publications/demo.server";
import { seedDemoGovernance } from "./governance/demo.server";
import { logger } from "./logger.server";
import { timedStep } from "./start-timing.server";

export interface BootstrapResult {
  driver: "pg" | "pglite";
  appMode: "demo" | "production";
  demoLogins: DemoLogin[];
  demoPassword: string | null;
}

/**
 * Runs at process start: open the database and migrate it; in demo mode, an
 * empty database is filled with the observatory files (organisations,
 * convention, indicator catalogue), demo accounts and the demo referential
 * (agreements, campaigns 2019–2025). A demo database created before the
 * referential existed gets it at the next start.
 */
export async function bootstrap(): Promise<BootstrapResult> {
  const env = getEnv();
  const handle = await timedStep("open and migrate the database", () => openRuntimeDb());
  let demoLogins: DemoLogin[] = [];
  if (env.APP_MODE === "demo") {
    const data = await timedStep("read the observatory files", async () => loadObservatoryFiles(env.OBSERVATORY_DIR));
    const hasObservatory = await handle.db.selectFrom("observatory").select(sql`1`.as("x")).executeTakeFirst();
    const hasCatalogue = await handle.db.selectFrom("indicator").select(sql`1`.as("x")).limit(1).executeTakeFirst();
    if (!hasObservatory || !hasCatalogue) {
      const imported = await timedStep("demo: import the observatory", () => importObservatory(handle.db, systemActor("démarrage (démo)"), data, { isDemo: true }));
      logger.info(imported, "demo observatory imported");
    }
    demoLogins = await timedStep("demo: users", () => seedDemoUsers(handle.db, systemActor("démarrage (démo)"), data.observatory.team.code, env.APP_MODE));
    const referential = await timedStep("demo: referential", () => seedDemoReferential(handle.db, systemActor("démarrage (démo)"), env.APP_MODE));
    if (referential.seeded) logger.info(referential, "demo referential seeded");
    // Demo values for the closed campaigns (with lineage), logos, derived indicators, earlier editions.
    const dashboard = await timedStep("demo: dashboard values and editions", () => seedDemoDashboard(handle.db, systemActor("démarrage (démo)"), env.APP_MODE));
    if (dashboard.valuesSeeded || dashboard.editions.length) logger.info(dashboard, "demo dashboard data seeded");
    // Demo publications (Art. 5): one on the extranet, one awaiting a source's approval.
    const publications = await timedStep("demo: publications", () => seedDemoPublications(handle.db, systemActor("démarrage (démo)"), env.APP_MODE));
    if (publications.seeded) logger.info(publications, "demo publications seeded");
    // Demo governance (Art. 2–3): a meeting with a decision, a proposal awaiting a signatory's agreement.
    const governance = await timedStep("demo: governance", () => seedDemoGovernance(handle.db, systemActor("démarrage (démo)"), env.APP_MODE));
    if (governance.seeded) logger.info(governance, "demo governance seeded");
  }
  return { driver: handle.driver, appMode: env.APP_MODE, demoLogins, demoPassword: demoLogins.length ? DEMO_PASSWORD : null };
}
