import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { apiRequest, call } from "../support/api";
import { fillTemplate } from "../support/workbook";
import { sessionCookie, testContext } from "../factories";
import { setupApiPartner } from "../factories/collection";
import * as apiUploads from "~/routes/api.v1.campaigns.$year.uploads";
import * as webUpload from "~/routes/collection.$year.$org.upload";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { XLSX_CONTENT_TYPE } from "~/domain/upload-errors";

/**
 * File names as partners really give them go through the one multipart
 * reader (busboy, RFC 7578 / RFC 5987) on the web form and on the API alike:
 * `;` and `=` inside a quoted name, accents sent as raw UTF-8, and the
 * `filename*=UTF-8''…` form. The name kept is the one the partner gave.
 */
const t = useTestDb();

type Partner = Awaited<ReturnType<typeof setupApiPartner>>;
let partner: Partner;
let cookie: string;
let workbook: Buffer;

beforeAll(async () => {
  partner = await setupApiPartner(t.db, { year: 2025, indicators: [{}] });
  const plan = await buildCollectionPlan(t.db, partner.year, partner.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
  workbook = await fillTemplate(template, Object.fromEntries(plan.lines.map((l) => [l.key, 12])));
  cookie = await sessionCookie(partner.correspondent.id);
}, 60_000);

const BOUNDARY = "----odpe-test-boundary-7MA4YWxkTrZu0gW";

/** A multipart body written by hand, so that the Content-Disposition header is exactly `disposition`. */
function multipartBody(disposition: string, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="comment"\r\n\r\nrien\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: ${XLSX_CONTENT_TYPE}\r\n\r\n`,
    "utf8",
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`, "utf8");
  return new Uint8Array(Buffer.concat([head, bytes, tail]));
}

const quoted = (name: string) => `filename="${name}"`;
const extended = (name: string) => `filename="fallback.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`;

const cases: { label: string; disposition: string; expected: string }[] = [
  { label: "a `;` in the name", disposition: quoted("indicateurs 2025; v2.xlsx"), expected: "indicateurs 2025; v2.xlsx" },
  { label: "a `=` in the name", disposition: quoted("a=b.xlsx"), expected: "a=b.xlsx" },
  { label: "accents sent as raw UTF-8", disposition: quoted("Données été.xlsx"), expected: "Données été.xlsx" },
  { label: "RFC 5987 filename*=UTF-8''…", disposition: extended("Données été; v3=final.xlsx"), expected: "Données été; v3=final.xlsx" },
];

async function storedName(versionNumber: number) {
  const row = await t.db
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .innerJoin("stored_file as f", "f.id", "v.file_id")
    .select("f.filename")
    .where("s.organisation_id", "=", partner.org.id)
    .where("v.number", "=", versionNumber)
    .executeTakeFirstOrThrow();
  return row.filename;
}

describe("file names in multipart uploads (RFC 7578 / RFC 5987)", () => {
  it.each(cases)("web form: $label is accepted and kept", async ({ disposition, expected }) => {
    const request = new Request(`http://localhost/collection/${partner.year}/${partner.org.code}/upload`, {
      method: "POST",
      headers: {
        Cookie: cookie,
        Origin: "http://localhost",
        Accept: "application/json",
        "User-Agent": "vitest",
        "Content-Type": `multipart/form-data; boundary=${BOUNDARY}`,
      },
      body: multipartBody(disposition, workbook),
    });
    const response = (await webUpload.action({ request, params: { year: String(partner.year), org: partner.org.code }, context: testContext() } as never)) as Response;
    const body = (await response.json()) as { ok: boolean; number?: number; message: string };
    expect([response.status, body.message]).toEqual([201, expect.stringMatching(/^Version \d+ enregistrée/)]);
    expect(await storedName(body.number!)).toBe(expected);
  });

  it.each(cases)("API: $label is accepted and kept", async ({ disposition, expected }) => {
    const request = apiRequest(`/campaigns/${partner.year}/uploads`, {
      token: partner.token,
      body: multipartBody(disposition, workbook),
      headers: { "Content-Type": `multipart/form-data; boundary=${BOUNDARY}` },
    });
    const response = await call(apiUploads.action, request, { year: String(partner.year) });
    const body = (await response.json()) as { id: string; version: number; filename?: string };
    expect(response.status).toBe(201);
    const row = await t.db
      .selectFrom("submission_version as v")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .select("f.filename")
      .where("v.id", "=", body.id)
      .executeTakeFirstOrThrow();
    expect(row.filename).toBe(expected);
  });

  it("a multipart body without its boundary is refused with a French message, never a 500", async () => {
    const request = new Request(`http://localhost/collection/${partner.year}/${partner.org.code}/upload`, {
      method: "POST",
      headers: { Cookie: cookie, Origin: "http://localhost", Accept: "application/json", "User-Agent": "vitest", "Content-Type": "multipart/form-data" },
      body: "n'importe quoi",
    });
    const response = (await webUpload.action({ request, params: { year: String(partner.year), org: partner.org.code }, context: testContext() } as never)) as Response;
    const body = (await response.json()) as { ok: boolean; message: string };
    expect([response.status, body.ok]).toEqual([422, false]);
    expect(body.message).toMatch(/formulaire envoyé est illisible/);
  });
});
