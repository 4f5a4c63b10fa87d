import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { createDb, pgliteVersionOf, schemaTemplateName, type Db, type PreparedTemplate } from "../db.server";
import { getAuditKeyring, keyringFrom, setAuditKeyringForTests } from "../audit/keys.server";
import { resignCopiedChain } from "../audit/resign.server";
import { reanchorOnpePackage } from "../dashboard/package.server";
import type { Env } from "../env.server";
import { systemActor } from "../command.server";
import { loadObservatoryFiles } from "./files.server";
import { importObservatory, seedDemoUsers, type DemoLogin } from "./seed.server";
import { seedDemoReferential, seedDemoReferentialHistory } from "./demo-referential.server";
import { seedDemoDashboard } from "../dashboard/demo-data.server";
import { seedDemoPublications } from "../publications/demo.server";
import { seedDemoGovernance } from "../governance/demo.server";
import { timedStep } from "../start-timing.server";
import { logger } from "../logger.server";

/**
 * The prepared demo template (ADR 052): the demo observatory as far as it does
 * not depend on the day (observatory, users, referential history, closed
 * campaigns' values, logos, the 2022 and 2023 editions with their files, the
 * publications),
 * seeded once by `npm run build` and copied into each new demo folder, whose
 * start then re-signs the copied audit chain with the folder's own key and
 * seeds the day's part (`seedDemo(…, "start")`).
 */
export const DEMO_TEMPLATE_MARKER = "embedded-demo-template.json";

export interface DemoTemplateMarker {
  file: string;
  /** The file's sha256: another file put under its name is not loaded. */
  sha256: string;
  environment: DemoSeedingEnvironment;
}

/**
 * What the demo seeding reads besides the code: a template seeded under other
 * values is not used. The port is not in it: without PUBLIC_URL, links would
 * name localhost and the port, and the template holds none (tested).
 */
export interface DemoSeedingEnvironment {
  observatoryFiles: string;
  publicUrl: string | null;
  contactEmail: string | null;
}

function hashTree(hash: ReturnType<typeof createHash>, dir: string, base: string) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) hashTree(hash, full, base);
    else if (entry.isFile()) hash.update(`${path.relative(base, full)}\0`).update(fs.readFileSync(full)).update("\0");
  }
}

export function demoSeedingEnvironment(env: Pick<Env, "OBSERVATORY_DIR" | "PUBLIC_URL" | "OBSERVATORY_CONTACT_EMAIL">): DemoSeedingEnvironment {
  const hash = createHash("sha256");
  // The files loadObservatoryFiles reads (files.server.ts): the conventions and the partners with their logos.
  for (const sub of ["conventions", "partners"]) hashTree(hash, path.join(env.OBSERVATORY_DIR, sub), env.OBSERVATORY_DIR);
  return {
    observatoryFiles: hash.digest("hex"),
    publicUrl: env.PUBLIC_URL ?? null,
    contactEmail: env.OBSERVATORY_CONTACT_EMAIL ?? null,
  };
}

/**
 * Seeds the demo template into `dir` unless it is there, from the schema
 * template (which must be in `dir`), and returns its marker. `buildId` names
 * the code that seeds it (the server build's hash): another build, PGlite or
 * environment gives another file. The template's events and anchors are
 * signed by a key drawn here and never written: it leaves with this process.
 */
export async function writeDemoTemplate(dir: string, buildId: string, env: Env): Promise<DemoTemplateMarker> {
  const environment = demoSeedingEnvironment(env);
  const key = createHash("sha256").update(JSON.stringify({ schema: schemaTemplateName(), build: buildId, environment })).digest("hex").slice(0, 16);
  const file = path.join(dir, `pglite-${pgliteVersionOf()}-demo-${key}.tar.gz`);
  if (fs.existsSync(file)) return { file, sha256: sha256Of(file), environment };
  // One demo template at a time (~7 MB each): those of earlier builds are never used again.
  for (const old of fs.readdirSync(dir).filter((name) => /^pglite-.*-demo-[0-9a-f]{16}\.tar\.gz$/.test(name))) fs.rmSync(path.join(dir, old), { force: true });
  const schema = path.join(dir, schemaTemplateName());
  if (!fs.existsSync(schema)) throw new Error(`The demo template is seeded from the schema template, missing: ${schema}`);
  const handle = await createDb({ memoryFrom: schema });
  setAuditKeyringForTests(keyringFrom(randomBytes(32).toString("hex")));
  try {
    await seedDemo(handle.db, { APP_MODE: "demo", OBSERVATORY_DIR: env.OBSERVATORY_DIR }, "template");
    const blob = await handle.pglite!.dumpDataDir("gzip");
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(partial, file);
  } finally {
    setAuditKeyringForTests(undefined);
    await handle.close();
  }
  return { file, sha256: sha256Of(file), environment };
}

const sha256Of = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/**
 * A new folder's adoption of the copied template, in one transaction before
 * the folder is used: the chain, its anchors and the ONPE packages' copies
 * re-signed with this folder's key (audit/resign.server.ts). The append-only
 * triggers are off for this transaction only: the folder has never been
 * opened, so this is its making, not a rewrite of a trail anyone relied on.
 */
export async function adoptDemoTemplate(db: Db): Promise<void> {
  const keyring = getAuditKeyring();
  const result = await timedStep("demo template: sign the copied chain with this folder's key", () =>
    db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      // A transmission's event names the package's digest in its summary, which the re-signing does not rewrite: a demo template has none.
      if (await trx.selectFrom("onpe_transmission").select("id").limit(1).executeTakeFirst()) throw new Error("a demo template holds no ONPE transmission");
      return resignCopiedChain(trx, keyring, (anchor, previous) => reanchorOnpePackage(trx, anchor, previous));
    }),
  );
  logger.info(result, "demo folder copied from the prepared template, audit chain signed with its own key");
}

const thisDir = () => path.dirname(fileURLToPath(import.meta.url));

/** The production server bundle's folder (build/server/, with index.js and heavy-tasks.mjs) when this code runs from it: beside it, or one level up from a chunk in assets/. */
function serverBuildDir(here: string): string | undefined {
  return [here, path.join(here, "..")].find((dir) => fs.existsSync(path.join(dir, "index.js")) && fs.existsSync(path.join(dir, "heavy-tasks.mjs")));
}

/** The bundle's code, which seeds the demo: any change gives another demo template. */
function buildIdOf(buildDir: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.m?js$/.test(entry.name)) hash.update(`${path.relative(buildDir, full)}\0`).update(fs.readFileSync(full)).update("\0");
    }
  };
  walk(buildDir);
  return hash.digest("hex").slice(0, 32);
}

/**
 * The prepared demo template for a new embedded folder of this build, or
 * undefined: not in demo mode, on PostgreSQL, not a production build, no
 * marker beside the bundle (none made yet), the file gone, or seeded under
 * another environment (observatory files, public address, contact).
 */
export function preparedDemoTemplate(env: Env, here = thisDir()): PreparedTemplate | undefined {
  if (env.APP_MODE !== "demo" || env.DATABASE_URL) return undefined;
  const buildDir = serverBuildDir(here);
  const markerFile = buildDir && path.join(buildDir, DEMO_TEMPLATE_MARKER);
  if (!markerFile || !fs.existsSync(markerFile)) return undefined;
  try {
    const marker = JSON.parse(fs.readFileSync(markerFile, "utf8")) as DemoTemplateMarker;
    // Only a file of the project's template folder, as the build wrote it (no absolute path, no way out of it).
    const dir = templateDirOf(buildDir);
    const file = path.resolve(buildDir, marker.file);
    if (path.dirname(file) !== dir || !/^[0-9a-f]{64}$/.test(marker.sha256 ?? "") || !fs.existsSync(file)) return undefined;
    if (JSON.stringify(marker.environment) !== JSON.stringify(demoSeedingEnvironment(env))) {
      logger.info("demo template seeded under another environment (observatory files, PUBLIC_URL, contact): one is seeded for this one");
      return undefined;
    }
    return { file, sha256: marker.sha256, adopt: adoptDemoTemplate };
  } catch (error) {
    logger.warn({ err: error, marker: markerFile }, "demo template marker unreadable: the folder is seeded directly");
    return undefined;
  }
}

const templateDirOf = (buildDir: string) => path.join(buildDir, "..", "..", ".cache", "embedded-template");

/**
 * Seeds this build's demo template (beside the schema template, in the
 * project's .cache/embedded-template/) and writes its marker beside the
 * bundle: by `npm run build`, or by the first new demo folder of a build
 * that has none (`npm start` after a build of its own), which then copies
 * it like every later one. Undefined where `preparedDemoTemplate` would be.
 */
export async function writeBuildDemoTemplate(env: Env, here = thisDir()): Promise<PreparedTemplate | undefined> {
  const buildDir = serverBuildDir(here);
  if (!buildDir || env.APP_MODE !== "demo" || env.DATABASE_URL) return undefined;
  const marker = await writeDemoTemplate(templateDirOf(buildDir), buildIdOf(buildDir), env);
  const markerFile = path.join(buildDir, DEMO_TEMPLATE_MARKER);
  const partial = `${markerFile}.${process.pid}.partial`;
  fs.writeFileSync(partial, JSON.stringify({ ...marker, file: path.relative(buildDir, marker.file) }) + "\n");
  fs.renameSync(partial, markerFile);
  return preparedDemoTemplate(env, here);
}

/**
 * A new embedded demo folder's template: this build's, seeded now when there
 * is none yet (then kept for the next new folders). Should the seeding of the
 * template fail (a read-only .cache/), the folder is seeded directly.
 */
export async function demoTemplateForNewFolder(env: Env, here = thisDir()): Promise<PreparedTemplate | undefined> {
  if (env.APP_MODE !== "demo" || env.DATABASE_URL) return undefined;
  if (fs.existsSync(path.join(env.DATA_DIR, "pgdata", "PG_VERSION"))) return undefined;
  const ready = preparedDemoTemplate(env, here);
  if (ready) return ready;
  try {
    return await timedStep("demo template: seed it for this build", () => writeBuildDemoTemplate(env, here));
  } catch (error) {
    logger.warn({ err: error }, "the demo template could not be seeded: the folder is seeded directly");
    return undefined;
  }
}

/**
 * The demo observatory, each step skipping what the database already holds.
 * `start`: all of it (a new folder, or one made from the prepared demo
 * template, which then gets only the steps below). `template`: what the
 * prepared demo template holds (ADR 052), i.e. everything that does not depend
 * on the day it is seeded; the open campaign (dated from that day) and the
 * governance (a data request due three weeks later) are left to each
 * folder's start.
 */
export async function seedDemo(db: Db, env: Pick<Env, "APP_MODE" | "OBSERVATORY_DIR">, phase: "template" | "start"): Promise<DemoLogin[]> {
  const actor = () => systemActor("démarrage (démo)");
  const data = await timedStep("read the observatory files", async () => loadObservatoryFiles(env.OBSERVATORY_DIR));
  const hasObservatory = await db.selectFrom("observatory").select(sql`1`.as("x")).executeTakeFirst();
  const hasCatalogue = await db.selectFrom("indicator").select(sql`1`.as("x")).limit(1).executeTakeFirst();
  if (!hasObservatory || !hasCatalogue) {
    const imported = await timedStep("demo: import the observatory", () => importObservatory(db, actor(), data, { isDemo: true }));
    logger.info(imported, "demo observatory imported");
  }
  const demoLogins = await timedStep("demo: users", () => seedDemoUsers(db, actor(), data.observatory.team.code, env.APP_MODE));
  const referential = await timedStep("demo: referential", () =>
    phase === "template" ? seedDemoReferentialHistory(db, actor(), env.APP_MODE) : seedDemoReferential(db, actor(), env.APP_MODE),
  );
  if (referential.seeded) logger.info(referential, "demo referential seeded");
  // Demo values for the closed campaigns (with lineage), logos, derived indicators, earlier editions.
  const dashboard = await timedStep("demo: dashboard values and editions", () => seedDemoDashboard(db, actor(), env.APP_MODE));
  if (dashboard.valuesSeeded || dashboard.editions.length) logger.info(dashboard, "demo dashboard data seeded");
  // Demo publications (Art. 5): one on the extranet, one awaiting a source's approval (no deadline runs from its day).
  const publications = await timedStep("demo: publications", () => seedDemoPublications(db, actor(), env.APP_MODE));
  if (publications.seeded) logger.info(publications, "demo publications seeded");
  if (phase === "template") return demoLogins;
  // Demo governance (Art. 2–3): a meeting with a decision, a proposal awaiting a signatory's agreement.
  const governance = await timedStep("demo: governance", () => seedDemoGovernance(db, actor(), env.APP_MODE));
  if (governance.seeded) logger.info(governance, "demo governance seeded");
  return demoLogins;
}
