import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createPgCluster, type PgCluster } from "../support/pg-cluster";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { demoEmail, signInCookie } from "./browser";

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

let demoPair: ProductionServer[] | undefined;

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
    demoPair = pair;
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
    const cookie = await signInCookie(a.url, "referent");
    // Sessions live in the database: the other instance knows this one's session.
    const page = await fetch(`${b.url}/account`, { redirect: "manual", headers: { Cookie: cookie! } });
    expect(page.status).toBe(200);
  }, 400_000);

  it("ADR 055: the pages each instance holds follow the one database: a change committed outside the portal reaches both instances' pages once announced, a session ended on one is refused on the other", async () => {
    const [a, b] = demoPair as [ProductionServer, ProductionServer];
    const cookie = await signInCookie(a.url, "elu");
    /** Requests `/` until the instance serves it from what it holds (the first render teaches it the path, the second the key, the third is held; the job queues' own transactions may cost a few more). */
    const heldHome = async (server: ProductionServer) => {
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${server.url}/`, { headers: { Cookie: cookie } });
        const html = await res.text();
        if (res.headers.get("server-timing") === "held") return html;
      }
      throw new Error(`${server.url}: / never served from the held pages`);
    };
    for (const server of [a, b]) expect(await heldHome(server)).toContain("Bonjour");
    // A plain UPDATE, as an operator's psql would make it: no portal code, no notification of its own.
    const db = new pg.Client({ connectionString: cluster!.url("scale_demo") });
    await db.connect();
    try {
      await db.query("update app_user set display_name = 'Élue renommée' where email = $1", [demoEmail("elu")]);
    } finally {
      await db.end();
    }
    // The name is in the session row each instance holds (ADR 035), emptied when the trigger's notification arrives,
    // milliseconds after the commit: within that window a page may still show the old name, never after it.
    for (const server of [a, b]) {
      const deadline = Date.now() + 5_000;
      let html = "";
      while (!html.includes("Élue renommée") && Date.now() < deadline) {
        html = await (await fetch(`${server.url}/`, { headers: { Cookie: cookie } })).text();
      }
      expect(html, server.url).toContain("Élue renommée");
    }
    // And what each instance holds from then on is the new page, not one rendered before the notification.
    for (const server of [a, b]) expect(await heldHome(server)).toContain("Élue renommée");
    // Signed out through instance A: instance B's held page is not served to that session.
    const logout = await fetch(`${a.url}/logout`, { method: "POST", redirect: "manual", headers: { Cookie: cookie, Origin: a.url } });
    expect(logout.status).toBe(302);
    const after = await fetch(`${b.url}/`, { redirect: "manual", headers: { Cookie: cookie } });
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toMatch(/^\/login/);
  }, 60_000);
});
