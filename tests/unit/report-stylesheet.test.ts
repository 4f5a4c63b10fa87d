import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Selectors of the top-level rules that name a single selector (grouped rules
 * and rules inside @media/@page blocks left out: refining a grouped rule for
 * one of its members is deliberate cascading).
 */
function singleSelectorRules(css: string): string[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const selectors: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") {
      if (depth === 0) {
        const prelude = text.slice(start, i).trim();
        if (!prelude.startsWith("@") && !prelude.includes(",")) selectors.push(prelude.replace(/\s+/g, " "));
      }
      depth++;
    } else if (text[i] === "}") {
      depth--;
      if (depth === 0) start = i + 1;
    }
  }
  return selectors;
}

describe("the report's stylesheet (public/dashboard-report.css)", () => {
  it("gives each selector one rule of its own: a second rule for the same class silently restyles another element", () => {
    const css = fs.readFileSync(path.resolve(__dirname, "../../public/dashboard-report.css"), "utf8");
    const selectors = singleSelectorRules(css);
    expect(selectors.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    const repeated = selectors.filter((s) => (seen.has(s) ? true : (seen.add(s), false)));
    expect(repeated).toEqual([]);
  });
});
