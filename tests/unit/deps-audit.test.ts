import { describe, expect, it } from "vitest";
import { exitCodeFor, judgeAudit } from "../../scripts/deps-audit";

const report = (vulnerabilities: Record<string, unknown>, counts: Record<string, number> = {}) =>
  JSON.stringify({ auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: counts } });

describe("dependency gate (npm audit --omit=dev)", () => {
  it("fails on a high or a critical vulnerability and names the package and advisory", () => {
    const verdict = judgeAudit(
      report({
        "tar-fs": { severity: "high", via: [{ title: "Link following in tar-fs" }] },
        semver: { severity: "moderate", via: [{ title: "ReDoS" }] },
        "pkg-via": { severity: "critical", via: ["other-pkg"] },
      }),
    );
    expect(verdict).toEqual({
      kind: "vulnerable",
      findings: [
        { name: "tar-fs", severity: "high", title: "Link following in tar-fs" },
        { name: "pkg-via", severity: "critical", title: "vulnerable through a dependency" },
      ],
    });
    expect(exitCodeFor(verdict, false)).toBe(1);
  });

  it("passes when only low or moderate vulnerabilities remain", () => {
    const verdict = judgeAudit(report({ semver: { severity: "moderate", via: [] } }, { moderate: 1, high: 0 }));
    expect(verdict).toEqual({ kind: "clean", counts: { moderate: 1, high: 0 } });
    expect(exitCodeFor(verdict, true)).toBe(0);
  });

  it("reports an unreachable advisory service as such, failing only when the audit is required", () => {
    const verdict = judgeAudit(JSON.stringify({ message: "405 Method Not Allowed - POST …/advisories/bulk", statusCode: 405, error: { summary: "" } }));
    expect(verdict).toEqual({ kind: "unavailable", reason: "405 Method Not Allowed - POST …/advisories/bulk (HTTP 405)" });
    expect(exitCodeFor(verdict, false)).toBe(0);
    expect(exitCodeFor(verdict, true)).toBe(1);
    expect(judgeAudit("npm ERR! not json").kind).toBe("unavailable");
  });
});
