import net from "node:net";
import path from "node:path";
import { z } from "zod";
import { logger } from "./logger.server";

/**
 * The one place where configuration is read. Every variable is validated by
 * zod; a bad value stops the process with a one-line reason in French and in
 * English naming the variable (see `formatEnvError`).
 */
const booleanish = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

/** A five-field cron expression (evaluated in Europe/Paris by the job queue). */
const cron = (fallback: string) =>
  z
    .string()
    .regex(/^[0-9*,/-]+( [0-9*,/-]+){4}$/, `must be a cron expression of five fields, e.g. ${fallback}`)
    .default(fallback);

/**
 * Which proxies in front of the portal are trusted to say who the client is
 * (Express's `trust proxy`, proxy-addr semantics): `false`/`0`/unset → none
 * (the socket address is the client); a hop count `1`…`10` → that many
 * proxies, the client address being the one the outermost trusted proxy saw;
 * or a comma-separated list of proxy addresses, CIDR ranges and the names
 * `loopback`, `linklocal`, `uniquelocal`. `true` (trust every hop, letting any
 * client choose its address through the leftmost X-Forwarded-For) is refused.
 */
const PROXY_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);
function isProxyAddress(entry: string) {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, extra] = entry.split("/");
  if (extra !== undefined || !address) return false;
  const family = net.isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix) && !(family === 4 && net.isIPv4(prefix))) return false;
  return net.isIPv4(prefix) || Number(prefix) <= (family === 4 ? 32 : 128);
}
export const trustProxySchema = z
  .string()
  .transform((value, ctx): false | number | string[] => {
    const v = value.trim().toLowerCase();
    if (["0", "false", "no", "off"].includes(v)) return false;
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops <= 10) return hops;
    } else if (!["true", "yes", "on"].includes(v)) {
      const entries = v.split(",").map((e) => e.trim()).filter(Boolean);
      if (entries.length > 0 && entries.every(isProxyAddress)) return entries;
    }
    ctx.addIssue({
      code: "custom",
      message: "must be a hop count (0-10) or a comma-separated list of proxy addresses or CIDR ranges, e.g. 1 or 10.0.0.0/8,192.168.1.1",
    });
    return z.NEVER;
  });

/** How many days a kind of personal data is kept (app/server/personal-data/retention.server.ts). */
const retentionDays = (fallback: number) => z.coerce.number().int().min(1).max(3650).default(fallback);

export const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    APP_MODE: z.enum(["demo", "production"]).optional(),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    HOST: z.string().min(1).default("0.0.0.0"),
    DATA_DIR: z.string().min(1).default("./data"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    // No longer used: sessions are stored as a sha256 of their secret, which needs no key (ADR 028). Still
    // accepted, whatever its value, so that an existing deployment that sets it starts; ignored with a log line.
    SESSION_SECRET: z.string().optional(),
    PUBLIC_URL: z.url().optional(),
    SESSION_IDLE_MINUTES: z.coerce.number().int().min(5).max(24 * 60).default(120),
    SESSION_ABSOLUTE_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(100).default(5),
    LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(1000).default(20),
    LOGIN_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
    TRUST_PROXY: trustProxySchema.optional().transform((v) => v ?? false),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    OBSERVATORY_DIR: z.string().min(1).default("."),
    // The observatory's contact address printed on templates (overrides the observatory file's contactEmail).
    OBSERVATORY_CONTACT_EMAIL: z.email("must be an e-mail address, e.g. odpe@departement.fr").optional(),
    // Mail (app/server/mail): SMTP relay; without SMTP_HOST, or in demo mode, mails stay in the outbox.
    SMTP_HOST: z.string().min(1).optional(),
    SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
    SMTP_SECURE: booleanish.default(false),
    SMTP_USER: z.string().min(1).optional(),
    SMTP_PASSWORD: z.string().min(1).optional(),
    MAIL_FROM: z
      .string()
      .regex(/^(?:[^<>\r\n]+<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, "must be an address, e.g. Portail ODPE <odpe@departement.fr>")
      .optional(),
    // Pages served again from the copy the process holds while the database has not changed (ADR 055).
    HELD_PAGES: booleanish.default(true),
    // Job queue (app/server/jobs): pg-boss in its own schema; the worker runs in every portal process unless disabled.
    JOBS_ENABLED: booleanish.default(true),
    JOBS_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,40}$/, "must be a lower-case PostgreSQL schema name")
      .default("pgboss"),
    JOBS_POOL_MAX: z.coerce.number().int().min(1).max(50).default(3),
    REMINDERS_CRON: cron("0 7 * * *"),
    // Personal data (app/server/personal-data/retention.server.ts): the daily purge and how long each kind is kept.
    RETENTION_PURGE_CRON: cron("15 3 * * *"),
    RETENTION_LOGIN_ATTEMPT_DAYS: retentionDays(180),
    RETENTION_PASSWORD_RESET_DAYS: retentionDays(30),
    RETENTION_NOTIFICATION_READ_DAYS: retentionDays(180),
    RETENTION_NOTIFICATION_UNREAD_DAYS: retentionDays(365),
    RETENTION_OUTBOX_MAIL_DAYS: retentionDays(180),
    // Partner API (app/server/api): requests per token and per minute, counted in PostgreSQL (shared by every instance).
    API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
    // HTTP server (app/server/http/platform.server.ts): a request's headers, then the whole request, must arrive within these.
    HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(120).default(20),
    HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(600).default(60),
    // Shutdown (SIGTERM/SIGINT): the job queue, the heavy-work threads and the database are stopped within this; past it the process exits with status 1 (ADR 054).
    SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(20),
    // Heavy work (app/server/heavy): workbook parsing, annotated workbooks and PDF renders run in worker threads, at most this many at once.
    HEAVY_WORK_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
    // Each worker's heap ceiling (MB) and each task's time limit: beyond either, the task is abandoned, the worker
    // replaced, and the request answered 503 with Retry-After (ADR 016).
    HEAVY_WORK_MAX_MEMORY_MB: z.coerce.number().int().min(64).max(16_384).default(1024),
    HEAVY_WORK_TIMEOUT_SECONDS: z.coerce.number().min(0.01).max(3_600).default(120),
    // A worker whose heap ended a task above this (MB) is retired once the pool is idle, and its memory given back (ADR 057).
    HEAVY_WORK_RETIRE_HEAP_MB: z.coerce.number().int().min(1).max(16_384).default(64),
    // Unknown or revoked Bearer tokens accepted per client address and minute before 429 (ADR 017).
    API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
    // Audit chain (ADR 024): the HMAC key, kept outside the database; required when APP_MODE=production.
    AUDIT_HMAC_KEY: z.string().min(32, "must be at least 32 characters long, e.g. the output of openssl rand -hex 32").optional(),
    // Bearer token of GET /metrics (ADR 043); metrics are off when unset.
    METRICS_TOKEN: z.string().min(32).optional(),
    // Former keys, comma-separated, kept after a rotation to verify the events and anchors they signed.
    AUDIT_HMAC_PREVIOUS_KEYS: z
      .string()
      .transform((v) => v.split(",").map((k) => k.trim()).filter(Boolean))
      .pipe(z.array(z.string().min(32, "must be a comma-separated list of keys of at least 32 characters each")))
      .optional(),
    // When the daily signed anchor of the audit chain is written and mailed (Europe/Paris).
    AUDIT_ANCHOR_CRON: cron("30 2 * * *"),
  })
  .transform(({ SESSION_SECRET, ...env }) => {
    const appMode = env.APP_MODE ?? (env.DATABASE_URL ? "production" : "demo");
    return {
      ...env,
      /** SESSION_SECRET was set: ignored (ADR 028), said once at startup. The value itself is dropped here. */
      sessionSecretIgnored: SESSION_SECRET !== undefined,
      APP_MODE: appMode,
      DATA_DIR: path.resolve(env.DATA_DIR),
      OBSERVATORY_DIR: path.resolve(env.OBSERVATORY_DIR),
      /** Real SMTP only for a production deployment with a relay; otherwise mails are captured in the outbox. */
      mailTransport: (env.SMTP_HOST && appMode === "production" ? "smtp" : "capture") as "smtp" | "capture",
      MAIL_FROM: env.MAIL_FROM ?? "Portail ODPE <ne-pas-repondre@portail-odpe.invalid>",
      mailFromConfigured: env.MAIL_FROM !== undefined,
      /** Cookies get `Secure` whenever the portal runs as a production deployment. */
      secureCookies: env.NODE_ENV === "production" && appMode === "production",
    };
  })
  .superRefine((env, ctx) => {
    if (env.APP_MODE === "production" && !env.AUDIT_HMAC_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["AUDIT_HMAC_KEY"],
        message: "is required when APP_MODE=production (at least 32 characters kept outside the database, e.g. openssl rand -hex 32)",
      });
    }
    if (env.mailTransport === "smtp" && !env.mailFromConfigured) {
      ctx.addIssue({ code: "custom", path: ["MAIL_FROM"], message: "is required when SMTP_HOST is set" });
    }
    if (env.SMTP_USER && !env.SMTP_PASSWORD) {
      ctx.addIssue({ code: "custom", path: ["SMTP_PASSWORD"], message: "is required when SMTP_USER is set" });
    }
    if (env.SMTP_PASSWORD && !env.SMTP_USER) {
      ctx.addIssue({ code: "custom", path: ["SMTP_USER"], message: "is required when SMTP_PASSWORD is set" });
    }
  });

export type Env = z.output<typeof envSchema>;

const frenchHints: Record<string, string> = {
  DATABASE_URL: "doit commencer par postgres:// ou postgresql://",
  PORT: "doit être un numéro de port entre 1 et 65535",
  APP_MODE: "doit valoir « demo » ou « production »",
  NODE_ENV: "doit valoir « development », « production » ou « test »",
  SMTP_PORT: "doit être un numéro de port entre 1 et 65535",
  SMTP_SECURE: "doit valoir « true » ou « false »",
  SMTP_USER: "est obligatoire quand SMTP_PASSWORD est renseigné",
  SMTP_PASSWORD: "est obligatoire quand SMTP_USER est renseigné",
  OBSERVATORY_CONTACT_EMAIL: "doit être une adresse e-mail, p. ex. odpe@departement.fr",
  MAIL_FROM: "doit être une adresse d'expéditeur, p. ex. Portail ODPE <odpe@departement.fr>, et est obligatoire quand SMTP_HOST est renseigné",
  JOBS_ENABLED: "doit valoir « true » ou « false »",
  HELD_PAGES: "doit valoir « true » ou « false »",
  JOBS_SCHEMA: "doit être un nom de schéma PostgreSQL en minuscules",
  JOBS_POOL_MAX: "doit être un nombre entier entre 1 et 50",
  REMINDERS_CRON: "doit être une expression cron à cinq champs, p. ex. 0 7 * * *",
  RETENTION_PURGE_CRON: "doit être une expression cron à cinq champs, p. ex. 15 3 * * *",
  RETENTION_LOGIN_ATTEMPT_DAYS: "doit être un nombre entier de jours entre 1 et 3 650",
  RETENTION_PASSWORD_RESET_DAYS: "doit être un nombre entier de jours entre 1 et 3 650",
  RETENTION_NOTIFICATION_READ_DAYS: "doit être un nombre entier de jours entre 1 et 3 650",
  RETENTION_NOTIFICATION_UNREAD_DAYS: "doit être un nombre entier de jours entre 1 et 3 650",
  RETENTION_OUTBOX_MAIL_DAYS: "doit être un nombre entier de jours entre 1 et 3 650",
  API_UNKNOWN_TOKEN_LIMIT_PER_MINUTE: "doit être un nombre entier de jetons inconnus par minute entre 1 et 10 000",
  TRUST_PROXY:
    "doit être un nombre de proxys (0 à 10) ou une liste d'adresses ou de plages CIDR de proxys séparées par des virgules, p. ex. 1 ou 10.0.0.0/8,192.168.1.1",
  API_RATE_LIMIT_PER_MINUTE: "doit être un nombre entier de requêtes par minute entre 1 et 100 000",
  HTTP_HEADERS_TIMEOUT_SECONDS: "doit être un nombre entier de secondes entre 5 et 120",
  HTTP_REQUEST_TIMEOUT_SECONDS: "doit être un nombre entier de secondes entre 10 et 600",
  SHUTDOWN_TIMEOUT_SECONDS: "doit être un nombre entier de secondes entre 1 et 600",
  HEAVY_WORK_CONCURRENCY: "doit être un nombre entier entre 1 et 16",
  HEAVY_WORK_MAX_MEMORY_MB: "doit être un nombre entier de mégaoctets entre 64 et 16 384",
  HEAVY_WORK_TIMEOUT_SECONDS: "doit être un nombre de secondes entre 0,01 et 3 600",
  HEAVY_WORK_RETIRE_HEAP_MB: "doit être un nombre entier de mégaoctets entre 1 et 16 384",
  AUDIT_HMAC_KEY:
    "doit contenir au moins 32 caractères (p. ex. la sortie de openssl rand -hex 32), conservés hors de la base, et est obligatoire en mode production",
  AUDIT_HMAC_PREVIOUS_KEYS: "doit être une liste de clés séparées par des virgules, d'au moins 32 caractères chacune",
  AUDIT_ANCHOR_CRON: "doit être une expression cron à cinq champs, p. ex. 30 2 * * *",
  METRICS_TOKEN: "doit contenir au moins 32 caractères (p. ex. la sortie de openssl rand -hex 32)",
};

export class EnvError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "EnvError";
  }
}

/** Builds the one-line French + English reason for the first invalid variable. */
export function formatEnvError(error: z.ZodError): EnvError {
  const issue = error.issues[0];
  const variable = String(issue?.path[0] ?? "?");
  const english = issue?.message ?? "invalid value";
  const french = frenchHints[variable] ?? "valeur invalide";
  return new EnvError(
    variable,
    `Configuration invalide : ${variable} ${french}. / Invalid configuration: ${variable} ${english}.`,
  );
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings count as unset, as in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw formatEnvError(result.error);
  return result.data;
}

let cached: Env | undefined;

/** The validated configuration of this process; exits with a clear line when invalid. */
export function getEnv(): Env {
  if (cached) return cached;
  try {
    cached = parseEnv(process.env);
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  if (cached.sessionSecretIgnored) {
    logger.warn("SESSION_SECRET is set but no longer used: sessions are stored hashed (ADR 028); it can be removed from the configuration");
  }
  return cached;
}

/** Tests only: forget the cached configuration. */
export function resetEnvForTests() {
  cached = undefined;
}
