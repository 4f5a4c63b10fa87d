import { getEnv } from "./env.server";
import { openRuntimeDb } from "./runtime.server";
import { DEMO_PASSWORD, type DemoLogin } from "./observatory/seed.server";
import { demoTemplateForNewFolder, seedDemo } from "./observatory/demo-template.server";
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
  // A new demo folder is copied from this build's prepared demo template, seeded first if need be (ADR 052).
  const prepared = await demoTemplateForNewFolder(env);
  const handle = await timedStep("open and migrate the database", () => openRuntimeDb({ prepared }));
  const demoLogins = env.APP_MODE === "demo" ? await seedDemo(handle.db, env, "start") : [];
  return { driver: handle.driver, appMode: env.APP_MODE, demoLogins, demoPassword: demoLogins.length ? DEMO_PASSWORD : null };
}
