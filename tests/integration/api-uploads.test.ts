import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { apiRequest, call, expectConforms, expectProblem } from "../support/api";
import { fillTemplate } from "../support/workbook";
import { setupApiPartner } from "../factories/collection";
import { acceptValue } from "../factories/campaign-setup";
import * as campaigns from "~/routes/api.v1.campaigns._index";
import * as template from "~/routes/api.v1.campaigns.$year.template";
import * as uploads from "~/routes/api.v1.campaigns.$year.uploads";
import * as uploadRoute from "~/routes/api.v1.uploads.$id._index";
import * as submit from "~/routes/api.v1.uploads.$id.submit";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { DEFAULT_UPLOAD_LIMITS, XLSX_CONTENT_TYPE } from "~/domain/upload-errors";
import { DATA_SHEET, FIRST_DATA_ROW, META_SHEET } from "~/domain/template-layout";
import type { Upload, UploadList, CampaignList } from "~/server/api/contract.server";

const t = useTestDb();

const P = {
  campaigns: "/api/v1/campaigns",
  template: "/api/v1/campaigns/{year}/template",
  uploads: "/api/v1/campaigns/{year}/uploads",
  upload: "/api/v1/uploads/{id}",
  submit: "/api/v1/uploads/{id}/submit",
} as const;

type Partner = Awaited<ReturnType<typeof setupApiPartner>>;

async function downloadTemplate(partner: Partner, year = partner.year) {
  const response = await call(template.loader, apiRequest(`/campaigns/${year}/template`, { token: partner.token }), { year: String(year) });
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Disposition")).toBe(`attachment; filename="ODPE_${year}_${partner.org.code}_modele.xlsx"`);
  return expectConforms<Uint8Array>(response, "get", P.template);
}

/** The template, downloaded through the API, with `values` (by line index) written in the value column. */
async function filledWorkbook(partner: Partner, values: unknown[], year = partner.year) {
  const bytes = await downloadTemplate(partner, year);
  const plan = await buildCollectionPlan(t.db, year, partner.org.id);
  return fillTemplate(bytes, Object.fromEntries(values.map((v, i) => [plan.lines[i]!.key, v])));
}

function postWorkbook(partner: Partner, bytes: Uint8Array, options: { year?: number; multipart?: boolean; filename?: string } = {}) {
  const year = options.year ?? partner.year;
  let request: Request;
  if (options.multipart) {
    const form = new FormData();
    form.append("comment", "ignored");
    form.append("file", new File([new Uint8Array(bytes)], options.filename ?? "tableau.xlsx", { type: XLSX_CONTENT_TYPE }));
    request = apiRequest(`/campaigns/${year}/uploads`, { token: partner.token, body: form });
  } else {
    request = apiRequest(`/campaigns/${year}/uploads`, {
      token: partner.token,
      body: new Uint8Array(bytes),
      headers: { "Content-Type": XLSX_CONTENT_TYPE, "Content-Disposition": `attachment; filename="${options.filename ?? "tableau.xlsx"}"` },
    });
  }
  return call(uploads.action, request, { year: String(year) });
}

const versionCount = async (organisationId: string) =>
  Number(
    (
      await t.db
        .selectFrom("submission_version as v")
        .innerJoin("submission as s", "s.id", "v.submission_id")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("s.organisation_id", "=", organisationId)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("GET /campaigns and the template", () => {
  it("lists the campaigns that concern the organisation with year, status and deadline", async () => {
    const partner = await setupApiPartner(t.db, { year: 2025, deadline: "2099-03-31" });
    const response = await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token }));
    const body = await expectConforms<CampaignList>(response, "get", P.campaigns);
    expect(body.organisation.code).toBe(partner.org.code);
    expect(body.campaigns).toEqual([
      {
        year: 2025,
        status: "open",
        deadline: "2099-03-31",
        submissionOpen: true,
        late: false,
        submissionStatus: null,
        versionCount: 0,
        templateUrl: "/api/v1/campaigns/2025/template",
        uploadsUrl: "/api/v1/campaigns/2025/uploads",
      },
    ]);
  });

  it("serves the organisation's own template (its code and the year in the protected metadata sheet)", async () => {
    const partner = await setupApiPartner(t.db);
    const bytes = await downloadTemplate(partner);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
    const meta = new Map<string, string>();
    wb.getWorksheet(META_SHEET)!.eachRow((row) => meta.set(String(row.getCell(1).value), String(row.getCell(2).value)));
    expect(meta.get("organisation_code")).toBe(partner.org.code);
    expect(meta.get("reference_year")).toBe(String(partner.year));
  });

  it("answers 404 for a year in which the organisation is not expected, and for a malformed year", async () => {
    const partner = await setupApiPartner(t.db);
    await expectProblem(await call(template.loader, apiRequest("/campaigns/2011/template", { token: partner.token }), { year: "2011" }), "get", P.template, 404, "not-found");
    await expectProblem(await call(template.loader, apiRequest("/campaigns/deux/template", { token: partner.token }), { year: "deux" }), "get", P.template, 404, "not-found");
  });
});

describe("upload round trip (Art. 4: every problem at once, versions never overwritten)", () => {
  it("201 for a clean file, 422 listing every error with its cell for a faulty one, then version 3 — nothing overwritten", async () => {
    const partner = await setupApiPartner(t.db);
    // 1. The template downloaded through the API, filled (total = F + M), uploaded raw.
    const clean = await filledWorkbook(partner, [120, 70, 50]);
    const created = await postWorkbook(partner, clean);
    expect(created.status).toBe(201);
    const first = await expectConforms<Upload>(created, "post", P.uploads);
    expect(first).toMatchObject({ version: 1, status: "draft", errors: [], warnings: [], uploadedVia: "api", filename: "tableau.xlsx", year: partner.year });
    expect(created.headers.get("Location")).toBe(`/api/v1/uploads/${first.id}`);

    // 2. A faulty file: not a number, negative, and a breakdown that no longer sums to the total.
    const faulty = await filledWorkbook(partner, [120, "soixante-dix", -5]);
    const refused = await postWorkbook(partner, faulty, { filename: "tableau-faux.xlsx" });
    const problem = await expectProblem(refused, "post", P.uploads, 422, "workbook-errors");
    const errors = problem.errors as { ref: string; cell: string; code: string; sheet: string; indicator: string; message: string }[];
    expect(errors.map((e) => [e.code, e.ref])).toEqual(
      expect.arrayContaining([
        ["not_a_number", `${DATA_SHEET}!E${FIRST_DATA_ROW + 1}`],
        ["negative", `${DATA_SHEET}!E${FIRST_DATA_ROW + 2}`],
      ]),
    );
    for (const e of errors) {
      expect(e.sheet).toBe(DATA_SHEET);
      expect(e.indicator).toBe(partner.indicators[0]!.code);
      expect(e.message.length).toBeGreaterThan(10);
    }
    const kept = problem.upload as { id: string; version: number; status: string };
    expect(kept).toMatchObject({ version: 2, status: "draft" });
    expect(refused.headers.get("Location")).toBe(`/api/v1/uploads/${kept.id}`);

    // 3. The same clean file again, as multipart: version 3.
    const third = await expectConforms<Upload>(await postWorkbook(partner, clean, { multipart: true, filename: "tableau-v3.xlsx" }), "post", P.uploads);
    expect(third).toMatchObject({ version: 3, status: "draft", filename: "tableau-v3.xlsx", errors: [] });

    // Every version is kept, with its own bytes and problems.
    const list = await expectConforms<UploadList>(
      await call(uploads.loader, apiRequest(`/campaigns/${partner.year}/uploads`, { token: partner.token }), { year: String(partner.year) }),
      "get",
      P.uploads,
    );
    expect(list.uploads.map((u) => [u.version, u.status, u.errorCount])).toEqual([
      [3, "draft", 0],
      [2, "superseded", errors.length],
      [1, "superseded", 0],
    ]);
    const v1 = await expectConforms<Upload>(await call(uploadRoute.loader, apiRequest(`/uploads/${first.id}`, { token: partner.token }), { id: first.id }), "get", P.upload);
    expect(v1.sha256).toBe(first.sha256);
    const v2 = await expectConforms<Upload>(await call(uploadRoute.loader, apiRequest(`/uploads/${kept.id}`, { token: partner.token }), { id: kept.id }), "get", P.upload);
    expect(v2.errors).toEqual(errors);
    expect(v2.sha256).not.toBe(v1.sha256);

    // Audited with the token as the actor.
    const audit = await t.db.selectFrom("audit_event").select(["actor_label", "action"]).where("action", "=", "submission.version_uploaded").where("organisation_id", "=", partner.org.id).execute();
    expect(audit).toHaveLength(3);
    for (const event of audit) expect(event.actor_label).toMatch(/^jeton API « .+ » \(odpe_.{8}…\) de /);
  });

  it("refuses another organisation's template (422 workbook-refused): no version, only an audit event", async () => {
    const a = await setupApiPartner(t.db);
    const b = await setupApiPartner(t.db);
    const bytesOfA = await filledWorkbook(a, [10, 4, 6]);
    const response = await postWorkbook(b, bytesOfA);
    const problem = await expectProblem(response, "post", P.uploads, 422, "workbook-refused");
    expect((problem.errors as { code: string }[])[0]!.code).toBe("wrong_organisation");
    expect(await versionCount(b.org.id)).toBe(0);
    const audit = await t.db.selectFrom("audit_event").select("action").where("organisation_id", "=", b.org.id).where("action", "like", "submission.upload_%").execute();
    expect(audit.map((e) => e.action)).toEqual(["submission.upload_rejected"]);
  });

  it("415 for a file that is not a workbook whatever its name or declared type, and for another media type", async () => {
    const partner = await setupApiPartner(t.db);
    const pdf = new TextEncoder().encode("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n");
    const asXlsx = await postWorkbook(partner, pdf, { filename: "tableau.xlsx" });
    const body = await expectProblem(asXlsx, "post", P.uploads, 415, "unsupported-media-type");
    expect(body.code).toBe("not_a_workbook");
    expect(body.detail).toMatch(/PDF/);
    const csv = await call(
      uploads.action,
      apiRequest(`/campaigns/${partner.year}/uploads`, { token: partner.token, body: "a;b\n1;2\n", headers: { "Content-Type": "text/csv" } }),
      { year: String(partner.year) },
    );
    await expectProblem(csv, "post", P.uploads, 415, "unsupported-media-type");
    expect(await versionCount(partner.org.id)).toBe(0);
  });

  it("413 beyond the size limit, whether the length is declared or not, and an endless body is never read to its end", async () => {
    const partner = await setupApiPartner(t.db);
    const limit = DEFAULT_UPLOAD_LIMITS.maxFileBytes;
    const declared = await call(
      uploads.action,
      apiRequest(`/campaigns/${partner.year}/uploads`, {
        token: partner.token,
        body: new Uint8Array(16),
        headers: { "Content-Type": XLSX_CONTENT_TYPE, "Content-Length": String(limit + 1) },
      }),
      { year: String(partner.year) },
    );
    const problem = await expectProblem(declared, "post", P.uploads, 413, "payload-too-large");
    expect(problem.limitBytes).toBe(limit);

    // An endless streamed body without Content-Length: answered 413 as soon as it passes the limit,
    // the rest read and discarded for a bounded while only (so the client can read the answer), then cancelled.
    let sent = 0;
    let cancelled = false;
    const chunk = new Uint8Array(1024 * 1024);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    const streamed = await call(
      uploads.action,
      apiRequest(`/campaigns/${partner.year}/uploads`, { token: partner.token, body: endless, headers: { "Content-Type": XLSX_CONTENT_TYPE } }),
      { year: String(partner.year) },
    );
    await expectProblem(streamed, "post", P.uploads, 413, "payload-too-large");
    expect(streamed.headers.get("Connection")).toBe("close");
    await expect.poll(() => cancelled, { timeout: 10_000 }).toBe(true);
    expect(sent).toBeLessThanOrEqual(limit + 32 * 1024 * 1024 + 4 * chunk.byteLength);

    const form = new FormData();
    form.append("file", new File([new Uint8Array(limit + 1)], "gros.xlsx", { type: XLSX_CONTENT_TYPE }));
    const multipart = await call(uploads.action, apiRequest(`/campaigns/${partner.year}/uploads`, { token: partner.token, body: form }), { year: String(partner.year) });
    await expectProblem(multipart, "post", P.uploads, 413, "payload-too-large");
    expect(await versionCount(partner.org.id)).toBe(0);
  });

  it("400 for a multipart body without the `file` field", async () => {
    const partner = await setupApiPartner(t.db);
    const form = new FormData();
    form.append("fichier", new File([new Uint8Array(3)], "x.xlsx"));
    const response = await call(uploads.action, apiRequest(`/campaigns/${partner.year}/uploads`, { token: partner.token, body: form }), { year: String(partner.year) });
    const problem = await expectProblem(response, "post", P.uploads, 400, "bad-request");
    expect(problem.detail).toMatch(/« file »/);
  });
});

describe("POST /uploads/{id}/submit (Art. 4: only a version without error, warnings explained)", () => {
  it("refuses a version with errors (422), submits the latest clean one (200), then refuses a second submission (409)", async () => {
    const partner = await setupApiPartner(t.db);
    const faulty = (await postWorkbook(partner, await filledWorkbook(partner, [120, 70, 49]))).headers.get("Location")!.split("/").pop()!;
    const withErrors = await call(submit.action, apiRequest(`/uploads/${faulty}/submit`, { token: partner.token, method: "POST" }), { id: faulty });
    const problem = await expectProblem(withErrors, "post", P.submit, 422, "invalid-request");
    expect(problem.detail).toMatch(/erreur/);

    const clean = await expectConforms<Upload>(await postWorkbook(partner, await filledWorkbook(partner, [120, 70, 50])), "post", P.uploads);
    const submitted = await call(submit.action, apiRequest(`/uploads/${clean.id}/submit`, { token: partner.token, method: "POST" }), { id: clean.id });
    expect(submitted.status).toBe(200);
    const body = await expectConforms<Upload>(submitted, "post", P.submit);
    expect(body).toMatchObject({ id: clean.id, status: "submitted" });
    expect(body.submittedAt).not.toBeNull();
    const row = await t.db.selectFrom("submission_version").select(["submitted_by", "status"]).where("id", "=", clean.id).executeTakeFirstOrThrow();
    // The correspondent who created the token is accountable for the transmission.
    expect(row).toEqual({ submitted_by: partner.correspondent.id, status: "submitted" });

    const again = await call(submit.action, apiRequest(`/uploads/${clean.id}/submit`, { token: partner.token, method: "POST" }), { id: clean.id });
    await expectProblem(again, "post", P.submit, 409, "conflict");
  });

  it("requires a comment explaining warnings (422, field `comment`), then accepts it", async () => {
    const partner = await setupApiPartner(t.db, { year: 2031, indicators: [{}] });
    await acceptValue(t.db, { organisationId: partner.org.id, year: 2030, indicatorId: partner.indicators[0]!.id, indicatorVersionId: partner.indicators[0]!.versionId, value: 100 });
    const upload = await expectConforms<Upload>(await postWorkbook(partner, await filledWorkbook(partner, [300], 2031), { year: 2031 }), "post", P.uploads);
    expect(upload.errors).toEqual([]);
    expect(upload.warnings.map((w) => w.code)).toEqual(["variation"]);

    const silent = await call(submit.action, apiRequest(`/uploads/${upload.id}/submit`, { token: partner.token, method: "POST" }), { id: upload.id });
    const problem = await expectProblem(silent, "post", P.submit, 422, "invalid-request");
    expect(problem.fieldErrors).toHaveProperty("comment");

    const badJson = await call(
      submit.action,
      apiRequest(`/uploads/${upload.id}/submit`, { token: partner.token, body: "{comment:", headers: { "Content-Type": "application/json" } }),
      { id: upload.id },
    );
    await expectProblem(badJson, "post", P.submit, 400, "bad-request");

    const explained = await call(
      submit.action,
      apiRequest(`/uploads/${upload.id}/submit`, { token: partner.token, body: JSON.stringify({ comment: "Nouveau dispositif d'accueil ouvert en 2031." }), headers: { "Content-Type": "application/json" } }),
      { id: upload.id },
    );
    const body = await expectConforms<Upload>(explained, "post", P.submit);
    expect(body).toMatchObject({ status: "submitted", warningsComment: "Nouveau dispositif d'accueil ouvert en 2031." });
  });
});

describe("partner A never sees or touches partner B's uploads (404, not 403)", () => {
  it("hides B's versions from A on every route", async () => {
    const a = await setupApiPartner(t.db);
    const b = await setupApiPartner(t.db);
    const ofB = await expectConforms<Upload>(await postWorkbook(b, await filledWorkbook(b, [10, 4, 6])), "post", P.uploads);

    await expectProblem(await call(uploadRoute.loader, apiRequest(`/uploads/${ofB.id}`, { token: a.token }), { id: ofB.id }), "get", P.upload, 404, "not-found");
    await expectProblem(await call(submit.action, apiRequest(`/uploads/${ofB.id}/submit`, { token: a.token, method: "POST" }), { id: ofB.id }), "post", P.submit, 404, "not-found");
    const listOfA = await expectConforms<UploadList>(
      await call(uploads.loader, apiRequest(`/campaigns/${a.year}/uploads`, { token: a.token }), { year: String(a.year) }),
      "get",
      P.uploads,
    );
    expect(listOfA.uploads).toEqual([]);

    // B's version is untouched.
    const row = await t.db.selectFrom("submission_version").select("status").where("id", "=", ofB.id).executeTakeFirstOrThrow();
    expect(row.status).toBe("draft");
    // An unknown or malformed id is the same 404.
    await expectProblem(await call(uploadRoute.loader, apiRequest("/uploads/pas-un-id", { token: a.token }), { id: "pas-un-id" }), "get", P.upload, 404, "not-found");
  });
});

describe("campaign closed (Art. 4: a late submission needs a reopened campaign)", () => {
  it("answers 409 to an upload and to a submission once the campaign is closed", async () => {
    const partner = await setupApiPartner(t.db, { year: 2027 });
    const draft = await expectConforms<Upload>(await postWorkbook(partner, await filledWorkbook(partner, [10, 4, 6], 2027), { year: 2027 }), "post", P.uploads);
    await t.db.updateTable("campaign").set({ status: "closed", closed_at: new Date() }).where("reference_year", "=", 2027).execute();

    const upload = await postWorkbook(partner, await filledWorkbook(partner, [10, 4, 6], 2027), { year: 2027 });
    const problem = await expectProblem(upload, "post", P.uploads, 409, "conflict");
    expect(problem.detail).toMatch(/clôturée/);
    const submitted = await call(submit.action, apiRequest(`/uploads/${draft.id}/submit`, { token: partner.token, method: "POST" }), { id: draft.id });
    await expectProblem(submitted, "post", P.submit, 409, "conflict");

    const list = await expectConforms<CampaignList>(await call(campaigns.loader, apiRequest("/campaigns", { token: partner.token })), "get", P.campaigns);
    expect(list.campaigns.find((c) => c.year === 2027)).toMatchObject({ status: "closed", submissionOpen: false, versionCount: 1, submissionStatus: "draft" });
    expect(await versionCount(partner.org.id)).toBe(1);
  });
});
