import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { makeRequest, makeUser, sessionCookie, testContext } from "../factories";
import { setupCampaign } from "../factories/campaign-setup";
import * as annotatedRoute from "~/routes/versions.$id.annotated";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload } from "~/server/collection/submissions.server";
import { annotationBuilds } from "~/server/collection/annotated.server";
import { runHeavy } from "~/server/heavy/pool.server";
import { systemActor } from "~/server/command.server";
import { DATA_SHEET, FIRST_DATA_ROW, LAYOUT_MARGIN } from "~/domain/template-layout";

/**
 * ADR 016: the template's layout bounds what is read (a template
 * padded with cells is refused, naming the sheet and the range, without
 * parsing the padding), and the annotated workbook is built once per
 * version, in a worker thread, then served from storage.
 */
const t = useTestDb();
const ctxActor = systemActor("test");

async function filledTemplate(lineValues: (n: number) => unknown = () => 12) {
  const setup = await setupCampaign(t.db, { indicators: [{}, {}] });
  const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
  const bytes = await fillTemplate(template, Object.fromEntries(plan.lines.map((l, i) => [l.key, lineValues(i)])));
  return { setup, plan, bytes };
}

/** The workbook with `edit` applied through exceljs (what a partner's spreadsheet would save). */
async function edited(bytes: Uint8Array, edit: (wb: ExcelJS.Workbook) => void) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  edit(wb);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

const upload = (setup: { year: number; org: { id: string } }, bytes: Uint8Array) =>
  receiveUpload(t.db, ctxActor, { year: setup.year, organisationId: setup.org.id, uploadedBy: null, via: "web", filename: "tableau.xlsx", bytes });

async function versionCount(orgId: string) {
  const row = await t.db
    .selectFrom("submission_version as v")
    .innerJoin("submission as s", "s.id", "v.submission_id")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("s.organisation_id", "=", orgId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe("the template's layout bounds what is read (Art. 4: the yearly tables keep the template's structure)", () => {
  it("a template padded with thousands of numeric cells below the table is refused, naming the sheet, the range and the first cell outside it", async () => {
    const { setup, plan, bytes } = await filledTemplate();
    const lastRow = FIRST_DATA_ROW + plan.lines.length - 1 + LAYOUT_MARGIN.rows;
    const padded = await edited(bytes, (wb) => {
      const ws = wb.getWorksheet(DATA_SHEET)!;
      for (let r = lastRow + 1; r <= lastRow + 2000; r++) for (let c = 1; c <= 10; c++) ws.getCell(r, c).value = r * c;
    });
    const result = await upload(setup, padded);
    expect(result.kind).toBe("refused");
    if (result.kind !== "refused") return;
    expect(result.refusal).toMatchObject({ code: "outside_template_layout", status: 422, sheet: DATA_SHEET, cell: `A${lastRow + 1}` });
    expect(result.refusal.message).toContain(`La feuille « ${DATA_SHEET} » contient des cellules hors du modèle (à partir de`);
    expect(result.refusal.message).toContain(`la plage A1:M${lastRow} de cette feuille`);
    expect(await versionCount(setup.org.id)).toBe(0);
  });

  it("a value far to the right of the table is refused with its cell", async () => {
    const { setup, bytes } = await filledTemplate();
    const padded = await edited(bytes, (wb) => {
      wb.getWorksheet(DATA_SHEET)!.getCell(`Z${FIRST_DATA_ROW}`).value = 1;
    });
    const result = await upload(setup, padded);
    expect(result.kind === "refused" && result.refusal).toMatchObject({ code: "outside_template_layout", cell: `Z${FIRST_DATA_ROW}` });
  });

  it("a sheet the template does not have, filled with data, is refused by its size before it is parsed", async () => {
    const { setup, bytes } = await filledTemplate();
    const padded = await edited(bytes, (wb) => {
      const ws = wb.addWorksheet("Feuil2");
      for (let r = 1; r <= 2000; r++) for (let c = 1; c <= 10; c++) ws.getCell(r, c).value = r + c / 10;
    });
    const result = await upload(setup, padded);
    expect(result.kind).toBe("refused");
    if (result.kind !== "refused") return;
    expect(result.refusal).toMatchObject({ code: "outside_template_layout", sheet: "Feuil2" });
    expect(result.refusal.message).toMatch(/^La feuille « Feuil2 » ne fait pas partie du modèle .* elle n'a pas été lue/);
    // Refused from the zip's directory: the detail is the part's size, not a cell.
    expect(result.refusal.logDetail).toMatch(/bytes uncompressed$/);
  });

  it("a stray note just under the table stays within the margin and gets the interpretation's own message", async () => {
    const { setup, plan, bytes } = await filledTemplate();
    const noted = await edited(bytes, (wb) => {
      wb.getWorksheet(DATA_SHEET)!.getCell(`A${FIRST_DATA_ROW + plan.lines.length + 2}`).value = "note";
    });
    const result = await upload(setup, noted);
    expect(result.kind).toBe("rejected");
    expect(result.problems[0]).toMatchObject({ code: "unknown_row" });
  });
});

describe("the annotated workbook is built once per version, off the event loop, and served from storage", () => {
  it("runs heavy work in a worker thread", async () => {
    expect(await runHeavy("threadInfo", {})).toMatchObject({ isMainThread: false });
  });

  it("the first download builds and stores it; the next ones (even concurrent) are served from storage without re-parsing", async () => {
    const { setup, plan, bytes } = await filledTemplate((i) => (i === 0 ? 12.5 : 3));
    const result = await upload(setup, bytes);
    expect(result.kind).toBe("stored");
    if (result.kind !== "stored") return;
    const user = await makeUser(t.db, "partner_correspondent", setup.org.id);
    const cookie = await sessionCookie(user.id);
    const download = async () => {
      const response = (await annotatedRoute.loader({ request: makeRequest(`/versions/${result.versionId}/annotated`, { cookie }), params: { id: result.versionId }, context: testContext() } as never)) as Response;
      expect(response.status).toBe(200);
      return new Uint8Array(await response.arrayBuffer());
    };

    const before = annotationBuilds.count;
    const [first, concurrent] = await Promise.all([download(), download()]);
    expect(annotationBuilds.count - before).toBe(1);
    const row = await t.db.selectFrom("submission_version").select("annotated_file_id").where("id", "=", result.versionId).executeTakeFirstOrThrow();
    expect(row.annotated_file_id).not.toBeNull();

    const second = await download();
    expect(annotationBuilds.count - before).toBe(1);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(concurrent).equals(Buffer.from(first))).toBe(true);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(second) as unknown as ArrayBuffer);
    const cell = wb.getWorksheet(DATA_SHEET)!.getCell(`E${FIRST_DATA_ROW}`);
    expect((cell.fill as ExcelJS.FillPattern).fgColor?.argb).toBe("FFFF8787");
    expect(plan.lines.length).toBe(2);
  });
});
