import { afterEach, describe, expect, it, vi } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie, testContext } from "../factories";
import { withdrawOrganisation } from "../factories/collection";
import { getOptionalUser, requireUser } from "~/server/auth/authorize.server";
import { SessionManager } from "~/server/auth/session.server";
import { runInRequestScope } from "~/server/http/request-scope.server";
import * as root from "~/root";

/**
 * The signed-in user is read once per HTTP request (docs/benchmarks.md: load).
 * Remix gives each loader of a document request its own copy of the Request;
 * within the HTTP layer's scope of a GET request they share one session query,
 * which also brings the organisation's name and withdrawal date.
 */
const t = useTestDb();

/** What Remix does for each loader: a new Request with the same URL, method, headers and signal. */
const copyOf = (request: Request) => new Request(request.url, { method: request.method, headers: request.headers, signal: request.signal });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the signed-in user, once per request", () => {
  it("validates the session once for all the loaders of a GET request in its scope", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const request = makeRequest("/", { cookie: await sessionCookie(user.id) });
    const validate = vi.spyOn(SessionManager.prototype, "validate");
    const [a, b] = await runInRequestScope(() => Promise.all([getOptionalUser(copyOf(request)), getOptionalUser(copyOf(request))]));
    expect(a?.id).toBe(user.id);
    expect(b).toBe(a);
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it("validates it again for each copy of the Request outside a scope (tests, scripts, POST requests)", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const request = makeRequest("/", { cookie: await sessionCookie(user.id) });
    const validate = vi.spyOn(SessionManager.prototype, "validate");
    const a = await getOptionalUser(copyOf(request));
    const b = await getOptionalUser(copyOf(request));
    expect([a?.id, b?.id]).toEqual([user.id, user.id]);
    expect(validate).toHaveBeenCalledTimes(2);
    // The same Request object is still validated once.
    const same = copyOf(request);
    await getOptionalUser(same);
    await getOptionalUser(same);
    expect(validate).toHaveBeenCalledTimes(3);
  });

  it("never hands one cookie's user to a request with another cookie, even in the same scope", async () => {
    const org = await makeOrganisation(t.db);
    const first = await makeUser(t.db, "reader", org.id);
    const second = await makeUser(t.db, "partner_correspondent", org.id);
    const [a, b, anonymous] = await runInRequestScope(async () => [
      await getOptionalUser(makeRequest("/", { cookie: await sessionCookie(first.id) })),
      await getOptionalUser(makeRequest("/", { cookie: await sessionCookie(second.id) })),
      await getOptionalUser(makeRequest("/")),
    ]);
    expect(a?.id).toBe(first.id);
    expect(b?.id).toBe(second.id);
    expect(anonymous).toBeNull();
  });

  it("reads the organisation's name with the session: the root loader shows it", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "reader", org.id);
    const data = await root.loader({ request: makeRequest("/", { cookie: await sessionCookie(user.id) }), params: {}, context: testContext() });
    expect(data.user?.organisationName).toBe(org.name);
    expect(data.user?.email).toBe(user.email);
  });

  it("Art. 7: reads the withdrawal date with the session; a user of a withdrawn organisation is sent to the export of its data", async () => {
    const org = await makeOrganisation(t.db);
    const user = await makeUser(t.db, "partner_correspondent", org.id);
    const cookie = await sessionCookie(user.id);
    expect((await getOptionalUser(makeRequest("/", { cookie })))?.organisationWithdrawn).toBe(false);
    await withdrawOrganisation(t.db, org.id);
    expect((await getOptionalUser(makeRequest("/", { cookie })))?.organisationWithdrawn).toBe(true);
    const refused = await requireUser(makeRequest("/collection", { cookie })).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).headers.get("Location")).toBe("/my-data");
  });
});
