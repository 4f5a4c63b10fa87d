import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { acceptValues, makeAgreement, makeIndicator, withdrawOrganisation } from "../factories/collection";
import * as explorer from "~/routes/explorer";
import * as explorerExport from "~/routes/explorer.export";
import * as workspace from "~/routes/workspace._index";
import * as publications from "~/routes/publications._index";
import * as publication from "~/routes/publications.$id";
import * as approvals from "~/routes/approvals._index";
import * as approval from "~/routes/approvals.$id";
import * as extranet from "~/routes/extranet._index";
import * as extranetPublication from "~/routes/extranet.publications.$id";
import { roles, type Role } from "~/domain/permissions";
import { runRoute as run } from "../factories/referential";

const t = useTestDb();


let caf: { id: string; name: string };
let dep: { id: string; name: string };
const cookies = {} as Record<"referent" | "author" | "cafValidator" | "depValidator" | "reader", string>;

beforeAll(async () => {
  const team = await makeOrganisation(t.db, { isTeam: true, kind: "observatory" });
  caf = await makeOrganisation(t.db, { code: "CAF", name: "CAF de la Loire" });
  dep = await makeOrganisation(t.db, { code: "DEP", name: '=HYPERLINK("http://x","Département")' });
  const asso = await makeOrganisation(t.db, { code: "ASSO" });
  const enf = await makeIndicator(t.db, { code: "ENF_R", label: "Enfants suivis", providers: [caf.id, dep.id] });
  await acceptValues(t.db, { organisationId: caf.id, year: 2024, indicator: enf, values: { "": 120 } });
  await acceptValues(t.db, { organisationId: dep.id, year: 2024, indicator: enf, values: { "": 3 } });
  await makeAgreement(t.db, caf.id, [{ indicator: enf, usageRights: "with_approval" }]);
  await makeAgreement(t.db, dep.id, [{ indicator: enf, usageRights: "with_approval" }]);
  const make = async (role: Role, org: string) => sessionCookie((await makeUser(t.db, role, org)).id);
  cookies.referent = await make("odpe_referent", team.id);
  cookies.author = await make("partner_correspondent", asso.id);
  cookies.cafValidator = await make("partner_validator", caf.id);
  cookies.depValidator = await make("partner_validator", dep.id);
  cookies.reader = await make("reader", asso.id);
});

describe("Art. 5 — pooled data stay inside the observatory", () => {
  it("Art. 5: a reader cannot reach internal data: explorer, exports, workspace, drafts, approvals (403)", async () => {
    const cookie = cookies.reader;
    expect((await run(explorer.loader, makeRequest("/explorer?indicator=ENF_R", { cookie }))).status).toBe(403);
    expect((await run(explorerExport.loader, makeRequest("/explorer/export?format=csv&indicator=ENF_R", { cookie }))).status).toBe(403);
    expect((await run(workspace.loader, makeRequest("/workspace", { cookie }))).status).toBe(403);
    expect((await run(publications.loader, makeRequest("/publications", { cookie }))).status).toBe(403);
    expect((await run(approvals.loader, makeRequest("/approvals", { cookie }))).status).toBe(403);
    const frozen = await run(explorer.action, makeRequest("/explorer", { cookie, form: { query: "indicator=ENF_R", itemTitle: "Vol", kind: "table", publicationId: "new" } }));
    expect(frozen.status).toBe(403);
  });

  it("Art. 5: every role but reader and admin reads pooled data; anonymous visitors are sent to login", async () => {
    for (const role of roles) {
      const org = await makeOrganisation(t.db);
      const cookie = await sessionCookie((await makeUser(t.db, role, org.id)).id);
      const status = (await run(explorer.loader, makeRequest("/explorer", { cookie }))).status;
      expect([role, status]).toEqual([role, role === "reader" || role === "admin" ? 403 : 200]);
    }
    const anonymous = await run(explorer.loader, makeRequest("/explorer?indicator=ENF_R"));
    expect(anonymous.status).toBe(302);
    expect(anonymous.response!.headers.get("Location")).toMatch(/^\/login/);
  });

  it("Art. 7: a withdrawn organisation's correspondent no longer reads pooled data", async () => {
    const gone = await makeOrganisation(t.db, { code: "GONE" });
    const cookie = await sessionCookie((await makeUser(t.db, "partner_correspondent", gone.id)).id);
    await withdrawOrganisation(t.db, gone.id);
    const result = await run(explorer.loader, makeRequest("/explorer", { cookie }));
    expect(result.status).toBe(302);
    expect(result.response!.headers.get("Location")).toBe("/my-data");
  });

  it("Art. 5: the explorer shows true values and their sources; internal exports carry sources and the internal-use mention, neutralise formulas and are audited", async () => {
    const view = await run(explorer.loader, makeRequest("/explorer?indicator=ENF_R", { cookie: cookies.author }));
    const data = view.data as { result: { sources: string; table: { rows: { label: string; cells: { value: unknown }[] }[] } } };
    expect(data.result.sources).toMatch(/^Sources : .*CAF de la Loire \(données 2024\)/);
    expect(data.result.sources).toContain('=HYPERLINK("http://x","Département") (données 2024)');
    expect(data.result.table.rows.find((r) => r.label === "CAF de la Loire")!.cells[0]!.value).toBe(120);
    expect(data.result.table.rows.find((r) => r.label.startsWith("=HYPERLINK"))!.cells[0]!.value).toBe(3); // internal: true small count

    const before = await t.db.selectFrom("audit_event").select("id").where("action", "=", "pooled_data.exported").execute();
    const csv = await run(explorerExport.loader, makeRequest("/explorer/export?format=csv&indicator=ENF_R", { cookie: cookies.author }));
    expect(csv.status).toBe(200);
    expect(csv.response!.headers.get("Content-Disposition")).toMatch(/attachment; filename="odpe-enf_r-series-\d{4}-\d{2}-\d{2}\.csv"/);
    const text = await csv.response!.text();
    expect(text).toContain("Usage interne à l'ODPE — toute diffusion externe requiert l'accord préalable des sources (convention, art. 5)");
    expect(text).toContain("CAF de la Loire (données 2024)");
    expect(text).toContain(`"'=HYPERLINK(""http://x"",""Département"")";3`);
    expect(text.split("\r\n").some((line) => /^"?[=+\-@]/.test(line))).toBe(false);

    const xlsx = await run(explorerExport.loader, makeRequest("/explorer/export?format=xlsx&indicator=ENF_R", { cookie: cookies.author }));
    expect(xlsx.response!.headers.get("Content-Type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    const ExcelJS = (await import("exceljs")).default;
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await xlsx.response!.arrayBuffer()) as never);
    const cells = workbook.worksheets.flatMap((ws) => ws.getSheetValues().flatMap((row) => (Array.isArray(row) ? row : [])));
    expect(cells).toContain("Usage interne à l'ODPE — toute diffusion externe requiert l'accord préalable des sources (convention, art. 5)");
    expect(cells.filter((c) => typeof c === "string" && /^[=+\-@]/.test(c))).toEqual([]);
    expect(cells.some((c) => typeof c === "object" && c !== null && "formula" in c)).toBe(false);

    const after = await t.db.selectFrom("audit_event").select(["id", "summary"]).where("action", "=", "pooled_data.exported").execute();
    expect(after.length - before.length).toBe(2);
  });
});

describe("Art. 5 — the whole circuit through the routes", () => {
  it("Art. 5: freeze → submit → each source approves exactly the content shown → referent validates → the anonymous extranet shows it with secrecy", async () => {
    const frozen = await run(explorer.action, makeRequest("/explorer", { cookie: cookies.author, form: { query: "indicator=ENF_R&view=series", itemTitle: "Enfants suivis en 2024", kind: "chart", publicationId: "new" } }));
    expect(frozen.status).toBe(302);
    const id = frozen.response!.headers.get("Location")!.match(/\/publications\/([0-9a-f-]{36})/)![1]!;

    const submitted = await run(publication.action, makeRequest(`/publications/${id}?intent=submit`, { cookie: cookies.author, form: {} }), { id });
    expect(submitted.data).toMatchObject({ ok: true });
    // A source's validator cannot validate the publication; the author cannot either.
    expect((await run(publication.action, makeRequest(`/publications/${id}?intent=validate`, { cookie: cookies.cafValidator, form: {} }), { id })).status).toBe(403);
    expect((await run(publication.action, makeRequest(`/publications/${id}?intent=validate`, { cookie: cookies.author, form: {} }), { id })).status).toBe(403);

    for (const [org, cookie] of [
      [caf.id, cookies.cafValidator],
      [dep.id, cookies.depValidator],
    ] as const) {
      const a = await t.db.selectFrom("publication_approval").select(["id", "content_hash"]).where("publication_id", "=", id).where("organisation_id", "=", org).where("status", "=", "pending").executeTakeFirstOrThrow();
      // The other organisation's validator may not open or decide it.
      const foreign = org === caf.id ? cookies.depValidator : cookies.cafValidator;
      expect((await run(approval.loader, makeRequest(`/approvals/${a.id}`, { cookie: foreign }), { id: a.id })).status).toBe(403);
      const page = await run(approval.loader, makeRequest(`/approvals/${a.id}`, { cookie }), { id: a.id });
      const shown = page.data as { rendered: { external: boolean; items: { table: { rows: { cells: { value: unknown }[] }[] } }[] }; approval: { content_hash: string } };
      expect(shown.rendered.external).toBe(true); // exactly what would go out, secrecy applied
      expect(shown.approval.content_hash).toBe(a.content_hash);
      const decided = await run(approval.action, makeRequest(`/approvals/${a.id}`, { cookie, form: { decision: "approve", contentHash: a.content_hash } }), { id: a.id });
      expect(decided.data).toMatchObject({ ok: true });
    }

    const validated = await run(publication.action, makeRequest(`/publications/${id}?intent=validate`, { cookie: cookies.referent, form: {} }), { id });
    expect(validated.data).toMatchObject({ ok: true, message: "La publication est en ligne." });

    const list = await run(extranet.loader, makeRequest("/extranet"));
    expect(list.status).toBe(200);
    const listed = (list.data as { publications: { id: string; sources: string }[] }).publications.find((p) => p.id === id)!;
    expect(listed.sources).toContain("CAF de la Loire (données 2024)");
    const page = await run(extranetPublication.loader, makeRequest(`/extranet/publications/${id}`), { id });
    const rendered = (page.data as { rendered: { items: { table: { rows: { label: string; cells: { value: unknown }[] }[] } }[] } }).rendered;
    const rows = rendered.items[0]!.table.rows;
    // The Département's 3 is masked (primary), the CAF's 120 too (secondary: the total would give the 3 back).
    expect(rows.map((r) => r.cells[0]!.value)).toEqual(["s", "s", 123]);
  });

  it("Art. 5: a refusal needs a reason, and the reason reaches the author's page", async () => {
    const frozen = await run(explorer.action, makeRequest("/explorer", { cookie: cookies.author, form: { query: "indicator=ENF_R&org=" + caf.id, itemTitle: "CAF seule", kind: "table", publicationId: "new" } }));
    const id = frozen.response!.headers.get("Location")!.match(/\/publications\/([0-9a-f-]{36})/)![1]!;
    await run(publication.action, makeRequest(`/publications/${id}?intent=submit`, { cookie: cookies.author, form: {} }), { id });
    const a = await t.db.selectFrom("publication_approval").select(["id", "content_hash"]).where("publication_id", "=", id).executeTakeFirstOrThrow();
    const noReason = await run(approval.action, makeRequest(`/approvals/${a.id}`, { cookie: cookies.cafValidator, form: { decision: "refuse", contentHash: a.content_hash, reason: "" } }), { id: a.id });
    expect(noReason.status).toBe(422);
    await run(approval.action, makeRequest(`/approvals/${a.id}`, { cookie: cookies.cafValidator, form: { decision: "refuse", contentHash: a.content_hash, reason: "Données non consolidées." } }), { id: a.id });
    const page = await run(publication.loader, makeRequest(`/publications/${id}`, { cookie: cookies.author }), { id });
    const data = page.data as { row: { status: string }; approvals: { status: string; reason: string | null }[] };
    expect(data.row.status).toBe("draft");
    expect(data.approvals.find((x) => x.status === "refused")?.reason).toBe("Données non consolidées.");
  });

  it("Art. 7: a withdrawn partner's validator still lists and decides its approval requests", async () => {
    const frozen = await run(explorer.action, makeRequest("/explorer", { cookie: cookies.author, form: { query: "indicator=ENF_R&org=" + caf.id, itemTitle: "CAF après retrait", kind: "table", publicationId: "new" } }));
    const id = frozen.response!.headers.get("Location")!.match(/\/publications\/([0-9a-f-]{36})/)![1]!;
    await run(publication.action, makeRequest(`/publications/${id}?intent=submit`, { cookie: cookies.author, form: {} }), { id });
    await withdrawOrganisation(t.db, caf.id);
    const list = await run(approvals.loader, makeRequest("/approvals", { cookie: cookies.cafValidator }));
    expect(list.status).toBe(200);
    expect((list.data as { withdrawn: boolean }).withdrawn).toBe(true);
    // Everything else is closed to them (Art. 7).
    expect((await run(explorer.loader, makeRequest("/explorer", { cookie: cookies.cafValidator }))).status).toBe(302);
    const a = await t.db.selectFrom("publication_approval").select(["id", "content_hash"]).where("publication_id", "=", id).where("status", "=", "pending").executeTakeFirstOrThrow();
    const decided = await run(approval.action, makeRequest(`/approvals/${a.id}`, { cookie: cookies.cafValidator, form: { decision: "approve", contentHash: a.content_hash } }), { id: a.id });
    expect(decided.data).toMatchObject({ ok: true });
  });
});
