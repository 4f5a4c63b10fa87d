import { describe, expect, it } from "vitest";
import { useTestDb } from "../support/db";
import { buildAccessFixtures } from "../support/access-fixtures";
import { systemContext } from "~/server/audit/audit.server";
import { exportPooledData } from "~/server/explorer/export.server";
import { userActor } from "~/server/command.server";
import { sendExportDigests } from "~/server/explorer/export-notices.server";
import { parseExplorerQuery } from "~/domain/explorer";

const t = useTestDb();

describe("Art. 5 : information mutuelle sur les exports de données mutualisées", () => {
  it("Art. 5 : les organismes dont un membre exporte les données en sont informés, une fois par jour et par organisme ; l'exportateur n'est pas informé de ses propres données", async () => {
    const f = await buildAccessFixtures(t.db);
    const context = { ...systemContext("test"), actorUserId: f.users.committee_member.id, organisationId: f.orgA.id };
    const query = parseExplorerQuery(new URLSearchParams(`indicator=${f.indicatorCode}`))!;
    const exporter = userActor({ id: f.users.committee_member.id, displayName: "Test committee_member", role: "committee_member", organisationId: f.orgA.id }, context);
    await exportPooledData(t.db, exporter, query, "csv");
    await exportPooledData(t.db, exporter, query, "xlsx");
    const digestsOf = () =>
      t.db
        .selectFrom("notification as n")
        .innerJoin("app_user as u", "u.id", "n.user_id")
        .select(["u.organisation_id", "u.role", "n.body"])
        .where("n.kind", "=", "pooled_data.export_digest")
        .execute();
    // Nothing is sent at export time: the daily job gathers them.
    expect(await digestsOf()).toEqual([]);

    const first = await sendExportDigests(t.db, new Date("2026-12-04T06:00:00Z"));
    expect(first.organisations).toBe(1);
    const digests = await digestsOf();
    expect(digests.map((d) => [d.organisation_id, d.role])).toEqual([[f.orgB.id, "partner_correspondent"]]);
    expect(digests[0]!.body.match(/a exporté « Enfants suivis »/g)).toHaveLength(2);
    expect(digests[0]!.body).toContain(f.orgA.name);
    const mails = await t.db.selectFrom("outbox_mail").select("subject").where("kind", "=", "pooled_data.export_digest").execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain("2 exports");

    // Told once: a second run has nothing left to send.
    expect((await sendExportDigests(t.db, new Date("2026-12-04T07:00:00Z"))).organisations).toBe(0);
    expect(await digestsOf()).toHaveLength(1);
    const audit = await t.db.selectFrom("audit_event").select("entity_id").where("action", "=", "pooled_data.export_digest_sent").execute();
    expect(audit.map((a) => a.entity_id)).toEqual([f.orgB.id]);
  });
});
