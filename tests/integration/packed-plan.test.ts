import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { setupCampaign } from "../factories/campaign-setup";
import { buildCollectionPlan, buildPackedCollectionPlan } from "~/server/collection/plan.server";
import { packedPlanLines, packLines } from "~/server/collection/packed-lines";

const t = useTestDb();

describe("the upload's plan, its lines packed as they are made (ADR 050)", () => {
  it("is the plan of the template: same head, same hash, the same lines once unpacked", async () => {
    const setup = await setupCampaign(t.db, {
      indicators: [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }, { code: "AGE", items: ["0-5", "6-11", "12-17"] }] }, { valueType: "decimal" }, {}],
    });
    const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
    const { packedLines, ...head } = await buildPackedCollectionPlan(t.db, setup.year, setup.org.id);
    const { lines, ...planHead } = plan;
    expect(lines.length).toBe(1 + 2 * 3 + 1 + 1);
    expect(head).toEqual(planHead);
    // The hash the template carries (ADR 031's plan hash), computed here from the lines as it always was.
    const hash = createHash("sha256")
      .update(lines.map((l) => `${l.key}@${l.indicatorVersionId}`).join("\n"))
      .digest("hex");
    expect(head.hash).toBe(hash);
    // ADR 058: the keys stay behind; the worker makes each again from the line's indicator and breakdown.
    expect(packedLines.fields).not.toContain("key");
    expect(packedLines).toEqual(packLines(lines.map(({ key: _key, ...line }) => line)));
    const viewed = packedPlanLines(packedLines);
    expect(viewed.length).toBe(lines.length);
    expect(Array.from({ length: viewed.length }, (_, i) => viewed.at(i))).toEqual(lines);
  });
});
