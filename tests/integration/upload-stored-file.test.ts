import { sql, type KyselyPlugin, type RootOperationNode } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { driverName, useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { setupCampaign } from "../factories/campaign-setup";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { receiveUpload } from "~/server/collection/submissions.server";
import { systemActor } from "~/server/command.server";
import { sha256Hex } from "~/server/storage/files.server";
import { DATA_SHEET } from "~/domain/template-layout";
import { craftZip, unzipEntries } from "../unit/upload-guard-corpus";

/**
 * ADR 056: on PostgreSQL an upload's file is stored at the start of its
 * transaction, while the worker still parses it, before the version's number
 * is known. What the partner finds afterwards must not show it: the version
 * points to its file, a file sent without a name gets the portal's numbered
 * name, and a file that does not store leaves no file behind. Same outcome on
 * the embedded database, which stores the file after the parse.
 */
const t = useTestDb();
const actor = systemActor("test");

let setup: Awaited<ReturnType<typeof setupCampaign>>;
let filled: Buffer;

beforeAll(async () => {
  setup = await setupCampaign(t.db, { indicators: [{}] });
  const plan = await buildCollectionPlan(t.db, setup.year, setup.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" });
  filled = await fillTemplate(template, Object.fromEntries(plan.lines.map((l) => [l.key, 7])));
}, 60_000);

const upload = (filename: string, bytes: Uint8Array) =>
  receiveUpload(t.db, actor, { year: setup.year, organisationId: setup.org.id, uploadedBy: null, via: "api", filename, bytes });

const fileOf = (versionId: string) =>
  t.db
    .selectFrom("submission_version as v")
    .innerJoin("stored_file as f", "f.id", "v.file_id")
    .select(["f.filename", "f.sha256", "f.size_bytes", "f.content"])
    .where("v.id", "=", versionId)
    .executeTakeFirstOrThrow();

const fileCount = async () => Number((await t.db.selectFrom("stored_file").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

describe(`an upload's stored file (${driverName})`, () => {
  it("Art. 4: the version points to the partner's file, byte for byte, under the name the partner gave", async () => {
    const result = await upload("tableau final.xlsx", filled);
    expect(result).toMatchObject({ kind: "stored", errors: 0 });
    if (result.kind !== "stored") return;
    const file = await fileOf(result.versionId);
    expect([file.filename, file.sha256, file.size_bytes]).toEqual(["tableau final.xlsx", sha256Hex(filled), filled.byteLength]);
    expect(Buffer.from(file.content).equals(filled)).toBe(true);
  });

  it("a file sent without a name gets the portal's name with its version number, each version its own", async () => {
    const first = await upload("", filled);
    const second = await upload("", filled);
    if (first.kind !== "stored" || second.kind !== "stored") throw new Error(`not stored: ${first.kind}, ${second.kind}`);
    expect(second.number).toBe(first.number + 1);
    expect((await fileOf(first.versionId)).filename).toBe(`ODPE_${setup.year}_${setup.org.code}_v${first.number}.xlsx`);
    expect((await fileOf(second.versionId)).filename).toBe(`ODPE_${setup.year}_${setup.org.code}_v${second.number}.xlsx`);
  });

  it("a refused file and a file of another year leave no stored file behind", async () => {
    const before = await fileCount();
    const truncated = filled.subarray(0, filled.byteLength - 200);
    expect((await upload("abîmé.xlsx", truncated)).kind).toBe("refused");
    const otherYear = await setupCampaign(t.db, { indicators: [{}] });
    const otherPlan = await buildCollectionPlan(t.db, otherYear.year, otherYear.org.id);
    const otherFile = await fillTemplate(await buildTemplate(otherPlan, { observatoryName: "ODPE test", contactEmail: "odpe@example.org" }), {});
    expect((await upload("autre.xlsx", otherFile)).kind).toBe("rejected");
    expect(await fileCount()).toBe(before);
  });

  it("a data sheet whose bytes fail the guard's checks during the read (wrong CRC-32) is refused; nothing stays, its values included", async () => {
    const entries = await unzipEntries(filled);
    const workbookXml = entries.find(([name]) => name === "xl/workbook.xml")![1].toString("utf8");
    expect(workbookXml).toContain(`name="${DATA_SHEET}"`);
    // exceljs writes the data sheet, the template's second tab, as sheet2.xml.
    const corrupt = craftZip(entries.map(([name, data]) => ({ name, data, ...(name === "xl/worksheets/sheet2.xml" ? { crc: 0x12345678 } : {}) })));
    const before = await fileCount();
    const values = async () => Number((await t.db.selectFrom("submission_value").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const valuesBefore = await values();
    const result = await upload("crc.xlsx", corrupt);
    expect(result.kind).toBe("refused");
    if (result.kind === "refused") expect([result.refusal.code, result.refusal.logDetail]).toEqual(["zip_corrupt", "CRC-32 mismatch"]);
    expect([await fileCount(), await values()]).toEqual([before, valuesBefore]);
  });

  it("a file the guard refuses before reading it never reaches the database: no INSERT of its bytes is sent, only its audit event (ADR 057)", async () => {
    // Every statement's target table, as Kysely sends it (the plugin carries into the upload's transaction).
    const inserted: string[] = [];
    const observer: KyselyPlugin = {
      transformQuery({ node }: { node: RootOperationNode }) {
        if (node.kind === "InsertQueryNode" && node.into) inserted.push(node.into.table.identifier.name);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const observed = t.db.withPlugin(observer);
    const send = (filename: string, bytes: Uint8Array) =>
      receiveUpload(observed, actor, { year: setup.year, organisationId: setup.org.id, uploadedBy: null, via: "api", filename, bytes });
    // 2 MB of zip-looking bytes that are not a workbook: the guard refuses them before anything is read.
    const notAWorkbook = Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(2 * 2 ** 20, 7)]);
    expect((await send("gros.xlsx", notAWorkbook)).kind).toBe("refused");
    expect(inserted).not.toContain("stored_file");
    expect(inserted).toContain("audit_event");
    // The observer sees the file of a workbook the guard lets through.
    inserted.length = 0;
    expect((await send("bon.xlsx", filled)).kind).toBe("stored");
    expect(inserted).toContain("stored_file");
  });

  it("stored files are not compressed again by the database (storage EXTERNAL)", async () => {
    const row = await sql<{ storage: string }>`
      select a.attstorage as storage from pg_attribute a
      where a.attrelid = 'stored_file'::regclass and a.attname = 'content'`.execute(t.db);
    expect(row.rows[0]?.storage).toBe("e");
  });
});
