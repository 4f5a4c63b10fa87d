import { describe, expect, it } from "vitest";
import type { Db } from "~/server/db.server";
import { ArtefactCache } from "~/server/artefacts/artefact-cache.server";
import { SessionCache } from "~/server/auth/session-cache.server";

/** A subscription that lands when `land()` is called, and counts the subscriptions made and ended. */
function slowSubscription() {
  const counts = { made: 0, ended: 0 };
  let land = () => {};
  const subscribe = () =>
    new Promise<() => Promise<void>>((resolve) => {
      counts.made += 1;
      land = () =>
        resolve(async () => {
          counts.ended += 1;
        });
    });
  return { subscribe, counts, land: () => land() };
}

const db = {} as Db;
const makers = {
  "artefact cache": (subscribe: ReturnType<typeof slowSubscription>["subscribe"]) => new ArtefactCache(db, subscribe, false),
  "session cache": (subscribe: ReturnType<typeof slowSubscription>["subscribe"]) => new SessionCache(db, subscribe, { hearsLocalChanges: false }),
};

describe.each(Object.entries(makers))("%s closed while its LISTEN connection is being made (ADR 054)", (_name, make) => {
  it("ends the subscription that lands after the close: no LISTEN connection left open, nothing held", async () => {
    const slow = slowSubscription();
    const cache = make(slow.subscribe);
    const starting = cache.start();
    await cache.close();
    slow.land();
    await starting;
    expect(slow.counts).toEqual({ made: 1, ended: 1 });
    expect(cache.isListening).toBe(false);
  });

  it("makes no subscription once closed (a retry after a lost connection)", async () => {
    const slow = slowSubscription();
    const cache = make(slow.subscribe);
    await cache.close();
    await cache.start();
    expect(slow.counts).toEqual({ made: 0, ended: 0 });
  });

  it("keeps the subscription of an open cache, and ends it at the close", async () => {
    const slow = slowSubscription();
    const cache = make(slow.subscribe);
    const starting = cache.start();
    slow.land();
    await starting;
    expect(cache.isListening).toBe(true);
    expect(slow.counts).toEqual({ made: 1, ended: 0 });
    await cache.close();
    expect(slow.counts).toEqual({ made: 1, ended: 1 });
  });
});
