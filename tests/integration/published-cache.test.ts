import { describe, expect, it } from "vitest";
import type { DbHandle } from "~/server/db.server";
import { buildArtefact, invalidateArtefacts } from "~/server/artefacts/artefacts.server";
import { ArtefactCache, artefactSubscription } from "~/server/artefacts/artefact-cache.server";
import { useTestDb } from "../support/db";
import { until, useInstances } from "../support/instances";

/**
 * ADR 033: the published artefacts held in each process stay coherent across
 * instances through LISTEN/NOTIFY — a correction committed through one
 * instance empties the other's cache at commit. Two caches on one database
 * stand for two instances (on PostgreSQL each has its own pool and its own
 * listening connection).
 */
const t = useTestDb();
const KEY = "report:2031:latest:extranet:public:";
const SCOPE = "report:2031";
const { secondInstance, closeLater } = useInstances(t);

/** `otherProcess`: the cache hears only notifications, not this process's own invalidations. */
async function startCache(handle: DbHandle, otherProcess = false) {
  const cache = closeLater(await new ArtefactCache(handle.db, artefactSubscription(handle, process.env.DATABASE_URL), !otherProcess).start());
  expect(cache.isListening).toBe(true);
  return cache;
}

/** Stores `html` as the page of KEY, replacing what was there, in one transaction that announces the change. */
async function publish(handle: DbHandle, html: string) {
  const artefact = await buildArtefact(html, "text/html; charset=utf-8");
  await handle.db.transaction().execute(async (trx) => {
    await invalidateArtefacts(trx, SCOPE);
    await trx
      .insertInto("published_artefact")
      .values({ key: KEY, scope: SCOPE, etag: artefact.etag, content_type: artefact.contentType, body: artefact.body, body_gzip: artefact.gzip, body_br: artefact.br })
      .execute();
  });
  return artefact.etag;
}

describe("published artefacts held in the process, coherent across instances (ADR 033)", () => {
  it("Art. 5: after a correction committed through instance A, instance B serves the new bytes (no stale page), without a lookup while nothing changes", async () => {
    const a = t.handle;
    const b = await secondInstance();
    const cacheA = await startCache(a);
    const cacheB = await startCache(b, true);
    const first = await publish(a, "<p>édition n° 1</p>");
    // Both instances now hold edition 1 (B's generation moved when A's publication was announced).
    await until(() => cacheB.currentGeneration > 0 && cacheA.currentGeneration > 0, "the first announcement");
    expect((await cacheA.get(KEY))?.etag).toBe(first);
    expect((await cacheB.get(KEY))?.etag).toBe(first);
    // Held: B answers even when the row is gone behind its back (no NOTIFY: a raw delete outside invalidateArtefacts).
    await b.db.deleteFrom("published_artefact").where("key", "=", KEY).execute();
    expect((await cacheB.get(KEY))?.etag).toBe(first);
    // The correction, through A: B's cache is emptied at A's commit and B reads the new page.
    const generation = cacheB.currentGeneration;
    const corrected = await publish(a, "<p>édition n° 2 (correction)</p>");
    await until(() => cacheB.currentGeneration > generation, "the correction's announcement on B");
    const served = await cacheB.get(KEY);
    expect(served?.etag).toBe(corrected);
    expect(served?.body.toString()).toBe("<p>édition n° 2 (correction)</p>");
    expect((await cacheA.get(KEY))?.etag).toBe(corrected);
  });

  it("a rolled-back change announces nothing; a deletion without a new page leaves the caller to render (undefined), never the old bytes", async () => {
    const b = await secondInstance();
    const cacheB = await startCache(b, true);
    const current = await publish(t.handle, "<p>édition n° 3</p>");
    await until(() => cacheB.currentGeneration > 0, "the announcement");
    expect((await cacheB.get(KEY))?.etag).toBe(current);
    const generation = cacheB.currentGeneration;
    await t.handle.db
      .transaction()
      .execute(async (trx) => {
        await invalidateArtefacts(trx, SCOPE);
        throw new Error("rollback");
      })
      .catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cacheB.currentGeneration).toBe(generation);
    expect((await cacheB.get(KEY))?.etag).toBe(current);
    // Withdrawal-like change: the year's pages are deleted and nothing replaces them yet.
    await t.handle.db.transaction().execute((trx) => invalidateArtefacts(trx, SCOPE));
    await until(() => cacheB.currentGeneration > generation, "the deletion's announcement");
    expect(await cacheB.get(KEY)).toBeUndefined();
  });

  it("the process that commits a change empties its own cache at once, before its notification comes back", async () => {
    const cache = await startCache(t.handle);
    const old = await publish(t.handle, "<p>édition n° 5</p>");
    await until(() => cache.isListening, "listening");
    const generation = cache.currentGeneration;
    expect((await cache.get(KEY))?.etag).toBe(old);
    const corrected = await publish(t.handle, "<p>édition n° 6</p>");
    // No wait for the notification: the generation moved inside the transaction.
    expect(cache.currentGeneration).toBeGreaterThan(generation);
    expect((await cache.get(KEY))?.etag).toBe(corrected);
  });

  it("without a listener nothing is held: every read looks the row up", async () => {
    const cache = closeLater(
      new ArtefactCache(t.db, async () => {
        throw new Error("no LISTEN here");
      }),
    );
    await cache.start();
    expect(cache.isListening).toBe(false);
    const etag = await publish(t.handle, "<p>édition n° 4</p>");
    expect((await cache.get(KEY))?.etag).toBe(etag);
    await t.db.deleteFrom("published_artefact").where("key", "=", KEY).execute();
    expect(await cache.get(KEY)).toBeUndefined();
  });
});
