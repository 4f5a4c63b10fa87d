import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { personActor, system } from "../support/actors";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { agreementInput, ctx, makeCampaign, makeIndicator, makeMember, makeProvider, runRoute, seedReferentialBase } from "../factories/referential";
import { createAgreement, getAgreement, setAgreementIndicators, updateAgreement } from "~/server/agreements/agreements.server";
import { assertSubmissionOpen, getCampaign, reopenForOrganisation, submissionWindowFor, transitionCampaign } from "~/server/campaigns/campaigns.server";
import { recordWithdrawal } from "~/server/organisations/organisations.server";
import { DomainError } from "~/server/errors.server";
import { roles, type Role } from "~/domain/permissions";
import { addDays, todayIso } from "~/domain/dates";
import * as campaignPage from "~/routes/campaigns.$year";
import * as campaignsNew from "~/routes/campaigns.new";
import * as home from "~/routes/_index";
import * as myAgreement from "~/routes/my-agreement";

const t = useTestDb();

async function team() {
  const org = await makeOrganisation(t.db, { isTeam: true });
  return org;
}

const at = (date: string) => new Date(`${date}T09:00:00+01:00`);

describe("campaigns: transitions by role (draft → open → closed)", () => {
  it("only the referent may open or close a campaign; every other role is refused (403)", async () => {
    await seedReferentialBase(t.db);
    const teamOrg = await team();
    await makeCampaign(t.db, 2030, { opensOn: "2031-01-15", deadline: "2031-03-31" });
    const others = roles.filter((r): r is Exclude<Role, "odpe_referent"> => r !== "odpe_referent");
    for (const role of others) {
      const refusal = await transitionCampaign(t.db, personActor({ id: null, role, organisationId: teamOrg.id }, ctx), 2030, "open", at("2031-01-15")).catch((e: unknown) => e);
      expect(refusal, role).toBeInstanceOf(DomainError);
      expect((refusal as DomainError).status, role).toBe(403);
    }
    expect((await getCampaign(t.db, 2030)).status).toBe("draft");
    await transitionCampaign(t.db, personActor({ id: null, role: "odpe_referent", organisationId: teamOrg.id }, ctx), 2030, "open", at("2031-01-15"));
    for (const role of others) {
      const refusal = await transitionCampaign(t.db, personActor({ id: null, role, organisationId: teamOrg.id }, ctx), 2030, "closed", at("2031-06-30")).catch((e: unknown) => e);
      expect((refusal as DomainError).status, role).toBe(403);
    }
    await transitionCampaign(t.db, personActor({ id: null, role: "odpe_referent", organisationId: teamOrg.id }, ctx), 2030, "closed", at("2031-06-30"));
    expect((await getCampaign(t.db, 2030)).status).toBe("closed");
  });

  it("refuses moves the transition table does not have (draft → closed, closed → open) and opening past the deadline", async () => {
    const referent = personActor({ id: null, role: "odpe_referent", organisationId: (await team()).id }, ctx);
    await makeCampaign(t.db, 2031, { opensOn: "2032-01-15", deadline: "2032-03-31" });
    await expect(transitionCampaign(t.db, referent, 2031, "closed", at("2032-01-15"))).rejects.toThrow(/ne peut pas passer à « Clôturée »/);
    await expect(transitionCampaign(t.db, referent, 2031, "open", at("2032-04-01"))).rejects.toThrow(/date limite .* est passée/);
    await transitionCampaign(t.db, referent, 2031, "open", at("2032-01-20"));
    await expect(transitionCampaign(t.db, referent, 2031, "open", at("2032-01-21"))).rejects.toThrow(/ne peut pas passer à « Ouverte »/);
    await transitionCampaign(t.db, referent, 2031, "closed", at("2032-06-30"));
    await expect(transitionCampaign(t.db, referent, 2031, "open", at("2032-07-01"))).rejects.toThrow(/ne peut pas passer/);
    const events = await t.db.selectFrom("audit_event").select("action").where("action", "like", "campaign.%").execute();
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["campaign.created", "campaign.opened", "campaign.closed"]));
  });

  it("campaign pages: a correspondent cannot move a campaign (403); the referent's buttons come from the transition table", async () => {
    const teamOrg = await team();
    await makeCampaign(t.db, 2032, { opensOn: "2033-01-15", deadline: "2033-03-31" });
    const partnerOrg = await makeMember(t.db);
    const partner = await sessionCookie((await makeUser(t.db, "partner_correspondent", partnerOrg.id)).id);
    const refused = await runRoute(campaignPage.action, makeRequest("/campaigns/2032?intent=transition", { cookie: partner, form: { to: "open" } }), { year: "2032" });
    expect(refused.status).toBe(403);
    expect((await runRoute(campaignPage.loader, makeRequest("/campaigns/2032", { cookie: partner }), { year: "2032" })).status).toBe(403);
    const referent = await sessionCookie((await makeUser(t.db, "odpe_referent", teamOrg.id)).id);
    const page = await runRoute(campaignPage.loader, makeRequest("/campaigns/2032", { cookie: referent }), { year: "2032" });
    expect(page.data).toMatchObject({ transitions: [{ to: "open", action: "Ouvrir la campagne" }] });
    const committee = await sessionCookie((await makeUser(t.db, "committee_member", partnerOrg.id)).id);
    const committeePage = await runRoute(campaignPage.loader, makeRequest("/campaigns/2032", { cookie: committee }), { year: "2032" });
    expect(committeePage.status).toBe(200);
    expect(committeePage.data).toMatchObject({ transitions: [], canManage: false });
  });
});

describe("campaigns: opening creates the expected submissions (Art. 4)", () => {
  it("one expected submission per member organisation whose agreement (with indicators) covers the reference year", async () => {
    await seedReferentialBase(t.db);
    const referent = personActor({ id: null, role: "odpe_referent", organisationId: (await team()).id }, ctx);
    const covered = await makeProvider(t.db);
    const laterDue = await makeProvider(t.db, { agreement: { dueMonthDay: "05-31" } });
    const ended = await makeProvider(t.db, { agreement: { endsOn: "2022-12-31" } });
    const startsLater = await makeProvider(t.db, { agreement: { startsOn: "2024-02-01" } });
    const joinsLater = await makeProvider(t.db, { memberSince: "2024-06-01" });
    const noIndicators = await makeMember(t.db);
    await createAgreement(t.db, system(ctx), noIndicators.id, agreementInput());
    const noAgreement = await makeMember(t.db);
    await makeIndicator(t.db, { providerIds: [noAgreement.id] });

    await makeCampaign(t.db, 2023, { opensOn: "2024-01-15", deadline: "2024-03-31" });
    const opened = await transitionCampaign(t.db, referent, 2023, "open", at("2024-01-15"));
    const campaign = await getCampaign(t.db, 2023, "2024-01-15");
    const expected = new Map(campaign.expected.map((e) => [e.organisation_id, e]));
    expect(expected.get(covered.org.id)).toMatchObject({ status: "expected", deadline: "2024-03-31" });
    // Art. 4: the calendar agreed with the partner applies when later than the campaign's.
    expect(expected.get(laterDue.org.id)?.deadline).toBe("2024-05-31");
    for (const absent of [ended.org.id, startsLater.org.id, joinsLater.org.id, noIndicators.id, noAgreement.id]) expect(expected.has(absent)).toBe(false);
    expect(opened.expected).toBe(campaign.expected.length);
  });

  it("closing locks submission; the referent reopens one organisation with a new deadline, audited", async () => {
    await seedReferentialBase(t.db);
    const referent = personActor({ id: null, role: "odpe_referent", organisationId: (await team()).id }, ctx);
    const late = await makeProvider(t.db);
    const other = await makeProvider(t.db);
    await makeCampaign(t.db, 2024, { opensOn: "2025-01-15", deadline: "2025-03-31" });
    await transitionCampaign(t.db, referent, 2024, "open", at("2025-01-15"));
    await expect(assertSubmissionOpen(t.db, 2024, late.org.id, "2025-04-10")).resolves.toEqual({ open: true, late: true });
    await transitionCampaign(t.db, referent, 2024, "closed", at("2025-06-30"));
    expect(await submissionWindowFor(t.db, 2024, late.org.id, "2025-07-01")).toMatchObject({ open: false, reason: "closed" });

    const today = todayIso();
    const newDeadline = addDays(today, 10);
    await reopenForOrganisation(t.db, system({ ...ctx, actorLabel: "Référente test" }), 2024, { organisationId: late.org.id, deadline: newDeadline, reason: "Tableau CAF transmis en retard" });
    expect(await submissionWindowFor(t.db, 2024, late.org.id, today)).toEqual({ open: true, late: false });
    expect(await submissionWindowFor(t.db, 2024, late.org.id, addDays(newDeadline, 1))).toMatchObject({ open: false, reason: "reopening_expired" });
    // The others stay locked.
    expect(await submissionWindowFor(t.db, 2024, other.org.id, today)).toMatchObject({ open: false, reason: "closed" });
    const event = await t.db
      .selectFrom("audit_event")
      .select(["action", "summary", "organisation_id", "actor_label"])
      .where("action", "=", "campaign.reopened_for_organisation")
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ organisation_id: late.org.id, actor_label: "Référente test" });
    expect(event.summary).toMatch(/Tableau CAF transmis en retard/);

    await expect(reopenForOrganisation(t.db, system(ctx), 2024, { organisationId: other.org.id, deadline: addDays(today, -1), reason: "trop tard" })).rejects.toThrow(/passée/);
    await recordWithdrawal(t.db, system(ctx), other.org.id, { noticeDate: "2024-01-02", note: null }, "2024-01-02");
    await expect(reopenForOrganisation(t.db, system(ctx), 2024, { organisationId: other.org.id, deadline: addDays(today, 5), reason: "retour" })).rejects.toThrow(/retiré de la convention/);
  });

  it("the referent creates and opens a campaign from the UI; the partner's correspondent then sees the new deadline", async () => {
    await seedReferentialBase(t.db);
    const teamOrg = await team();
    const referent = await sessionCookie((await makeUser(t.db, "odpe_referent", teamOrg.id)).id);
    const { org } = await makeProvider(t.db, { memberSince: "2019-01-28" });
    const correspondent = await sessionCookie((await makeUser(t.db, "partner_correspondent", org.id)).id);
    const today = todayIso();
    const deadline = addDays(today, 60);

    const created = await runRoute(
      campaignsNew.action,
      makeRequest("/campaigns/new", { cookie: referent, form: { referenceYear: "2040", opensOn: today, deadline, reminderDaysBefore: "14, 3", reminderDaysAfter: "1", note: "" } }),
    );
    expect(created.status).toBe(302);
    expect(created.response!.headers.get("Location")).toBe("/campaigns/2040?created=1");
    const before = await runRoute(home.loader, makeRequest("/", { cookie: correspondent }));
    expect((before.data as { deadlines: { referenceYear: number }[] }).deadlines.some((d) => d.referenceYear === 2040)).toBe(false);

    const opened = await runRoute(campaignPage.action, makeRequest("/campaigns/2040?intent=transition", { cookie: referent, form: { to: "open" } }), { year: "2040" });
    expect(opened.status).toBe(200);
    expect(opened.data).toMatchObject({ ok: true, message: expect.stringMatching(/ouverte/) });

    const after = await runRoute(home.loader, makeRequest("/", { cookie: correspondent }));
    expect((after.data as { deadlines: unknown[] }).deadlines).toEqual(expect.arrayContaining([expect.objectContaining({ referenceYear: 2040, deadline })]));
    const mine = await runRoute(myAgreement.loader, makeRequest("/my-agreement", { cookie: correspondent }));
    expect((mine.data as { deadlines: unknown[] }).deadlines).toEqual(expect.arrayContaining([expect.objectContaining({ referenceYear: 2040, deadline })]));
  });
});

describe("Art. 4–5: bilateral agreements", () => {
  it("Art. 5: an agreement starts with the indicators the organisation provides, each with usage rights 'with approval' by default", async () => {
    await seedReferentialBase(t.db);
    const org = await makeMember(t.db);
    const a = await makeIndicator(t.db, { providerIds: [org.id] });
    const b = await makeIndicator(t.db, { providerIds: [org.id] });
    await makeIndicator(t.db); // provided by nobody: not in the agreement
    const id = await createAgreement(t.db, system(ctx), org.id, agreementInput());
    const agreement = await getAgreement(t.db, id);
    expect(agreement.indicators.map((i) => [i.code, i.usage_rights]).sort()).toEqual([
      [a.code, "with_approval"],
      [b.code, "with_approval"],
    ].sort());
    // Art. 4: by default the submitter may not validate its own data.
    expect(agreement.same_person_may_validate).toBe(false);
    // The database default is the same.
    const c = await makeIndicator(t.db);
    await t.db.insertInto("agreement_indicator").values({ agreement_id: id, indicator_id: c.id }).execute();
    const row = await t.db.selectFrom("agreement_indicator").select("usage_rights").where("indicator_id", "=", c.id).executeTakeFirstOrThrow();
    expect(row.usage_rights).toBe("with_approval");

    await setAgreementIndicators(t.db, system(ctx), id, [
      { indicatorId: a.id, usageRights: "internal" },
      { indicatorId: b.id, usageRights: "open" },
    ]);
    const updated = await getAgreement(t.db, id);
    expect(Object.fromEntries(updated.indicators.map((i) => [i.code, i.usage_rights]))).toEqual({ [a.code]: "internal", [b.code]: "open" });
  });

  it("Art. 4: creating and updating an agreement write every field of its form", async () => {
    await seedReferentialBase(t.db);
    const org = await makeMember(t.db);
    const fields = (a: Awaited<ReturnType<typeof getAgreement>>) => [a.reference, a.signed_on, a.starts_on, a.ends_on, a.format, a.statistical_level, a.due_month_day, a.same_person_may_validate, a.note].map(String);
    const id = await createAgreement(t.db, system(ctx), org.id, agreementInput({ reference: "CA-1", signedOn: "2019-01-10", endsOn: "2021-12-31", dueMonthDay: "03-31", note: "première" }));
    expect(fields(await getAgreement(t.db, id))).toEqual(["CA-1", "2019-01-10", "2019-01-28", "2021-12-31", "excel", "departement", "03-31", "false", "première"]);
    const changed = { reference: "CA-2", signedOn: "2019-02-01", startsOn: "2019-02-01", endsOn: "2023-12-31", format: "api", statisticalLevel: "territory", dueMonthDay: "04-30", samePersonMayValidate: true, note: "avenant" } as const;
    await updateAgreement(t.db, system(ctx), id, changed);
    expect(fields(await getAgreement(t.db, id))).toEqual(["CA-2", "2019-02-01", "2019-02-01", "2023-12-31", "api", "territory", "04-30", "true", "avenant"]);
  });

  it("refuses two agreements of one organisation over the same period", async () => {
    await seedReferentialBase(t.db);
    const org = await makeMember(t.db);
    await createAgreement(t.db, system(ctx), org.id, agreementInput({ startsOn: "2019-01-28", endsOn: "2022-12-31" }));
    await expect(createAgreement(t.db, system(ctx), org.id, agreementInput({ startsOn: "2022-06-01" }))).rejects.toThrow(/couvre déjà cette période/);
    await expect(createAgreement(t.db, system(ctx), org.id, agreementInput({ startsOn: "2023-01-01" }))).resolves.toEqual(expect.any(String));
  });

  it("'Ma convention' shows a partner its own agreement only", async () => {
    await seedReferentialBase(t.db);
    const { org, indicator } = await makeProvider(t.db);
    const otherProvider = await makeProvider(t.db);
    const validator = await sessionCookie((await makeUser(t.db, "partner_validator", org.id)).id);
    const page = await runRoute(myAgreement.loader, makeRequest("/my-agreement", { cookie: validator }));
    expect(page.status).toBe(200);
    const data = page.data as { agreements: { organisation_id: string; indicators: { code: string; usage_rights: string }[] }[] };
    expect(data.agreements).toHaveLength(1);
    expect(data.agreements[0]).toMatchObject({ organisation_id: org.id, indicators: [{ code: indicator.code, usage_rights: "with_approval" }] });
    expect(JSON.stringify(data)).not.toContain(otherProvider.indicator.code);
  });
});
