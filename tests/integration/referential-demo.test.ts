import path from "node:path";
import { describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { useTestDb } from "../support/db";
import { makeRequest, sessionCookie } from "../factories";
import { runRoute } from "../factories/referential";
import { systemContext, verifyAuditChain } from "~/server/audit/audit.server";
import { systemActor } from "~/server/command.server";
import { loadObservatoryFiles } from "~/server/observatory/files.server";
import { importObservatory, seedDemoUsers } from "~/server/observatory/seed.server";
import { DEMO_CLOSED_YEARS, DEMO_OPEN_YEAR, seedDemoReferential } from "~/server/observatory/demo-referential.server";
import { listAmendments } from "~/server/convention/convention.server";
import { getIndicator } from "~/server/indicators/indicators.server";
import { todayIso } from "~/domain/dates";
import * as home from "~/routes/_index";

const t = useTestDb();

describe("demo referential (demo mode only)", () => {
  it("every demo seeder refuses production mode before writing anything", async () => {
    const { seedDemoGovernance } = await import("~/server/governance/demo.server");
    const { seedDemoPublications } = await import("~/server/publications/demo.server");
    const { seedDemoDashboard } = await import("~/server/dashboard/demo-data.server");
    const actor = systemActor("test (démo)");
    const before = await t.db.selectFrom("audit_event").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    for (const seed of [
      () => seedDemoUsers(t.db, actor, "ODPE42", "production"),
      () => seedDemoReferential(t.db, actor, "production"),
      () => seedDemoDashboard(t.db, actor, "production"),
      () => seedDemoGovernance(t.db, actor, "production"),
      () => seedDemoPublications(t.db, actor, "production"),
    ]) {
      await expect(seed()).rejects.toThrow(/refusées en mode production/);
    }
    const after = await t.db.selectFrom("audit_event").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("seeds agreements for every provider, campaigns 2019–2024 closed and 2025 open with a deadline after today", async () => {
    const data = loadObservatoryFiles(path.resolve(__dirname, "../.."));
    const context = systemContext("test (démo)");
    await importObservatory(t.db, system(context), data, { isDemo: true });
    await seedDemoUsers(t.db, system(context), data.observatory.team.code, "demo");
    const result = await seedDemoReferential(t.db, system(context), "demo");
    expect(result.seeded).toBe(true);

    const providers = await t.db.selectFrom("indicator_provider").select("organisation_id").distinct().execute();
    const withAgreement = await t.db.selectFrom("agreement").select("organisation_id").distinct().execute();
    expect(new Set(withAgreement.map((a) => a.organisation_id))).toEqual(new Set(providers.map((p) => p.organisation_id)));

    const campaigns = await t.db.selectFrom("campaign").select(["reference_year", "status", "deadline"]).orderBy("reference_year").execute();
    expect(campaigns.map((c) => [c.reference_year, c.status])).toEqual([...DEMO_CLOSED_YEARS.map((y) => [y, "closed"]), [DEMO_OPEN_YEAR, "open"]]);
    expect(campaigns.at(-1)!.deadline > todayIso()).toBe(true);

    // Art. 7 in the demo: an amendment admitting a partner, one adding data, a withdrawal; a break in series.
    const register = await listAmendments(t.db);
    expect(register.map((a) => a.kind)).toEqual(["new_partner", "new_data"]);
    expect((await getIndicator(t.db, "IP_NB")).breaks.map((b) => b.year)).toEqual([2022]);
    const fdlv = await t.db.selectFrom("organisation").select(["id", "withdrawal_effective_date"]).where("code", "=", "FDLV").executeTakeFirstOrThrow();
    expect(fdlv.withdrawal_effective_date).toBe("2025-09-02");
    const open = await t.db
      .selectFrom("expected_submission as e")
      .innerJoin("campaign as c", "c.id", "e.campaign_id")
      .select("e.organisation_id")
      .where("c.reference_year", "=", DEMO_OPEN_YEAR)
      .execute();
    expect(open.some((e) => e.organisation_id === fdlv.id)).toBe(false);

    // The CAF correspondent sees its 2025 deadline on the home page.
    const caf = await t.db.selectFrom("app_user").select("id").where("email", "=", "correspondant.caf@demo.odpe.example").executeTakeFirstOrThrow();
    const page = await runRoute(home.loader, makeRequest("/", { cookie: await sessionCookie(caf.id) }));
    expect((page.data as { deadlines: { referenceYear: number; deadline: string }[] }).deadlines).toEqual([
      expect.objectContaining({ referenceYear: DEMO_OPEN_YEAR, deadline: campaigns.at(-1)!.deadline }),
    ]);

    // Every step went through the audited use cases; the chain is intact; seeding twice does nothing.
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
    expect(await seedDemoReferential(t.db, system(context), "demo")).toEqual({ seeded: false });
    await expect(seedDemoReferential(t.db, system(context), "production")).rejects.toThrow(/production/);
  });
});

describe("demo governance (demo mode only)", () => {
  it("Art. 2–3: the demo shows a meeting with a decision, a proposal awaiting the CAF's agreement and a pending ad-hoc request; refused in production", async () => {
    const { seedDemoGovernance } = await import("~/server/governance/demo.server");
    const { getProposal } = await import("~/server/governance/proposals.server");
    const { getMeeting } = await import("~/server/governance/governance.server");
    const data = loadObservatoryFiles(path.resolve(__dirname, "../.."));
    const context = systemContext("test (démo)");
    if (!(await t.db.selectFrom("observatory").select("id").executeTakeFirst())) {
      await importObservatory(t.db, system(context), data, { isDemo: true });
      await seedDemoUsers(t.db, system(context), data.observatory.team.code, "demo");
    }
    await expect(seedDemoGovernance(t.db, systemActor("test (démo)"), "production")).rejects.toThrow(/refusées en mode production/);
    const result = await seedDemoGovernance(t.db, systemActor("test (démo)"), "demo");
    expect(result.seeded).toBe(true);
    if (!result.seeded) return;
    const meeting = await getMeeting(t.db, result.meeting);
    expect(meeting.decisions.length).toBeGreaterThanOrEqual(1);
    const proposal = await getProposal(t.db, result.proposal);
    expect(proposal.status).toBe("open");
    expect(Object.fromEntries(proposal.opinions.map((o) => [o.organisation_code, o.position]))).toEqual({ DEP42: "agree", CAF42: null });
    expect(proposal.refusal).toMatch(/l'accord de .* manque encore/);
    const { getDataRequest } = await import("~/server/governance/data-requests.server");
    const request = await getDataRequest(t.db, result.dataRequest);
    expect(Object.fromEntries(request.recipients.map((r) => [r.organisation_code, r.status]))).toEqual({ DEP42: "answered", CAF42: "pending" });
    expect((await seedDemoGovernance(t.db, systemActor("test (démo)"), "demo")).seeded).toBe(false);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
