// npm run bench:dashboard — the annual dashboard at scale: 10 years × every
// organisation × the whole catalogue with breakdowns. Measures the assembly of
// an edition (target < 1 s), the server rendering of the report page, and the
// report page's requests per second under autocannon (20 connections) against
// a trivial page of the same app in the same run (target ≥ 0.5×). Appends the
// figures, with machine and date, to docs/benchmarks.md.
//
// Embedded PGlite by default; with DATABASE_URL, a throw-away database is
// created on that PostgreSQL server and dropped at the end.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { createDb, driverOf, migrateToLatest, type DbHandle } from "~/server/db.server";
import { systemContext } from "~/server/audit/audit.server";
import { systemActor, userActor } from "~/server/command.server";
import { hashPassword } from "~/server/auth/password.server";
import { loadObservatoryFiles } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { demoValues, seedDashboardCatalogue, type DemoVersion } from "~/server/dashboard/demo-data.server";
import { loadAssemblyInput } from "~/server/dashboard/load.server";
import { acceptedValueRows, ACCEPTED_VALUES_FORM } from "~/server/dashboard/accepted-values.server";
import { assembleEdition, toPublicEdition } from "~/domain/edition-assembly";
import { renderReportHtml } from "~/server/dashboard/render.server";
import { renderEditionPdf } from "~/server/dashboard/pdf.server";
import { renderEditionXlsx } from "~/server/dashboard/xlsx.server";
import { createEdition, publishEdition, saveEditionTexts, transitionEdition } from "~/server/dashboard/editions.server";
import { versionForYear } from "~/domain/indicators";
import { sha256Hex } from "~/server/storage/files.server";
import { startProductionServer, type ProductionServer } from "../tests/support/production-server";
import { login } from "./login";

// The in-process steps read the portal's settings, which default to production mode with DATABASE_URL (secrets required); a bench is not production.
process.env.APP_MODE ??= "demo";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIRST_YEAR = 2015;
const LAST_YEAR = 2024;
const PASSWORD = "Banc-d-essai-tableau-2026";
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 20;
const sys = systemContext("banc d'essai");

const perRequest = (n: number | null) => (n === null ? "?" : `${n.toFixed(2)} ms`);
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

async function time<T>(runs: number, fn: () => Promise<T> | T): Promise<{ median: number; p95: number; result: T }> {
  const samples: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    samples.push(performance.now() - t0);
  }
  return { median: median(samples), p95: p95(samples), result };
}

async function openDatabase(): Promise<{ handle: DbHandle; serverEnv: Record<string, string>; cleanup: () => Promise<void> }> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-bench-dashboard-"));
    const handle = await createDb({ dataDir });
    return { handle, serverEnv: { DATA_DIR: dataDir }, cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `odpe_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await createDb({ databaseUrl: url.toString() });
  return {
    handle,
    serverEnv: { DATABASE_URL: url.toString() },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** 10 reference years, every organisation transmitting every indicator of the catalogue with all its breakdown cells. */
async function generateHistory(handle: DbHandle) {
  const db = handle.db;
  await importObservatory(db, systemActor(sys.actorLabel), loadObservatoryFiles(root), { isDemo: true });
  const [orgs, indicators, versions, breakdowns, items] = await Promise.all([
    db.selectFrom("organisation").select(["id", "code"]).where("is_observatory_team", "=", false).orderBy("code").execute(),
    db.selectFrom("indicator").select(["id", "code"]).execute(),
    db
      .selectFrom("indicator_version")
      .select(["id", "indicator_id", "version", "valid_from_year", "label", "definition", "unit", "value_type", "measure", "non_negative", "min_value", "max_value", "breakdown_sum_equals_total"])
      .execute(),
    db.selectFrom("indicator_version_breakdown").select(["indicator_version_id", "codelist_code"]).orderBy("position").execute(),
    db.selectFrom("codelist_item").select(["codelist_code", "code"]).orderBy("position").execute(),
  ]);
  const versionsOf = new Map<string, DemoVersion[]>();
  for (const v of versions) {
    versionsOf.set(v.indicator_id, [...(versionsOf.get(v.indicator_id) ?? []), { ...v, breakdowns: breakdowns.filter((b) => b.indicator_version_id === v.id).map((b) => b.codelist_code) }]);
  }
  const orgCodes = orgs.map((o) => o.code);
  // Agreements: every organisation, every indicator; a few kept for internal use (Art. 5).
  for (const org of orgs) {
    const agreement = await db.insertInto("agreement").values({ organisation_id: org.id, starts_on: "2010-01-01" }).returning("id").executeTakeFirstOrThrow();
    await db
      .insertInto("agreement_indicator")
      .values(indicators.map((i) => ({ agreement_id: agreement.id, indicator_id: i.id, usage_rights: ["OPP", "DELAISSEMENT", "VIF_MINEURS_POL"].includes(i.code) ? "internal" : "with_approval" })))
      .execute();
  }
  let values = 0;
  for (let year = FIRST_YEAR; year <= LAST_YEAR; year++) {
    await db.transaction().execute(async (trx) => {
      const campaign = await trx
        .insertInto("campaign")
        .values({ reference_year: year, opens_on: `${year + 1}-01-15`, deadline: `${year + 1}-03-31`, status: "closed", opened_at: new Date(`${year + 1}-01-15`), closed_at: new Date(`${year + 1}-06-30`) })
        .returning("id")
        .executeTakeFirstOrThrow();
      await trx
        .insertInto("expected_submission")
        .values(orgs.map((o) => ({ campaign_id: campaign.id, organisation_id: o.id, deadline: `${year + 1}-03-31` })))
        .execute();
      for (const org of orgs) {
        const bytes = Buffer.from(`Banc d'essai : ${org.code} ${year}\n`);
        const file = await trx
          .insertInto("stored_file")
          .values({ filename: `bench-${org.code}-${year}.txt`, content_type: "text/plain", size_bytes: bytes.byteLength, sha256: sha256Hex(bytes), content: bytes, created_by: null })
          .returning("id")
          .executeTakeFirstOrThrow();
        const at = new Date(`${year + 1}-03-${10 + (org.code.length % 18)}T10:00:00Z`);
        const submission = await trx
          .insertInto("submission")
          .values({ campaign_id: campaign.id, organisation_id: org.id, status: "accepted", version_count: 1, first_transmitted_at: at, accepted_at: at, last_activity_at: at })
          .returning("id")
          .executeTakeFirstOrThrow();
        const version = await trx
          .insertInto("submission_version")
          .values({ submission_id: submission.id, number: 1, file_id: file.id, uploaded_via: "web", uploaded_at: at, status: "accepted", problems: "[]" })
          .returning("id")
          .executeTakeFirstOrThrow();
        await trx.updateTable("submission").set({ current_version_id: version.id }).where("id", "=", submission.id).execute();
        const rows = [];
        for (const indicator of indicators) {
          const v = versionForYear(versionsOf.get(indicator.id) ?? [], year);
          if (!v) continue;
          const lists = v.breakdowns.map((code) => ({ code, items: items.filter((i) => i.codelist_code === code).map((i) => ({ code: i.code })) }));
          for (const cell of demoValues(indicator.code, v, year, org.code, orgCodes, lists)) {
            rows.push({ organisation_id: org.id, reference_year: year, indicator_id: indicator.id, indicator_version_id: v.id, breakdown_key: cell.key, value: cell.value, source_version_id: version.id, accepted_at: at });
          }
        }
        for (let i = 0; i < rows.length; i += 1000) await trx.insertInto("accepted_value").values(rows.slice(i, i + 1000)).execute();
        values += rows.length;
      }
    });
  }
  await seedDashboardCatalogue(db, systemActor("banc d'essai"));
  const team = await db.selectFrom("organisation").select("id").where("is_observatory_team", "=", true).executeTakeFirstOrThrow();
  const dep = await db.selectFrom("organisation").select("id").where("code", "=", "DEP42").executeTakeFirstOrThrow();
  const hash = await hashPassword(PASSWORD);
  const referent = await db
    .insertInto("app_user")
    .values({ email: "referent@bench.odpe.example", display_name: "Référent banc d'essai", role: "odpe_referent", organisation_id: team.id, password_hash: hash })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db.insertInto("app_user").values({ email: "elu@bench.odpe.example", display_name: "Élu banc d'essai", role: "reader", organisation_id: dep.id, password_hash: hash }).execute();
  return { organisations: orgs.length, indicators: indicators.length, values, referentId: referent.id, teamId: team.id };
}

/** ADR 024: production mode requires the audit chain's HMAC key; one for the whole run, so every start verifies the same chain. */
const auditKey = randomBytes(32).toString("hex");

async function startServer(env: Record<string, string>): Promise<ProductionServer> {
  return startProductionServer({ env: { APP_MODE: "production", AUDIT_HMAC_KEY: auditKey, DATABASE_URL: undefined, ...env } });
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 0 elsewhere). */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

interface CannonResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Server CPU per request (ms), when the server's pid is given. */
  cpuMs: number | null;
  statuses: string;
}

async function cannon(url: string, cookie: string | null, extra: Record<string, string> = {}, pid?: number): Promise<CannonResult> {
  const headers = { ...(cookie ? { cookie } : {}), ...extra };
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers }); // warm-up
  const cpu0 = pid ? processCpuMs(pid) : 0;
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers });
  const cpuMs = pid ? (processCpuMs(pid) - cpu0) / Math.max(1, r.requests.total) : null;
  const statuses = Object.entries(r.statusCodeStats ?? {})
    .map(([code, { count }]) => `${code}×${count}`)
    .join(" ");
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, cpuMs, statuses };
}

/** The body of `url` as sent with Content-Encoding: br (not decoded). */
async function brotliBytes(url: string): Promise<Buffer> {
  const http = await import("node:http");
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { "Accept-Encoding": "br" } }, (res) => {
      if (res.headers["content-encoding"] !== "br") reject(new Error(`${url}: not brotli (${res.statusCode})`));
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks)));
    }).on("error", reject);
  });
}

/**
 * The anchor of the public report: a bare Node server (no framework, no
 * database) sending the same precompressed bytes with the same headers,
 * in a child process, measured in the same run.
 */
async function bareNodeServer(bytes: Buffer, headers: Record<string, string>): Promise<{ url: string; stop: () => void }> {
  const file = path.join(os.tmpdir(), `odpe-bench-bare-${process.pid}.bin`);
  fs.writeFileSync(file, bytes);
  const code = `
    const http = require("node:http"); const fs = require("node:fs");
    const body = fs.readFileSync(${JSON.stringify(file)}); const headers = ${JSON.stringify(headers)};
    const server = http.createServer((req, res) => { res.writeHead(200, { ...headers, "Content-Length": body.length }); res.end(body); });
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));`;
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () => {
      child.kill();
      fs.rmSync(file, { force: true });
    },
  };
}

async function sequential(url: string, cookie: string, runs = 30) {
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const response = await fetch(url, { headers: { cookie, "Accept-Encoding": "gzip" } });
    bytes = (await response.arrayBuffer()).byteLength;
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    samples.push(performance.now() - t0);
  }
  return { median: median(samples), p95: p95(samples), bytes };
}

function record(driver: string, markdown: string) {
  const file = path.join(root, "docs/benchmarks.md");
  const heading = `## Annual dashboard (\`npm run bench:dashboard\`), ${driver}`;
  let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n\nFigures measured on the project's machines; each section says how to reproduce it.\n";
  const start = text.indexOf(heading);
  if (start >= 0) {
    const next = text.indexOf("\n## ", start + heading.length);
    text = text.slice(0, start) + text.slice(next >= 0 ? next + 1 : text.length);
  }
  text = `${text.trimEnd()}\n\n${heading}\n\n${markdown.trim()}\n`;
  fs.writeFileSync(file, text);
}

/**
 * `--load-only` (ADR 033): the edition's load + assemble, and the values'
 * query alone: the nested json_object_agg it replaced (the anchor), one row
 * per value, and one JSON array of tuples (what load.server.ts does).
 * Alternated, 9 runs each; prints a Markdown table, writes nothing.
 */
async function loadOnly(db: DbHandle["db"], loadAtStart: string) {
  const firstYear = LAST_YEAR - 4;
  const forms = ["nested", "rows", "packed"] as const;
  const samples = { nested: [] as number[], rows: [] as number[], packed: [] as number[], load: [] as number[], assemble: [] as number[] };
  let count = 0;
  const canonical = (values: Awaited<ReturnType<typeof acceptedValueRows>>) =>
    values.map((v) => JSON.stringify([v.indicatorId, v.year, v.lineageOrganisationId, v.breakdownKey, v.value, v.notAvailableCode ?? null, v.notAvailableReason ?? null])).sort();
  for (let i = 0; i < 9; i++) {
    // The order of the forms turns with each run, so that none always runs first (or after another).
    const results: Record<string, Awaited<ReturnType<typeof acceptedValueRows>>> = {};
    for (let f = 0; f < forms.length; f++) {
      const form = forms[(f + i) % forms.length]!;
      const t = performance.now();
      results[form] = await acceptedValueRows(db, firstYear, LAST_YEAR, form);
      samples[form].push(performance.now() - t);
    }
    if (i === 0) {
      // The three forms return the same values (the integration test checks it with declared cells too).
      const [a, b, c] = forms.map((f) => canonical(results[f]!));
      if (JSON.stringify(a) !== JSON.stringify(b) || JSON.stringify(a) !== JSON.stringify(c)) throw new Error("the forms of acceptedValueRows differ");
    }
    count = results.rows!.length;
    let t = performance.now();
    const input = await loadAssemblyInput(db, LAST_YEAR);
    samples.load.push(performance.now() - t);
    t = performance.now();
    assembleEdition(input);
    samples.assemble.push(performance.now() - t);
  }
  const both = samples.load.map((l, i) => l + samples.assemble[i]!);
  console.log(`\n${new Date().toISOString()} — ${os.cpus().length} CPU, Node ${process.version}, ${process.env.DATABASE_URL ? "PostgreSQL" : "PGlite"}; load average ${loadAtStart} at start, ${os.loadavg().map((l) => l.toFixed(1)).join(" / ")} at end; ${count} values\n`);
  console.log("| step (edition 2024, 9 runs alternated) | median | p95 |\n| --- | ---: | ---: |");
  const chosen = ACCEPTED_VALUES_FORM[driverOf(db)];
  const label = { nested: "nested json_object_agg (one row per indicator × year)", rows: "one row per value", packed: "one JSON array of tuples (json_agg)" };
  for (const form of forms) {
    console.log(`| values, ${label[form]}${form === chosen ? " — **used on this driver**" : ""} | ${ms(median(samples[form]))} | ${ms(p95(samples[form]))} |`);
  }
  console.log(`| load (everything) | ${ms(median(samples.load))} | ${ms(p95(samples.load))} |`);
  console.log(`| assemble | ${ms(median(samples.assemble))} | ${ms(p95(samples.assemble))} |`);
  console.log(`| **load + assemble** (target < 300 ms) | **${ms(median(both))}** | ${ms(p95(both))} |`);
}

async function main() {
  const startedAt = new Date();
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(" / ");
  const { handle, serverEnv, cleanup } = await openDatabase();
  let server: ProductionServer | undefined;
  try {
    await migrateToLatest(handle.db);
    console.log(`Génération de l'historique ${FIRST_YEAR}–${LAST_YEAR}…`);
    const t0 = performance.now();
    const history = await generateHistory(handle);
    const generation = performance.now() - t0;
    console.log(`${history.values} valeurs acceptées (${history.organisations} organismes × ${history.indicators} indicateurs × ${LAST_YEAR - FIRST_YEAR + 1} ans) en ${ms(generation)}`);

    const db = handle.db;
    if (process.argv.includes("--load-only")) {
      await loadOnly(db, loadAtStart);
      return;
    }
    const load = await time(7, () => loadAssemblyInput(db, LAST_YEAR));
    const assemble = await time(7, () => assembleEdition(load.result));
    const publicEdition = await time(7, () => toPublicEdition(assemble.result));
    const total = await time(5, async () => toPublicEdition(assembleEdition(await loadAssemblyInput(db, LAST_YEAR))));
    const html = await time(7, () => renderReportHtml(publicEdition.result, null, { logoBase: "/dashboard/logos/" }));
    const pdf = await time(3, () => renderEditionPdf(publicEdition.result, null));
    const xlsx = await time(3, () => renderEditionXlsx(assemble.result, null));
    const rows = load.result.values.length;
    console.log(`chargement ${ms(load.median)}, assemblage ${ms(assemble.median)}, édition publique ${ms(publicEdition.median)}, HTML ${ms(html.median)}, PDF ${ms(pdf.median)}, XLSX ${ms(xlsx.median)}`);

    const referent = userActor(
      { id: history.referentId, displayName: sys.actorLabel, role: "odpe_referent", organisationId: history.teamId },
      { ...sys, actorUserId: history.referentId },
    );
    const id = await createEdition(db, referent, { year: LAST_YEAR, correctionNote: null });
    await saveEditionTexts(db, referent, id, { foreword: "Édition de banc d'essai : valeurs générées, sans signification.", comments: {} });
    await transitionEdition(db, referent, id, "validate");
    const publish = await time(1, () => publishEdition(db, referent, id));
    await handle.close();

    server = await startServer(serverEnv);
    const cookie = await login(server.url, "elu@bench.odpe.example", PASSWORD);
    const reportUrl = `${server.url}/dashboard/${LAST_YEAR}`;
    const trivialUrl = `${server.url}/account`;
    const first = await fetch(reportUrl, { headers: { cookie } });
    if (!first.ok || !(await first.text()).includes("Tableau de bord annuel de la protection de l&#x27;enfance")) throw new Error(`report page: ${first.status}`);
    const reportSeq = await sequential(reportUrl, cookie);
    const trivialSeq = await sequential(trivialUrl, cookie);
    console.log(`page du rapport ${ms(reportSeq.median)} (p95 ${ms(reportSeq.p95)}), page triviale ${ms(trivialSeq.median)}`);
    const report = await cannon(reportUrl, cookie, { "Accept-Encoding": "gzip, deflate, br" }, server.child.pid);
    const trivial = await cannon(trivialUrl, cookie, { "Accept-Encoding": "gzip, deflate, br" }, server.child.pid);
    const pid = server.child.pid;
    const health = await cannon(`${server.url}/healthz`, null, {}, pid);
    const extranetUrl = `${server.url}/extranet/tableau-de-bord/${LAST_YEAR}`;
    const browser = { "Accept-Encoding": "gzip, deflate, br" };
    const stored = await fetch(extranetUrl, { headers: browser });
    const extranet = await cannon(extranetUrl, null, browser, pid);
    // The same precompressed bytes from a bare Node server (anchor); fetch would decode them, node:http does not.
    const brotli = await brotliBytes(extranetUrl);
    const bare = await bareNodeServer(brotli, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Encoding": "br",
      "Cache-Control": stored.headers.get("Cache-Control") ?? "",
      ETag: stored.headers.get("ETag") ?? "",
      Vary: "Accept-Encoding",
    });
    const anchor = await cannon(bare.url, null, browser);
    bare.stop();
    const extranetEtag = stored.headers.get("ETag") ?? "";
    const extranet304 = await cannon(extranetUrl, null, { ...browser, "If-None-Match": extranetEtag }, pid);
    const readerEtag = (await fetch(reportUrl, { headers: { cookie } })).headers.get("ETag") ?? "";
    const reader304 = await cannon(reportUrl, cookie, { ...browser, "If-None-Match": readerEtag }, pid);
    const ratio = report.rps / trivial.rps;
    console.log(`autocannon ${CONNECTIONS} connexions : rapport ${report.rps.toFixed(0)} req/s, /account ${trivial.rps.toFixed(0)} req/s (×${ratio.toFixed(2)}), /healthz ${health.rps.toFixed(0)} req/s, extranet ${extranet.rps.toFixed(0)} req/s`);

    const cpu = os.cpus()[0]?.model.trim() ?? "?";
    const driver = serverEnv.DATABASE_URL ? "PostgreSQL" : "embedded PGlite";
    const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
    record(driver, `
Measured ${startedAt.toISOString().slice(0, 10)} on ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${driver}; load average at start ${loadAtStart} (other work on the machine inflates every figure).
History: ${LAST_YEAR - FIRST_YEAR + 1} years (${FIRST_YEAR}–${LAST_YEAR}) × ${history.organisations} organisations × ${history.indicators} indicators with every breakdown cell = ${history.values.toLocaleString("en")} accepted values (generated in ${(generation / 1000).toFixed(1)} s); an edition reads the ${rows.toLocaleString("en")} values of its 5 trend years.

| step (edition ${LAST_YEAR}) | median | p95 |
| --- | ---: | ---: |
| load rows (catalogue, values with lineage, agreements, campaign) | ${ms(load.median)} | ${ms(load.p95)} |
| assemble (pure function) | ${ms(assemble.median)} | ${ms(assemble.p95)} |
| public edition (secrecy, internal indicators out) | ${ms(publicEdition.median)} | ${ms(publicEdition.p95)} |
| **load + assemble + public** (target < 1 s: ${verdict(total.median < 1000)}) | **${ms(total.median)}** | ${ms(total.p95)} |
| report HTML, server render (once per published edition, then cached) | ${ms(html.median)} | ${ms(html.p95)} |
| PDF (pdfkit) | ${ms(pdf.median)} | ${ms(pdf.p95)} |
| XLSX (exceljs) | ${ms(xlsx.median)} | ${ms(xlsx.p95)} |
| publish (assemble, 2 PDF, 2 XLSX, ONPE zip, store, freeze) | ${ms(publish.median)} | |

Report page \`/dashboard/${LAST_YEAR}\` (a standalone document, see ADR 010) served by the production build (\`server.mjs\`, compression on), signed in as a reader: ${ms(reportSeq.median)} median (p95 ${ms(reportSeq.p95)}) one request at a time, ${(reportSeq.bytes / 1024).toFixed(0)} KiB of HTML before compression, no script but a 1 KiB print helper; trivial page \`/account\`: ${ms(trivialSeq.median)}.

| autocannon, ${CONNECTIONS} connections, ${DURATION} s | req/s | p50 | p99 | errors / non-2xx |
| --- | ---: | ---: | ---: | ---: |
| report page \`/dashboard/${LAST_YEAR}\` (reader) | ${report.rps.toFixed(0)} | ${report.p50} ms | ${report.p99} ms | ${report.errors} / ${report.non2xx} |
| trivial page \`/account\` (same reader, a portal page with its shell) | ${trivial.rps.toFixed(0)} | ${trivial.p50} ms | ${trivial.p99} ms | ${trivial.errors} / ${trivial.non2xx} |
| public edition \`/extranet/tableau-de-bord/${LAST_YEAR}\` (no session) | ${extranet.rps.toFixed(0)} | ${extranet.p50} ms | ${extranet.p99} ms | ${extranet.errors} / ${extranet.non2xx} |
| \`/healthz\` (JSON, no page) | ${health.rps.toFixed(0)} | ${health.p50} ms | ${health.p99} ms | ${health.errors} / ${health.non2xx} |
| **anchor**: the same brotli bytes from a bare Node server (child process, no framework, no database) | ${anchor.rps.toFixed(0)} | ${anchor.p50} ms | ${anchor.p99} ms | ${anchor.errors} / ${anchor.non2xx} |
| public edition, \`If-None-Match\` hit (304) | ${extranet304.rps.toFixed(0)} | ${extranet304.p50} ms | ${extranet304.p99} ms | ${extranet304.statuses} |
| reader's report, \`If-None-Match\` hit (304) | ${reader304.rps.toFixed(0)} | ${reader304.p50} ms | ${reader304.p99} ms | ${reader304.statuses} |

Server CPU per request (from /proc, user + system, divided by requests served): public edition ${perRequest(extranet.cpuMs)}, its 304 ${perRequest(extranet304.cpuMs)}, reader's report ${perRequest(report.cpuMs)}, reader's 304 ${perRequest(reader304.cpuMs)}, /account ${perRequest(trivial.cpuMs)}, /healthz ${perRequest(health.cpuMs)}.

 targets (ADR 021; machine loaded by parallel work, so ratios to the anchor matter more than absolute figures):
- public report ≥ 2,000 req/s: ${verdict(extranet.rps >= 2000)} (${extranet.rps.toFixed(0)}); p99 < 50 ms: ${verdict(extranet.p99 < 50)} (${extranet.p99} ms); ≥ 0.3× the bare Node anchor: ${verdict(extranet.rps >= 0.3 * anchor.rps)} (×${(extranet.rps / anchor.rps).toFixed(2)} of ${anchor.rps.toFixed(0)} req/s);
- reader's report ≥ 500 req/s: ${verdict(report.rps >= 500)} (${report.rps.toFixed(0)});
- a 304 < 1 ms server CPU: public ${verdict((extranet304.cpuMs ?? 9) < 1)} (${perRequest(extranet304.cpuMs)}), reader's ${verdict((reader304.cpuMs ?? 9) < 1)} (${perRequest(reader304.cpuMs)}).

Report page / trivial page: **×${ratio.toFixed(2)}** (target ≥ 0.5×: ${verdict(ratio >= 0.5)}). The load generator runs on the same machine as the server.
`);
    console.log("Résultats ajoutés à docs/benchmarks.md");
  } finally {
    await server?.stop();
    await handle.close().catch(() => {});
    await cleanup();
  }
}

await main();
