import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { driverName, useTestDb } from "../support/db";
import { makeOrganisation, makeUser, TEST_PASSWORD } from "../factories";
import { runRoute } from "../factories/referential";
import { makeRequest } from "../factories";
import { createDb, type Db, type DbHandle } from "~/server/db.server";
import { login } from "~/server/auth/login.server";
import { SessionManager } from "~/server/auth/session.server";
import { systemContext } from "~/server/audit/audit.server";
import { DomainError } from "~/server/errors.server";
import * as loginRoute from "~/routes/login";

/**
 *  (ADR 004, ADR 017) — the login throttle decides and
 * reserves atomically: concurrent wrong passwords, each on its own PostgreSQL
 * connection, never get more attempts processed than the limit (40 at once
 * used to process 17 with a limit of 5). PGlite serialises them: same result.
 */
const t = useTestDb();
const PARALLEL = 40;
const throttle = { maxPerAccount: 5, maxPerIp: 20, windowMinutes: 15 };

let wide: DbHandle | null = null;
let db: Db;
beforeAll(async () => {
  const schema = (t.handle as DbHandle & { schema?: string }).schema;
  if (process.env.DATABASE_URL && schema) {
    wide = await createDb({ databaseUrl: process.env.DATABASE_URL, schema, poolMax: PARALLEL + 4 });
    db = wide.db;
  } else {
    db = t.db;
  }
});
afterAll(async () => {
  await wide?.close();
});

const attempt = (email: string, password: string, ip: string) =>
  login(db, new SessionManager(db, { idleMinutes: 60, absoluteHours: 12, secureCookies: true }), throttle, { ...systemContext("test"), ip }, {
    email,
    password,
    ip,
    userAgent: "vitest",
    previousSessionToken: null,
  });

async function settle(operations: Promise<unknown>[]) {
  const settled = await Promise.allSettled(operations);
  const codes = settled.map((s) => (s.status === "fulfilled" ? "ok" : s.reason instanceof DomainError ? s.reason.code : String(s.reason)));
  return { processed: codes.filter((c) => c === "unauthenticated").length, throttled: codes.filter((c) => c === "throttled").length, codes };
}

describe(`login throttling under concurrency (${driverName()})`, () => {
  it(`${PARALLEL} concurrent wrong passwords for one account: at most 5 are processed, the rest get 429`, async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const { processed, throttled, codes } = await settle(Array.from({ length: PARALLEL }, (_, i) => attempt(user.email, `faux-${i}`, `198.51.100.${i + 1}`)));
    expect([processed, throttled], codes.join(",")).toEqual([5, PARALLEL - 5]);
    const failures = await t.db.selectFrom("login_attempt").select(sql<number>`count(*)::int`.as("n")).where("email", "=", user.email).executeTakeFirstOrThrow();
    expect(Number(failures.n)).toBe(5);
    const audited = await t.db.selectFrom("audit_event").select(sql<number>`count(*)::int`.as("n")).where("action", "=", "auth.login_failed").where("entity_id", "=", user.id).executeTakeFirstOrThrow();
    expect(Number(audited.n)).toBe(5);
    // Blocked even with the right password, as before.
    await expect(attempt(user.email, TEST_PASSWORD, "198.51.100.250")).rejects.toMatchObject({ code: "throttled" });
  });

  it(`${PARALLEL} concurrent wrong passwords from one IP over many accounts: at most 20 are processed`, async () => {
    const org = await makeOrganisation(t.db);
    const users = await Promise.all(Array.from({ length: PARALLEL }, () => makeUser(t.db, "reader", org.id)));
    const { processed, throttled } = await settle(users.map((u) => attempt(u.email, "faux", "203.0.113.99")));
    expect([processed, throttled]).toEqual([20, PARALLEL - 20]);
  });

  it("a successful login still clears the account's earlier failures", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    for (let i = 0; i < 4; i++) await expect(attempt(user.email, "faux", "192.0.2.1")).rejects.toMatchObject({ code: "unauthenticated" });
    await expect(attempt(user.email, TEST_PASSWORD, "192.0.2.1")).resolves.toMatchObject({ userId: user.id });
    const rows = await t.db.selectFrom("login_attempt").select(["succeeded"]).where("email", "=", user.email).orderBy("attempted_at").execute();
    expect(rows.map((r) => r.succeeded)).toEqual([false, false, false, false, true]);
    for (let i = 0; i < 4; i++) await expect(attempt(user.email, "faux", "192.0.2.2")).rejects.toMatchObject({ code: "unauthenticated" });
  });

  it("the HTML 429 of the login page carries Retry-After (document responses keep the action's header)", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    for (let i = 0; i < 5; i++) await runRoute(loginRoute.action, makeRequest("/login", { form: { email: user.email, password: "faux" } }));
    const throttled = await runRoute(loginRoute.action, makeRequest("/login", { form: { email: user.email, password: "faux" } }));
    expect(throttled.status).toBe(429);
    // The action's data() headers reach the document only through the route's `headers` export.
    const actionHeaders = new Headers({ "Retry-After": "900" });
    const headers = new Headers(
      loginRoute.headers({ actionHeaders, loaderHeaders: new Headers(), parentHeaders: new Headers(), errorHeaders: undefined }),
    );
    expect(headers.get("Retry-After")).toBe("900");
  });
});
