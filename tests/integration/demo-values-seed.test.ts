import { createHash } from "node:crypto";
import path from "node:path";
import { sql, type RawBuilder } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { loadObservatoryFiles } from "~/server/observatory/files.server";
import { importObservatory } from "~/server/observatory/seed.server";
import { seedDemoReferential } from "~/server/observatory/demo-referential.server";
import { seedDemoDashboard } from "~/server/dashboard/demo-data.server";
import { systemContext, verifyAuditChain } from "~/server/audit/audit.server";
import { loadExcelJS } from "~/server/excel.server";
import { system } from "../support/actors";

/**
 * The closed campaigns' demo values are written with set-based statements
 * (ADR 045) instead of a per-organisation loop. What users see must not
 * change: these fingerprints were computed with the former loop (commit
 * c2d4be7) and must be equal with the new code, on both drivers. Ids and the
 * files' bytes (the workbook's own timestamps) are not part of them; every
 * date, value, cell reference and link is.
 */
const EXPECTED = {
  submissions: "176:5d7ea4c44235fd797d948718977eafaaf7c04a2a032f58c62bfa2e5b8c42165c",
  submissionValues: "1226:964f3a33084f09359035349d1c98bfae4175e94ee0d3feb85df7d21e1b21ba86",
  acceptedValues: "1226:a8d435d9729d34ed94d0d2313712b08607c400c630277a33295d9722914faa1f",
};

const t = useTestDb();
const root = path.resolve(__dirname, "../..");
const sys = systemContext("test");
let seeded: Awaited<ReturnType<typeof seedDemoDashboard>>;

beforeAll(async () => {
  await importObservatory(t.db, system(sys), loadObservatoryFiles(root), { isDemo: true });
  await seedDemoReferential(t.db, system(sys), "demo");
  seeded = await seedDemoDashboard(t.db, system(sys), "demo", { publishYears: 0 });
}, 300_000);

/** sha256 of the lines, sorted by code units (no collation involved), and their count. */
async function fingerprint(query: RawBuilder<{ line: string }>) {
  const lines = (await query.execute(t.db)).rows.map((r) => r.line).sort();
  return `${lines.length}:${createHash("sha256").update(lines.join("\n")).digest("hex")}`;
}

const at = (column: string) => sql.raw(`coalesce(extract(epoch from ${column})::text, '-')`);

describe("demo values of the closed campaigns, written set-based (ADR 045)", () => {
  it("the submissions, their versions and stored workbooks are the former loop's", async () => {
    const fp = await fingerprint(sql<{ line: string }>`
      select concat_ws('|', c.reference_year, o.code, s.status, s.version_count, ${at("s.first_transmitted_at")}, ${at("s.accepted_at")},
        ${at("s.last_activity_at")}, ${at("s.created_at")}, v.number, v.uploaded_via, ${at("v.uploaded_at")}, v.status, v.problems::text,
        ${at("v.submitted_at")}, ${at("v.validated_at")}, ${at("v.reviewed_at")}, (s.current_version_id = v.id)::text,
        f.filename, f.content_type, coalesce(f.created_by::text, '-')) as line
      from submission s
      join campaign c on c.id = s.campaign_id
      join organisation o on o.id = s.organisation_id
      join submission_version v on v.submission_id = s.id
      join stored_file f on f.id = v.file_id`);
    expect(fp).toBe(EXPECTED.submissions);
  });

  it("the values read from each workbook are the former loop's", async () => {
    const fp = await fingerprint(sql<{ line: string }>`
      select concat_ws('|', c.reference_year, o.code, i.code, iv.version, sv.breakdown_key, coalesce(sv.value::text, '-'), sv.cell_ref,
        coalesce(sv.not_available_code, '-'), coalesce(sv.not_available_reason, '-')) as line
      from submission_value sv
      join submission_version v on v.id = sv.version_id
      join submission s on s.id = v.submission_id
      join campaign c on c.id = s.campaign_id
      join organisation o on o.id = s.organisation_id
      join indicator_version iv on iv.id = sv.indicator_version_id
      join indicator i on i.id = iv.indicator_id`);
    expect(fp).toBe(EXPECTED.submissionValues);
  });

  it("the accepted values and their lineage are the former loop's", async () => {
    const fp = await fingerprint(sql<{ line: string }>`
      select concat_ws('|', a.reference_year, o.code, i.code, iv.version, a.breakdown_key, coalesce(a.value::text, '-'),
        coalesce(a.not_available_code, '-'), coalesce(a.not_available_reason, '-'), ${at("a.accepted_at")},
        so.code, c.reference_year, (v.id = s.current_version_id)::text) as line
      from accepted_value a
      join organisation o on o.id = a.organisation_id
      join indicator i on i.id = a.indicator_id
      join indicator_version iv on iv.id = a.indicator_version_id
      join submission_version v on v.id = a.source_version_id
      join submission s on s.id = v.submission_id
      join organisation so on so.id = s.organisation_id
      join campaign c on c.id = s.campaign_id`);
    expect(fp).toBe(EXPECTED.acceptedValues);
  });

  it("each stored workbook holds its values at the recorded cells, under its recorded checksum", async () => {
    const files = await t.db
      .selectFrom("submission_version as v")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .select(["v.id", "f.content", "f.sha256", "f.size_bytes"])
      .execute();
    expect(files.length).toBe(seeded.submissions);
    const ExcelJS = await loadExcelJS();
    for (const file of files.slice(0, 5)) {
      const bytes = Buffer.from(file.content);
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(file.sha256);
      expect(bytes.byteLength).toBe(file.size_bytes);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(bytes as unknown as ArrayBuffer);
      const values = await t.db.selectFrom("submission_value").select(["cell_ref", "value", "not_available_code"]).where("version_id", "=", file.id).execute();
      expect(values.length).toBeGreaterThan(0);
      for (const v of values) {
        const cell = wb.getWorksheet("Données")!.getCell(v.cell_ref.replace("Données!", "")).value;
        if (v.not_available_code) expect(String(cell)).toMatch(new RegExp(`^${v.not_available_code} — `));
        else expect(cell).toBe(v.value);
      }
    }
  });

  it("records one audit event with the counts, and the audit chain verifies", async () => {
    const events = await t.db.selectFrom("audit_event").select(["details"]).where("action", "=", "demo.dashboard_data_seeded").execute();
    expect(events).toHaveLength(1);
    const details = typeof events[0]!.details === "string" ? JSON.parse(events[0]!.details) : events[0]!.details;
    expect(details).toEqual({ submissions: seeded.submissions, values: seeded.valuesSeeded });
    expect(`${seeded.submissions}:${seeded.valuesSeeded}`).toBe(EXPECTED.submissions.split(":")[0] + ":" + EXPECTED.submissionValues.split(":")[0]);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
