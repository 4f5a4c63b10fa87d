import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { personActor, system } from "../support/actors";
import { makeOrganisation, makeUser } from "../factories";
import { indicatorInput, makeMember } from "../factories/referential";
import { DomainError } from "~/server/errors.server";
import { createOrganisation, exportOrganisationData, getOrganisation, recordWithdrawal, updateOrganisation } from "~/server/organisations/organisations.server";
import { createCampaign, listCampaigns } from "~/server/campaigns/campaigns.server";
import { setKeyFigures } from "~/server/dashboard/catalogue.server";
import { createApiToken, listApiTokens } from "~/server/api/tokens.server";
import { createUser } from "~/server/users/users.server";
import { updateConvention } from "~/server/convention/convention.server";
import { createIndicator } from "~/server/indicators/indicators.server";
import type { Role } from "~/domain/permissions";

/**
 * ADR 034: a command checks its actor's authority itself, whatever route,
 * job or script calls it. Each refusal is a French « accès refusé »
 * (DomainError "forbidden", 403), and nothing is written, not even an audit event.
 */
const t = useTestDb();

async function person(role: Role, organisationId?: string) {
  const org = organisationId ?? (await makeOrganisation(t.db)).id;
  const user = await makeUser(t.db, role, org);
  return personActor({ id: user.id, role, organisationId: org });
}

const auditCount = async () => Number((await t.db.selectFrom("audit_event").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

async function expectForbidden(promise: Promise<unknown>, message = /droits nécessaires/) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe("forbidden");
  expect((error as DomainError).message).toMatch(message);
}

describe("commands refuse an actor without the permission (ADR 034)", () => {
  it("organisations: a reader may not update an organisation's identity (manage:organisation); the referent may", async () => {
    const org = await makeMember(t.db);
    const before = await auditCount();
    await expectForbidden(updateOrganisation(t.db, await person("reader"), org.id, { name: "Nom pirate", kind: "association", note: null }));
    expect((await getOrganisation(t.db, org.id)).name).toBe(org.name);
    expect(await auditCount()).toBe(before);
    await updateOrganisation(t.db, await person("odpe_referent"), org.id, { name: "Nouveau nom", kind: "association", note: null });
    expect((await getOrganisation(t.db, org.id)).name).toBe("Nouveau nom");
  });

  it("organisations, Art. 7: the admin manages identities but may not record a withdrawal (manage:membership)", async () => {
    const org = await makeMember(t.db);
    await expectForbidden(recordWithdrawal(t.db, await person("admin"), org.id, { noticeDate: "2024-01-10", note: null }, "2024-01-10"));
    await expect(createOrganisation(t.db, await person("admin"), { code: "NOUV42", name: "Nouvel organisme", kind: "association", note: null })).resolves.toEqual(expect.any(String));
  });

  it("organisations, Art. 5–6: a correspondent exports its own organisation's data, not another's (export:organisation_data, own)", async () => {
    const mine = await makeMember(t.db);
    const other = await makeMember(t.db);
    const correspondent = await person("partner_correspondent", mine.id);
    await expectForbidden(exportOrganisationData(t.db, correspondent, other.id));
    await expect(exportOrganisationData(t.db, correspondent, mine.id)).resolves.toMatchObject({ organisation: { code: mine.code } });
  });

  it("campaigns: a partner correspondent may not create a campaign (manage:campaign)", async () => {
    await expectForbidden(
      createCampaign(t.db, await person("partner_correspondent"), { referenceYear: 2050, opensOn: "2051-01-15", deadline: "2051-03-31", note: null, reminderDaysBefore: [14], reminderDaysAfter: [1] }),
    );
    expect((await listCampaigns(t.db)).some((c) => c.reference_year === 2050)).toBe(false);
  });

  it("dashboard: a committee member may not choose the key figures (manage:dashboard)", async () => {
    const before = await auditCount();
    await expectForbidden(setKeyFigures(t.db, await person("committee_member"), { codes: [] }));
    expect(await auditCount()).toBe(before);
  });

  it("API tokens: a correspondent creates tokens for its own organisation only (manage:api_token, own)", async () => {
    const mine = await makeMember(t.db);
    const other = await makeMember(t.db);
    const correspondent = await person("partner_correspondent", mine.id);
    await expectForbidden(createApiToken(t.db, correspondent, { organisationId: other.id, name: "Jeton pirate", createdBy: correspondent.id }));
    expect(await listApiTokens(t.db, other.id)).toEqual([]);
    await expect(createApiToken(t.db, correspondent, { organisationId: mine.id, name: "Jeton", createdBy: correspondent.id })).resolves.toMatchObject({ name: "Jeton" });
  });

  it("API tokens, Art. 7: the correspondent of a withdrawn organisation is refused with the withdrawal's reason", async () => {
    const org = await makeMember(t.db);
    const correspondent = { ...(await person("partner_correspondent", org.id)), organisationWithdrawn: true };
    await expectForbidden(createApiToken(t.db, correspondent, { organisationId: org.id, name: "Jeton", createdBy: correspondent.id }), /retiré de la convention \(art\. 7\)/);
  });

  it("users: the referent may not create an account (create:user is the admin's)", async () => {
    const org = await makeOrganisation(t.db);
    await expectForbidden(createUser(t.db, await person("odpe_referent"), { email: "nouveau@test.odpe.example", displayName: "Nouveau", role: "reader", organisationId: org.id }));
    expect(await t.db.selectFrom("app_user").select("id").where("email", "=", "nouveau@test.odpe.example").executeTakeFirst()).toBeUndefined();
  });

  it("convention and catalogue: a partner validator may change neither (manage:convention, manage:indicator)", async () => {
    const validator = await person("partner_validator");
    await expectForbidden(updateConvention(t.db, validator, { title: "Convention pirate", signatureDate: "2019-01-28", note: null }));
    await expectForbidden(createIndicator(t.db, validator, indicatorInput({ code: "PIRATE" })));
  });

  it("the system actor (command line, jobs, seeding) may run them all", async () => {
    await expect(createOrganisation(t.db, system(), { code: "SYS42", name: "Organisme système", kind: "association", note: null })).resolves.toEqual(expect.any(String));
  });
});
