import path from "node:path";
import { describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { ctx, runRoute, seedReferentialBase } from "../factories/referential";
import { loadObservatoryFiles } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { getCodelist, listCodelists, relabelCodelistItem } from "~/server/indicators/indicators.server";
import * as codelistPage from "~/routes/indicators.codelists.$code";

const t = useTestDb();
const repoRoot = path.resolve(__dirname, "../..");

describe("Art. 3: code-list labels are edited by the referent and versioned like the catalogue", () => {
  it("the referent renames a modality: the new label applies, the old one stays in the history, the audit records it", async () => {
    await seedReferentialBase(t.db);
    const team = await makeOrganisation(t.db, { isTeam: true });
    const referent = await sessionCookie((await makeUser(t.db, "odpe_referent", team.id)).id);
    const before = (await getCodelist(t.db, "SEXE")).items.find((i) => i.code === "F")!;

    const result = await runRoute(
      codelistPage.action,
      makeRequest("/indicators/codelists/SEXE?intent=relabel", { cookie: referent, form: { code: "F", label: "Filles", changeNote: "Libellé du schéma départemental." } }),
      { code: "SEXE" },
    );
    expect(result.status).toBe(200);
    expect(result.data).toMatchObject({ ok: true, intent: "relabel" });

    const after = await getCodelist(t.db, "SEXE");
    expect(after.items.find((i) => i.code === "F")).toMatchObject({ label: "Filles", version: 2 });
    expect(after.history).toEqual([expect.objectContaining({ code: "F", version: 2, previous_label: before.label, label: "Filles", change_note: "Libellé du schéma départemental." })]);
    expect((await listCodelists(t.db)).find((c) => c.code === "SEXE")!.items.find((i) => i.code === "F")!.label).toBe("Filles");

    const audit = await t.db.selectFrom("audit_event").select(["action", "entity_id", "summary"]).where("action", "=", "codelist.item_relabelled").execute();
    expect(audit).toEqual([expect.objectContaining({ entity_id: "SEXE", summary: expect.stringContaining("« Filles »") })]);
  });

  it("refuses with French messages: same label, empty label, no reason, unknown modality — and changes nothing", async () => {
    await seedReferentialBase(t.db);
    const team = await makeOrganisation(t.db, { isTeam: true });
    const referent = await sessionCookie((await makeUser(t.db, "odpe_referent", team.id)).id);
    const current = (await getCodelist(t.db, "SEXE")).items.find((i) => i.code === "M")!;
    const post = (form: Record<string, string>) =>
      runRoute(codelistPage.action, makeRequest("/indicators/codelists/SEXE?intent=relabel", { cookie: referent, form }), { code: "SEXE" });

    const same = await post({ code: "M", label: current.label, changeNote: "Rien" });
    expect(same.status).toBe(422);
    expect(same.data).toMatchObject({ ok: false, formError: expect.stringMatching(/identique/) });
    const empty = await post({ code: "M", label: "  ", changeNote: "Une raison" });
    expect(empty.data).toMatchObject({ ok: false, fieldErrors: { label: ["Indiquez le libellé."] } });
    const noReason = await post({ code: "M", label: "Garçons", changeNote: "" });
    expect(noReason.data).toMatchObject({ ok: false, fieldErrors: { changeNote: [expect.stringMatching(/raison/)] } });
    const unknown = await post({ code: "X", label: "Autre", changeNote: "Une raison" });
    expect(unknown.status).toBe(404);

    expect((await getCodelist(t.db, "SEXE")).items.find((i) => i.code === "M")).toMatchObject({ label: current.label, version: 1 });
    expect(await t.db.selectFrom("codelist_item_version").selectAll().where("codelist_code", "=", "SEXE").where("code", "=", "M").execute()).toEqual([]);
  });

  it("a partner may read the list but not change it (403)", async () => {
    await seedReferentialBase(t.db);
    const partnerOrg = await makeOrganisation(t.db);
    const partner = await sessionCookie((await makeUser(t.db, "partner_correspondent", partnerOrg.id)).id);
    const refused = await runRoute(
      codelistPage.action,
      makeRequest("/indicators/codelists/SEXE?intent=relabel", { cookie: partner, form: { code: "F", label: "Filles", changeNote: "Essai" } }),
      { code: "SEXE" },
    );
    expect(refused.status).toBe(403);
    const page = await runRoute(codelistPage.loader, makeRequest("/indicators/codelists/SEXE", { cookie: partner }), { code: "SEXE" });
    expect(page).toMatchObject({ status: 200, data: { canManage: false, codelist: { code: "SEXE" } } });
  });

  it("re-importing conventions/ never overwrites a label changed in the portal, and updates the others", async () => {
    const data = loadObservatoryFiles(repoRoot);
    await importObservatory(t.db, system(ctx), data, { isDemo: true });
    const territory = data.codelists.find((c) => c.items.some((i) => /paramétrer/.test(i.label)));
    const list = territory ?? data.codelists[0]!;
    const [edited, untouched] = list.items;
    await relabelCodelistItem(t.db, system(ctx), { codelist: list.code, code: edited!.code, label: "Territoire Forez", changeNote: "Nom adopté par le comité de suivi." });
    await t.db.updateTable("codelist_item").set({ label: "ancien" }).where("codelist_code", "=", list.code).where("code", "=", untouched!.code).execute();

    await importObservatory(t.db, system(ctx), data, { isDemo: true });
    const items = (await getCodelist(t.db, list.code)).items;
    expect(items.find((i) => i.code === edited!.code)).toMatchObject({ label: "Territoire Forez", version: 2 });
    expect(items.find((i) => i.code === untouched!.code)).toMatchObject({ label: untouched!.label, version: 1 });
  });

  // Each test of this file shares one database: each uses its own modalities.
  it("the history is append-only in the database", async () => {
    await seedReferentialBase(t.db);
    await relabelCodelistItem(t.db, system(ctx), { codelist: "AGE_BAND", code: "0-2", label: "0 à 2 ans", changeNote: "Essai" });
    await expect(t.db.updateTable("codelist_item_version").set({ label: "réécrit" }).execute()).rejects.toThrow(/append-only/);
  });
});
