import { beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "~/server/db.server";
import { ArtefactCache, startArtefactCache, stopArtefactCache } from "~/server/artefacts/artefact-cache.server";
import { getExtranetPublication, listExtranetPublications } from "~/server/publications/publication-queries.server";
import { unpublishPublication } from "~/server/publications/publication-commands.server";
import { listPublishedEditions, publishEdition, saveEditionTexts, transitionEdition } from "~/server/dashboard/editions.server";
import { removeOrganisationLogo } from "~/server/organisations/organisations.server";
import { useTestDb } from "../support/db";
import { until, useInstances } from "../support/instances";
import { buildAccessFixtures, type AccessFixtures } from "../support/access-fixtures";
import { actorFor } from "../factories/user-actor";

/**
 * ADR 040: the extranet's publications and the published editions, the same
 * for every user, are held with the published artefacts (ADR 033) and must
 * never outlive a change: each step below changes what the lists show
 * through one instance (A) and checks both A — at once, before any
 * notification — and, on PostgreSQL, a second instance B (its own pool and
 * listening connection, hearing only notifications). Without the
 * invalidation of that change, the held list would be returned and the
 * expectation fails.
 */
const t = useTestDb();
const { secondInstance, closeLater } = useInstances(t);

describe("shared read models held in the process, coherent across instances (ADR 040)", () => {
  let f: AccessFixtures;
  let a: DbHandle;
  let b: DbHandle;
  let cacheA: ArtefactCache;
  let cacheB: ArtefactCache;

  beforeAll(async () => {
    f = await buildAccessFixtures(t.db);
    a = t.handle;
    b = await secondInstance();
    cacheA = await startArtefactCache(a, process.env.DATABASE_URL);
    closeLater({ close: () => stopArtefactCache(a.db) });
    if (b !== a) {
      cacheB = await startArtefactCache(b, process.env.DATABASE_URL, false);
      closeLater({ close: () => stopArtefactCache(b.db) });
    } else cacheB = cacheA;
    expect(cacheA.isListening && cacheB.isListening).toBe(true);
  }, 300_000);

  const referent = async () => actorFor(await t.db.selectFrom("app_user").select(["id", "role", "organisation_id"]).where("id", "=", f.users.odpe_referent.id).executeTakeFirstOrThrow());
  /** Waits until B has heard a change announced after `generation` (at once on the embedded database: one instance). */
  const heardOnB = (generation: number, what: string) => until(() => cacheB.currentGeneration > generation, what);

  it("Art. 5: the extranet's list says what each publication's page says, and is held (the same value) while nothing changes", async () => {
    const list = await listExtranetPublications(a.db);
    const entry = list.find((p) => p.id === f.publicationB);
    expect(entry).toBeDefined();
    expect(list.some((p) => p.id === f.publicationA)).toBe(false);
    const page = await getExtranetPublication(a.db, f.publicationB);
    expect(entry!.sources).toBe(page.rendered.sources);
    expect(entry!.contributors).toEqual(page.rendered.contributors);
    expect(entry!.contributors.map((c) => c.id)).toContain(f.orgB.id);
    expect(await listExtranetPublications(a.db)).toBe(list);
    expect(await listExtranetPublications(b.db)).toEqual(list);
    expect(await listExtranetPublications(b.db)).toBe(await listExtranetPublications(b.db));
    // Not held in a transaction (it may see its own uncommitted changes).
    await a.db.transaction().execute(async (trx) => expect(await listExtranetPublications(trx)).not.toBe(list));
  });

  it("Art. 5: a source renamed (any statement on `organisation`) shows on both instances", async () => {
    await listExtranetPublications(b.db);
    const generation = cacheB.currentGeneration;
    await a.db.updateTable("organisation").set({ name: "Organisme B renommé" }).where("id", "=", f.orgB.id).execute();
    const onA = (await listExtranetPublications(a.db)).find((p) => p.id === f.publicationB)!;
    expect(onA.contributors.find((c) => c.id === f.orgB.id)?.name).toBe("Organisme B renommé");
    expect(onA.sources).toContain("Organisme B renommé");
    await heardOnB(generation, "the rename's announcement on B");
    const onB = (await listExtranetPublications(b.db)).find((p) => p.id === f.publicationB)!;
    expect(onB.contributors.find((c) => c.id === f.orgB.id)?.name).toBe("Organisme B renommé");
  });

  it("Art. 5: a source's logo removed through its command shows on both instances", async () => {
    const before = (await listExtranetPublications(b.db)).find((p) => p.id === f.publicationB)!;
    const withLogo = before.contributors.find((c) => c.hasLogo);
    expect(withLogo).toBeDefined();
    const generation = cacheB.currentGeneration;
    await removeOrganisationLogo(a.db, await referent(), withLogo!.id);
    const onA = (await listExtranetPublications(a.db)).find((p) => p.id === f.publicationB)!;
    expect(onA.contributors.find((c) => c.id === withLogo!.id)?.hasLogo).toBe(false);
    await heardOnB(generation, "the logo's announcement on B");
    const onB = (await listExtranetPublications(b.db)).find((p) => p.id === f.publicationB)!;
    expect(onB.contributors.find((c) => c.id === withLogo!.id)?.hasLogo).toBe(false);
  });

  it("Art. 5: a publication withdrawn from the extranet leaves the list on both instances", async () => {
    expect((await listExtranetPublications(b.db)).some((p) => p.id === f.publicationB)).toBe(true);
    const generation = cacheB.currentGeneration;
    await unpublishPublication(a.db, await referent(), f.publicationB, "Retirée pour le test du cache.");
    expect((await listExtranetPublications(a.db)).some((p) => p.id === f.publicationB)).toBe(false);
    await heardOnB(generation, "the withdrawal's announcement on B");
    expect((await listExtranetPublications(b.db)).some((p) => p.id === f.publicationB)).toBe(false);
  });

  it("Art. 3: a corrected edition, once published, is the current one on both instances; the list is held while nothing changes", async () => {
    const before = await listPublishedEditions(b.db);
    expect(await listPublishedEditions(b.db)).toBe(before);
    expect(before.filter((e) => e.year === f.closedYear).map((e) => [e.number, e.supersededAt])).toEqual([[f.edition.number, null]]);
    const generation = cacheB.currentGeneration;
    const referentActor = await referent();
    await saveEditionTexts(a.db, referentActor, f.draftEdition.id, { foreword: "Avant-propos de la correction.", comments: {} });
    await transitionEdition(a.db, referentActor, f.draftEdition.id, "validate");
    await publishEdition(a.db, referentActor, f.draftEdition.id);
    const current = (list: Awaited<ReturnType<typeof listPublishedEditions>>) => list.filter((e) => e.year === f.closedYear && !e.supersededAt).map((e) => e.number);
    expect(current(await listPublishedEditions(a.db))).toEqual([f.draftEdition.number]);
    await heardOnB(generation, "the correction's announcement on B");
    expect(current(await listPublishedEditions(b.db))).toEqual([f.draftEdition.number]);
  });
});
