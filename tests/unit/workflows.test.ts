import fs from "node:fs";
import { describe, expect, it } from "vitest";
import {
  applyTransition,
  approvalTable,
  campaignTable,
  editionTable,
  publicationTable,
  submissionTable,
  workflowsMarkdown,
  type Transition,
} from "~/domain/workflow";
import { versionStatusLabels } from "~/domain/submissions";
import { approvalStatusLabels } from "~/domain/publications";

describe("one transition-table shape (docs/architecture.md, « Workflows »)", () => {
  it("docs/architecture.md shows every workflow's table exactly as the code has it", () => {
    const doc = fs.readFileSync("docs/architecture.md", "utf8");
    expect(doc).toContain(workflowsMarkdown());
  });

  it.each([
    ["submissions", submissionTable],
    ["publications", publicationTable],
    ["approvals", approvalTable],
    ["campaigns", campaignTable],
    ["editions", editionTable],
  ] as const)("%s: every transition has an action, statuses to leave, a target, a permission and named guards", (_name, table) => {
    expect(table.length).toBeGreaterThan(0);
    for (const t of table as readonly Transition<string>[]) {
      expect(t.action).toMatch(/^[a-z_]+$/);
      expect(t.from.length).toBeGreaterThan(0);
      expect(t.permission).toMatch(/^(system|[a-z_]+:[a-z_]+)$/);
      for (const g of t.guards) expect(g.name.length).toBeGreaterThan(0);
    }
  });
});

describe("applyTransition: the new status, or a French refusal naming the rule", () => {
  it("Art. 4 four-eyes: who submitted may not validate, unless the agreement allows it", () => {
    const refused = applyTransition(submissionTable, "validate", "submitted", { actorId: "u1", submittedBy: "u1" }, versionStatusLabels);
    expect(refused).toMatchObject({ ok: false, rule: "quatre yeux" });
    if (!refused.ok) expect(refused.refusal).toMatch(/autre personne.*règle « quatre yeux »/);
    expect(applyTransition(submissionTable, "validate", "submitted", { actorId: "u2", submittedBy: "u1" }, versionStatusLabels)).toEqual({ ok: true, to: "institution_validated" });
    expect(applyTransition(submissionTable, "validate", "submitted", { actorId: "u1", submittedBy: "u1", samePersonMayValidate: true }, versionStatusLabels)).toEqual({
      ok: true,
      to: "institution_validated",
    });
  });

  it("Art. 4: no errors, then a comment when there are warnings, before a version is transmitted", () => {
    expect(applyTransition(submissionTable, "submit", "draft", { errorCount: 2 }, versionStatusLabels)).toMatchObject({ ok: false, rule: "aucune erreur" });
    expect(applyTransition(submissionTable, "submit", "draft", { warningCount: 1, comment: " " }, versionStatusLabels)).toMatchObject({
      ok: false,
      rule: "commentaire si avertissements",
    });
    expect(applyTransition(submissionTable, "submit", "draft", { warningCount: 1, comment: "Hausse expliquée" }, versionStatusLabels)).toEqual({ ok: true, to: "submitted" });
  });

  it("a status the action does not leave from is refused by the rule « statut de départ », in French", () => {
    const outcome = applyTransition(approvalTable, "approve", "refused", {}, approvalStatusLabels);
    expect(outcome).toMatchObject({ ok: false, rule: "statut de départ" });
    if (!outcome.ok) expect(outcome.refusal).toContain(`« ${approvalStatusLabels.pending} »`);
  });
});
