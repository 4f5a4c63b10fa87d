import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { createDb, type DbHandle } from "~/server/db.server";
import { verifyAuditChain } from "~/server/audit/audit.server";
import { keyringFrom } from "~/server/audit/keys.server";
import { createPgCluster, type PgCluster } from "../support/pg-cluster";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { fillConsistently } from "../support/workbook";
import { DEMO_PASSWORD, demoEmail } from "./browser";

/**
 * Faults against a real PostgreSQL: the production build runs on its own
 * throwaway cluster (tests/support/pg-cluster.ts), which the test crashes
 * (`pg_ctl stop -m immediate`) while uploads are in flight, then starts again.
 *
 * - while the database is down, pages answer a French 503 page naming the
 *   request id, the partner API a 503 `application/problem+json`, /healthz a
 *   503 — quickly, and the process stays up;
 * - once it is back, the same process serves again (pool reconnects, the job
 *   queue delivers), and Art. 4's rule holds: every upload is either a whole
 *   numbered version (row, bytes, values, audit event) or absent, version
 *   numbers have no gap, and the audit chain verifies.
 */
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ORG = "TJ-STE";

let cluster: PgCluster | undefined;
let server: ProductionServer | undefined;
let inspector: DbHandle | undefined;

let cookie = "";
let token = "";
let year = 0;
let workbook: Uint8Array<ArrayBuffer>;

type Attempt = { via: "api" | "web"; startedAt: number; endedAt: number; status: number; body: Record<string, unknown>; error?: string };
const attempts: Attempt[] = [];
let stopStartedAt = 0;

const base = () => server!.url;
const serverAlive = () => server!.child.exitCode === null && server!.child.signalCode === null;
const output = () => `\n--- portal output ---\n${server?.output().slice(-6_000) ?? ""}\n--- postgres log ---\n${cluster?.log() ?? ""}`;

function apiFetch(path: string, init: RequestInit = {}) {
  return fetch(`${base()}/api/v1${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
}

function pageFetch(path: string, init: RequestInit = {}) {
  return fetch(`${base()}${path}`, { redirect: "manual", ...init, headers: { Cookie: cookie, Origin: base(), ...(init.headers as Record<string, string>) } });
}

/** One upload, API (raw body, token) or web (multipart, session cookie, Origin); never throws. */
async function upload(via: "api" | "web"): Promise<Attempt> {
  const startedAt = performance.now();
  let status = 0;
  let body: Record<string, unknown> = {};
  let error: string | undefined;
  try {
    let res: Response;
    if (via === "api") {
      res = await apiFetch(`/campaigns/${year}/uploads`, { method: "POST", headers: { "Content-Type": XLSX }, body: workbook });
    } else {
      const form = new FormData();
      form.append("file", new Blob([workbook], { type: XLSX }), `ODPE_${year}_${ORG}.xlsx`);
      res = await pageFetch(`/collection/${year}/${ORG}/upload`, { method: "POST", headers: { Accept: "application/json" }, body: form });
    }
    status = res.status;
    const text = await res.text();
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text: text.slice(0, 500) };
    }
  } catch (e) {
    error = e instanceof Error ? `${e.message} ${String((e as { cause?: unknown }).cause ?? "")}` : String(e);
  }
  return { via, startedAt, endedAt: performance.now(), status, body, error };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const auditKey = randomBytes(32).toString("hex");

beforeAll(async () => {
  cluster = await createPgCluster();
  server = await startProductionServer({
    env: {
      DATABASE_URL: cluster.url(),
      APP_MODE: "demo",
      DATA_DIR: undefined,
      JOBS_SCHEMA: "pgboss",
      // ADR 024: the key the server hashes the audit chain with, so this process can verify it.
      AUDIT_HMAC_KEY: auditKey,
      // Many uploads in a few seconds: the per-token limit is not what this test is about.
      API_RATE_LIMIT_PER_MINUTE: "10000",
      LOG_LEVEL: "warn",
    },
    timeoutMs: 90_000,
    // The e2e global setup has just built the portal.
    build: false,
  });
  inspector = await createDb({ databaseUrl: cluster.url(), poolMax: 2 });
});

afterAll(async () => {
  await inspector?.close().catch(() => undefined);
  await server?.stop();
  await cluster?.remove();
});

describe("PostgreSQL outage while the portal serves (Art. 4: no upload half stored)", () => {
  it("before the fault: a correspondent logs in over HTTP, creates an API token, and uploads by API and by the web", async () => {
    const login = await fetch(`${base()}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { Origin: base() },
      body: new URLSearchParams({ email: demoEmail("correspondant.tj"), password: DEMO_PASSWORD, redirectTo: "/" }),
    });
    expect(login.status, output()).toBe(302);
    cookie = /^(odpe_session=[a-z0-9]+\.[a-z0-9]+);/.exec(login.headers.get("set-cookie") ?? "")![1]!;

    const created = await pageFetch("/api-tokens?intent=create", { method: "POST", body: new URLSearchParams({ name: "Système du greffe (panne)" }) });
    expect(created.status).toBe(200);
    token = /odpe_[A-Za-z0-9_-]{43}/.exec(await created.text())?.[0] ?? "";
    expect(token).not.toBe("");

    const campaigns = (await (await apiFetch("/campaigns")).json()) as { campaigns: { year: number; submissionOpen: boolean }[] };
    year = campaigns.campaigns.find((c) => c.submissionOpen)!.year;
    const template = await apiFetch(`/campaigns/${year}/template`);
    expect(template.status).toBe(200);
    workbook = new Uint8Array(await fillConsistently(new Uint8Array(await template.arrayBuffer())));

    const viaApi = await upload("api");
    const viaWeb = await upload("web");
    expect([viaApi.status, viaWeb.status], JSON.stringify([viaApi.body, viaWeb.body])).toEqual([201, 201]);
    expect([viaApi.body.version, viaWeb.body.number]).toEqual([1, 2]);
  });

  it("crashing PostgreSQL mid-upload: every request gets an answer (stored or 503), none a 500 or a reset, and the process stays up", async () => {
    let stopping = false;
    const client = async (via: "api" | "web") => {
      // Upload again and again until the database is gone.
      for (;;) {
        const attempt = await upload(via);
        attempts.push(attempt);
        if (attempt.status !== 201) return;
        if (stopping && attempts.filter((a) => a.startedAt > stopStartedAt).length > 20) return;
      }
    };
    const clients = [client("api"), client("api"), client("web"), client("web")];
    await new Promise((r) => setTimeout(r, 600));
    stopping = true;
    stopStartedAt = performance.now();
    await cluster!.stop("immediate");
    await Promise.all(clients);

    const summary = attempts.map((a) => `${a.via} ${a.status || a.error} ${Math.round(a.startedAt - stopStartedAt)}..${Math.round(a.endedAt - stopStartedAt)}ms`).join("\n");
    // Every answer is a stored version (201) or a clean 503; no 500, no dropped connection.
    for (const a of attempts) expect([201, 503], summary + output()).toContain(a.status);
    expect(attempts.filter((a) => a.status === 201).length, summary).toBeGreaterThan(0);
    // Requests were in flight when PostgreSQL died: begun before the stop, answered 503 after it.
    expect(attempts.filter((a) => a.status === 503 && a.startedAt < stopStartedAt).length, summary).toBeGreaterThan(0);

    const failed = attempts.filter((a) => a.status === 503);
    for (const a of failed.filter((x) => x.via === "api")) {
      expect(a.body).toMatchObject({ type: "/api/docs#unavailable", status: 503 });
    }
    for (const a of failed.filter((x) => x.via === "web")) {
      expect(a.body).toMatchObject({ ok: false, status: 503 });
      expect(String(a.body.message)).toMatch(/base de données/);
    }
    expect(serverAlive(), output()).toBe(true);
  });

  it("while PostgreSQL is down: a French 503 page with the request id, a 503 problem+json on the API, /healthz 503, answered quickly", async () => {
    const started = performance.now();
    const page = await pageFetch(`/collection/${year}/${ORG}`);
    expect(page.status, output()).toBe(503);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    const requestId = page.headers.get("x-request-id")!;
    expect(html).toContain("Service momentanément indisponible");
    expect(html).toMatch(/\(erreur (<!-- -->)?503(<!-- -->)?\)/);
    expect(html).toContain(requestId);
    expect(html).toMatch(/<html lang="fr"/);
    for (const leak of ["ECONNREFUSED", "Connection terminated", "    at ", "node_modules", "Unexpected Server Error", "127.0.0.1:"]) {
      expect(html, `the 503 page leaks « ${leak} »`).not.toContain(leak);
    }

    const anonymous = await fetch(`${base()}/login`);
    expect(anonymous.status).toBe(503);
    expect(await anonymous.text()).toContain("Le portail ne peut pas joindre sa base de données");

    const api = await apiFetch("/campaigns");
    expect(api.status).toBe(503);
    expect(api.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(api.headers.get("retry-after")).toMatch(/^\d+$/);
    const problem = (await api.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ type: "/api/docs#unavailable", status: 503, requestId: api.headers.get("x-request-id") });
    expect(String(problem.detail)).toMatch(/base de données/);
    expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);

    const apiUpload = await upload("api");
    expect([apiUpload.status, apiUpload.body.type]).toEqual([503, "/api/docs#unavailable"]);

    const health = await fetch(`${base()}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "error", database: "unreachable" });
    expect(performance.now() - started, "a refused connection must not hang the requests").toBeLessThan(15_000);

    // Let the job queue's pollers (every 2 s) meet the dead database: logged, not fatal.
    await new Promise((r) => setTimeout(r, 4_500));
    expect(serverAlive(), output()).toBe(true);
    expect(server!.output()).toMatch(/job queue error/);
    expect(server!.output()).not.toMatch(/uncaught|unhandled/i);
  });

  it("once PostgreSQL is back, the same process serves again: session kept, uploads numbered after the last, the job queue delivers", async () => {
    await cluster!.start();
    const health = await waitFor(
      "/healthz back to 200",
      async () => {
        const res = await fetch(`${base()}/healthz`);
        return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined;
      },
      15_000,
    );
    expect(health).toMatchObject({ status: "ok", database: "ok", driver: "pg" });

    const page = await pageFetch(`/collection/${year}/${ORG}`);
    expect(page.status, output()).toBe(200);

    const { rows: before } = await sql<{ max: number }>`select coalesce(max(v.number), 0)::int as max from submission_version v join submission s on s.id = v.submission_id join organisation o on o.id = s.organisation_id join campaign c on c.id = s.campaign_id where o.code = ${ORG} and c.reference_year = ${year}`.execute(inspector!.db);
    const fresh = await upload("api");
    expect(fresh.status, JSON.stringify(fresh.body) + output()).toBe(201);
    expect(fresh.body.version).toBe(before[0]!.max + 1);

    const submitted = await apiFetch(`/uploads/${String(fresh.body.id)}/submit`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ comment: "Transmis après l'incident de base de données." }),
    });
    expect(submitted.status, await submitted.clone().text()).toBe(200);

    // The submission's mail to the validator was queued in its transaction (pg-boss, same database)…
    const mail = await inspector!.db
      .selectFrom("outbox_mail")
      .select(["status", "to_addresses"])
      .where("dedupe_key", "like", `%${String(fresh.body.id)}%`)
      .executeTakeFirstOrThrow();
    expect(mail.to_addresses).toEqual([demoEmail("validateur.tj")]);
    // …and the in-process worker, whose polls failed during the outage, takes and completes jobs again.
    // (It delivers one mail per poll, after the demo's own queued mails: any job it started since the restart proves the recovery.)
    const { rows: restarted } = await sql<{ at: Date }>`select pg_postmaster_start_time() as at`.execute(inspector!.db);
    await waitFor(
      "a mail.send job started and completed after the restart",
      async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'mail.send' and state = 'completed' and started_on > ${restarted[0]!.at}`.execute(inspector!.db);
        return rows[0]!.n > 0 ? rows[0]!.n : undefined;
      },
      20_000,
    );
    expect(serverAlive(), output()).toBe(true);
  });

  it("no partial writes: each version whole (bytes, values, audit event), numbers 1…n without gap, answered uploads present, audit chain intact", async () => {
    const db = inspector!.db;
    const versions = await db
      .selectFrom("submission_version as v")
      .innerJoin("submission as s", "s.id", "v.submission_id")
      .innerJoin("organisation as o", "o.id", "s.organisation_id")
      .leftJoin("stored_file as f", "f.id", "v.file_id")
      .select([
        "v.id",
        "v.number",
        "s.version_count",
        "f.size_bytes",
        "f.sha256",
        sql<number | null>`octet_length(f.content)`.as("actual_size"),
        sql<string | null>`encode(sha256(f.content), 'hex')`.as("actual_sha256"),
        sql<number>`(select count(*)::int from submission_value sv where sv.version_id = v.id)`.as("values"),
        sql<number>`(select count(*)::int from audit_event a where a.action = 'submission.version_uploaded' and a.entity_id = v.id::text)`.as("audits"),
      ])
      .where("o.code", "=", ORG)
      .where("s.campaign_id", "in", db.selectFrom("campaign").select("id").where("reference_year", "=", year))
      .orderBy("v.number")
      .execute();

    const numbers = versions.map((v) => v.number);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(versions.every((v) => v.version_count === numbers.length)).toBe(true);
    const valuesPerVersion = versions[0]!.values;
    expect(valuesPerVersion).toBeGreaterThan(0);
    for (const v of versions) {
      expect({ number: v.number, size: v.actual_size, sha256: v.actual_sha256, values: v.values, audits: v.audits }).toEqual({
        number: v.number,
        size: v.size_bytes,
        sha256: v.sha256,
        values: valuesPerVersion,
        audits: 1,
      });
    }

    // Every upload answered 201 is there; a 503 may have committed just before the crash, never more than that.
    const stored = new Set(versions.map((v) => v.number));
    const acknowledged = attempts.filter((a) => a.status === 201).map((a) => Number(a.via === "api" ? a.body.version : a.body.number));
    for (const n of acknowledged) expect(stored.has(n), `version ${n} was acknowledged but is missing`).toBe(true);
    const answered503 = attempts.filter((a) => a.status === 503).length;
    // 2 before the fault, 1 after it, the fault's 201s, at most one per 503.
    expect(versions.length).toBeGreaterThanOrEqual(3 + acknowledged.length);
    expect(versions.length).toBeLessThanOrEqual(3 + acknowledged.length + answered503);

    // No workbook of the correspondent stored without its version (the bytes and the row commit together).
    const { rows: orphans } = await sql<{ n: number }>`select count(*)::int as n from stored_file f join app_user u on u.id = f.created_by where u.email = ${demoEmail("correspondant.tj")} and not exists (select 1 from submission_version v where v.file_id = f.id)`.execute(db);
    expect(orphans[0]!.n).toBe(0);

    const chain = await verifyAuditChain(db, { keyring: keyringFrom(auditKey) });
    expect(chain, JSON.stringify(chain)).toMatchObject({ ok: true });
    expect(chain.checked).toBeGreaterThan(versions.length);
  });
});
