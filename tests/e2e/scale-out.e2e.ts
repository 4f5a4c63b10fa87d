import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createPgCluster, type PgCluster } from "../support/pg-cluster";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { DEMO_PASSWORD, demoEmail } from "./browser";

/**
 * Scale-out (ADR 021): two instances of the production
 * build started at the same moment on one empty PostgreSQL database both come
 * up — migrations, pg-boss's schema and queues and the demo seeding run under
 * one advisory lock (app/server/startup-lock.server.ts) — and then behave as
 * one: a session opened on one is valid on the other.
 */
let cluster: PgCluster | undefined;
const servers: ProductionServer[] = [];

beforeAll(async () => {
  cluster = await createPgCluster();
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  await admin.query("create database scale_production");
  await admin.query("create database scale_demo");
  await admin.end();
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await cluster?.remove();
});

const secret = randomBytes(32).toString("hex");
/** ADR 024: production mode requires the audit chain's HMAC key. */
const auditKey = randomBytes(32).toString("hex");

function startTwo(env: Record<string, string | undefined>) {
  const common = { DATA_DIR: undefined, LOG_LEVEL: "info", SESSION_SECRET: secret, AUDIT_HMAC_KEY: auditKey, ...env };
  return Promise.all(
    [0, 1].map(async () => {
      const server = await startProductionServer({ env: common, timeoutMs: 180_000, build: false });
      servers.push(server);
      return server;
    }),
  );
}

const report = (pair: ProductionServer[]) => pair.map((s, i) => `--- instance ${i + 1} ---\n${s.output().slice(-4_000)}`).join("\n");

describe("two instances started at once on one empty PostgreSQL", () => {
  it("production mode: both start (no pg-boss « deadlock detected »), one waited for the other", async () => {
    const pair = await startTwo({ DATABASE_URL: cluster!.url("scale_production"), APP_MODE: "production" });
    for (const server of pair) {
      expect((await fetch(`${server.url}/healthz`)).status, report(pair)).toBe(200);
      expect(server.child.exitCode, report(pair)).toBeNull();
    }
    expect(report(pair)).not.toMatch(/deadlock/i);
  }, 400_000);

  it("demo mode: the observatory and demo accounts are seeded once (no unique violation); a session opened on one instance is valid on the other", async () => {
    const pair = await startTwo({ DATABASE_URL: cluster!.url("scale_demo"), APP_MODE: "demo" });
    expect(report(pair)).not.toMatch(/duplicate key|unique/i);
    const db = new pg.Client({ connectionString: cluster!.url("scale_demo") });
    await db.connect();
    try {
      const { rows } = await db.query<{ n: string; distinct_n: string }>("select count(*) as n, count(distinct email) as distinct_n from app_user");
      expect(Number(rows[0]!.n)).toBeGreaterThan(0);
      expect(rows[0]!.n).toBe(rows[0]!.distinct_n);
    } finally {
      await db.end();
    }
    const [a, b] = pair as [ProductionServer, ProductionServer];
    const login = await fetch(`${a.url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: a.url },
      body: new URLSearchParams({ email: demoEmail("referent"), password: DEMO_PASSWORD }),
    });
    const cookie = login.headers.get("set-cookie")?.split(";")[0];
    expect(cookie, `login: ${login.status}`).toBeTruthy();
    // Sessions live in the database: the other instance knows this one's session.
    const page = await fetch(`${b.url}/account`, { redirect: "manual", headers: { Cookie: cookie! } });
    expect(page.status).toBe(200);
  }, 400_000);
});
