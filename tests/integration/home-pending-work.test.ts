import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { buildAccessFixtures, type AccessFixtures } from "../support/access-fixtures";
import { makeRequest } from "../factories";
import { runRoute } from "../factories/referential";
import * as home from "~/routes/_index";

const t = useTestDb();
let f: AccessFixtures;

beforeAll(async () => {
  f = await buildAccessFixtures(t.db);
}, 120_000);

type Pending = { versions: unknown[]; returned: { code: string; reason: string | null }[]; approvals: { id: string }[]; requests: { id: string; late: boolean }[]; proposals: { id: string }[] };
async function pendingOf(role: keyof AccessFixtures["users"]): Promise<Pending> {
  const result = await runRoute(home.loader, makeRequest("/", { cookie: f.users[role].cookie }));
  expect(result.status).toBe(200);
  return (result.data as { pending: Pending }).pending;
}

describe("each home page lists the user's pending work (no silent dead ends)", () => {
  it("Art. 5: the partner validator sees the external diffusion its organisation must approve", async () => {
    const pending = await pendingOf("partner_validator");
    expect(pending.approvals.map((a) => a.id)).toEqual([f.approvalA]);
  });

  it("Art. 2–3: the partner validator sees the indicator proposal awaiting its organisation's agreement, not once decided", async () => {
    expect((await pendingOf("partner_validator")).proposals.map((p) => p.id)).toEqual([f.proposal]);
    await t.db.updateTable("indicator_proposal_opinion").set({ position: "agree", decided_at: new Date() }).where("proposal_id", "=", f.proposal).where("organisation_id", "=", f.orgA.id).execute();
    expect((await pendingOf("partner_validator")).proposals).toEqual([]);
  });

  it("Art. 3: the correspondent sees the data request its organisation has not answered, flagged when late", async () => {
    const pending = await pendingOf("partner_correspondent");
    expect(pending.requests.map((r) => r.id)).toEqual([f.dataRequest]);
    await t.db.updateTable("data_request").set({ due_on: "2000-01-01" }).where("id", "=", f.dataRequest).execute();
    expect((await pendingOf("partner_correspondent")).requests).toEqual([expect.objectContaining({ id: f.dataRequest, late: true })]);
  });

  it("Art. 4: the correspondent sees a dossier returned by the ODPE with the reason; another organisation's never", async () => {
    const submission = await t.db
      .selectFrom("submission")
      .select(["id", "current_version_id"])
      .where("organisation_id", "=", f.orgA.id)
      .where("current_version_id", "is not", null)
      .executeTakeFirstOrThrow();
    await t.db.updateTable("submission").set({ status: "returned" }).where("id", "=", submission.id).execute();
    await t.db.updateTable("submission_version").set({ status: "returned", return_reason: "Le total des mesures ne correspond pas." }).where("id", "=", submission.current_version_id!).execute();
    const pending = await pendingOf("partner_correspondent");
    expect(pending.returned).toEqual([expect.objectContaining({ code: f.orgA.code, reason: "Le total des mesures ne correspond pas." })]);
    expect((await pendingOf("partner_validator")).returned).toEqual([]);
  });

  it("a reader (élu) and a committee member have nothing to act on", async () => {
    for (const role of ["reader", "committee_member"] as const) {
      const pending = await pendingOf(role);
      expect([pending.returned, pending.approvals, pending.requests, pending.proposals].flat()).toEqual([]);
    }
  });
});
