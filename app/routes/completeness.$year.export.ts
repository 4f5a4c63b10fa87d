import type { LoaderFunctionArgs } from "@remix-run/node";
import { loadExcelJS } from "~/server/excel.server";
import { auditContext, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { completenessBoard } from "~/server/collection/queries.server";
import { recordAudit } from "~/server/audit/audit.server";
import { XLSX_CONTENT_TYPE } from "~/server/collection/submissions.server";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { versionStatusLabels, type VersionStatus } from "~/domain/submissions";
import { requireParam } from "~/server/http/params.server";

/** The completeness board as a workbook (audited export). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:submission", ANY_ORGANISATION);
  const year = requireParam(params, "year", "year", "Campagne introuvable");
  const db = await getDb();
  const rows = await completenessBoard(db, year);
  const wb = new (await loadExcelJS()).Workbook();
  const ws = wb.addWorksheet(`Suivi ${year}`);
  ws.columns = [
    { header: "Code", key: "code", width: 14 },
    { header: "Organisme", key: "name", width: 60 },
    { header: "Statut", key: "status", width: 30 },
    { header: "Date limite", key: "deadline", width: 14 },
    { header: "Jours avant échéance", key: "days", width: 20 },
    { header: "Transmis le", key: "transmitted", width: 20 },
    { header: "À l'heure", key: "onTime", width: 12 },
    { header: "Versions", key: "versions", width: 10 },
    { header: "Valeurs non disponibles (ND)", key: "nd", width: 16 },
    { header: "Non concernées (NC)", key: "nc", width: 16 },
    { header: "Dernière activité", key: "activity", width: 22 },
  ];
  ws.getRow(1).font = { bold: true };
  for (const r of rows) {
    ws.addRow({
      code: r.code,
      name: r.name,
      status: r.status === "expected" ? "Attendu" : versionStatusLabels[r.status as VersionStatus],
      deadline: r.deadline,
      days: r.daysToDeadline,
      transmitted: r.first_transmitted_at ? new Date(r.first_transmitted_at) : null,
      onTime: r.onTime === null ? "" : r.onTime ? "oui" : "non",
      versions: r.version_count ?? 0,
      nd: r.notAvailableCount,
      nc: r.notApplicableCount,
      activity: r.last_activity_at ? new Date(r.last_activity_at) : null,
    });
  }
  await db.transaction().execute((trx) =>
    recordAudit(trx, auditContext(user, context), { action: "export.completeness", entityType: "campaign", entityId: String(year), summary: `Export du suivi de la collecte ${year}.` }),
  );
  return new Response(new Uint8Array(await wb.xlsx.writeBuffer()), {
    headers: { "Content-Type": XLSX_CONTENT_TYPE, "Content-Disposition": `attachment; filename="ODPE_suivi_collecte_${year}.xlsx"`, "Cache-Control": "private, no-store" },
  });
}
