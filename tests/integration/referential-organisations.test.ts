import { describe, expect, it } from "vitest";
import { personActor, system } from "../support/actors";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import {
  ctx,
  makeCampaign,
  makeIndicator,
  makeMember,
  makeProvider,
  multipartRequest,
  runRoute,
  samplePdf,
  samplePng,
  sampleSvg,
  seedReferentialBase,
} from "../factories/referential";
import { recordMembership, recordWithdrawal, cancelWithdrawal, getOrganisation } from "~/server/organisations/organisations.server";
import { listAmendments, recordAmendment } from "~/server/convention/convention.server";
import { assertSubmissionOpen, transitionCampaign } from "~/server/campaigns/campaigns.server";
import { getFile, putFile } from "~/server/storage/files.server";
import { DomainError } from "~/server/errors.server";
import { LOGO_MAX_BYTES } from "~/domain/files";
import { addCalendarMonths, todayIso } from "~/domain/dates";
import { withdrawalEffectiveDate } from "~/domain/organisations";
import * as home from "~/routes/_index";
import * as organisationsIndex from "~/routes/organisations._index";
import * as organisationPage from "~/routes/organisations.$id";
import * as organisationLogo from "~/routes/organisations.$id.logo";
import * as organisationExport from "~/routes/organisations.$id.export";
import * as myData from "~/routes/my-data";
import * as myDataExport from "~/routes/my-data.export";
import * as account from "~/routes/account";

const t = useTestDb();

async function referentCookie() {
  const team = await makeOrganisation(t.db, { isTeam: true });
  const referent = await makeUser(t.db, "odpe_referent", team.id);
  return { team, referent, cookie: await sessionCookie(referent.id) };
}

describe("Art. 7: withdrawal", () => {
  it("Art. 7: withdrawal takes effect three months after the notice (registered letter), audited", async () => {
    await seedReferentialBase(t.db);
    const org = await makeMember(t.db);
    const { effectiveDate } = await recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2025-11-30", note: "LRAR n° 1A" }, "2025-12-01");
    expect(effectiveDate).toBe("2026-02-28");
    const stored = await getOrganisation(t.db, org.id, "2025-12-01");
    expect(stored).toMatchObject({ withdrawal_notice_date: "2025-11-30", withdrawal_effective_date: "2026-02-28", status: "withdrawal_notified" });
    expect((await getOrganisation(t.db, org.id, "2026-02-28")).status).toBe("withdrawn");
    const event = await t.db.selectFrom("audit_event").select(["action", "summary"]).where("entity_id", "=", org.id).orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(event.action).toBe("organisation.withdrawal_recorded");
    expect(event.summary).toMatch(/effectif le 28 février 2026/);
  });

  it("Art. 7: the database itself refuses an effective date other than notice + 3 months", async () => {
    const org = await makeMember(t.db);
    await expect(
      t.db.updateTable("organisation").set({ withdrawal_notice_date: "2025-06-02", withdrawal_effective_date: "2025-07-02" }).where("id", "=", org.id).execute(),
    ).rejects.toThrow(/organisation_withdrawal_three_months/);
  });

  it("Art. 7: refuses a notice before membership, in the future, twice, or for the observatory team; cancels only before it takes effect", async () => {
    const org = await makeMember(t.db, "2020-05-01");
    const expectRefused = (p: Promise<unknown>, message: RegExp) => expect(p).rejects.toThrow(message);
    await expectRefused(recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2020-04-30", note: null }, "2025-01-01"), /précéder l'adhésion/);
    await expectRefused(recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2025-01-02", note: null }, "2025-01-01"), /futur/);
    const team = await makeOrganisation(t.db, { isTeam: true });
    await t.db.updateTable("organisation").set({ member_since: "2019-01-28" }).where("id", "=", team.id).execute();
    await expectRefused(recordWithdrawal(t.db, system(ctx), team.id, { noticeDate: "2024-01-02", note: null }, "2025-01-01"), /équipe de l'observatoire/);

    await recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2024-12-20", note: null }, "2025-01-01");
    await expectRefused(recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2024-12-21", note: null }, "2025-01-01"), /déjà enregistré/);
    await cancelWithdrawal(t.db, system(ctx), org.id, "2025-01-01");
    expect((await getOrganisation(t.db, org.id, "2025-06-01")).status).toBe("member");

    await recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2024-12-20", note: null }, "2025-01-01");
    await expectRefused(cancelWithdrawal(t.db, system(ctx), org.id, "2025-03-20"), /a pris effet/);
  });

  it("Art. 7: from the effective date its users lose access, except exporting their own organisation's data", async () => {
    await seedReferentialBase(t.db);
    const today = todayIso();
    const withdrawn = await makeMember(t.db, "2019-01-28");
    const other = await makeMember(t.db);
    // A withdrawal notified four months ago has taken effect; one notified today has not.
    const notice = addCalendarMonths(today, -4);
    await t.db
      .updateTable("organisation")
      .set({ withdrawal_notice_date: notice, withdrawal_effective_date: withdrawalEffectiveDate(notice) })
      .where("id", "=", withdrawn.id)
      .execute();
    await recordWithdrawal(t.db, system(ctx), other.id, { noticeDate: today, note: null }, today);

    const gone = await makeUser(t.db, "partner_correspondent", withdrawn.id);
    const cookie = await sessionCookie(gone.id);
    // Pages redirect to the export of the organisation's data.
    for (const [route, path] of [
      [home.loader, "/"],
      [organisationsIndex.loader, "/organisations"],
      [account.loader, "/account"],
    ] as const) {
      const result = await runRoute(route, makeRequest(path, { cookie }));
      expect(result.status, path).toBe(302);
      expect(result.response!.headers.get("Location")).toBe("/my-data");
    }
    const otherExport = await runRoute(organisationExport.loader, makeRequest(`/organisations/${other.id}/export`, { cookie }), { id: other.id });
    expect(otherExport.status).toBe(302);
    // Changes are refused outright.
    const post = await runRoute(account.action, makeRequest("/account", { cookie, form: { currentPassword: "x", newPassword: "y", confirmPassword: "y" } }));
    expect(post.status).toBe(403);
    // The export page and the export itself stay open (Art. 5–6: the data remain its property).
    const page = await runRoute(myData.loader, makeRequest("/my-data", { cookie }));
    expect(page.status).toBe(200);
    expect(page.data).toMatchObject({ withdrawn: true });
    const exported = await runRoute(myDataExport.loader, makeRequest("/my-data/export", { cookie }));
    expect(exported.status).toBe(200);
    expect(exported.response!.headers.get("Content-Disposition")).toMatch(/attachment; filename="donnees-/);
    const body = JSON.parse(await exported.response!.text());
    expect(body.organisation).toMatchObject({ code: withdrawn.code, status: "withdrawn", withdrawalEffectiveDate: withdrawalEffectiveDate(notice) });

    // Before its effective date, a notified withdrawal changes nothing for the users.
    const stillMember = await makeUser(t.db, "partner_correspondent", other.id);
    expect((await runRoute(home.loader, makeRequest("/", { cookie: await sessionCookie(stillMember.id) }))).status).toBe(200);
  });

  it("Art. 7: from the effective date the organisation cannot submit, and later campaigns no longer expect it", async () => {
    await seedReferentialBase(t.db);
    const { org } = await makeProvider(t.db);
    await makeCampaign(t.db, 2023, { opensOn: "2024-01-15", deadline: "2024-03-31" });
    const referent = personActor({ id: null, role: "odpe_referent", organisationId: (await makeOrganisation(t.db, { isTeam: true })).id }, ctx);
    await transitionCampaign(t.db, referent, 2023, "open", new Date("2024-01-15T09:00:00+01:00"));
    await recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2023-12-01", note: null }, "2024-01-20");
    // Effective 1 March 2024: open before, closed from that day on, even though the campaign is still open.
    await expect(assertSubmissionOpen(t.db, 2023, org.id, "2024-02-29")).resolves.toMatchObject({ open: true });
    const refusal = await assertSubmissionOpen(t.db, 2023, org.id, "2024-03-01").catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).status).toBe(403);
    expect((refusal as DomainError).message).toMatch(/retiré de la convention/);

    await makeCampaign(t.db, 2024, { opensOn: "2025-01-15", deadline: "2025-03-31" });
    await transitionCampaign(t.db, referent, 2024, "open", new Date("2025-01-15T09:00:00+01:00"));
    const expected = await t.db
      .selectFrom("expected_submission as e")
      .innerJoin("campaign as c", "c.id", "e.campaign_id")
      .select("c.reference_year")
      .where("e.organisation_id", "=", org.id)
      .execute();
    expect(expected.map((e) => e.reference_year)).toEqual([2023]);
    // Art. 5–6: its agreement and usage rights are kept: its data remain its property.
    const rights = await t.db.selectFrom("agreement_indicator as ai").innerJoin("agreement as g", "g.id", "ai.agreement_id").select("ai.usage_rights").where("g.organisation_id", "=", org.id).execute();
    expect(rights).toEqual([{ usage_rights: "with_approval" }]);
  });
});

describe("Art. 7: joining by amendment", () => {
  it("Art. 7: an organisation joins by a numbered, dated amendment and is a member from its date", async () => {
    await seedReferentialBase(t.db);
    const candidate = await makeOrganisation(t.db);
    expect((await getOrganisation(t.db, candidate.id)).status).toBe("not_member");
    const first = await recordAmendment(t.db, system(ctx), { signedOn: "2021-03-15", kind: "new_partner", title: "Adhésion", description: null, organisationIds: [candidate.id], indicatorIds: [] }, null, "2021-03-20");
    expect(first.number).toBe(1);
    const joined = await getOrganisation(t.db, candidate.id, "2021-03-20");
    expect(joined).toMatchObject({ member_since: "2021-03-15", joined_amendment_number: 1, status: "member" });
    expect((await getOrganisation(t.db, candidate.id, "2021-03-14")).status).toBe("not_member");

    // New data take their own amendment, numbered next.
    const indicator = await makeIndicator(t.db);
    const second = await recordAmendment(t.db, system(ctx), { signedOn: "2023-06-12", kind: "new_data", title: "Nouvelles données", description: null, organisationIds: [], indicatorIds: [indicator.id] }, null);
    expect(second.number).toBe(2);
    const register = await listAmendments(t.db);
    expect(register.map((a) => [a.number, a.kind, a.organisations.map((o) => o.code), a.indicators.map((i) => i.code)])).toEqual([
      [1, "new_partner", [candidate.code], []],
      [2, "new_data", [], [indicator.code]],
    ]);
  });

  it("Art. 7: refuses to admit a current member, or an amendment dated before the previous one", async () => {
    await seedReferentialBase(t.db);
    const member = await makeMember(t.db);
    await expect(
      recordAmendment(t.db, system(ctx), { signedOn: "2024-01-10", kind: "new_partner", title: "Adhésion", description: null, organisationIds: [member.id], indicatorIds: [] }, null),
    ).rejects.toThrow(/déjà membre/);
    const candidate = await makeOrganisation(t.db);
    const admit = (signedOn: string) =>
      recordAmendment(t.db, system(ctx), { signedOn, kind: "new_partner", title: "Adhésion", description: null, organisationIds: [candidate.id], indicatorIds: [] }, null);
    await expect(admit("2018-12-31")).rejects.toThrow(/ne peut pas précéder la convention-cadre/);
    await recordAmendment(t.db, system(ctx), { signedOn: "2024-02-01", kind: "other", title: "Calendrier", description: null, organisationIds: [], indicatorIds: [] }, null);
    await expect(admit("2024-01-15")).rejects.toThrow(/ordre de leurs dates/);
    await expect(admit("2024-02-01")).resolves.toMatchObject({ number: expect.any(Number) });
  });

  it("Art. 7: a withdrawn organisation rejoins only by an amendment dated after its withdrawal took effect", async () => {
    await seedReferentialBase(t.db);
    const org = await makeMember(t.db, "2019-01-28");
    await recordWithdrawal(t.db, system(ctx), org.id, { noticeDate: "2024-01-10", note: null }, "2024-01-10");
    await expect(recordMembership(t.db, system(ctx), org.id, { memberSince: "2024-06-01", joinedBy: "convention" }, "2024-06-01")).rejects.toThrow(/avenant d'adhésion/);
    const amendment = await recordAmendment(t.db, system(ctx), { signedOn: "2025-09-01", kind: "new_partner", title: "Retour", description: null, organisationIds: [org.id], indicatorIds: [] }, samplePdfUpload());
    const back = await getOrganisation(t.db, org.id, "2025-09-02");
    expect(back).toMatchObject({ status: "member", member_since: "2025-09-01", joined_amendment_number: amendment.number, withdrawal_notice_date: null });
    const doc = await t.db.selectFrom("amendment").select("document_file_id").where("id", "=", amendment.id).executeTakeFirstOrThrow();
    expect((await getFile(t.db, doc.document_file_id!))?.contentType).toBe("application/pdf");
  });
});

function samplePdfUpload() {
  return { field: "document", filename: "avenant.pdf", bytes: samplePdf() };
}

describe("logos (PNG/JPEG/WebP by their bytes, 1 Mo at most, never SVG)", () => {
  it("stores files with their sha256 and size and reads them back as a Buffer on both drivers", async () => {
    const bytes = samplePng();
    const meta = await t.db.transaction().execute((trx) => putFile(trx, { filename: "../../logo.png", contentType: "image/png", bytes, createdBy: null }));
    expect(meta.filename).toBe("logo.png");
    const file = await getFile(t.db, meta.id);
    expect(Buffer.isBuffer(file!.content)).toBe(true);
    expect(file!.content.equals(Buffer.from(bytes))).toBe(true);
    expect(file!.sizeBytes).toBe(bytes.byteLength);
    expect(file!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("logo upload rejects SVG and oversize files, accepts a PNG and serves it with nosniff", async () => {
    const { cookie } = await referentCookie();
    const org = await makeMember(t.db);
    const path = `/organisations/${org.id}?intent=logo`;
    const upload = (filename: string, type: string, bytes: Uint8Array) =>
      runRoute(organisationPage.action, multipartRequest(path, cookie, { logo: { filename, type, bytes } }), { id: org.id });

    const svg = await upload("logo.svg", "image/svg+xml", sampleSvg());
    expect(svg.status).toBe(422);
    expect(svg.data).toMatchObject({ ok: false, intent: "logo", fieldErrors: { logo: [expect.stringMatching(/SVG sont refusés/)] } });

    // A PNG disguised as SVG by name is still judged by its bytes; an SVG renamed .png is refused.
    const renamed = await upload("logo.png", "image/png", sampleSvg());
    expect(renamed.status).toBe(422);

    const big = new Uint8Array(LOGO_MAX_BYTES + 1);
    big.set(samplePng());
    const oversize = await upload("grand.png", "image/png", big);
    expect(oversize.status).toBe(413);
    expect(oversize.data).toMatchObject({ ok: false, fieldErrors: { logo: [expect.stringMatching(/taille autorisée|1,0 Mo au plus/)] } });

    const ok = await upload("logo.png", "image/png", samplePng());
    expect(ok.status).toBe(200);
    expect(ok.data).toMatchObject({ ok: true, intent: "logo" });
    const served = await runRoute(organisationLogo.loader, makeRequest(`/organisations/${org.id}/logo`, { cookie }), { id: org.id });
    expect(served.status).toBe(200);
    expect(served.response!.headers.get("Content-Type")).toBe("image/png");
    expect(served.response!.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(new Uint8Array(await served.response!.arrayBuffer())).toEqual(samplePng());
  });

  it("only those who manage organisations may change a logo or record a withdrawal (partners get 403)", async () => {
    const org = await makeMember(t.db);
    const partner = await makeUser(t.db, "partner_correspondent", org.id);
    const cookie = await sessionCookie(partner.id);
    const logo = await runRoute(organisationPage.action, multipartRequest(`/organisations/${org.id}?intent=logo`, cookie, { logo: { filename: "l.png", type: "image/png", bytes: samplePng() } }), { id: org.id });
    expect(logo.status).toBe(403);
    const withdrawal = await runRoute(organisationPage.action, makeRequest(`/organisations/${org.id}?intent=withdrawal`, { cookie, form: { noticeDate: "2024-01-10" } }), { id: org.id });
    expect(withdrawal.status).toBe(403);
    // The admin manages identities and logos but not membership (the referent records withdrawals).
    const team = await makeOrganisation(t.db, { isTeam: true });
    const admin = await makeUser(t.db, "admin", team.id);
    const adminCookie = await sessionCookie(admin.id);
    const adminWithdrawal = await runRoute(organisationPage.action, makeRequest(`/organisations/${org.id}?intent=withdrawal`, { cookie: adminCookie, form: { noticeDate: "2024-01-10" } }), { id: org.id });
    expect(adminWithdrawal.status).toBe(403);
    const adminIdentity = await runRoute(
      organisationPage.action,
      makeRequest(`/organisations/${org.id}?intent=identity`, { cookie: adminCookie, form: { code: org.code, name: "Nouveau nom", kind: "association" } }),
      { id: org.id },
    );
    expect(adminIdentity.status).toBe(200);
  });

  it("the referent records a withdrawal from the organisation page; the member list shows status and dates", async () => {
    const { cookie } = await referentCookie();
    const org = await makeMember(t.db, "2019-01-28");
    const result = await runRoute(organisationPage.action, makeRequest(`/organisations/${org.id}?intent=withdrawal`, { cookie, form: { noticeDate: "2024-01-31", note: "" } }), { id: org.id });
    expect(result.status).toBe(200);
    expect(result.data).toMatchObject({ ok: true, message: expect.stringMatching(/30 avril 2024/) });
    const list = await runRoute(organisationsIndex.loader, makeRequest("/organisations", { cookie }));
    const row = (list.data as { organisations: { id: string; status: string; withdrawal_effective_date: string; member_since: string }[] }).organisations.find((o) => o.id === org.id);
    expect(row).toMatchObject({ status: "withdrawn", withdrawal_effective_date: "2024-04-30", member_since: "2019-01-28" });
  });
});
