import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { withPgClient } from "./pg-client";
import { createApiToken } from "~/server/api/tokens.server";
import { systemActor } from "~/server/command.server";
import { apiUploadHeaders } from "./api-upload";
import { createDb, migrateToLatest } from "~/server/db.server";
import { PRODUCTION_SERVER_ENV, startProductionServer, type ProductionServer } from "../tests/support/production-server";
import { BENCH_ORG_CODE, seedReferential } from "./import-fixture";

/**
 * `npm run bench:import -- --server` (docs/benchmarks.md, « Import »): the
 * import as a partner sends it, measured in the portal's server process.
 *
 * A throw-away database on the DATABASE_URL server, migrated, the bench's
 * referential seeded and an API token created; the production build
 * (`server.mjs`, NODE_ENV=production, APP_MODE=production,
 * no V8 flag, as `npm run serve` runs it — ADR 042); then,
 * `runs` times, the floor (exceljs's stream read, in a process of its own,
 * given by the caller) and a `POST /api/v1/campaigns/{year}/uploads` of the
 * workbook's bytes with the bearer token. For each upload: the wall time of
 * the request (sent → 201 read) and the server process's RSS just before,
 * its kernel high-water mark during the upload (VmHWM, reset through
 * /proc/<pid>/clear_refs) and the highest VmRSS sampled every 5 ms; the rows
 * stored are counted in the database.
 */

export interface ServerUpload {
  run: number;
  floorMs: number;
  uploadMs: number;
  rssBefore: number;
  rssSampledPeak: number;
  hwm: number | null;
  peak: number;
  rssAfter: number;
  storedValues: number;
  status: number;
}

export interface ServerReport {
  rssIdle: number;
  uploads: ServerUpload[];
  nodeArgs: string[];
  /** The server's environment beyond this process's, as set: `npm run serve`'s (PRODUCTION_SERVER_ENV) and the options' (undefined: removed). */
  env: Record<string, string | undefined>;
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

function resetHighWater(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function serverBench(options: {
  lines: number;
  file: string;
  runs: number;
  floor: () => Promise<number>;
  log: (text: string) => void;
  nodeArgs?: string[];
  env?: Record<string, string | undefined>;
}): Promise<ServerReport> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error("--server measures a production server on PostgreSQL: set DATABASE_URL");
  // The token is created in this process (demo mode: no secrets needed), its audit event signed with the key the server will use (ADR 024).
  const auditKey = randomBytes(32).toString("hex");
  process.env.APP_MODE = "demo";
  process.env.AUDIT_HMAC_KEY = auditKey;
  const name = `odpe_bench_import_${randomBytes(4).toString("hex")}`;
  const admin = <T>(fn: (c: pg.Client) => Promise<T>) => withPgClient(adminUrl, fn);
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let server: ProductionServer | undefined;
  try {
    const handle = await createDb({ databaseUrl: url.toString(), poolMax: 2 });
    let token: string;
    let year: number;
    try {
      await migrateToLatest(handle.db);
      const ref = await seedReferential(handle.db, options.lines);
      year = ref.year;
      ({ token } = await createApiToken(handle.db, systemActor("bench:import"), { organisationId: ref.organisationId, name: "Banc d'essai import", createdBy: null }));
    } finally {
      await handle.close();
    }
    const nodeArgs = options.nodeArgs ?? [];
    server = await startProductionServer({
      env: {
        DATABASE_URL: url.toString(),
        DATA_DIR: undefined,
        APP_MODE: "production",
        SESSION_SECRET: randomBytes(32).toString("hex"),
        AUDIT_HMAC_KEY: auditKey,
        API_RATE_LIMIT_PER_MINUTE: "100000",
        ...options.env,
      },
      nodeArgs,
    });
    const pid = server.child.pid!;
    await sleep(2_000);
    const rssIdle = statusField(pid, "VmRSS") ?? 0;
    options.log(`server pid ${pid} (${nodeArgs.join(" ")}) at ${server.url}: idle RSS ${(rssIdle / 2 ** 20).toFixed(0)} MiB`);
    const bytes = fs.readFileSync(options.file);
    const uploads: ServerUpload[] = [];
    const counter = new pg.Client({ connectionString: url.toString() });
    await counter.connect();
    try {
      for (let run = 1; run <= options.runs; run++) {
        const floorMs = await options.floor();
        await sleep(1_000);
        const rssBefore = statusField(pid, "VmRSS") ?? 0;
        const canReset = resetHighWater(pid);
        let sampled = rssBefore;
        const sampler = setInterval(() => {
          const rss = statusField(pid, "VmRSS") ?? 0;
          if (rss > sampled) sampled = rss;
        }, 5);
        const started = performance.now();
        let status: number;
        let body: { id?: string; errors?: unknown } & Record<string, unknown>;
        try {
          const response = await fetch(`${server.url}/api/v1/campaigns/${year}/uploads`, {
            method: "POST",
            headers: apiUploadHeaders(token, year, BENCH_ORG_CODE),
            body: bytes,
          });
          status = response.status;
          body = (await response.json()) as typeof body;
        } finally {
          clearInterval(sampler);
        }
        const uploadMs = performance.now() - started;
        const hwm = canReset ? statusField(pid, "VmHWM") : null;
        sampled = Math.max(sampled, statusField(pid, "VmRSS") ?? 0);
        if (status !== 201 || typeof body.id !== "string") throw new Error(`upload ${run}: ${status} ${JSON.stringify(body).slice(0, 500)}\n${server.output().slice(-2000)}`);
        const counted = await counter.query<{ n: string }>("select count(*) as n from submission_value where version_id = $1", [body.id]);
        const storedValues = Number(counted.rows[0]!.n);
        if (storedValues !== options.lines) throw new Error(`upload ${run}: ${storedValues} values stored, ${options.lines} expected`);
        await sleep(1_000);
        const rssAfter = statusField(pid, "VmRSS") ?? 0;
        const upload: ServerUpload = { run, floorMs, uploadMs, rssBefore, rssSampledPeak: sampled, hwm, peak: Math.max(sampled, hwm ?? 0), rssAfter, storedValues, status };
        uploads.push(upload);
        const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
        options.log(
          `run ${run}: floor ${(floorMs / 1000).toFixed(2)} s, upload ${(uploadMs / 1000).toFixed(2)} s (${(uploadMs / floorMs).toFixed(1)}×); ` +
            `server RSS ${mib(rssBefore)} → peak ${mib(upload.peak)} (VmHWM ${hwm === null ? "n/a" : mib(hwm)}, sampled ${mib(sampled)}), ${mib(rssAfter)} 1 s after; ${storedValues} values stored`,
        );
      }
    } finally {
      await counter.end();
    }
    return { rssIdle, uploads, nodeArgs, env: { ...PRODUCTION_SERVER_ENV, ...options.env } };
  } finally {
    await server?.stop();
    await admin((c) => c.query(`drop database if exists ${name} with (force)`));
  }
}
