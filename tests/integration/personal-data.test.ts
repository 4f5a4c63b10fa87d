import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { personActor } from "../support/actors";
import { sql } from "kysely";
import { useTestDb } from "../support/db";
import { useTestJobs } from "../support/jobs";
import { makeOrganisation, makeRequest, makeUser, sessionCookie, TEST_PASSWORD } from "../factories";
import { ensureCampaign, makeApiToken } from "../factories/collection";
import * as accountExport from "~/routes/account_.export";
import * as accountPage from "~/routes/account";
import * as adminExport from "~/routes/admin.users.$id_.export";
import * as userEdit from "~/routes/admin.users.$id";
import * as auditRoute from "~/routes/audit";
import { getSessionManager } from "~/server/auth/authorize.server";
import { login } from "~/server/auth/login.server";
import { recordAudit, systemContext, verifyAuditChain, type AuditContext } from "~/server/audit/audit.server";
import { createPasswordResetLink, setUserStatus } from "~/server/users/users.server";
import { notify } from "~/server/notifications/notifications.server";
import { enqueueMail } from "~/server/mail/outbox.server";
import type { AccountExport } from "~/server/personal-data/account-export.server";
import { REDACTED_MAIL_BODY } from "~/server/personal-data/erasure.server";
import { PURGE_JOB, RETENTION_REDACTED_MAIL_BODY, purgeExpiredPersonalData, type RetentionSettings } from "~/server/personal-data/retention.server";
import { roles } from "~/domain/permissions";
import { runRoute as run } from "../factories/referential";

const t = useTestDb();
const jobs = useTestJobs(t);


const throttle = { maxPerAccount: 5, maxPerIp: 20, windowMinutes: 15 };
const actorCtx = (user: { id: string; email: string; display_name: string; organisation_id: string }): AuditContext => ({
  actorUserId: user.id,
  actorLabel: `${user.display_name} <${user.email}>`,
  organisationId: user.organisation_id,
  ip: "192.0.2.7",
  requestId: "test-personal-data",
});

/** A submission version uploaded by `userId` (with its stored workbook) and a comment written by them. */
async function contribution(organisationId: string, userId: string, authorLabel: string, year: number) {
  const campaignId = await ensureCampaign(t.db, year);
  const bytes = new TextEncoder().encode(`classeur ${organisationId} ${year}`);
  const file = await t.db
    .insertInto("stored_file")
    .values({
      filename: `tableau-${year}.xlsx`,
      content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      size_bytes: bytes.byteLength,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      content: bytes,
      created_by: userId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const submission = await t.db
    .insertInto("submission")
    .values({ campaign_id: campaignId, organisation_id: organisationId, status: "submitted", version_count: 1 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const version = await t.db
    .insertInto("submission_version")
    .values({ submission_id: submission.id, number: 1, file_id: file.id, uploaded_by: userId, uploaded_via: "web", status: "submitted", problems: "[]" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await t.db.updateTable("submission").set({ current_version_id: version.id }).where("id", "=", submission.id).execute();
  const comment = await t.db
    .insertInto("submission_comment")
    .values({ submission_id: submission.id, version_id: version.id, author_id: userId, author_label: authorLabel, body: `Commentaire de contrôle ${year}` })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { submissionId: submission.id, versionId: version.id, commentId: comment.id, fileId: file.id };
}

let partner: { id: string; code: string };
let team: { id: string };
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
let aliceCookie: string;
let aliceToken: { token: string; id: string };
let aliceResetToken: string;
let aliceWork: Awaited<ReturnType<typeof contribution>>;
let bobWork: Awaited<ReturnType<typeof contribution>>;

beforeAll(async () => {
  partner = await makeOrganisation(t.db);
  team = await makeOrganisation(t.db, { isTeam: true });
  alice = await makeUser(t.db, "partner_correspondent", partner.id, { displayName: "Alice Dupont", email: `alice.dupont.${partner.code.toLowerCase()}@test.odpe.example` });
  bob = await makeUser(t.db, "partner_correspondent", partner.id, { displayName: "Bob Martin", email: `bob.martin.${partner.code.toLowerCase()}@test.odpe.example` });
  admin = await makeUser(t.db, "admin", team.id, { displayName: "Admin Portail" });
  const sessions = await getSessionManager();
  // A real failed then successful login: login attempts, a session and audit events for Alice.
  await expect(login(t.db, sessions, throttle, systemContext("anonyme"), { email: alice.email, password: "mauvais", ip: "192.0.2.7", userAgent: "vitest", previousSessionToken: null })).rejects.toThrow();
  await login(t.db, sessions, throttle, systemContext("anonyme"), { email: alice.email, password: TEST_PASSWORD, ip: "192.0.2.7", userAgent: "vitest", previousSessionToken: null });
  await login(t.db, sessions, throttle, systemContext("anonyme"), { email: bob.email, password: TEST_PASSWORD, ip: "192.0.2.8", userAgent: "vitest", previousSessionToken: null });
  aliceCookie = await sessionCookie(alice.id);
  aliceToken = await makeApiToken(t.db, partner.id, { name: "ERP Alice", createdBy: alice.id });
  await makeApiToken(t.db, partner.id, { name: "ERP Bob", createdBy: bob.id });
  aliceResetToken = await createPasswordResetLink(t.db, personActor({ id: admin.id, role: "admin", organisationId: admin.organisation_id }, actorCtx(admin)), alice.id);
  await t.db.transaction().execute(async (trx) => {
    await notify(trx, { userIds: [alice.id], kind: "test", title: "Note pour Alice", body: "Votre tableau est reçu.", link: "/", dedupeKey: "pd-alice" });
    await notify(trx, { userIds: [bob.id], kind: "test", title: "Note pour Bob", body: "Rappel confidentiel de Bob.", link: "/", dedupeKey: "pd-bob" });
    await enqueueMail(trx, { to: alice.email, subject: "Bienvenue Alice", text: "Bonjour Alice Dupont, bienvenue.", dedupeKey: "pd-mail-alice", organisationId: partner.id });
    await enqueueMail(trx, { to: [alice.email, bob.email], subject: "Rappel collectif", text: "Bonjour, vos tableaux sont attendus.", dedupeKey: "pd-mail-shared", organisationId: partner.id });
    await enqueueMail(trx, { to: bob.email, subject: "Pour Bob seulement", text: "Message réservé à Bob.", dedupeKey: "pd-mail-bob", organisationId: partner.id });
    await recordAudit(trx, actorCtx(alice), { action: "test.alice_did", entityType: "test", summary: "Action d'Alice." });
    await recordAudit(trx, actorCtx(bob), { action: "test.bob_did", entityType: "test", summary: "Action de Bob." });
  });
  aliceWork = await contribution(partner.id, alice.id, `${alice.display_name} <${alice.email}>`, 2023);
  bobWork = await contribution(partner.id, bob.id, `${bob.display_name} <${bob.email}>`, 2022);
});

async function exportJson(response: Response): Promise<{ text: string; data: AccountExport }> {
  expect(response.headers.get("Content-Type")).toMatch(/application\/json/);
  expect(response.headers.get("Content-Disposition")).toMatch(/attachment; filename="donnees-personnelles-\d{4}-\d{2}-\d{2}\.json"/);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  const text = await response.text();
  return { text, data: JSON.parse(text) as AccountExport };
}

describe("GDPR art. 15: export of one's personal data", () => {
  it("contains the user's account, sessions, logins, notifications, mails, tokens, audit events, comments and uploads — and nobody else's", async () => {
    const result = await run(accountExport.loader, makeRequest("/account/export", { cookie: aliceCookie }));
    expect(result.status).toBe(200);
    const { text, data } = await exportJson(result.response!);
    expect(data.account).toMatchObject({ id: alice.id, email: alice.email, displayName: "Alice Dupont", role: "partner_correspondent", organisation: { id: partner.id, code: partner.code } });
    expect(data.sessions.length).toBeGreaterThanOrEqual(2);
    expect(data.loginAttempts.map((a) => a.succeeded).sort()).toEqual([false, true]);
    expect(data.passwordResetLinks).toHaveLength(1);
    expect(data.notifications.map((n) => n.title)).toEqual(["Note pour Alice"]);
    expect(data.mails.map((m) => m.subject).sort()).toEqual(["Bienvenue Alice", "Rappel collectif"]);
    expect(data.mails.every((m) => m.to === alice.email)).toBe(true);
    expect(data.apiTokens.map((tk) => tk.name)).toEqual(["ERP Alice"]);
    const actions = data.auditEvents.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["auth.login", "test.alice_did"]));
    expect(actions).not.toContain("test.bob_did");
    expect(data.auditEvents.find((e) => e.action === "auth.login")!.actionLabel).toBe("Connexion");
    expect(data.notice).toMatch(/RGPD.*UTC/);
    expect(data.comments.map((c) => c.body)).toEqual(["Commentaire de contrôle 2023"]);
    expect(data.uploads.submissionVersions).toEqual([expect.objectContaining({ organisationCode: partner.code, referenceYear: 2023, number: 1, filename: "tableau-2023.xlsx" })]);

    // Nobody else's data…
    for (const foreign of [bob.email, "Bob Martin", "Note pour Bob", "Pour Bob seulement", "ERP Bob", "Action de Bob", "Commentaire de contrôle 2022"]) {
      expect(text, foreign).not.toContain(foreign);
    }
    // …and never a secret.
    const secrets = await t.db.selectFrom("app_user").select("password_hash").where("id", "=", alice.id).executeTakeFirstOrThrow();
    const tokenRow = await t.db.selectFrom("api_token").select("token_hash").where("id", "=", aliceToken.id).executeTakeFirstOrThrow();
    const sessionRows = await t.db.selectFrom("user_session").select(["id", "secret_hash"]).where("user_id", "=", alice.id).execute();
    const resetHashes = await t.db.selectFrom("password_reset").select("token_hash").where("user_id", "=", alice.id).execute();
    for (const secret of [secrets.password_hash!, aliceToken.token, tokenRow.token_hash, aliceResetToken, ...sessionRows.flatMap((s) => [s.id, s.secret_hash]), ...resetHashes.map((r) => r.token_hash)]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/password_hash|passwordHash|token_hash|tokenHash|secret_hash|secretHash/);

    const audited = await t.db.selectFrom("audit_event").select(["actor_user_id", "entity_id"]).where("action", "=", "user.personal_data_exported").execute();
    expect(audited).toEqual([{ actor_user_id: alice.id, entity_id: alice.id }]);
  });

  it("is offered on the account page, and refused to anonymous visitors (login)", async () => {
    expect((await run(accountExport.loader, makeRequest("/account/export"))).status).toBe(302);
    expect((await run(accountPage.loader, makeRequest("/account", { cookie: aliceCookie }))).status).toBe(200);
  });

  it("an administrator exports a given user's data (audited); nobody else may", async () => {
    const adminCookie = await sessionCookie(admin.id);
    const result = await run(adminExport.loader, makeRequest(`/admin/users/${bob.id}/export`, { cookie: adminCookie }), { id: bob.id });
    expect(result.status).toBe(200);
    const { text, data } = await exportJson(result.response!);
    expect(data.account.email).toBe(bob.email);
    expect(data.notifications.map((n) => n.title)).toEqual(["Note pour Bob"]);
    expect(text).not.toContain(alice.email);
    const audited = await t.db.selectFrom("audit_event").select(["actor_user_id"]).where("action", "=", "user.personal_data_exported").where("entity_id", "=", bob.id).execute();
    expect(audited).toEqual([{ actor_user_id: admin.id }]);

    for (const role of roles.filter((r) => r !== "admin")) {
      const other = await makeUser(t.db, role, partner.id);
      const cookie = await sessionCookie(other.id);
      expect((await run(adminExport.loader, makeRequest(`/admin/users/${bob.id}/export`, { cookie }), { id: bob.id })).status, role).toBe(403);
    }
  });
});

describe("GDPR art. 17: erasure of an account, keeping the organisation's data and the audit chain", () => {
  it("only an administrator may erase an account (403 otherwise)", async () => {
    for (const role of roles.filter((r) => r !== "admin")) {
      const other = await makeUser(t.db, role, team.id);
      const cookie = await sessionCookie(other.id);
      const result = await run(userEdit.action, makeRequest(`/admin/users/${alice.id}`, { cookie, form: { intent: "erase", confirmEmail: alice.email } }), { id: alice.id });
      expect(result.status, role).toBe(403);
    }
    const still = await t.db.selectFrom("app_user").select(["email", "erased_at"]).where("id", "=", alice.id).executeTakeFirstOrThrow();
    expect(still).toEqual({ email: alice.email, erased_at: null });
  });

  it("asks for the account's e-mail again and explains a mismatch in French", async () => {
    const adminCookie = await sessionCookie(admin.id);
    const result = await run(userEdit.action, makeRequest(`/admin/users/${alice.id}`, { cookie: adminCookie, form: { intent: "erase", confirmEmail: bob.email } }), { id: alice.id });
    expect(result.status).toBe(422);
    expect(result.data).toMatchObject({ ok: false, intent: "erase", formError: expect.stringMatching(/confirmation ne correspond pas/), fieldErrors: { confirmEmail: [expect.stringMatching(/adresse e-mail du compte/)] } });
    const self = await run(userEdit.action, makeRequest(`/admin/users/${admin.id}`, { cookie: adminCookie, form: { intent: "erase", confirmEmail: admin.email } }), { id: admin.id });
    expect(self).toMatchObject({ status: 422, data: { formError: expect.stringMatching(/propre compte/) } });
    expect(await t.db.selectFrom("app_user").select("erased_at").where("id", "in", [alice.id, admin.id]).execute()).toEqual([{ erased_at: null }, { erased_at: null }]);
  });

  it("pseudonymises the account, removes what only served the person, keeps the organisation's data and a valid audit chain", async () => {
    const adminCookie = await sessionCookie(admin.id);
    await t.db.transaction().execute((trx) =>
      enqueueMail(trx, { to: [bob.email, alice.email], subject: "Relance", text: `Bob Martin, Alice Dupont (${alice.email}) attend votre retour.`, dedupeKey: "pd-mail-named", organisationId: partner.id }),
    );
    const before = await verifyAuditChain(t.db);
    expect(before.ok).toBe(true);
    const result = await run(userEdit.action, makeRequest(`/admin/users/${alice.id}`, { cookie: adminCookie, form: { intent: "erase", confirmEmail: ` ${alice.email.toUpperCase()} ` } }), { id: alice.id });
    expect(result.status).toBe(200);
    const pseudonym = (result.data as { pseudonym: string }).pseudonym;
    expect(pseudonym).toMatch(/^Utilisateur supprimé n° \d+$/);

    // The account: pseudonym, no password, disabled, no way back in.
    const row = await t.db.selectFrom("app_user").selectAll().where("id", "=", alice.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ display_name: pseudonym, password_hash: null, status: "disabled", organisation_id: partner.id });
    expect(row.email).toMatch(/^supprime-\d+@compte-efface\.invalid$/);
    expect(row.erased_at).not.toBeNull();
    expect(await t.db.selectFrom("login_attempt").select("id").where("email", "=", alice.email).execute()).toEqual([]);
    await expect(
      login(t.db, await getSessionManager(), throttle, systemContext("anonyme"), { email: alice.email, password: TEST_PASSWORD, ip: "192.0.2.9", userAgent: "vitest", previousSessionToken: null }),
    ).rejects.toThrow(/incorrect/);
    expect((await run(accountPage.loader, makeRequest("/account", { cookie: aliceCookie }))).status).toBe(302);
    await expect(setUserStatus(t.db, personActor({ id: admin.id, role: "admin", organisationId: admin.organisation_id }, actorCtx(admin)), alice.id, "active")).rejects.toThrow(/effacé/);
    await expect(createPasswordResetLink(t.db, personActor({ id: admin.id, role: "admin", organisationId: admin.organisation_id }, actorCtx(admin)), alice.id)).rejects.toThrow(/effacé/);

    // What only served the person is gone; Bob's is untouched.
    const countOf = async (table: "user_session" | "password_reset" | "notification", userId: string) =>
      Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as("n")).where("user_id", "=", userId).executeTakeFirstOrThrow()).n);
    expect([await countOf("user_session", alice.id), await countOf("password_reset", alice.id), await countOf("notification", alice.id)]).toEqual([0, 0, 0]);
    expect(await countOf("notification", bob.id)).toBe(1);
    expect(await t.db.selectFrom("login_attempt").select("id").where("email", "=", bob.email).execute()).toHaveLength(1);
    expect(await t.db.selectFrom("api_token").select("name").where("created_by", "=", alice.id).execute()).toEqual([]);
    expect(await t.db.selectFrom("api_token").select("name").where("created_by", "=", bob.id).execute()).toEqual([{ name: "ERP Bob" }]);

    // Outbox: her own mail blanked and never sent; the shared one keeps Bob only; Bob's own untouched.
    const mails = await t.db.selectFrom("outbox_mail").select(["dedupe_key", "to_addresses", "text_body", "status", "redacted_at"]).where("dedupe_key", "like", "pd-mail-%").orderBy("dedupe_key").execute();
    const byKey = Object.fromEntries(mails.map((m) => [m.dedupe_key, m]));
    expect(byKey["pd-mail-alice"]).toMatchObject({ to_addresses: [row.email], text_body: REDACTED_MAIL_BODY, status: "failed" });
    expect(byKey["pd-mail-shared"]).toMatchObject({ to_addresses: [bob.email], text_body: "Bonjour, vos tableaux sont attendus." });
    expect(byKey["pd-mail-named"]).toMatchObject({ to_addresses: [bob.email], text_body: `Bob Martin, ${pseudonym} (${row.email}) attend votre retour.` });
    expect(byKey["pd-mail-bob"]).toMatchObject({ to_addresses: [bob.email], text_body: "Message réservé à Bob.", redacted_at: null });
    expect(JSON.stringify(mails)).not.toContain(alice.email);

    // Art. 5–6: what she submitted belongs to her organisation and stays, linked to the pseudonym.
    const version = await t.db.selectFrom("submission_version").select(["uploaded_by", "file_id"]).where("id", "=", aliceWork.versionId).executeTakeFirstOrThrow();
    expect(version).toEqual({ uploaded_by: alice.id, file_id: aliceWork.fileId });
    expect(await t.db.selectFrom("stored_file").select("id").where("id", "=", aliceWork.fileId).execute()).toHaveLength(1);
    const comment = await t.db.selectFrom("submission_comment").select(["author_id", "author_label", "body"]).where("id", "=", aliceWork.commentId).executeTakeFirstOrThrow();
    expect(comment).toEqual({ author_id: alice.id, author_label: pseudonym, body: "Commentaire de contrôle 2023" });
    const bobComment = await t.db.selectFrom("submission_comment").select("author_label").where("id", "=", bobWork.commentId).executeTakeFirstOrThrow();
    expect(bobComment.author_label).toContain(bob.email);

    // The audit trail was not rewritten and still verifies; the erasure is itself an event.
    const after = await verifyAuditChain(t.db);
    expect(after).toMatchObject({ ok: true });
    expect(after.checked).toBe(before.checked + 2); // the erasure and the refused login attempt after it
    const erasure = await t.db.selectFrom("audit_event").select(["actor_user_id", "entity_id", "summary"]).where("action", "=", "user.erased").executeTakeFirstOrThrow();
    expect(erasure).toMatchObject({ actor_user_id: admin.id, entity_id: alice.id, summary: expect.stringContaining(pseudonym) });
    // No row of the trail holds her name or address (actors are stored by id, summaries name no one).
    const leaks = await sql<{ n: string }>`select count(*)::text as n from audit_event
      where actor_label ilike ${"%" + alice.email + "%"} or summary ilike ${"%" + alice.email + "%"} or coalesce(details::text, '') ilike ${"%" + alice.email + "%"}
         or actor_label ilike '%Alice Dupont%' or summary ilike '%Alice Dupont%' or coalesce(details::text, '') ilike '%Alice Dupont%'`.execute(t.db);
    expect(leaks.rows[0]!.n).toBe("0");

    // The audit screen shows the pseudonym for her past actions and as the account concerned.
    const screen = await run(auditRoute.loader, makeRequest(`/audit?actor=${encodeURIComponent("supprimé")}`, { cookie: adminCookie }));
    const events = (screen.data as { events: Array<{ action: string; actor_label: string; subject_label: string | null }> }).events;
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["test.alice_did", "auth.login"]));
    for (const e of events) expect(e.actor_label).toBe(pseudonym);
    const all = await run(auditRoute.loader, makeRequest("/audit", { cookie: adminCookie }));
    const allEvents = (all.data as { events: Array<{ action: string; actor_label: string; subject_label: string | null }> }).events;
    expect(allEvents.find((e) => e.action === "user.erased")).toMatchObject({ actor_label: `${admin.display_name} <${admin.email}>`, subject_label: pseudonym });
    expect(allEvents.find((e) => e.action === "test.bob_did")).toMatchObject({ actor_label: `Bob Martin <${bob.email}>` });
    expect(JSON.stringify(allEvents)).not.toContain(alice.email);

    // Her export now shows only the pseudonym; a second erasure is refused.
    const again = await run(userEdit.action, makeRequest(`/admin/users/${alice.id}`, { cookie: adminCookie, form: { intent: "erase", confirmEmail: row.email } }), { id: alice.id });
    expect(again).toMatchObject({ status: 409, data: { formError: expect.stringMatching(/déjà été effacé/) } });
    const exported = await run(adminExport.loader, makeRequest(`/admin/users/${alice.id}/export`, { cookie: adminCookie }), { id: alice.id });
    expect(await exported.response!.text()).not.toContain(alice.email);
  });
});

describe("retention: the daily purge of personal data (docs/operations.md)", () => {
  const DAY = 86_400_000;
  const ago = (days: number) => new Date(Date.now() - days * DAY);

  it("the scheduled job deletes what expired, blanks old mails, keeps the rest and is idempotent", async () => {
    const carol = await makeUser(t.db, "reader", team.id, { displayName: "Carol Lecteur" });
    const settings = { notificationReadDays: 180, notificationUnreadDays: 365, outboxMailDays: 180, loginAttemptDays: 180, passwordResetDays: 30 };
    // Sessions: one expired, one past its absolute lifetime, one live.
    await t.db
      .insertInto("user_session")
      .values([
        { id: "pd-expired", secret_hash: "c".repeat(64), user_id: carol.id, expires_at: ago(1), created_at: ago(2) },
        { id: "pd-too-old", secret_hash: "d".repeat(64), user_id: carol.id, expires_at: new Date(Date.now() + DAY), created_at: ago(40) },
        { id: "pd-live", secret_hash: "e".repeat(64), user_id: carol.id, expires_at: new Date(Date.now() + 3_600_000), created_at: new Date() },
      ])
      .execute();
    const attempts = await t.db
      .insertInto("login_attempt")
      .values([
        { email: carol.email, ip: "198.51.100.1", succeeded: false, attempted_at: ago(settings.loginAttemptDays + 5) },
        { email: carol.email, ip: "198.51.100.1", succeeded: true, attempted_at: ago(settings.loginAttemptDays - 5) },
      ])
      .returning("id")
      .execute();
    const resets = await t.db
      .insertInto("password_reset")
      .values([
        { user_id: carol.id, token_hash: "a".repeat(64), expires_at: ago(settings.passwordResetDays + 2), created_at: ago(settings.passwordResetDays + 3) },
        { user_id: carol.id, token_hash: "b".repeat(64), expires_at: ago(1), created_at: ago(2) },
      ])
      .returning("id")
      .execute();
    const notes = await t.db
      .insertInto("notification")
      .values([
        { user_id: carol.id, kind: "test", title: "lue ancienne", body: "x", dedupe_key: "pd-n1", created_at: ago(300), read_at: ago(settings.notificationReadDays + 1) },
        { user_id: carol.id, kind: "test", title: "lue récente", body: "x", dedupe_key: "pd-n2", created_at: ago(300), read_at: ago(10) },
        { user_id: carol.id, kind: "test", title: "non lue très ancienne", body: "x", dedupe_key: "pd-n3", created_at: ago(settings.notificationUnreadDays + 1), read_at: null },
        { user_id: carol.id, kind: "test", title: "non lue", body: "x", dedupe_key: "pd-n4", created_at: ago(settings.notificationReadDays + 20), read_at: null },
      ])
      .returning(["id", "title"])
      .execute();
    const mailRow = (key: string, sentDaysAgo: number | null) => ({
      dedupe_key: key,
      to_addresses: [carol.email],
      subject: `Objet ${key}`,
      text_body: `Bonjour Carol (${carol.email})`,
      status: sentDaysAgo === null ? ("pending" as const) : ("sent" as const),
      sent_at: sentDaysAgo === null ? null : ago(sentDaysAgo),
      created_at: ago(sentDaysAgo ?? 400),
    });
    await t.db
      .insertInto("outbox_mail")
      .values([mailRow("pd-old-sent", settings.outboxMailDays + 1), mailRow("pd-recent-sent", 10), mailRow("pd-old-pending", null)])
      .execute();

    const chainBefore = await verifyAuditChain(t.db);
    await jobs.queue.send(PURGE_JOB, {});
    expect(await jobs.queue.runOnce(PURGE_JOB)).toEqual({ ran: 1, failed: 0 });

    expect((await t.db.selectFrom("user_session").select("id").where("user_id", "=", carol.id).orderBy("id").execute()).map((s) => s.id)).toEqual(["pd-live"]);
    expect((await t.db.selectFrom("login_attempt").select("id").where("email", "=", carol.email).execute()).map((a) => a.id)).toEqual([attempts[1]!.id]);
    expect((await t.db.selectFrom("password_reset").select("id").where("user_id", "=", carol.id).execute()).map((r) => r.id)).toEqual([resets[1]!.id]);
    expect((await t.db.selectFrom("notification").select("title").where("user_id", "=", carol.id).orderBy("title").execute()).map((n) => n.title)).toEqual(["lue récente", "non lue"]);
    expect(notes).toHaveLength(4);
    const mails = Object.fromEntries(
      (await t.db.selectFrom("outbox_mail").select(["dedupe_key", "to_addresses", "text_body", "subject", "status", "redacted_at"]).where("dedupe_key", "like", "pd-%-%").execute()).map((m) => [m.dedupe_key, m]),
    );
    expect(mails["pd-old-sent"]).toMatchObject({ text_body: RETENTION_REDACTED_MAIL_BODY, subject: "Objet pd-old-sent", status: "sent" });
    expect(mails["pd-old-sent"]!.to_addresses).not.toContain(carol.email);
    expect(mails["pd-recent-sent"]).toMatchObject({ to_addresses: [carol.email], redacted_at: null });
    expect(mails["pd-old-pending"]).toMatchObject({ to_addresses: [carol.email], status: "pending", redacted_at: null });

    // Audited once, chain intact; a second run finds nothing and writes nothing.
    const chainAfter = await verifyAuditChain(t.db);
    expect(chainAfter).toMatchObject({ ok: true, checked: chainBefore.checked + 1 });
    const purged = await t.db.selectFrom("audit_event").select(["actor_user_id", "details"]).where("action", "=", "personal_data.purged").execute();
    expect(purged).toHaveLength(1);
    expect(purged[0]!.details).toMatchObject({ sessions: 2, loginAttempts: 1, passwordResets: 1, notifications: 2, redactedMails: 1 });
    const retention: RetentionSettings = { sessionAbsoluteHours: 12, ...settings };
    expect(await purgeExpiredPersonalData(t.db, retention)).toEqual({ sessions: 0, loginAttempts: 0, passwordResets: 0, notifications: 0, redactedMails: 0 });
    expect((await verifyAuditChain(t.db)).checked).toBe(chainAfter.checked);
  });

  it("follows the configured durations (a shorter period purges more)", async () => {
    const dave = await makeUser(t.db, "reader", team.id);
    await t.db.insertInto("login_attempt").values({ email: dave.email, ip: "198.51.100.2", succeeded: true, attempted_at: ago(20) }).execute();
    const settings: RetentionSettings = { sessionAbsoluteHours: 12, loginAttemptDays: 180, passwordResetDays: 30, notificationReadDays: 180, notificationUnreadDays: 365, outboxMailDays: 180 };
    expect((await purgeExpiredPersonalData(t.db, settings)).loginAttempts).toBe(0);
    expect((await purgeExpiredPersonalData(t.db, { ...settings, loginAttemptDays: 7 })).loginAttempts).toBeGreaterThanOrEqual(1);
    expect(await t.db.selectFrom("login_attempt").select("id").where("email", "=", dave.email).execute()).toEqual([]);
    // Today's attempts stay (the throttle needs them).
    expect(await t.db.selectFrom("login_attempt").select("id").where("email", "=", bob.email).execute()).toHaveLength(1);
  });
});
