import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "~/server/env.server";

describe("configuration (zod-validated environment)", () => {
  it("defaults to port 3000, ./data and demo mode without DATABASE_URL", () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATA_DIR.endsWith("/data")).toBe(true);
    expect(env.APP_MODE).toBe("demo");
    expect(env.secureCookies).toBe(false);
  });

  it("defaults to production mode with DATABASE_URL, which then requires AUDIT_HMAC_KEY but not SESSION_SECRET", () => {
    expect(() => parseEnv({ DATABASE_URL: "postgres://x@localhost/db" })).toThrow(EnvError);
    const env = parseEnv({ DATABASE_URL: "postgres://x@localhost/db", AUDIT_HMAC_KEY: "k".repeat(40), NODE_ENV: "production" });
    expect(env.APP_MODE).toBe("production");
    expect(env.secureCookies).toBe(true);
    expect(env.sessionSecretIgnored).toBe(false);
  });

  it("ADR 028: SESSION_SECRET is no longer used — still accepted (any value) so that existing deployments start, flagged as ignored and not kept", () => {
    for (const value of ["ancien-secret-de-session-".repeat(2), "court"]) {
      const env = parseEnv({ DATABASE_URL: "postgres://x@localhost/db", AUDIT_HMAC_KEY: "k".repeat(40), SESSION_SECRET: value });
      expect(env.APP_MODE).toBe("production");
      expect(env.sessionSecretIgnored).toBe(true);
      expect(JSON.stringify(env)).not.toContain(`"${value}"`);
      expect("SESSION_SECRET" in env).toBe(false);
    }
  });

  it("ADR 024: production mode requires AUDIT_HMAC_KEY (at least 32 characters), without echoing it", () => {
    const production = { DATABASE_URL: "postgres://x@localhost/db" };
    for (const source of [production, { ...production, AUDIT_HMAC_KEY: "trop-court-secret" }]) {
      let caught: unknown;
      try {
        parseEnv(source);
      } catch (error) {
        caught = error;
      }
      expect((caught as EnvError).variable).toBe("AUDIT_HMAC_KEY");
      expect((caught as Error).message).toMatch(/^Configuration invalide : AUDIT_HMAC_KEY .+ \/ Invalid configuration: AUDIT_HMAC_KEY .+/);
      expect((caught as Error).message).not.toContain("trop-court-secret");
    }
    const env = parseEnv({ ...production, AUDIT_HMAC_KEY: "k".repeat(40), AUDIT_HMAC_PREVIOUS_KEYS: ` ${"a".repeat(32)} , ${"b".repeat(32)},` });
    expect(env.AUDIT_HMAC_PREVIOUS_KEYS).toEqual(["a".repeat(32), "b".repeat(32)]);
    expect(env.AUDIT_ANCHOR_CRON).toBe("30 2 * * *");
    // Demo mode: no key needed (DATA_DIR/audit-hmac.key, app/server/audit/keys.server.ts).
    expect(parseEnv({}).AUDIT_HMAC_KEY).toBeUndefined();
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://nope" }, "DATABASE_URL"],
    [{ APP_MODE: "staging" }, "APP_MODE"],
    [{ AUDIT_HMAC_PREVIOUS_KEYS: "short" }, "AUDIT_HMAC_PREVIOUS_KEYS"],
    [{ AUDIT_ANCHOR_CRON: "every day" }, "AUDIT_ANCHOR_CRON"],
  ])("names the faulty variable in French and English: %o", (source, variable) => {
    let caught: unknown;
    try {
      parseEnv(source as Record<string, string>);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvError);
    expect((caught as EnvError).variable).toBe(variable);
    expect((caught as Error).message).toContain(`Configuration invalide : ${variable}`);
    expect((caught as Error).message).toContain(`Invalid configuration: ${variable}`);
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ DATABASE_URL: "", PORT: "" }).APP_MODE).toBe("demo");
  });
});
