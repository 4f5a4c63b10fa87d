import { NOT_AVAILABLE_LABELS, type NotAvailableCode } from "~/domain/not-available";
import { loadExcelJS } from "../excel.server";

/** One closed campaign's demo submission as its workbook shows it (demo-data.server.ts). */
export interface DemoWorkbookInput {
  orgName: string;
  year: number;
  rows: { code: string; key: string; value: number | null; notAvailable?: { code: NotAvailableCode; reason: string | null } }[];
}

/**
 * The workbook a demo submission was "sent" as: one sheet of its values, a
 * fixed creation date. Written in the heavy-work threads (tasks.server.ts,
 * `demoWorkbooks`): the demo's ~180 workbooks cost ~1–1.5 s of exceljs and
 * deflate that the seeding thread need not pay (ADR 049).
 */
export async function demoWorkbook({ orgName, year, rows }: DemoWorkbookInput): Promise<Uint8Array> {
  const wb = new (await loadExcelJS()).Workbook();
  wb.creator = "Portail ODPE (démonstration)";
  wb.created = new Date(`${year + 1}-02-01T09:00:00Z`);
  const ws = wb.addWorksheet("Données");
  ws.addRow([`Fichier de démonstration généré : valeurs fictives — ${orgName} — année ${year}`]);
  ws.addRow(["Indicateur", "Ventilation", "Valeur", "Motif (si non disponible)"]);
  for (const r of rows) ws.addRow([r.code, r.key || "Total", r.notAvailable ? `${r.notAvailable.code} — ${NOT_AVAILABLE_LABELS[r.notAvailable.code]}` : r.value, r.notAvailable?.reason ?? null]);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}
