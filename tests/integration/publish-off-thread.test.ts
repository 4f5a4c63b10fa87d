import { unzipSync } from "fflate";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeUser } from "../factories";
import { acceptValues, ensureCodelist, makeAgreement, makeIndicator } from "../factories/collection";
import { userActor, type UserActor } from "~/server/command.server";
import { createEdition, loadSnapshot, publishEdition, saveEditionTexts, transitionEdition } from "~/server/dashboard/editions.server";
import { addFrozenItem, createPublication, submitPublication, validatePublication } from "~/server/publications/publication-commands.server";
import { getExtranetPublication } from "~/server/publications/publication-queries.server";
import { solverLoadedInThisThread } from "~/server/secrecy/protect.server";
import { FOREWORD_MIN } from "~/domain/dashboard";
import { SECRET_LABEL } from "~/domain/secrecy";
import { getEdition } from "~/server/dashboard/editions.server";
import { getFile } from "~/server/storage/files.server";

// The portal's thread's fflate, watched: the ONPE package must be deflated in the heavy-work pool (whose threads load their own).
const mainThreadZip = vi.hoisted(() => ({ calls: 0 }));
vi.mock("fflate", async (importOriginal) => {
  const original = await importOriginal<typeof import("fflate")>();
  return {
    ...original,
    zipSync: (...args: Parameters<typeof original.zipSync>) => {
      mainThreadZip.calls++;
      return original.zipSync(...args);
    },
  };
});

/**
 * ADR 049: the statistical-secrecy solves of a publish (HiGHS, protect.server.ts) and the ONPE
 * package's deflate (fflate zipSync) ran on the event loop — 154 ms and 101 ms in one synchronous
 * stretch during bench:load's publish. They run in the heavy-work pool: publishing an edition and a
 * publication protects the secret cells and writes the package as before, and the portal's thread
 * never loads the solver nor zips.
 */
const t = useTestDb();
let referent: UserActor;
let author: UserActor;

beforeAll(async () => {
  const team = await makeOrganisation(t.db, { code: "ODPE", isTeam: true, kind: "observatory" });
  const asso = await makeOrganisation(t.db, { code: "ASSO", name: "Association d'études" });
  const r = await makeUser(t.db, "odpe_referent", team.id, { displayName: "Camille Référente" });
  const a = await makeUser(t.db, "partner_correspondent", asso.id, { displayName: "Alex Auteur" });
  referent = userActor(
    { id: r.id, role: "odpe_referent", organisationId: team.id, displayName: "Camille Référente" },
    { actorUserId: r.id, actorLabel: "Camille Référente", organisationId: team.id, ip: "127.0.0.1", requestId: "test" },
  );
  author = userActor(
    { id: a.id, role: "partner_correspondent", organisationId: asso.id, displayName: "Alex Auteur" },
    { actorUserId: a.id, actorLabel: "Alex Auteur", organisationId: asso.id, ip: "127.0.0.1", requestId: "test" },
  );
  await ensureCodelist(t.db, "SEXE", [
    ["F", "Fille"],
    ["M", "Garçon"],
  ]);
}, 120_000);

describe("a publish's heavy steps off the event loop (ADR 049)", () => {
  it("publishing an edition and a publication masks the small cells and writes the ONPE package, the solver and the zip running in the heavy-work pool only", async () => {
    const indicator = await makeIndicator(t.db, { code: "POOL_SEXE", label: "Signalements par sexe", breakdowns: ["SEXE"] });
    const hospital = await makeOrganisation(t.db, { code: "HPOOL", name: "Hôpital du pool" });
    await makeAgreement(t.db, hospital.id, [{ indicator, usageRights: "open" }], { startsOn: "2000-01-01", endsOn: null });
    await acceptValues(t.db, { organisationId: hospital.id, year: 2012, indicator, values: { "": 6, "SEXE=F": 1, "SEXE=M": 5 } });

    const id = await createEdition(t.db, referent, { year: 2012, correctionNote: null });
    await saveEditionTexts(t.db, referent, id, { foreword: "Avant-propos de l'édition de test. ".padEnd(FOREWORD_MIN + 10, "."), comments: {} });
    await transitionEdition(t.db, referent, id, "validate");
    await publishEdition(t.db, referent, id);
    const block = (await loadSnapshot(t.db, id, "public")).sections.flatMap((s) => s.blocks).find((b) => b.code === "POOL_SEXE")!;
    expect(block.current.value).toBe(6);
    expect(block.breakdown!.current).toMatchObject({ "SEXE=F": { value: null, secret: true }, "SEXE=M": { value: null, secret: true } });
    const { files } = await getEdition(t.db, id);
    const onpe = (await getFile(t.db, files.find((f) => f.kind === "onpe_package")!.id))!.content;
    const entries = unzipSync(new Uint8Array(onpe));
    const manifest = JSON.parse(new TextDecoder().decode(entries["manifest.json"])) as { files: { name: string; size: number }[] };
    expect(manifest.files.map((f) => [f.name.replace(/^.*\./, "*."), entries[f.name]?.byteLength])).toEqual(manifest.files.map((f) => [f.name.replace(/^.*\./, "*."), f.size]));
    expect(manifest.files.map((f) => f.name.replace(/^.*\./, "*.")).sort()).toEqual(expect.arrayContaining(["*.pdf", "*.xlsx", "*.csv"]));

    const publication = await createPublication(t.db, author, { title: "Signalements 2012", audience: "extranet", body: "Résultats." });
    await addFrozenItem(t.db, author, publication, {
      query: { indicator: "POOL_SEXE", from: null, to: null, organisations: [], view: "breakdown", year: 2012, rate: null },
      title: "Tableau",
      kind: "table",
    });
    await submitPublication(t.db, author, publication);
    await validatePublication(t.db, referent, publication);
    const table = (await getExtranetPublication(t.db, publication)).rendered.items[0]!.table;
    expect(table.rows.filter((r) => r.id.startsWith("SEXE=")).map((r) => [r.id, r.cells[0]!.value, r.cells[0]!.masked])).toEqual([
      ["SEXE=F", SECRET_LABEL, true],
      ["SEXE=M", SECRET_LABEL, true],
    ]);

    expect({ solverLoaded: solverLoadedInThisThread(), zipSyncCalls: mainThreadZip.calls }).toEqual({ solverLoaded: false, zipSyncCalls: 0 });
  }, 240_000);
});
