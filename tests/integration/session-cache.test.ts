import { beforeAll, describe, expect, it } from "vitest";
import express from "express";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import type { DbHandle } from "~/server/db.server";
import { SessionManager } from "~/server/auth/session.server";
import { processSessionCache, SessionCache, sessionSubscription, startedSessionCache, type HeldSession } from "~/server/auth/session-cache.server";
import { getObservatory } from "~/server/observatory/observatory.server";
import { buildArtefact } from "~/server/artefacts/artefacts.server";
import { startArtefactCache, stopArtefactCache } from "~/server/artefacts/artefact-cache.server";
import { reportArtefactKey } from "~/server/dashboard/report-artefacts.server";
import { memberReportRevalidation } from "~/server/http/artefact-route.server";
import { makeOrganisation, makeUser, sessionCookie } from "../factories";
import { useTestDb } from "../support/db";
import { until, useInstances } from "../support/instances";

/**
 * ADR 035: validated sessions held in each process, coherent across instances
 * through the triggers' NOTIFY (migration 2026120616_session_notify) and at
 * once in the process that makes the change. Two caches on one database stand
 * for two instances (on PostgreSQL each has its own pool and listening connection).
 */
const t = useTestDb();
const SETTINGS = { idleMinutes: 120, absoluteHours: 12, secureCookies: false };
const { secondInstance, closeLater } = useInstances(t);
let organisationId: string;

beforeAll(async () => {
  organisationId = (await makeOrganisation(t.db)).id;
});

/** An instance's session manager with its cache; `otherProcess`: the cache hears only notifications. */
async function instance(handle: DbHandle, otherProcess = false) {
  const cache = closeLater(await new SessionCache(handle.db, sessionSubscription(handle, process.env.DATABASE_URL), { hearsLocalChanges: !otherProcess }).start());
  expect(cache.isListening).toBe(true);
  return { cache, sessions: new SessionManager(handle.db, SETTINGS, () => cache) };
}

async function signIn(sessions: SessionManager) {
  const user = await makeUser(t.db, "reader", organisationId);
  const created = await sessions.create(user.id, { ip: "127.0.0.1", userAgent: "vitest" });
  return { user, ...created };
}

describe("validated sessions held in the process, coherent across instances (ADR 035)", () => {
  it("ADR 028: a session logged out through instance A is refused by instance B once A's commit is announced; B held it without a lookup until then", async () => {
    const a = await instance(t.handle);
    const b = await instance(await secondInstance(), true);
    const { token, sessionId } = await signIn(a.sessions);
    expect((await b.sessions.validate(token))?.sessionId).toBe(sessionId);
    expect(b.cache.held(sessionId)).toBeDefined();
    // Held: B answers from memory (the row is read once).
    expect((await b.sessions.validate(token))?.user.role).toBe("reader");
    const generation = b.cache.currentGeneration;
    await a.sessions.invalidate(sessionId);
    await until(() => b.cache.currentGeneration > generation, "the logout's announcement on B");
    expect(b.cache.held(sessionId)).toBeUndefined();
    expect(await b.sessions.validate(token)).toBeNull();
  });

  it("ADR 028: a user disabled through instance A (a plain UPDATE, no session code) is refused by instance B after the commit's announcement", async () => {
    const a = await instance(t.handle);
    const other = await secondInstance();
    const b = await instance(other, true);
    const { token, user } = await signIn(a.sessions);
    expect(await b.sessions.validate(token)).not.toBeNull();
    const generation = b.cache.currentGeneration;
    await t.db.updateTable("app_user").set({ status: "disabled" }).where("id", "=", user.id).execute();
    await until(() => b.cache.currentGeneration > generation, "the update's announcement on B");
    expect(await b.sessions.validate(token)).toBeNull();
  });

  it("Art. 7: an organisation's withdrawal date set through A reaches B's session check after the announcement", async () => {
    const a = await instance(t.handle);
    const b = await instance(await secondInstance(), true);
    const { token } = await signIn(a.sessions);
    expect((await b.sessions.validate(token))?.user.organisationWithdrawalEffectiveDate).toBeNull();
    const generation = b.cache.currentGeneration;
    await t.db.updateTable("organisation").set({ withdrawal_effective_date: "2020-01-01" }).where("id", "=", organisationId).execute();
    try {
      await until(() => b.cache.currentGeneration > generation, "the update's announcement on B");
      expect((await b.sessions.validate(token))?.user.organisationWithdrawalEffectiveDate).toBe("2020-01-01");
    } finally {
      await t.db.updateTable("organisation").set({ withdrawal_effective_date: null }).where("id", "=", organisationId).execute();
    }
  });

  it("ADR 028: a change rolled back announces nothing and B keeps serving the session", async () => {
    const a = await instance(t.handle);
    const b = await instance(await secondInstance(), true);
    const { token, sessionId } = await signIn(a.sessions);
    await b.sessions.validate(token);
    const generation = b.cache.currentGeneration;
    await t.db
      .transaction()
      .execute(async (trx) => {
        await trx.deleteFrom("user_session").where("id", "=", sessionId).execute();
        throw new Error("rollback");
      })
      .catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.cache.currentGeneration).toBe(generation);
    expect((await b.sessions.validate(token))?.sessionId).toBe(sessionId);
  });

  it("ADR 035: a change in another schema of the same database is not this portal's — its message is ignored; this schema's is heard", async () => {
    const b = await instance(await secondInstance(), true);
    const generation = b.cache.currentGeneration;
    await sql`select pg_notify('odpe_sessions', 'schema=another_portal;organisation')`.execute(t.db);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(b.cache.currentGeneration).toBe(generation);
    // A trigger of this schema (a statement on organisation) names it: heard.
    await t.db.updateTable("organisation").set({ name: sql`name` }).where("id", "=", organisationId).execute();
    await until(() => b.cache.currentGeneration > generation, "this schema's trigger message on B");
  });

  it("ADR 028: the instance that makes a change refuses at once, without waiting for its own notification (logout, a user disabled, raw SQL)", async () => {
    const a = await instance(t.handle);
    const first = await signIn(a.sessions);
    await a.sessions.validate(first.token);
    expect(a.cache.held(first.sessionId)).toBeDefined();
    await a.sessions.invalidate(first.sessionId);
    expect(await a.sessions.validate(first.token)).toBeNull();

    const second = await signIn(a.sessions);
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // past the pause that follows a local change
    await a.sessions.validate(second.token);
    expect(a.cache.held(second.sessionId)).toBeDefined();
    await t.db.updateTable("app_user").set({ status: "disabled" }).where("id", "=", second.user.id).execute();
    expect(await a.sessions.validate(second.token)).toBeNull();

    const third = await signIn(a.sessions);
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // past the pause that follows a local change
    await a.sessions.validate(third.token);
    expect(a.cache.held(third.sessionId)).toBeDefined();
    await sql`delete from user_session where id = ${third.sessionId}`.execute(t.db);
    expect(a.cache.held(third.sessionId)).toBeUndefined();
    expect(await a.sessions.validate(third.token)).toBeNull();
  });

  it("ADR 028: a held session still proves its secret and still expires (idle and absolute limits)", async () => {
    const a = await instance(t.handle);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const { token, sessionId } = await signIn(a.sessions);
    await a.sessions.validate(token);
    expect(a.cache.held(sessionId)).toBeDefined();
    const [id] = token.split(".");
    expect(await a.sessions.validate(`${id}.${"a".repeat(24)}`)).toBeNull();
    expect(await a.sessions.validate(token)).not.toBeNull();
    const late = new Date(Date.now() + 121 * 60_000);
    expect(await a.sessions.validate(token, late)).toBeNull();
    expect(await t.db.selectFrom("user_session").select("id").where("id", "=", sessionId).executeTakeFirst()).toBeUndefined();
  });

  it("ADR 035: nothing is held while the listener is lost, and a lookup that started before an announced change is not stored after it", async () => {
    let lose = () => {};
    const cache = closeLater(
      new SessionCache(t.db, async (_onMessage, onLost) => {
        lose = onLost;
        return async () => {};
      }, { hearsLocalChanges: false }),
    );
    await cache.start();
    const row: HeldSession = {
      id: "x".repeat(24),
      secret_hash: "00",
      user_id: "u",
      expires_at: new Date(),
      created_at: new Date(),
      email: "e",
      display_name: "d",
      role: "reader",
      organisation_id: "o",
      status: "active",
      organisation_name: "n",
      withdrawal_effective_date: null,
    };
    const before = cache.currentGeneration;
    cache.invalidate(); // a change announced while the lookup ran
    cache.put(row, before);
    expect(cache.held(row.id)).toBeUndefined();
    cache.put(row, cache.currentGeneration);
    expect(cache.held(row.id)).toBeDefined();
    lose();
    expect(cache.isListening).toBe(false);
    expect(cache.held(row.id)).toBeUndefined();
    cache.put(row, cache.currentGeneration);
    expect(cache.held(row.id)).toBeUndefined();
  });

  it("ADR 035: an entry is read again after its maximum age", async () => {
    const cache = closeLater(await new SessionCache(t.db, sessionSubscription(t.handle, process.env.DATABASE_URL), { hearsLocalChanges: false, maxAgeMs: 50 }).start());
    const sessions = new SessionManager(t.db, SETTINGS, () => cache);
    const { token, sessionId } = await signIn(sessions);
    await sessions.validate(token);
    expect(cache.held(sessionId)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.held(sessionId)).toBeUndefined();
  });
});

describe("the page shell's shared data held with the sessions (ADR 035)", () => {
  it("the observatory's name every page shows is held, and read again once a change through another instance is announced", async () => {
    processSessionCache(t.db);
    await until(() => startedSessionCache(t.db)?.isListening === true, "the process's session cache");
    const cache = startedSessionCache(t.db)!;
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // past the pause that follows a local change
    await t.db.deleteFrom("observatory").execute().catch(() => {});
    const other = await secondInstance();
    const generation = cache.currentGeneration;
    await other.db
      .insertInto("observatory")
      .values({ code: "ODPE99", name: "Observatoire A", label: "ODPE A", departement_code: "99", departement_name: "Essai", is_demo: false } as never)
      .execute();
    await until(() => cache.currentGeneration > generation, "the insert's announcement");
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await getObservatory(t.db)).name).toBe("Observatoire A");
    const held = cache.currentGeneration;
    expect((await getObservatory(t.db)).name).toBe("Observatoire A");
    expect(cache.currentGeneration).toBe(held);
    await other.db.updateTable("observatory").set({ name: "Observatoire B" }).execute();
    await until(() => cache.currentGeneration > held, "the update's announcement");
    expect((await getObservatory(t.db)).name).toBe("Observatoire B");
  });
});

describe("a member's report held in the process, answered before Remix (ADR 035)", () => {
  it("Art. 5: a signed-in reader's page held by this process: 304 for its ETag, else its bytes; anything else goes on to the route", async () => {
    const artefacts = await startArtefactCache(t.handle, process.env.DATABASE_URL);
    const server = express()
      .use(memberReportRevalidation())
      .use((_req, res) => res.status(599).end("remix"))
      .listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const key = reportArtefactKey({ year: 2031, variant: "public", audience: "members", canSwitch: false, canManage: false });
      const artefact = await buildArtefact("<p>tableau de bord 2031</p>", "text/html; charset=utf-8");
      await t.db
        .insertInto("published_artefact")
        .values({ key, scope: "report:2031", etag: artefact.etag, content_type: artefact.contentType, body: artefact.body, body_gzip: artefact.gzip, body_br: artefact.br })
        .execute();
      await until(() => artefacts.isListening, "the artefact cache");
      await artefacts.get(key); // held from now on
      const reader = await makeUser(t.db, "reader", organisationId);
      const cookie = await sessionCookie(reader.id);
      const get = (path: string, headers: Record<string, string>) => fetch(`${base}${path}`, { headers });
      const hit = await get("/dashboard/2031", { cookie, "If-None-Match": artefact.etag });
      expect(hit.status).toBe(304);
      expect(hit.headers.get("ETag")).toBe(artefact.etag);
      expect(hit.headers.get("Cache-Control")).toBe("private, no-cache");
      expect(hit.headers.get("Vary")).toBe("Accept-Encoding, Cookie");
      // Another ETag (or none): the held bytes, in the accepted encoding, with the route's headers.
      const full = await get("/dashboard/2031", { cookie, "If-None-Match": '"autre"', "Accept-Encoding": "gzip" });
      expect(full.status).toBe(200);
      expect(full.headers.get("Content-Encoding")).toBe("gzip");
      expect(full.headers.get("Vary")).toBe("Accept-Encoding, Cookie");
      expect(await full.text()).toBe("<p>tableau de bord 2031</p>");
      // No session, a page not held (another edition), another year: the route answers.
      expect((await get("/dashboard/2031", { "If-None-Match": artefact.etag })).status).toBe(599);
      expect((await get("/dashboard/2031", {})).status).toBe(599);
      expect((await get("/dashboard/2031?edition=1", { cookie, "If-None-Match": artefact.etag })).status).toBe(599);
      expect((await get("/dashboard/2030", { cookie, "If-None-Match": artefact.etag })).status).toBe(599);
      // A role without read:dashboard (the administrator): the route refuses it, not the fast path.
      const admin = await makeUser(t.db, "admin", organisationId);
      expect((await get("/dashboard/2031", { cookie: await sessionCookie(admin.id), "If-None-Match": artefact.etag })).status).toBe(599);
      // A disabled reader: the route (which sends to login), never a 304.
      await t.db.updateTable("app_user").set({ status: "disabled" }).where("id", "=", reader.id).execute();
      expect((await get("/dashboard/2031", { cookie, "If-None-Match": artefact.etag })).status).toBe(599);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await stopArtefactCache(t.db);
    }
  });
});
