import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PRODUCTION_SERVER_ENV, productionServerEnvironment } from "../support/production-server";

/**
 * ADR 059: `npm run serve` starts the production server with glibc's mmap threshold fixed, so that an upload's
 * megabyte buffers go back to the system once freed; the servers the tests and benchmarks start get the same
 * environment (PRODUCTION_SERVER_ENV). This keeps package.json and that constant in step. `npm start` (the
 * demo) does not set it: cross-env would add a ~50 MiB process to every start.
 */
const scripts = (JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** The variables a `cross-env K=V … node …` script sets for node (none when it does not start with cross-env). */
function crossEnvVariables(script: string): Record<string, string> {
  const words = script.split(/\s+/);
  if (words[0] !== "cross-env") return {};
  const set: Record<string, string> = {};
  for (const word of words.slice(1)) {
    const eq = word.indexOf("=");
    if (eq <= 0) break;
    set[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return set;
}

describe("the server's environment (ADR 059)", () => {
  it("fixes glibc's mmap threshold at its 128 KiB default", () => {
    expect(PRODUCTION_SERVER_ENV).toEqual({ MALLOC_MMAP_THRESHOLD_: "131072" });
  });

  it("npm run serve starts node with every variable of PRODUCTION_SERVER_ENV, and no other allocator setting", () => {
    const script = scripts.serve;
    expect(script, 'package.json has no "serve" script').toBeDefined();
    const set = crossEnvVariables(script!);
    for (const [key, value] of Object.entries(PRODUCTION_SERVER_ENV)) expect(set[key], key).toBe(value);
    const allocator = Object.fromEntries(Object.entries(set).filter(([key]) => key.startsWith("MALLOC_") || key === "GLIBC_TUNABLES"));
    expect(allocator).toEqual(PRODUCTION_SERVER_ENV);
  });

  it("the servers tests and benchmarks start get it, unless a caller removes it", () => {
    const base: NodeJS.ProcessEnv = { PATH: "/usr/bin", NODE_ENV: "test", DATABASE_URL: "postgres://x" };
    const env = productionServerEnvironment({ PORT: "4000" }, base);
    expect(env).toMatchObject({ ...PRODUCTION_SERVER_ENV, PATH: "/usr/bin", PORT: "4000", HOST: "127.0.0.1", NODE_ENV: "production", DATABASE_URL: "postgres://x" });
    const without = productionServerEnvironment({ MALLOC_MMAP_THRESHOLD_: undefined, DATABASE_URL: undefined }, base);
    expect(without).not.toHaveProperty("MALLOC_MMAP_THRESHOLD_");
    expect(without).not.toHaveProperty("DATABASE_URL");
    expect(productionServerEnvironment({ NODE_ENV: "development" }, base).NODE_ENV).toBe("production");
  });

  it("reads a script's cross-env variables up to the command", () => {
    expect(crossEnvVariables("cross-env NODE_ENV=production A=1 node server.mjs X=2")).toEqual({ NODE_ENV: "production", A: "1" });
    expect(crossEnvVariables("node server.mjs")).toEqual({});
  });
});
