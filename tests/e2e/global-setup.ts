import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startProductionServer, type ProductionServer } from "../support/production-server";

/**
 * Serves the production build on a free port with a fresh embedded database
 * (or E2E_DATABASE_URL), in demo mode, for the whole e2e run.
 */
let server: ProductionServer | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject) {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-e2e-"));
  server = await startProductionServer({
    env: { APP_MODE: "demo", DATA_DIR: dataDir, DATABASE_URL: undefined },
    timeoutMs: 90_000,
  });
  project.provide("baseUrl", server.url);
}

export async function teardown() {
  await server?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}
