import { describe, expect, it } from "vitest";
import { ESLint } from "eslint";

/**
 * The import map of docs/architecture.md (« Map ») is enforced by ESLint
 * (eslint.config.js): each forbidden direction is refused, each allowed one passes.
 */
const eslint = new ESLint();

async function restricted(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === "@typescript-eslint/no-restricted-imports").length > 0;
}

describe("import boundaries", () => {
  it.each([
    ["server imports the UI", "app/server/probe.server.ts", 'import { ErrorPage } from "~/ui/ErrorPage";\nexport const x = ErrorPage;\n'],
    ["server imports a route", "app/server/probe.server.ts", 'import * as r from "~/routes/healthz";\nexport const x = r;\n'],
    ["domain imports the server", "app/domain/probe.ts", 'import { getDb } from "~/server/runtime.server";\nexport const x = getDb;\n'],
    ["domain imports the database schema", "app/domain/probe.ts", 'import type { Database } from "#db/schema";\nexport type X = Database;\n'],
    ["domain imports the UI", "app/domain/probe.ts", 'import { theme } from "../ui/theme";\nexport const x = theme;\n'],
    ["UI imports the server", "app/ui/Probe.tsx", 'import { getDb } from "../server/runtime.server";\nexport const x = getDb;\n'],
    ["a migration imports app code", "db/migrations/probe.ts", 'import { todayIso } from "~/domain/dates";\nexport const x = todayIso;\n'],
  ])("refused: %s", async (_label, filePath, code) => {
    expect(await restricted(filePath, code)).toBe(true);
  });

  it.each([
    ["a route imports server, domain and UI", "app/routes/probe.tsx", 'import { getDb } from "~/server/runtime.server";\nimport { todayIso } from "~/domain/dates";\nimport { ErrorPage } from "~/ui/ErrorPage";\nexport const x = [getDb, todayIso, ErrorPage];\n'],
    ["server imports domain and schema", "app/server/probe.server.ts", 'import { todayIso } from "~/domain/dates";\nimport type { Database } from "#db/schema";\nexport const x = todayIso;\nexport type X = Database;\n'],
    ["UI names the root loader's data type", "app/ui/Probe.tsx", 'import type { RootData } from "~/root";\nexport type X = RootData;\n'],
  ])("allowed: %s", async (_label, filePath, code) => {
    expect(await restricted(filePath, code)).toBe(false);
  });
});
