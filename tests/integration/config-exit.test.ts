import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");

describe("bad configuration stops the process", () => {
  it("exits 1 with one French and English line naming the variable", () => {
    const result = spawnSync(
      path.join(root, "node_modules/.bin/tsx"),
      ["-e", 'import("./app/server/env.server.ts").then((m) => { m.getEnv(); console.log("started"); })'],
      { cwd: root, env: { PATH: process.env.PATH, PORT: "quatre-vingts" } as unknown as NodeJS.ProcessEnv, encoding: "utf8" },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("started");
    const lines = result.stderr.trim().split("\n").filter((l) => l.includes("PORT"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration invalide : PORT .+ \/ Invalid configuration: PORT .+/);
  });

  it("ADR 024: production mode without AUDIT_HMAC_KEY refuses to start, in one French and English line", () => {
    const result = spawnSync(
      path.join(root, "node_modules/.bin/tsx"),
      ["-e", 'import("./app/server/env.server.ts").then((m) => { m.getEnv(); console.log("started"); })'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, APP_MODE: "production" } as unknown as NodeJS.ProcessEnv,
        encoding: "utf8",
      },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("started");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration invalide : AUDIT_HMAC_KEY .+obligatoire en mode production\. \/ Invalid configuration: AUDIT_HMAC_KEY is required when APP_MODE=production/);
  });

  it("ADR 028: a deployment that still sets SESSION_SECRET starts; the variable is ignored, said once in the log without its value", () => {
    const secret = "ancien-secret-de-session-".repeat(2);
    const result = spawnSync(
      path.join(root, "node_modules/.bin/tsx"),
      ["-e", 'import("./app/server/env.server.ts").then((m) => { m.getEnv(); m.getEnv(); console.log("started"); })'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, APP_MODE: "production", AUDIT_HMAC_KEY: "k".repeat(40), SESSION_SECRET: secret, LOG_LEVEL: "info" } as unknown as NodeJS.ProcessEnv,
        encoding: "utf8",
      },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("started");
    const warnings = result.stdout.split("\n").filter((l) => l.includes("SESSION_SECRET is set but no longer used"));
    expect(warnings).toHaveLength(1);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });
});
