import { describe, expect, it } from "vitest";
import { personActor } from "../support/actors";
import { createHash } from "node:crypto";
import { sql } from "kysely";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeUser, TEST_PASSWORD } from "../factories";
import { login, LOGIN_FAILED_MESSAGE, logout } from "~/server/auth/login.server";
import { SessionManager } from "~/server/auth/session.server";
import { systemContext } from "~/server/audit/audit.server";
import { DomainError } from "~/server/errors.server";
import {
  changePassword,
  createPasswordResetLink,
  resetPassword,
  setUserStatus,
} from "~/server/users/users.server";

const t = useTestDb();
const throttle = { maxPerAccount: 5, maxPerIp: 20, windowMinutes: 15 };
const sessions = () => new SessionManager(t.db, { idleMinutes: 60, absoluteHours: 12, secureCookies: true });
const ctx = { ...systemContext("anonyme"), ip: "192.0.2.10", requestId: "req-auth" };
const attempt = (email: string, password: string, ip = "192.0.2.10", previousSessionToken: string | null = null) =>
  login(t.db, sessions(), throttle, { ...ctx, ip }, { email, password, ip, userAgent: "vitest", previousSessionToken });

async function expectDomainError(promise: Promise<unknown>, status: number, message?: string | RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).status).toBe(status);
  if (message) expect((error as DomainError).message).toMatch(message);
  return error as DomainError;
}

const countAudit = async (action: string) =>
  (await t.db.selectFrom("audit_event").select(sql<number>`count(*)::int`.as("n")).where("action", "=", action).executeTakeFirstOrThrow()).n;

describe("login", () => {
  it("signs in with the right password, sets a secure HttpOnly SameSite=Lax cookie and audits it", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "partner_correspondent", org.id);
    const result = await attempt(user.email.toUpperCase(), TEST_PASSWORD);
    expect(result.userId).toBe(user.id);
    expect(result.setCookie).toMatch(/^odpe_session=[a-z0-9]{24}\.[a-z0-9]{24};/);
    expect(result.setCookie).toContain("HttpOnly");
    expect(result.setCookie).toContain("Secure");
    expect(result.setCookie).toContain("SameSite=Lax");
    expect(result.setCookie).not.toContain("Max-Age");
    expect(await countAudit("auth.login")).toBeGreaterThanOrEqual(1);
  });

  it("answers an unknown user and a wrong password with the same message", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const unknown = await expectDomainError(attempt("personne@nulle-part.example", TEST_PASSWORD, "198.51.100.1"), 401);
    const wrong = await expectDomainError(attempt(user.email, "mauvais-mot-de-passe", "198.51.100.1"), 401);
    expect(unknown.message).toBe(LOGIN_FAILED_MESSAGE);
    expect(wrong.message).toBe(LOGIN_FAILED_MESSAGE);
    expect(await countAudit("auth.login_failed")).toBeGreaterThanOrEqual(2);
  });

  it("refuses a disabled account with the same message", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id, { status: "disabled" });
    await expectDomainError(attempt(user.email, TEST_PASSWORD, "198.51.100.2"), 401, LOGIN_FAILED_MESSAGE);
  });

  it("rotates the session id at login: the session presented before is ended", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const first = await attempt(user.email, TEST_PASSWORD);
    const firstToken = first.setCookie.split(";")[0]!.split("=")[1]!;
    const second = await attempt(user.email, TEST_PASSWORD, "192.0.2.10", firstToken);
    const secondToken = second.setCookie.split(";")[0]!.split("=")[1]!;
    expect(secondToken.split(".")[0]).not.toBe(firstToken.split(".")[0]);
    expect(await sessions().validate(firstToken)).toBeNull();
    expect((await sessions().validate(secondToken))?.user.id).toBe(user.id);
  });

  it("a login presenting another session's id with a wrong secret does not end that session", async () => {
    const org = await makeOrganisation(t.db);
    const victim = await makeUser(t.db, "reader", org.id);
    const other = await makeUser(t.db, "reader", org.id);
    const { sessionId, token } = await sessions().create(victim.id, { ip: null, userAgent: null });
    await attempt(other.email, TEST_PASSWORD, "192.0.2.11", `${sessionId}.${"a".repeat(24)}`);
    expect((await sessions().validate(token))?.user.id).toBe(victim.id);
  });
});

describe("login throttling (stored in the database)", () => {
  it("blocks an account after 5 failures in 15 minutes with a French message and HTTP 429, even with the right password", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    for (let i = 0; i < 5; i++) await expectDomainError(attempt(user.email, `faux-${i}`, `203.0.113.${i}`), 401);
    const blocked = await expectDomainError(attempt(user.email, TEST_PASSWORD, "203.0.113.99"), 429, /Trop de tentatives.*attendez 1[45] minutes/);
    expect(Number(blocked.headers["Retry-After"])).toBeGreaterThan(0);
    expect(await countAudit("auth.login_throttled")).toBeGreaterThanOrEqual(1);
  });

  it("unblocks once the failures are older than the window", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    for (let i = 0; i < 5; i++) await expectDomainError(attempt(user.email, `faux-${i}`, "203.0.114.1"), 401);
    await t.db
      .updateTable("login_attempt")
      .set({ attempted_at: new Date(Date.now() - 16 * 60_000) })
      .where("email", "=", user.email)
      .execute();
    expect((await attempt(user.email, TEST_PASSWORD, "203.0.114.2")).userId).toBe(user.id);
  });

  it("blocks an IP address after too many failures whatever the accounts tried", async () => {
    const ip = "203.0.115.7";
    for (let i = 0; i < throttle.maxPerIp; i++) await expectDomainError(attempt(`inconnu${i}@example.org`, "x", ip), 401);
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    await expectDomainError(attempt(user.email, TEST_PASSWORD, ip), 429);
    // the same account from another address still works
    expect((await attempt(user.email, TEST_PASSWORD, "203.0.115.8")).userId).toBe(user.id);
  });
});

describe("session expiry and logout", () => {
  it("expires a session after the idle timeout", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const { sessionId, token } = await sessions().create(user.id, { ip: null, userAgent: null });
    await t.db.updateTable("user_session").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", sessionId).execute();
    expect(await sessions().validate(token)).toBeNull();
  });

  it("expires a session after the absolute limit even when active", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const { sessionId, token } = await sessions().create(user.id, { ip: null, userAgent: null });
    expect(await sessions().validate(token)).not.toBeNull();
    // Kept active: the idle expiry is not what ends it.
    await t.db.updateTable("user_session").set({ expires_at: new Date(Date.now() + 24 * 3_600_000) }).where("id", "=", sessionId).execute();
    expect(await sessions().validate(token, new Date(Date.now() + 12 * 3_600_000 + 1000))).toBeNull();
    expect(await t.db.selectFrom("user_session").select("id").where("id", "=", sessionId).executeTakeFirst()).toBeUndefined();
  });

  it("extends an active session (sliding idle expiry)", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const { sessionId, token } = await sessions().create(user.id, { ip: null, userAgent: null });
    const soon = new Date(Date.now() + 10 * 60_000); // less than half of 60 min left
    await t.db.updateTable("user_session").set({ expires_at: soon }).where("id", "=", sessionId).execute();
    await sessions().validate(token);
    const row = await t.db.selectFrom("user_session").select("expires_at").where("id", "=", sessionId).executeTakeFirstOrThrow();
    expect(new Date(row.expires_at).getTime()).toBeGreaterThan(soon.getTime() + 30 * 60_000);
  });

  it("logout ends the session, clears the cookie and is audited", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const { sessionId, token } = await sessions().create(user.id, { ip: null, userAgent: null });
    const cookie = await logout(t.db, sessions(), personActor({ id: user.id, role: "reader", organisationId: org.id }, { ...ctx, actorUserId: user.id, actorLabel: user.email }), sessionId);
    expect(cookie).toMatch(/^odpe_session=;.*Max-Age=0/);
    expect(await sessions().validate(token)).toBeNull();
    expect(await countAudit("auth.logout")).toBeGreaterThanOrEqual(1);
  });

  it("disabling a user ends its sessions", async () => {
    const org = await makeOrganisation(t.db);
    const admin = await makeUser(t.db, "admin", org.id);
    const user = await makeUser(t.db, "reader", org.id);
    const { token } = await sessions().create(user.id, { ip: null, userAgent: null });
    await setUserStatus(t.db, personActor({ id: admin.id, role: "admin", organisationId: org.id }, { ...ctx, actorUserId: admin.id, actorLabel: admin.email }), user.id, "disabled");
    expect(await sessions().validate(token)).toBeNull();
    expect(await countAudit("user.disabled")).toBe(1);
    await setUserStatus(t.db, personActor({ id: admin.id, role: "admin", organisationId: org.id }, { ...ctx, actorUserId: admin.id, actorLabel: admin.email }), user.id, "active");
    expect(await countAudit("user.enabled")).toBe(1);
  });
});

describe("session storage (ADR 028)", () => {
  it("stores only the sha256 of the token's secret, never the secret itself", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const { sessionId, token } = await sessions().create(user.id, { ip: null, userAgent: null });
    const [id, secret] = token.split(".") as [string, string];
    expect(id).toBe(sessionId);
    const row = await t.db.selectFrom("user_session").selectAll().where("id", "=", sessionId).executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(createHash("sha256").update(secret).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it("refuses a token whose secret is wrong or missing, and keeps the session", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const { sessionId, token } = await sessions().create(user.id, { ip: null, userAgent: null });
    const secret = token.split(".")[1]!;
    const wrong = (secret[0] === "a" ? "b" : "a") + secret.slice(1);
    for (const forged of [sessionId, `${sessionId}.`, `${sessionId}.${wrong}`, `${sessionId}.${secret}.x`, `${sessionId}.${secret.toUpperCase()}`]) {
      expect(await sessions().validate(forged), forged).toBeNull();
    }
    expect((await sessions().validate(token))?.sessionId).toBe(sessionId);
  });

  it("reads the token from a Cookie header among other cookies", () => {
    const manager = sessions();
    expect(manager.readSessionToken("a=1; odpe_session=abc.def; b=2")).toBe("abc.def");
    expect(manager.readSessionToken("a=1;odpe_session=abc.def")).toBe("abc.def");
    expect(manager.readSessionToken("odpe_session=; a=1")).toBeNull();
    expect(manager.readSessionToken("x_odpe_session=abc.def")).toBeNull();
    expect(manager.readSessionToken(null)).toBeNull();
  });
});

describe("passwords: change and one-time reset link", () => {
  it("changes the password after checking the current one and the policy; other sessions end", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id, { displayName: "Paul Durand" });
    const keep = await sessions().create(user.id, { ip: null, userAgent: null });
    const other = await sessions().create(user.id, { ip: null, userAgent: null });
    const audit = { ...ctx, actorUserId: user.id, actorLabel: user.email };
    const self = personActor({ id: user.id, role: "reader", organisationId: org.id }, audit);
    // Only the person, in one of their own sessions, changes their password (ADR 034): another session's id is refused.
    await expectDomainError(changePassword(t.db, personActor({ id: user.id, role: "admin", organisationId: org.id }, audit), "00000000-0000-4000-8000-000000000000", { currentPassword: TEST_PASSWORD, newPassword: "Nouveau-secret-2026" }), 403, /droits/);
    await expectDomainError(changePassword(t.db, self, keep.sessionId, { currentPassword: "faux", newPassword: "Nouveau-secret-2026" }), 422, /actuel est incorrect/);
    await expectDomainError(changePassword(t.db, self, keep.sessionId, { currentPassword: TEST_PASSWORD, newPassword: "court" }), 422, /12 caractères/);
    await expectDomainError(changePassword(t.db, self, keep.sessionId, { currentPassword: TEST_PASSWORD, newPassword: "durand-durand-2026" }), 422, /nom/);
    await changePassword(t.db, self, keep.sessionId, { currentPassword: TEST_PASSWORD, newPassword: "Nouveau-secret-2026" });
    expect(await sessions().validate(keep.token)).not.toBeNull();
    expect(await sessions().validate(other.token)).toBeNull();
    expect((await attempt(user.email, "Nouveau-secret-2026", "192.0.2.50")).userId).toBe(user.id);
  });

  it("an admin reset link works once, within 24 hours", async () => {
    const org = await makeOrganisation(t.db);
    const admin = await makeUser(t.db, "admin", org.id);
    const user = await makeUser(t.db, "reader", org.id);
    const adminCtx = { ...ctx, actorUserId: admin.id, actorLabel: admin.email };
    const adminActor = personActor({ id: admin.id, role: "admin", organisationId: org.id }, adminCtx);
    const token = await createPasswordResetLink(t.db, adminActor, user.id);
    await resetPassword(t.db, ctx, token, "Mot-de-passe-neuf-42");
    await expectDomainError(resetPassword(t.db, ctx, token, "Encore-un-autre-42"), 404, /n'est plus valable/);
    expect((await attempt(user.email, "Mot-de-passe-neuf-42", "192.0.2.51")).userId).toBe(user.id);

    const expired = await createPasswordResetLink(t.db, adminActor, user.id, new Date(Date.now() - 25 * 3_600_000));
    await expectDomainError(resetPassword(t.db, ctx, expired, "Mot-de-passe-neuf-43"), 404, /expiré/);
    expect(await countAudit("user.reset_link_created")).toBe(2);
    expect(await countAudit("user.password_reset")).toBe(1);
  });
});
