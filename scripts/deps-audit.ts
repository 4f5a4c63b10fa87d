/**
 * Dependency gate: runs `npm audit --omit=dev --json` and fails (exit 1) when a
 * production dependency has a known vulnerability of high or critical
 * severity, listing each one.
 *
 * When the advisory service cannot be reached (offline build machines, or a
 * registry mirror that refuses the audit endpoint with 405), the gate cannot
 * decide: it says so loudly and exits 0, unless `DEPS_AUDIT_REQUIRED=1`, which
 * makes an unanswered audit a failure too (set it where the registry answers).
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

export type AuditVerdict =
  | { kind: "clean"; counts: Record<string, number> }
  | { kind: "vulnerable"; findings: { name: string; severity: string; title: string }[] }
  | { kind: "unavailable"; reason: string };

const BLOCKING = new Set(["high", "critical"]);

interface NpmAuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, { severity?: string; via?: unknown[] }>;
  metadata?: { vulnerabilities?: Record<string, number> };
  message?: string;
  statusCode?: number;
  error?: { code?: string; summary?: string; detail?: string };
}

/** Reads npm audit's JSON output (npm ≥ 7, report version 2). */
export function judgeAudit(raw: string): AuditVerdict {
  let report: NpmAuditReport;
  try {
    report = JSON.parse(raw) as NpmAuditReport;
  } catch {
    return { kind: "unavailable", reason: "npm audit did not answer in JSON" };
  }
  if (report.auditReportVersion === undefined || report.vulnerabilities === undefined) {
    const reason = report.message || report.error?.summary || report.error?.code || "no audit report";
    return { kind: "unavailable", reason: report.statusCode ? `${reason} (HTTP ${report.statusCode})` : reason };
  }
  const findings = Object.entries(report.vulnerabilities)
    .filter(([, v]) => BLOCKING.has(v.severity ?? ""))
    .map(([name, v]) => {
      const advisory = (v.via ?? []).find((x): x is { title: string } => typeof x === "object" && x !== null && "title" in x);
      return { name, severity: v.severity!, title: advisory?.title ?? "vulnerable through a dependency" };
    });
  if (findings.length > 0) return { kind: "vulnerable", findings };
  return { kind: "clean", counts: report.metadata?.vulnerabilities ?? {} };
}

/** Exit code for a verdict; `required` makes an unanswered audit fail. */
export function exitCodeFor(verdict: AuditVerdict, required: boolean): number {
  if (verdict.kind === "vulnerable") return 1;
  if (verdict.kind === "unavailable") return required ? 1 : 0;
  return 0;
}

function main() {
  const run = spawnSync("npm", ["audit", "--omit=dev", "--json"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const verdict = judgeAudit(run.stdout ?? "");
  const required = process.env.DEPS_AUDIT_REQUIRED === "1";
  switch (verdict.kind) {
    case "clean":
      console.log(`deps-audit: no high or critical vulnerability in production dependencies (${JSON.stringify(verdict.counts)})`);
      break;
    case "vulnerable":
      console.error(`deps-audit: ${verdict.findings.length} production dependency(ies) with a high or critical vulnerability:`);
      for (const f of verdict.findings) console.error(`  - ${f.name} [${f.severity}] ${f.title}`);
      console.error("Update them (npm update / npm install <pkg>@<fixed version>) before merging.");
      break;
    case "unavailable":
      console.warn(`deps-audit: WARNING — the advisory service did not answer: ${verdict.reason}.`);
      console.warn(
        required
          ? "DEPS_AUDIT_REQUIRED=1: failing."
          : "No verdict on this machine; set DEPS_AUDIT_REQUIRED=1 where the registry's audit endpoint is reachable.",
      );
      break;
  }
  process.exit(exitCodeFor(verdict, required));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
