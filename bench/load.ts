import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { createDb, type Db } from "~/server/db.server";
import { createEdition, saveEditionTexts, transitionEdition } from "~/server/dashboard/editions.server";
import { systemActor } from "~/server/command.server";
import { createApiToken } from "~/server/api/tokens.server";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { demoAccounts } from "~/server/observatory/seed.server";
import { apiUploadHeaders } from "./api-upload";
import type { PlanLine } from "~/domain/validation";
import { fillTemplate } from "../tests/support/workbook";
import { startProductionServer, type ProductionServer } from "../tests/support/production-server";
import { login } from "./login";
import { withPgClient } from "./pg-client";
import { IdleLoopAnchor } from "./idle-loop-anchor";

/**
 * `npm run bench:load` — docs/benchmarks.md.
 *
 * A mixed load against the production build (`server.mjs` over `build/`)
 * and a real PostgreSQL: a fresh database (`bench_load` by default) is
 * created on the DATABASE_URL server (default
 * postgres://postgres@127.0.0.1:5432/test), filled by a first start in demo
 * mode, then the server is started again with APP_MODE=production (the
 * measured process), login throttle and API rate limit raised so that the
 * load is not refused. The database is dropped at the end.
 *
 * Mix (weights below, drawn at random for every request, ~20 connections):
 * portal pages signed in as demo users of several roles (each with its own
 * session from a real login POST), the dashboard report page, the
 * extranet (no session), explorer queries with parameters, and API uploads
 * of a filled template (bearer token) that create versions.
 *
 * Reports per run: throughput, p50/p99 overall and per kind, non-2xx/3xx
 * responses and errors (both must be 0: a 429 or 5xx is an error), the
 * server's RSS before and after (/proc/<pid>/status) and its CPU time. Several
 * runs against the same server process tell whether RSS grows without bound.
 * Prints a Markdown table; a full run (not --quick) rewrites the script's part
 * of the "## Load (bench:load)" section of docs/benchmarks.md.
 *
 * Options (or environment): --duration <s> (BENCH_LOAD_SECONDS, 60)  --runs <n> (BENCH_LOAD_RUNS, 3)
 *   --connections <n> (BENCH_LOAD_CONNECTIONS, 20)  --warmup <s> (10)  --quick (3 runs × 5 s, 2 s warm-up, nothing written)
 *   --no-write  --label <text> (printed with the results)  --database <name> (BENCH_LOAD_DB, bench_load)
 *   --only <text> (repeatable: keep the kinds whose name contains it; implies --no-write)
 *   --cpu-prof <dir> (the measured server runs with node --cpu-prof; its profile lands in <dir> when it stops)
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const DOC = path.join(root, "docs", "benchmarks.md");
/** How long each server may take to answer /healthz (BENCH_LOAD_START_TIMEOUT_MS, default 120 s). */
const START_TIMEOUT_MS = Number(process.env.BENCH_LOAD_START_TIMEOUT_MS ?? 120_000);
const SECTION = "## Load (bench:load)";
const OWN_PART = "### Latest full run (written by the script)";

interface Options {
  duration: number;
  runs: number;
  connections: number;
  warmup: number;
  quick: boolean;
  write: boolean;
  label: string | null;
  database: string;
  /** Keep only the kinds whose name contains one of these (profiling one path). */
  only: string[];
  /** Directory for the measured server's V8 CPU profile (node --cpu-prof), written when it stops. */
  cpuProf: string | null;
  /** Server processes on the one database, started at the same moment; the load is split between them (ADR 021). */
  instances: number;
}

function parseOptions(argv: string[]): Options {
  const env = process.env;
  const options: Options = {
    duration: Number(env.BENCH_LOAD_SECONDS ?? 60),
    runs: Number(env.BENCH_LOAD_RUNS ?? 3),
    connections: Number(env.BENCH_LOAD_CONNECTIONS ?? 20),
    warmup: 10,
    quick: false,
    write: true,
    label: null,
    database: env.BENCH_LOAD_DB ?? "bench_load",
    only: [],
    cpuProf: null,
    instances: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--duration") options.duration = Number(value());
    else if (arg === "--runs") options.runs = Number(value());
    else if (arg === "--connections") options.connections = Number(value());
    else if (arg === "--warmup") options.warmup = Number(value());
    else if (arg === "--quick") Object.assign(options, { quick: true, duration: 5, runs: 3, warmup: 2, write: false });
    else if (arg === "--no-write") options.write = false;
    else if (arg === "--label") options.label = value();
    else if (arg === "--database") options.database = value();
    else if (arg === "--only") options.only.push(value());
    else if (arg === "--cpu-prof") options.cpuProf = path.resolve(value());
    else if (arg === "--instances") options.instances = Number(value());
    else throw new Error(`Unknown option ${arg}`);
  }
  const positive = (n: number) => Number.isInteger(n) && n >= 1;
  if (!positive(options.duration) || !positive(options.runs) || !positive(options.connections) || !(options.warmup >= 0)) {
    throw new Error("--duration, --runs and --connections take whole numbers ≥ 1, --warmup a number ≥ 0");
  }
  if (!Number.isInteger(options.instances) || options.instances < 1 || options.instances > 8) throw new Error("--instances takes a whole number from 1 to 8");
  if (options.only.length || options.cpuProf || options.instances > 1) options.write = false;
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(options.database)) throw new Error("--database: a lower-case PostgreSQL name");
  return options;
}

// ── The scenario ────────────────────────────────────────────────────────────

/** One kind of request in the mix; `variants` are drawn uniformly. */
interface Kind {
  name: string;
  weight: number;
  variants: Variant[];
}

interface Variant {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Who sends it, for error messages. */
  as: string;
}

/** Demo users signed in for the load: one per role that has a portal of its own. */
/** Bearer token of the measured servers' /metrics (ADR 043). */
const METRICS_TOKEN = randomBytes(32).toString("hex");

const USERS = ["referent", "comite", "correspondant.caf", "validateur.tj", "correspondant.dep", "elu"] as const;
type UserKey = (typeof USERS)[number];
const MEMBERS: UserKey[] = ["referent", "comite", "correspondant.caf", "validateur.tj", "correspondant.dep"];

const BROWSER_HEADERS = { "Accept-Encoding": "gzip", Accept: "text/html" };

/** Deterministic pseudo-random numbers (mulberry32), so the explorer queries are the same from run to run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that pass validation: breakdown cells add up to their total, bounds respected. */
function validValues(lines: PlanLine[]): Record<string, number> {
  const values: Record<string, number> = {};
  const clamp = (line: PlanLine, v: number) => {
    let x = v;
    if (line.min !== null) x = Math.max(x, line.min);
    if (line.max !== null) x = Math.min(x, line.max);
    if (line.nonNegative) x = Math.max(x, 0);
    return line.valueType === "integer" ? Math.round(x) : x;
  };
  const byIndicator = new Map<string, PlanLine[]>();
  for (const line of lines) byIndicator.set(line.indicatorCode, [...(byIndicator.get(line.indicatorCode) ?? []), line]);
  for (const group of byIndicator.values()) {
    const total = group.find((l) => l.breakdownKey === "");
    const cells = group.filter((l) => l.breakdownKey !== "");
    if (total && cells.length && total.sumEqualsTotal) {
      let sum = 0;
      for (const cell of cells) {
        values[cell.key] = clamp(cell, 2);
        sum += values[cell.key]!;
      }
      values[total.key] = sum;
    } else {
      for (const line of group) values[line.key] = clamp(line, line.previous ?? 10);
    }
  }
  return values;
}

/** Everything the mix needs, read from the seeded database and obtained from the running server. */
async function buildScenario(db: Db, url: string): Promise<Kind[]> {
  const team = await db.selectFrom("organisation").select("code").where("is_observatory_team", "=", true).executeTakeFirstOrThrow();
  const accounts = demoAccounts(team.code);
  const cookies = new Map<UserKey, string>();
  for (const user of USERS) {
    const account = accounts.find((a) => a.email.startsWith(`${user}@`));
    if (!account) throw new Error(`demo account ${user} not found`);
    cookies.set(user, await login(url, account.email));
  }
  const page = (user: UserKey, p: string): Variant => ({ method: "GET", path: p, headers: { ...BROWSER_HEADERS, Cookie: cookies.get(user)! }, as: user });
  const anonymous = (p: string): Variant => ({ method: "GET", path: p, headers: BROWSER_HEADERS, as: "anonyme" });

  // The latest published dashboard edition, the extranet's publications.
  const edition = await db
    .selectFrom("dashboard_edition")
    .select("reference_year")
    .where("status", "in", ["published", "transmitted"])
    .orderBy("reference_year", "desc")
    .executeTakeFirst();
  if (!edition) throw new Error("no published dashboard edition in the demo data");
  const publications = await db.selectFrom("publication").select("id").where("status", "=", "published").where("audience", "=", "extranet").execute();
  if (!publications.length) throw new Error("no publication on the extranet in the demo data");

  // Explorer queries: indicators with accepted values, a range of years, sometimes a few providers.
  const indicators = await db
    .selectFrom("accepted_value as a")
    .innerJoin("indicator as i", "i.id", "a.indicator_id")
    .select(["i.code", "a.organisation_id", "a.reference_year"])
    .distinct()
    .execute();
  const codes = [...new Set(indicators.map((r) => r.code))].sort();
  const years = [...new Set(indicators.map((r) => r.reference_year))].sort();
  const random = prng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const queries: string[] = [];
  for (let i = 0; i < 40; i++) {
    const code = pick(codes);
    const providers = [...new Set(indicators.filter((r) => r.code === code).map((r) => r.organisation_id))].sort();
    const params = new URLSearchParams({ indicator: code, view: random() < 0.7 ? "series" : "breakdown" });
    const from = pick(years);
    params.set("from", String(from));
    params.set("to", String(Math.max(from, pick(years))));
    if (params.get("view") === "breakdown") params.set("year", String(pick(years)));
    if (random() < 0.4) for (const id of providers.slice(0, 1 + Math.floor(random() * 3))) params.append("org", id);
    queries.push(`/explorer?${params}`);
  }

  // API uploads: a token per correspondent's organisation expected in the open campaign, and its filled template.
  const campaign = await db.selectFrom("campaign").select("reference_year").where("status", "=", "open").orderBy("reference_year", "desc").executeTakeFirst();
  if (!campaign) throw new Error("no open campaign in the demo data");
  const uploads: Variant[] = [];
  for (const user of ["correspondant.caf", "correspondant.dep"] as const) {
    const account = accounts.find((a) => a.email.startsWith(`${user}@`))!;
    const person = await db
      .selectFrom("app_user as u")
      .innerJoin("organisation as o", "o.id", "u.organisation_id")
      .select(["u.id", "o.id as organisation_id", "o.code"])
      .where("u.email", "=", account.email)
      .executeTakeFirstOrThrow();
    const { token } = await createApiToken(db, systemActor("banc d'essai de charge"), { organisationId: person.organisation_id, name: "Banc d'essai de charge", createdBy: person.id });
    const template = await fetch(`${url}/api/v1/campaigns/${campaign.reference_year}/template`, { headers: { Authorization: `Bearer ${token}` } });
    if (!template.ok) throw new Error(`template for ${person.code}: ${template.status} ${await template.text()}`);
    const plan = await buildCollectionPlan(db, campaign.reference_year, person.organisation_id);
    const bytes = await fillTemplate(new Uint8Array(await template.arrayBuffer()), validValues(plan.lines));
    uploads.push({
      method: "POST",
      path: `/api/v1/campaigns/${campaign.reference_year}/uploads`,
      headers: apiUploadHeaders(token, campaign.reference_year, person.code),
      body: bytes,
      as: `jeton ${person.code} (${plan.lines.length} lignes, ${(bytes.byteLength / 1024).toFixed(0)} KiB)`,
    });
  }

  const kinds: Kind[] = [
    { name: "portal: home `/`", weight: 10, variants: USERS.map((u) => page(u, "/")) },
    { name: "portal: `/collection`", weight: 6, variants: ["referent", "correspondant.caf", "validateur.tj", "correspondant.dep"].map((u) => page(u as UserKey, "/collection")) },
    { name: "portal: `/explorer` (form)", weight: 5, variants: MEMBERS.map((u) => page(u, "/explorer")) },
    { name: "portal: `/publications`", weight: 6, variants: MEMBERS.map((u) => page(u, "/publications")) },
    { name: "portal: `/workspace`", weight: 6, variants: MEMBERS.map((u) => page(u, "/workspace")) },
    { name: "portal: `/notifications`", weight: 6, variants: USERS.map((u) => page(u, "/notifications")) },
    { name: "explorer query `/explorer?indicator=…`", weight: 15, variants: queries.flatMap((q) => MEMBERS.map((u) => page(u, q))) },
    { name: `dashboard report \`/dashboard/${edition.reference_year}\``, weight: 10, variants: USERS.map((u) => page(u, `/dashboard/${edition.reference_year}`)) },
    { name: "extranet: home `/extranet`", weight: 10, variants: [anonymous("/extranet")] },
    { name: `extranet: report \`/extranet/tableau-de-bord/${edition.reference_year}\``, weight: 7, variants: [anonymous(`/extranet/tableau-de-bord/${edition.reference_year}`)] },
    { name: "extranet: publication", weight: 5, variants: publications.map((p) => anonymous(`/extranet/publications/${p.id}`)) },
    { name: `API upload \`POST /api/v1/campaigns/${campaign.reference_year}/uploads\``, weight: 3, variants: uploads },
  ];
  return kinds;
}

/** Every variant once, one at a time: all must answer 2xx (an upload 201 with no error), or the mix is wrong. */
async function preflight(url: string, kinds: Kind[]) {
  for (const kind of kinds) {
    for (const v of kind.variants) {
      const response = await fetch(`${url}${v.path}`, { method: v.method, headers: v.headers, body: v.body ? new Uint8Array(v.body) : undefined, redirect: "manual" });
      const text = await response.text();
      if (response.status < 200 || response.status >= 300) {
        throw new Error(`preflight: ${v.method} ${v.path} as ${v.as} → ${response.status}\n${text.slice(0, 2000)}`);
      }
    }
  }
}

// ── Measuring ───────────────────────────────────────────────────────────────

interface ProcSample {
  rssKb: number;
  hwmKb: number;
  cpuSeconds: number;
}

function sampleProcess(pid: number): ProcSample {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the ")" closing the command name.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssKb: kb("VmRSS"), hwmKb: kb("VmHWM"), cpuSeconds: ticks / 100 };
}

interface KindStats {
  latencies: number[];
  statuses: Map<number, number>;
}

interface RunResult {
  label: string;
  seconds: number;
  total: number;
  rps: number;
  p50: number;
  p99: number;
  bad: number;
  badStatuses: string;
  errors: number;
  timeouts: number;
  before: ProcSample;
  after: ProcSample;
  byKind: Map<string, KindStats>;
  loadStart: string;
  loadEnd: string;
  /** The server's event-loop delay over the run (its /metrics, ADR 043): p99 and max, ms. */
  loop: EventLoopDelay | null;
  /** The same window's delay in an idle Node process beside it (the machine's share, ADR 049). */
  idleLoop: EventLoopDelay | null;
  /** An edition published through the server during the run (issue 14 item 5). */
  publish?: PublishResult;
}

interface EventLoopDelay {
  p99: number;
  max: number;
}

interface PublishResult {
  year: number;
  status: number;
  seconds: number;
}

/**
 * The server's event-loop delay since its previous scrape (prom-client resets
 * its histogram at each collection, ADR 043): reading it before a run starts
 * the window, reading it after gives the run's p99 and max.
 */
async function scrapeEventLoop(server: ProductionServer): Promise<EventLoopDelay | null> {
  const response = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  if (!response.ok) return null;
  const body = await response.text();
  const value = (name: string) => Number(/^(\S+) (\S+)$/m.exec(body.split("\n").find((l) => l.startsWith(`${name} `)) ?? "")?.[2] ?? NaN) * 1000;
  return { p99: value("nodejs_eventloop_lag_p99_seconds"), max: value("nodejs_eventloop_lag_max_seconds") };
}

/**
 * Readies the next edition to publish (the latest closed year without one:
 * created and validated here, as the referent would in the portal), then,
 * `afterMs` into a run, publishes it through the server as the referent
 * (the form's POST): assembly, secrecy, PDF, XLSX and ONPE package run in the
 * server during the load.
 */
async function preparePublish(db: Db, url: string): Promise<((afterMs: number) => Promise<PublishResult>) | null> {
  const years = await db.selectFrom("campaign").select("reference_year").where("status", "=", "closed").orderBy("reference_year", "desc").execute();
  const taken = new Set((await db.selectFrom("dashboard_edition").select("reference_year").execute()).map((e) => e.reference_year));
  const year = years.map((y) => y.reference_year).find((y) => !taken.has(y));
  if (year === undefined) return null;
  const actor = systemActor("banc d'essai de charge");
  const id = await createEdition(db, actor, { year, correctionNote: null });
  await saveEditionTexts(db, actor, id, { foreword: `Édition ${year} publiée pendant le banc d'essai de charge.`, comments: {} });
  await transitionEdition(db, actor, id, "validate");
  const team = await db.selectFrom("organisation").select("code").where("is_observatory_team", "=", true).executeTakeFirstOrThrow();
  const referent = demoAccounts(team.code).find((a) => a.email.startsWith("referent@"))!;
  const cookie = await login(url, referent.email);
  return async (afterMs) => {
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    const started = performance.now();
    const response = await fetch(`${url}/dashboard/editions/${id}?intent=publish`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: cookie, Origin: url, "Content-Type": "application/x-www-form-urlencoded" },
      body: "",
    });
    await response.arrayBuffer();
    const seconds = (performance.now() - started) / 1000;
    const published = await db.selectFrom("dashboard_edition").select("status").where("id", "=", id).executeTakeFirstOrThrow();
    if (published.status !== "published") throw new Error(`the edition ${year} was not published during the load (HTTP ${response.status}, status ${published.status})`);
    return { year, status: response.status, seconds };
  };
}

function percentile(sorted: number[], p: number) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

async function run(
  label: string,
  server: ProductionServer,
  kinds: Kind[],
  options: Options,
  seconds: number,
  publish?: (afterMs: number) => Promise<PublishResult>,
  anchor?: IdleLoopAnchor,
): Promise<RunResult> {
  const pid = server.child.pid!;
  await Promise.all([scrapeEventLoop(server), anchor?.read()]);
  const url = new URL(server.url);
  const totalWeight = kinds.reduce((a, k) => a + k.weight, 0);
  const draw = () => {
    let r = Math.random() * totalWeight;
    for (const kind of kinds) {
      r -= kind.weight;
      if (r < 0) return kind;
    }
    return kinds[kinds.length - 1]!;
  };
  const byKind = new Map<string, KindStats>(kinds.map((k) => [k.name, { latencies: [], statuses: new Map() }]));
  // autocannon calls a request's onResponse, then emits "response" with the latency, synchronously
  // for one connection: the kind of the request just answered is carried from one to the other.
  let answered: string | null = null;
  const before = sampleProcess(pid);
  const loadStart = loadAverage();
  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const cannonOptions: autocannon.Options = {
    url: server.url,
    connections: options.connections,
    duration: seconds,
    timeout: 60,
    requests: [
      {
        setupRequest: (req, context) => {
          const kind = draw();
          const v = kind.variants[Math.floor(Math.random() * kind.variants.length)]!;
          (context as { kind?: string }).kind = kind.name;
          return { ...req, method: v.method, path: v.path, headers: { ...v.headers, Host: url.host }, body: v.body ?? Buffer.alloc(0) };
        },
        onResponse: (_status, _body, context) => {
          answered = (context as { kind?: string }).kind ?? null;
        },
      },
    ],
  };
  const instance = autocannon(cannonOptions, (error, result) => (error ? failed(error) : finished(result)));
  // Started a third of the way in, so that the load runs before, during and after it.
  const publishing = publish?.((seconds * 1000) / 3);
  instance.on("response", (_client: unknown, status: number, _bytes: number, latency: number) => {
    const stats = answered ? byKind.get(answered) : undefined;
    answered = null;
    if (!stats) return;
    stats.latencies.push(latency);
    stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1);
  });
  const result = await done;
  const published = await publishing;
  const [loop, idleLoop] = await Promise.all([scrapeEventLoop(server), anchor ? anchor.read() : Promise.resolve(null)]);
  const after = sampleProcess(pid);
  const all = [...byKind.values()].flatMap((s) => s.latencies).sort((a, b) => a - b);
  const badByStatus = new Map<number, number>();
  for (const stats of byKind.values()) {
    stats.latencies.sort((a, b) => a - b);
    for (const [status, n] of stats.statuses) if (status < 200 || status >= 400) badByStatus.set(status, (badByStatus.get(status) ?? 0) + n);
  }
  const bad = [...badByStatus.values()].reduce((a, b) => a + b, 0);
  return {
    label,
    seconds: result.duration,
    total: all.length,
    rps: all.length / result.duration,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    bad,
    badStatuses: [...badByStatus].map(([s, n]) => `${n}×${s}`).join(", "),
    errors: result.errors,
    timeouts: result.timeouts,
    before,
    after,
    byKind,
    loop,
    idleLoop,
    publish: published,
    loadStart,
    loadEnd: loadAverage(),
  };
}

// ── Reporting ───────────────────────────────────────────────────────────────

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const signedMb = (kb: number) => `${kb >= 0 ? "+" : "−"}${(Math.abs(kb) / 1024).toFixed(0)} MB`;
const msText = (n: number) => (Number.isNaN(n) ? "—" : `${n.toFixed(0)} ms`);

function machine() {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  return `${os.availableParallelism()} CPU (${model}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
}

/** An event-loop delay in ms, or « — » when the server gave none. */
function loopText(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? "—" : `${ms.toFixed(0)} ms`;
}

function renderMarkdown(context: { started: Date; options: Options; pgVersion: string; boot: ProcSample; kinds: Kind[]; runs: RunResult[] }) {
  const { started, options, pgVersion, boot, kinds, runs } = context;
  const measured = runs.filter((r) => r.label !== "warm-up");
  const lines: string[] = [];
  lines.push(
    `Run ${started.toISOString().slice(0, 16).replace("T", " ")} UTC${options.label ? ` (${options.label})` : ""} — ${machine()}, ${pgVersion}. ` +
      `Command: \`npm run bench:load${options.quick ? " -- --quick" : ""}\` — ${options.connections} connections, ${measured.length} run(s) of ${options.duration} s ` +
      `after a ${options.warmup} s warm-up, one server process throughout. Load average (1/5/15 min) ${runs[0]?.loadStart ?? "?"} at the start, ${runs[runs.length - 1]?.loadEnd ?? "?"} at the end. ` +
      `The load generator (autocannon) runs on the same machine as the server and PostgreSQL.`,
  );
  lines.push("");
  lines.push("| Run | Requests | req/s | p50 | p99 | non-2xx/3xx | errors (timeouts) | server CPU (per request) | server RSS start → end (Δ) | server event loop: delay p99 / max | anchor: idle Node process, same window |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  lines.push(`| server started (demo data, no request yet) | | | | | | | | ${mb(boot.rssKb)} | | |`);
  for (const r of runs) {
    const cpuSeconds = r.after.cpuSeconds - r.before.cpuSeconds;
    const cpu = `${((cpuSeconds / r.seconds) * 100).toFixed(0)} % (${r.total ? ((cpuSeconds * 1000) / r.total).toFixed(0) : "—"} ms)`;
    lines.push(
      `| ${r.label} | ${r.total} | ${r.rps.toFixed(1)} | ${msText(r.p50)} | ${msText(r.p99)} | ${r.bad}${r.bad ? ` (${r.badStatuses})` : ""} | ${r.errors} (${r.timeouts}) | ${cpu} | ${mb(r.before.rssKb)} → ${mb(r.after.rssKb)} (${signedMb(r.after.rssKb - r.before.rssKb)}) | ${loopText(r.loop?.p99)} / ${loopText(r.loop?.max)} | ${loopText(r.idleLoop?.p99)} / ${loopText(r.idleLoop?.max)} |`,
    );
  }
  for (const r of runs.filter((x) => x.publish)) {
    lines.push("");
    lines.push(
      `During ${r.label}, the ${r.publish!.year} edition was published through the server (the referent's form POST, a third of the way into the run): ` +
        `answered HTTP ${r.publish!.status} in ${r.publish!.seconds.toFixed(1)} s; the event loop's delay over that run is in the table (issue 14 item 5: no block over 200 ms). ` +
        `The delay is the server's own (its \`/metrics\`, ADR 043, read before and after each run); the last column is an idle Node process's delay over the same window ` +
        `(bench/idle-loop-anchor.ts, ADR 049): a timer also fires late while its process waits for one of the machine's cores.`,
    );
  }
  lines.push("");
  lines.push(`Per kind of request (weight in the mix; p50 / p99 for each measured run):`);
  lines.push("");
  lines.push(`| Kind | Weight | Requests | req/s | ${measured.map((r) => `${r.label} p50 / p99`).join(" | ")} | non-2xx/3xx |`);
  lines.push(`|---|---:|---:|---:|${measured.map(() => "---:").join("|")}|---:|`);
  const totalWeight = kinds.reduce((a, k) => a + k.weight, 0);
  for (const kind of kinds) {
    const count = measured.reduce((a, r) => a + (r.byKind.get(kind.name)?.latencies.length ?? 0), 0);
    const seconds = measured.reduce((a, r) => a + r.seconds, 0);
    const bad = measured.reduce((a, r) => a + [...(r.byKind.get(kind.name)?.statuses ?? [])].filter(([s]) => s < 200 || s >= 400).reduce((x, [, n]) => x + n, 0), 0);
    const cells = measured.map((r) => {
      const l = r.byKind.get(kind.name)?.latencies ?? [];
      return `${msText(percentile(l, 50))} / ${msText(percentile(l, 99))}`;
    });
    lines.push(`| ${kind.name} | ${((kind.weight / totalWeight) * 100).toFixed(0)} % | ${count} | ${(count / seconds).toFixed(1)} | ${cells.join(" | ")} | ${bad} |`);
  }
  lines.push("");
  lines.push(rssVerdict(boot, measured));
  const failures = runs.reduce((a, r) => a + r.bad + r.errors, 0);
  lines.push("");
  lines.push(failures === 0 ? "Errors: **0** (no 4xx/5xx, no connection error or timeout) in every run." : `Errors: **${failures}** — see the table (target: 0).`);
  return lines.join("\n");
}

/** Memory: does the server's RSS keep growing from run to run, or level off? */
function rssVerdict(boot: ProcSample, runs: RunResult[]) {
  if (runs.length < 3) return "RSS: fewer than 3 runs, no verdict on growth.";
  const first = runs[0]!.after.rssKb - boot.rssKb;
  const growths = runs.slice(1).map((r, i) => r.after.rssKb - runs[i]!.after.rssKb);
  const last = growths[growths.length - 1]!;
  const bounded = last <= Math.max(0.5 * first, 10 * 1024);
  const steps = growths.map((g, i) => `run ${i + 2} vs run ${i + 1}: ${signedMb(g)}`).join(", ");
  return (
    `RSS after each run: ${runs.map((r) => mb(r.after.rssKb)).join(" → ")} (peak ${mb(Math.max(...runs.map((r) => r.after.hwmKb)))}); ` +
    `growth run 1 vs start ${signedMb(first)}, ${steps}. ` +
    (bounded
      ? "**Levels off**: the last run's growth is under half the first (or under 10 MB). RSS follows the garbage collector's heap sizing, so this rules out fast growth, not a slow leak over hours."
      : "**Still growing**: the last run's growth is not much smaller than the first: look for a leak.")
  );
}

function writeSection(markdown: string) {
  const text = fs.existsSync(DOC) ? fs.readFileSync(DOC, "utf8") : "# Benchmarks\n";
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === SECTION);
  const intro = [
    SECTION,
    "",
    "`npm run bench:load` (bench/load.ts; docs/benchmarks.md): a weighted mix of signed-in portal pages (six demo users of five roles, each with the session of a real login POST),",
    "the dashboard report page, the extranet (no session), explorer queries with parameters and API uploads of a filled template (bearer token; each creates a version),",
    "drawn at random for every request by autocannon over 20 connections, against the production build (`server.mjs`, APP_MODE=production) on a fresh PostgreSQL database",
    "seeded with the demo data, dropped at the end. Pages are requested with `Accept-Encoding: gzip`, as a browser would. A 429 or a 5xx counts as an error.",
    "The script rewrites its own part below; hand-written `###` parts are kept. Not run in CI.",
  ];
  let parts: { heading: string; body: string[] }[] = [];
  let before = lines;
  let after: string[] = [];
  if (start !== -1) {
    let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
    if (end === -1) end = lines.length;
    before = lines.slice(0, start);
    after = lines.slice(end);
    for (const line of lines.slice(start + 1, end)) {
      if (/^### /.test(line)) parts.push({ heading: line, body: [] });
      else parts[parts.length - 1]?.body.push(line);
    }
  }
  parts = parts.filter((p) => p.heading !== OWN_PART);
  const blocks = [`${OWN_PART}\n\n${markdown.trim()}`, ...parts.map((p) => [p.heading, ...p.body].join("\n").trim())];
  const head = before.join("\n").replace(/\s*$/, "");
  const tail = after.join("\n").trim();
  fs.writeFileSync(DOC, `${head}\n\n${intro.join("\n")}\n\n${blocks.join("\n\n")}\n${tail ? `\n${tail}\n` : ""}`);
}

// ── Main ────────────────────────────────────────────────────────────────────

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const started = new Date();
  const log = (message: string) => console.log(`[bench:load ${new Date().toISOString().slice(11, 19)}] ${message}`);
  const adminUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${options.database}`;
  const admin = <T>(fn: (c: pg.Client) => Promise<T>) => withPgClient(adminUrl, fn);
  const pgVersion = await admin(async (c) => `PostgreSQL ${(await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v.split(" ")[0]}`);
  await admin((c) => c.query(`drop database if exists ${options.database} with (force)`));
  await admin((c) => c.query(`create database ${options.database}`));
  log(`database ${options.database} created on ${dbUrl.host} (${pgVersion})`);
  let server: ProductionServer | undefined;
  let others: ProductionServer[] = [];
  let handle: Awaited<ReturnType<typeof createDb>> | undefined;
  let anchor: IdleLoopAnchor | undefined;
  try {
    // ADR 024: one audit HMAC key for the demo seeding and the production run (required in production).
    const common = { DATABASE_URL: dbUrl.toString(), DATA_DIR: undefined, AUDIT_HMAC_KEY: randomBytes(32).toString("hex") };
    // The scenario's own writes in this process (sessions, tokens) are audited: signed with the servers' key, which a
    // DATABASE_URL without APP_MODE (production) requires.
    process.env.AUDIT_HMAC_KEY = common.AUDIT_HMAC_KEY;
    log(`seeding the demo data (first start, APP_MODE=demo, ${options.instances} instance(s) at once)…`);
    const seeding = await Promise.all(
      Array.from({ length: options.instances }, (_, i) => startProductionServer({ build: i === 0 ? undefined : false, timeoutMs: START_TIMEOUT_MS, env: { ...common, APP_MODE: "demo" } })),
    );
    await Promise.all(seeding.map((s) => s.stop()));
    const secret = randomBytes(32).toString("hex");
    const servers = await Promise.all(
      Array.from({ length: options.instances }, () =>
        startProductionServer({
          build: false,
          timeoutMs: START_TIMEOUT_MS,
          env: {
            ...common,
            APP_MODE: "production",
            SESSION_SECRET: secret,
            LOGIN_MAX_FAILURES_PER_ACCOUNT: "100",
            LOGIN_MAX_FAILURES_PER_IP: "1000",
            API_RATE_LIMIT_PER_MINUTE: "100000",
            METRICS_TOKEN,
          },
          nodeArgs: options.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProf}`] : [],
        }),
      ),
    );
    others = servers.slice(1);
    server = servers[0]!;
    log(`server(s) (APP_MODE=production) pid ${servers.map((s) => s.child.pid).join(", ")} at ${servers.map((s) => s.url).join(", ")}`);
    if (options.instances > 1) {
      // Sessions opened through the first instance, load split across all (a round-robin balancer's view).
      const kinds = await buildScenario((handle = await createDb({ databaseUrl: dbUrl.toString(), poolMax: 2 })).db, server.url);
      await preflight(server.url, kinds);
      const split = { ...options, connections: Math.max(1, Math.ceil(options.connections / servers.length)) };
      if (options.warmup > 0) await Promise.all(servers.map((s) => run("warm-up", s, kinds, split, options.warmup)));
      for (let i = 1; i <= options.runs; i++) {
        const results = await Promise.all(servers.map((s) => run(`run ${i}`, s, kinds, split, options.duration)));
        const total = results.reduce((a, r) => ({ rps: a.rps + r.rps, bad: a.bad + r.bad, errors: a.errors + r.errors }), { rps: 0, bad: 0, errors: 0 });
        log(
          `run ${i}, ${servers.length} instances: ${total.rps.toFixed(1)} req/s in all, ${total.bad} non-2xx/3xx, ${total.errors} errors; ` +
            results.map((r, k) => `instance ${k + 1}: ${r.rps.toFixed(1)} req/s, p50 ${msText(r.p50)}, p99 ${msText(r.p99)}, ${r.bad} bad (${r.badStatuses || "none"}), ${r.errors} errors`).join("; "),
        );
        if (total.bad + total.errors) process.exitCode = 1;
      }
      return;
    }
    handle = await createDb({ databaseUrl: dbUrl.toString(), poolMax: 2 });
    const kinds = (await buildScenario(handle.db, server.url)).filter((k) => !options.only.length || options.only.some((o) => k.name.includes(o)));
    if (!kinds.length) throw new Error(`--only ${options.only.join(", ")}: no kind of request matches`);
    await preflight(server.url, kinds);
    log(`scenario ready: ${kinds.length} kinds, ${kinds.reduce((a, k) => a + k.variants.length, 0)} distinct requests, each answered 2xx once`);
    const boot = sampleProcess(server.child.pid!);
    const runs: RunResult[] = [];
    anchor = IdleLoopAnchor.start();
    if (options.warmup > 0) {
      log(`warm-up ${options.warmup} s…`);
      runs.push(await run("warm-up", server, kinds, options, options.warmup, undefined, anchor));
    }
    // The last run has an edition published through the server during it (issue 14 item 5).
    const publish = await preparePublish(handle.db, server.url);
    if (!publish) log("no closed year left without an edition: no publish during the load");
    for (let i = 1; i <= options.runs; i++) {
      const publishing = i === options.runs ? (publish ?? undefined) : undefined;
      log(`run ${i}/${options.runs}: ${options.duration} s, ${options.connections} connections${publishing ? ", an edition published a third of the way in" : ""}…`);
      const r = await run(`run ${i}`, server, kinds, options, options.duration, publishing, anchor);
      runs.push(r);
      log(
        `run ${i}: ${r.rps.toFixed(1)} req/s, p50 ${msText(r.p50)}, p99 ${msText(r.p99)}, ${r.bad} non-2xx/3xx, ${r.errors} errors, RSS ${mb(r.after.rssKb)}, ` +
          `event loop p99 ${loopText(r.loop?.p99)} / max ${loopText(r.loop?.max)} (idle anchor ${loopText(r.idleLoop?.p99)} / ${loopText(r.idleLoop?.max)})${r.publish ? `; edition ${r.publish.year} published (HTTP ${r.publish.status}) in ${r.publish.seconds.toFixed(1)} s` : ""}`,
      );
    }
    const markdown = renderMarkdown({ started, options, pgVersion, boot, kinds, runs });
    console.log(`\n${markdown}\n`);
    if (options.write) {
      writeSection(markdown);
      log(`written to ${path.relative(root, DOC)}`);
    }
    const failures = runs.reduce((a, r) => a + r.bad + r.errors, 0);
    if (failures) process.exitCode = 1;
  } finally {
    anchor?.stop();
    await handle?.close().catch(() => {});
    // A server that does not stop is a finding too (ADR 054): its time, its exit status and what it logged.
    await Promise.all(
      [server, ...others].map(async (s) => {
        if (!s) return;
        const t = performance.now();
        await s.stop();
        const seconds = (performance.now() - t) / 1000;
        const status = s.child.exitCode ?? s.child.signalCode;
        if (seconds > 5 || status !== 0) log(`server pid ${s.child.pid} stopped in ${seconds.toFixed(1)} s, exit ${status}:\n${s.output().slice(-2000)}`);
        else log(`server pid ${s.child.pid} stopped in ${seconds.toFixed(1)} s`);
      }),
    );
    await admin((c) => c.query(`drop database if exists ${options.database} with (force)`)).catch((error: unknown) => console.error(`could not drop ${options.database}:`, error));
    log(`database ${options.database} dropped`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
