import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie, TEST_PASSWORD } from "../factories";
import * as usersIndex from "~/routes/admin.users._index";
import * as usersNew from "~/routes/admin.users.new";
import * as userEdit from "~/routes/admin.users.$id";
import * as auditRoute from "~/routes/audit";
import * as loginRoute from "~/routes/login";
import * as resetRoute from "~/routes/reset-password.$token";
import * as home from "~/routes/_index";
import * as healthz from "~/routes/healthz";
import { roles, type Role } from "~/domain/permissions";
import { runRoute as run } from "../factories/referential";

const t = useTestDb();


async function cookieFor(role: Role) {
  const org = await makeOrganisation(t.db);
  const user = await makeUser(t.db, role, org.id);
  return { user, org, cookie: await sessionCookie(user.id) };
}

describe("guards on pages", () => {
  it("sends anonymous visitors to /login with the page to come back to", async () => {
    const result = await run(usersIndex.loader, makeRequest("/admin/users?q=x"));
    expect(result.status).toBe(302);
    expect(result.response!.headers.get("Location")).toBe("/login?redirectTo=%2Fadmin%2Fusers%3Fq%3Dx");
    const homeResult = await run(home.loader, makeRequest("/"));
    expect(homeResult.response!.headers.get("Location")).toBe("/login");
  });

  it.each(roles.filter((r) => r !== "admin"))("refuses the admin user screens to %s (403)", async (role) => {
    const { cookie } = await cookieFor(role);
    expect((await run(usersIndex.loader, makeRequest("/admin/users", { cookie }))).status).toBe(403);
    expect((await run(usersNew.loader, makeRequest("/admin/users/new", { cookie }))).status).toBe(403);
    const form = { intent: "save", email: "x@example.org", displayName: "X", role: "admin", organisationId: crypto.randomUUID() };
    expect((await run(usersNew.action, makeRequest("/admin/users/new", { cookie, form }))).status).toBe(403);
  });

  it("opens the audit screen to the referent and the admin only", async () => {
    for (const role of roles) {
      const { cookie } = await cookieFor(role);
      const status = (await run(auditRoute.loader, makeRequest("/audit", { cookie }))).status;
      expect([role, status]).toEqual([role, role === "admin" || role === "odpe_referent" ? 200 : 403]);
    }
  });
});

describe("admin manages accounts", () => {
  it("creates a user (audited), refuses a duplicate e-mail with a French field message, and edits it", async () => {
    const { cookie, org } = await cookieFor("admin");
    const form = { intent: "save", email: "Nouvelle.Personne@Example.org", displayName: "Nouvelle Personne", role: "partner_validator", organisationId: org.id };
    const created = await run(usersNew.action, makeRequest("/admin/users/new", { cookie, form }));
    expect(created.status).toBe(302);
    const row = await t.db.selectFrom("app_user").selectAll().where("email", "=", "nouvelle.personne@example.org").executeTakeFirstOrThrow();
    expect(row.role).toBe("partner_validator");
    expect(row.password_hash).toBeNull();

    const duplicate = await run(usersNew.action, makeRequest("/admin/users/new", { cookie, form }));
    expect(duplicate.status).toBe(409);
    expect((duplicate.data as { fieldErrors: Record<string, string[]> }).fieldErrors.email?.[0]).toMatch(/déjà utilisée/);

    const invalid = await run(usersNew.action, makeRequest("/admin/users/new", { cookie, form: { ...form, email: "pas-une-adresse", role: "chef" } }));
    expect(invalid.status).toBe(422);
    const errors = (invalid.data as { fieldErrors: Record<string, string[]> }).fieldErrors;
    expect(errors.email?.[0]).toMatch(/Adresse e-mail invalide/);
    expect(errors.role?.[0]).toMatch(/Choisissez un rôle/);

    const edited = await run(userEdit.action, makeRequest(`/admin/users/${row.id}`, { cookie, form: { ...form, displayName: "Personne Renommée" } }), { id: row.id });
    expect(edited.status).toBe(200);
    const link = await run(userEdit.action, makeRequest(`/admin/users/${row.id}`, { cookie, form: { intent: "reset-link" } }), { id: row.id });
    expect((link.data as { resetLink: string }).resetLink).toMatch(/^http:\/\/localhost\/reset-password\/[A-Za-z0-9_-]{43}$/);
    const actions = await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", row.id).orderBy("id").execute();
    expect(actions.map((a) => a.action)).toEqual(["user.created", "user.updated", "user.reset_link_created"]);
  });

  it("answers 404 for an unknown or malformed user id", async () => {
    const { cookie } = await cookieFor("admin");
    expect((await run(userEdit.loader, makeRequest("/admin/users/nope", { cookie }), { id: "nope" })).status).toBe(404);
    const id = crypto.randomUUID();
    expect((await run(userEdit.loader, makeRequest(`/admin/users/${id}`, { cookie }), { id })).status).toBe(404);
  });
});

describe("password page", () => {
  it("« Enregistrer et me connecter » saves the password and signs the person in (no detour through the login form)", async () => {
    const { cookie, org } = await cookieFor("admin");
    const form = { intent: "save", email: "lien.reset@example.org", displayName: "Lien Reset", role: "reader", organisationId: org.id };
    await run(usersNew.action, makeRequest("/admin/users/new", { cookie, form }));
    const row = await t.db.selectFrom("app_user").select("id").where("email", "=", "lien.reset@example.org").executeTakeFirstOrThrow();
    const link = await run(userEdit.action, makeRequest(`/admin/users/${row.id}`, { cookie, form: { intent: "reset-link" } }), { id: row.id });
    const token = (link.data as { resetLink: string }).resetLink.split("/").pop()!;
    const saved = await run(resetRoute.action, makeRequest(`/reset-password/${token}`, { form: { password: "Un-mot-de-passe-solide-42", confirmPassword: "Un-mot-de-passe-solide-42" } }), { token });
    expect(saved.status).toBe(302);
    expect(saved.response!.headers.get("Location")).toBe("/");
    const session = saved.response!.headers.get("Set-Cookie")!.split(";")[0]!;
    expect(session).toMatch(/^odpe_session=/);
    expect((await run(home.loader, makeRequest("/", { cookie: session }))).status).toBe(200);
  });
});

describe("login page action", () => {
  it("redirects to a local target only, and answers 429 when throttled", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const ok = await run(loginRoute.action, makeRequest("/login", { form: { email: user.email, password: TEST_PASSWORD, redirectTo: "//evil.example" } }));
    expect(ok.status).toBe(302);
    expect(ok.response!.headers.get("Location")).toBe("/");
    expect(ok.response!.headers.get("Set-Cookie")).toMatch(/^odpe_session=/);
    for (let i = 0; i < 5; i++) {
      const failed = await run(loginRoute.action, makeRequest("/login", { form: { email: user.email, password: "faux" } }));
      expect(failed.status).toBe(401);
    }
    const throttled = await run(loginRoute.action, makeRequest("/login", { form: { email: user.email, password: TEST_PASSWORD } }));
    expect(throttled.status).toBe(429);
    expect((throttled.data as { formError: string }).formError).toMatch(/Trop de tentatives/);
  });
});

describe("login page redirect (ADR 017)", () => {
  it.each([
    ["/%09/evil.example/", "/"],
    ["/\\evil.example", "/"],
    ["/admin/users?q=é", "/admin/users?q=%C3%A9"],
    ["/organisations/Œuvre", "/organisations/%C5%92uvre"],
    ["https://evil.example/", "/"],
  ])("after a successful login, redirectTo=%j sends to %s (never a 500, never another host)", async (redirectTo, location) => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const ok = await run(loginRoute.action, makeRequest("/login", { form: { email: user.email, password: TEST_PASSWORD, redirectTo } }));
    expect(ok.status).toBe(302);
    expect(ok.response!.headers.get("Location")).toBe(location);
  });
});

describe("/healthz", () => {
  it("reports the database as reachable", async () => {
    const result = await run(healthz.loader, makeRequest("/healthz"));
    expect(result.status).toBe(200);
    expect(await result.response!.json()).toMatchObject({ status: "ok", database: "ok" });
  });
});
