import pino from "pino";

/**
 * The process logger (JSON lines). Secrets are redacted wherever they appear
 * in a logged object: passwords, tokens, cookies, authorization headers.
 */
export const redactPaths = [
  "password",
  "newPassword",
  "currentPassword",
  "token",
  "secret",
  "*.password",
  "*.token",
  "*.secret",
  "headers.authorization",
  "headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "SESSION_SECRET",
  "DATABASE_URL",
  "env.SESSION_SECRET",
  "env.DATABASE_URL",
  "SMTP_PASSWORD",
  "env.SMTP_PASSWORD",
  "auth.pass",
  "*.auth.pass",
];

export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: redactPaths, censor: "[masqué]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export const logger = createLogger(process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"));
