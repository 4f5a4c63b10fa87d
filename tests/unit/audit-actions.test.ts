import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { auditActionLabel, auditActionLabels } from "~/domain/audit-actions";
import { workflowTransitions } from "~/domain/submissions";

/** Every `.ts`/`.tsx` file under app/. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : /\.tsx?$/.test(e.name) ? [full] : [];
  });
}

/** The action codes the app writes: literals after `action:` or `audit:`, both branches of a ternary, and the workflow's `submission.<action>`. */
function writtenActionCodes(): string[] {
  const codes = new Set<string>();
  for (const file of sourceFiles(path.resolve(__dirname, "../../app"))) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/\b(?:action|audit):\s*([^,\n}]+)/g)) {
      for (const literal of m[1]!.matchAll(/"([a-z_]+\.[a-z_.]+)"/g)) codes.add(literal[1]!);
    }
  }
  for (const action of Object.keys(workflowTransitions)) codes.add(`submission.${action}`);
  return [...codes].sort();
}

describe("audit trail: actions read in French", () => {
  it("every action code the app writes has a French label", () => {
    const codes = writtenActionCodes();
    expect(codes.length).toBeGreaterThan(60);
    expect(codes.filter((c) => !(c in auditActionLabels))).toEqual([]);
  });

  it("shows the label, and an unknown (older) code as it is", () => {
    expect(auditActionLabel("user.erased")).toBe("Compte effacé (RGPD)");
    expect(auditActionLabel("legacy.code")).toBe("legacy.code");
  });
});
