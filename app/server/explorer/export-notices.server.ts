import type { Db, Trx } from "../db.server";
import { recordAudit, systemContext } from "../audit/audit.server";
import type { Actor } from "../command.server";
import { tellOrganisations } from "../publications/notices.server";
import { todayIso } from "~/domain/dates";

/**
 * Art. 5, mutual information on exports: when a member exports pooled data
 * that other organisations supplied, those organisations are told. Each
 * export leaves one notice per source organisation (written in the export's
 * transaction); a daily job (EXPORT_NOTICES_JOB, app/server/jobs/worker.server.ts)
 * gathers each organisation's pending notices into one notification and one
 * mail to its correspondents.
 */

/** Records, inside the export command, that `actor` exported values of `sources` (the exporter's own organisation is not told of its own export). */
export async function recordExportNotices(
  trx: Trx,
  actor: Actor,
  input: { indicatorCode: string; indicatorLabel: string; sourceOrganisationIds: readonly string[]; at: Date },
) {
  const exporterOrganisationId = actor.audit.organisationId;
  const sources = [...new Set(input.sourceOrganisationIds)].filter((id) => id !== exporterOrganisationId);
  if (sources.length === 0) return 0;
  const exporter = exporterOrganisationId
    ? await trx.selectFrom("organisation").select("name").where("id", "=", exporterOrganisationId).executeTakeFirst()
    : undefined;
  await trx
    .insertInto("export_notice")
    .values(
      sources.map((organisationId) => ({
        organisation_id: organisationId,
        exporter_organisation_id: exporterOrganisationId,
        exporter_label: exporter?.name ?? "Un membre de l'observatoire",
        indicator_code: input.indicatorCode,
        indicator_label: input.indicatorLabel,
        exported_at: input.at,
      })),
    )
    .execute();
  return sources.length;
}

const parisDateTime = (value: Date) => value.toLocaleString("fr-FR", { timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "short" });

/**
 * The daily digest: for each organisation with pending export notices, one
 * notification and one mail to its correspondents listing who exported which
 * indicator and when; the notices are then marked as told. One transaction
 * per organisation: a failure leaves the others' digests sent and its own
 * notices pending for the next run.
 */
export async function sendExportDigests(db: Db, now: Date = new Date()) {
  const pending = await db.selectFrom("export_notice").select("organisation_id").distinct().where("notified_at", "is", null).execute();
  let organisations = 0;
  let told = 0;
  for (const { organisation_id: organisationId } of pending) {
    await db.transaction().execute(async (trx) => {
      const notices = await trx
        .selectFrom("export_notice")
        .select(["id", "exporter_label", "indicator_code", "indicator_label", "exported_at"])
        .where("organisation_id", "=", organisationId)
        .where("notified_at", "is", null)
        .orderBy("exported_at")
        .forUpdate()
        .skipLocked()
        .execute();
      if (notices.length === 0) return;
      const lines = notices.map((n) => `- ${parisDateTime(new Date(n.exported_at))} : ${n.exporter_label} a exporté « ${n.indicator_label} » (${n.indicator_code})`);
      const count = notices.length;
      told += await tellOrganisations(trx, [organisationId], "read:mutual_information", {
        kind: "pooled_data.export_digest",
        title: `Information mutuelle : vos données ont été exportées (${count} export${count > 1 ? "s" : ""})`,
        body: `Convention, art. 5 : des membres de l'observatoire ont exporté des données mutualisées que votre organisme a transmises (usage interne à l'observatoire).\n${lines.join("\n")}`,
        link: "/explorer",
        dedupeKey: `export-digest:${organisationId}:${todayIso(now)}:${notices[0]!.id}`,
      });
      await trx
        .updateTable("export_notice")
        .set({ notified_at: now })
        .where(
          "id",
          "in",
          notices.map((n) => n.id),
        )
        .execute();
      await recordAudit(trx, systemContext("export-notices"), {
        action: "pooled_data.export_digest_sent",
        entityType: "organisation",
        entityId: organisationId,
        organisationId,
        summary: `Information mutuelle : ${count} export(s) de ses données signalé(s) à l'organisme.`,
        details: { notices: count },
      });
      organisations++;
    });
  }
  return { organisations, told };
}
