import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { system } from "../support/actors";
import { useTestDb } from "../support/db";
import { loadObservatoryFiles, ObservatoryFileError } from "~/server/observatory/files.server";
import { demoAccounts, importObservatory, seedDemoUsers } from "~/server/observatory/seed.server";
import { systemContext } from "~/server/audit/audit.server";
import { roles } from "~/domain/permissions";

const t = useTestDb();
const repoRoot = path.resolve(__dirname, "../..");

/** docs/domain/partners.csv (the signatories, copied into the repository), parsed minimally: code is the first field. */
function sharedPartnerCodes(): string[] {
  const csv = fs.readFileSync(path.resolve(repoRoot, "docs/domain/partners.csv"), "utf8");
  return csv
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",")[0]!.trim());
}

describe("the observatory as data (partners/ and conventions/)", () => {
  it("holds every signatory of docs/domain/partners.csv", () => {
    const data = loadObservatoryFiles(repoRoot);
    const codes = data.organisations.map((o) => o.code);
    const expected = sharedPartnerCodes();
    expect(expected.length).toBeGreaterThan(40);
    expect([...codes].sort()).toEqual([...expected].sort());
    expect(data.observatory.departement.code).toBe("42");
  });

  it("rejects an invalid file with a message naming the file and the field", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-obs-"));
    fs.cpSync(path.join(repoRoot, "partners"), path.join(dir, "partners"), { recursive: true });
    fs.cpSync(path.join(repoRoot, "conventions"), path.join(dir, "conventions"), { recursive: true });
    const file = path.join(dir, "partners/organisations.json");
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    json.organisations[3].kind = "pirate";
    fs.writeFileSync(file, JSON.stringify(json));
    expect(() => loadObservatoryFiles(dir)).toThrow(ObservatoryFileError);
    expect(() => loadObservatoryFiles(dir)).toThrow(/organisations\.json.*organisations\.3\.kind/);
  });

  it("imports organisations idempotently and audits the import", async () => {
    const data = loadObservatoryFiles(repoRoot);
    const first = await importObservatory(t.db, system(systemContext()), data, { isDemo: true });
    expect(first.added).toBe(data.organisations.length + 1); // + the observatory team
    const second = await importObservatory(t.db, system(systemContext()), data, { isDemo: true });
    expect(second.added).toBe(0);
    const team = await t.db.selectFrom("organisation").selectAll().where("code", "=", data.observatory.team.code).executeTakeFirstOrThrow();
    expect(team.is_observatory_team).toBe(true);
    const events = await t.db.selectFrom("audit_event").select("action").where("action", "=", "observatory.imported").execute();
    expect(events).toHaveLength(2);
  });

  it("seeds a demo account for every role, and a correspondent and a validator for the CAF and the Saint-Étienne court", async () => {
    const data = loadObservatoryFiles(repoRoot);
    await seedDemoUsers(t.db, system(systemContext()), data.observatory.team.code, "demo");
    const users = await t.db
      .selectFrom("app_user as u")
      .innerJoin("organisation as o", "o.id", "u.organisation_id")
      .select(["u.role", "o.code"])
      .execute();
    expect(new Set(users.map((u) => u.role))).toEqual(new Set(roles));
    for (const code of ["CAF42", "TJ-STE"]) {
      const of = users.filter((u) => u.code === code).map((u) => u.role).sort();
      expect(of).toEqual(["partner_correspondent", "partner_validator"]);
    }
    expect(users).toHaveLength(demoAccounts(data.observatory.team.code).length);
  });

  it("refuses demo seeding in production mode", async () => {
    await expect(seedDemoUsers(t.db, system(systemContext()), "ODPE42", "production")).rejects.toThrow(/refusées en mode production/);
  });
});
