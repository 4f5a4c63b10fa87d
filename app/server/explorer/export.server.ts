import { NOT_DEFINED_TEXT } from "~/domain/rates";
import type { Db } from "../db.server";
import { run, type Actor } from "../command.server";
import { recordExportNotices } from "./export-notices.server";
import { neutralizeCell, preamble, type ExportDoc } from "./export-workbook.server";
import { runHeavy } from "../heavy/pool.server";
import { runQuery } from "./explorer.server";
import {
  buildTable,
  INTERNAL_USE_MENTION,
  snapshotSources,
  sourcesLine,
  type ExplorerQuery,
} from "~/domain/explorer";

/**
 * Exports of pooled data (Art. 5): the table on screen, its sources and the
 * internal-use mention, as CSV (semicolon, UTF-8 with BOM, for French Excel)
 * or XLSX (the table plus a long-format sheet with each value's lineage).
 * Every export is audited.
 */

export { neutralizeCell };

export const exportFormats = ["csv", "xlsx"] as const;
export type ExportFormat = (typeof exportFormats)[number];

const decimalFr = (value: number) => String(value).replace(".", ",");

function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return decimalFr(value);
  const safe = neutralizeCell(value);
  return /[";\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export interface ExportFile {
  filename: string;
  contentType: string;
  body: Uint8Array;
  rows: number;
}

export function toCsv(doc: ExportDoc): Uint8Array {
  const lines: string[] = preamble(doc).map((line) => csvField(line));
  lines.push("");
  lines.push([doc.table.rowHeader, ...doc.table.columns.map((c) => c.label)].map(csvField).join(";"));
  for (const row of doc.table.rows) lines.push([csvField(row.label), ...row.cells.map((c) => csvField(c.notDefined ? NOT_DEFINED_TEXT : c.value))].join(";"));
  lines.push("");
  lines.push(csvField(INTERNAL_USE_MENTION));
  const text = "\uFEFF" + lines.join("\r\n") + "\r\n";
  return new TextEncoder().encode(text);
}

/** Builds the export of a query and records it in the audit trail (one transaction): a command of `export:pooled_data` (ADR 034). */
export async function exportPooledData(db: Db, actor: Actor, query: ExplorerQuery, format: ExportFormat, now = new Date()): Promise<ExportFile> {
  return run(db, actor, "export:pooled_data", async (trx, command) => {
    const { query: resolved, snapshot } = await runQuery(trx, query);
    const table = buildTable(resolved, snapshot);
    const doc: ExportDoc = {
      title: `${snapshot.indicator.label} (${snapshot.indicator.code})`,
      sources: sourcesLine(snapshotSources(snapshot)),
      extractedAt: now.toLocaleString("fr-FR", { timeZone: "Europe/Paris" }),
      table,
      snapshot,
    };
    const body = format === "csv" ? toCsv(doc) : await runHeavy("renderExplorerXlsx", doc);
    const day = now.toISOString().slice(0, 10);
    await command.audit({
      action: "pooled_data.exported",
      entityType: "indicator",
      entityId: snapshot.indicator.code,
      summary: `Export ${format.toUpperCase()} des données mutualisées « ${snapshot.indicator.label} » (${table.rows.length} ligne(s)) — usage interne.`,
      details: { format, query: resolved, values: snapshot.values.length, organisations: snapshot.organisations.map((o) => o.code) },
    });
    // Art. 5: the organisations whose data are exported are told (daily digest).
    await recordExportNotices(trx, actor, {
      indicatorCode: snapshot.indicator.code,
      indicatorLabel: snapshot.indicator.label,
      sourceOrganisationIds: sourceOrganisationIds(snapshot),
      at: now,
    });
    return {
      filename: `odpe-${snapshot.indicator.code.toLowerCase()}-${resolved.view}-${day}.${format}`,
      contentType: format === "csv" ? "text/csv; charset=utf-8" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      body,
      rows: table.rows.length,
    };
  });
}

export function exportResponse(file: ExportFile): Response {
  return new Response(new Uint8Array(file.body), {
    headers: {
      "Content-Type": file.contentType,
      "Content-Disposition": `attachment; filename="${file.filename}"`,
      "Content-Length": String(file.body.byteLength),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/** The organisations behind a snapshot's non-empty values (the denominator and aggregation inputs included). */
function sourceOrganisationIds(snapshot: ExportDoc["snapshot"]): string[] {
  const all = [...snapshot.values, ...(snapshot.denominator?.values ?? []), ...(snapshot.aggregationInputs ?? []).flatMap((i) => i.values)];
  return [...new Set(all.filter((v) => v.value !== null).map((v) => v.organisationId))];
}
