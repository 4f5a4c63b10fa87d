import { NOT_AGGREGABLE_LABEL } from "~/domain/aggregation";
import type ExcelJS from "exceljs";
import { loadExcelJS } from "~/server/excel.server";
import { NOT_DEFINED_FIGURE_TEXT, SECRET_TEXT, sourceNamesOf, type DashboardEdition, type EditionMeta, type Figure, type IndicatorBlock } from "~/domain/dashboard";
import { parseBreakdownKey } from "~/domain/breakdowns";
import { SECRET_EXPLANATION } from "~/domain/secrecy";
import { NOT_AVAILABLE_LEGEND, NOT_COMPUTABLE_LABEL, PARTIAL_TOTAL_LABEL } from "~/domain/partial-totals";
import { formatDate } from "~/domain/format";

/**
 * The edition as an XLSX workbook: a summary, one sheet per domain, a
 * long-format sheet (indicator, breakdown, year, value, status, source),
 * data quality and contributors. Values are numbers; masked figures are the
 * mark "s" (explained once in the summary), whatever the reason.
 */
export const LONG_SHEET = "Données (format long)";
export const INTERNAL_MENTION =
  "Usage interne à l'ODPE — toute diffusion externe requiert l'accord préalable des sources (convention, art. 5).";

const FORBIDDEN = /[:\\/?*[\]]/g;
/** A valid, unique sheet name (31 characters, no : \ / ? * [ ]). */
function sheetName(name: string, used: Set<string>): string {
  const base = name.replace(FORBIDDEN, " ").replace(/\s+/g, " ").trim().slice(0, 31);
  let candidate = base;
  for (let i = 2; used.has(candidate.toLowerCase()); i++) candidate = `${base.slice(0, 28)} ${i}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

/** One status for every masked figure, whatever the reason it was masked (ADR 015: the reason is internal). ADR 030: partial totals and « non disponible » say so. */
const statusOf = (f: Figure): string =>
  f.secret
    ? "secret statistique"
    : f.notDefined
      ? "non défini"
      : f.notAggregable
        ? NOT_AGGREGABLE_LABEL
        : f.notComputable
          ? NOT_COMPUTABLE_LABEL
          : f.notAvailable
            ? "non disponible (ND)"
            : f.notApplicable
              ? "non concerné (NC)"
              : f.partial
                ? `${PARTIAL_TOTAL_LABEL} (part ND)`
                : f.value === null
                  ? "non disponible"
                  : "valeur";
/** The cell: a number, or words — never 0 or blank for a figure that is not available (ADR 030). */
const cellOf = (f: Figure): number | string | null =>
  f.secret
    ? SECRET_TEXT
    : f.notDefined
      ? NOT_DEFINED_FIGURE_TEXT
      : f.notAggregable
        ? NOT_AGGREGABLE_LABEL
        : f.notComputable
          ? NOT_COMPUTABLE_LABEL
          : f.notAvailable
            ? "ND"
            : f.notApplicable
              ? "NC"
              : f.value;
/** ADR 030: a partial total stays a number in its cell, with a cell note saying it is partial. */
const PARTIAL_CELL_NOTE = "Total partiel : somme des valeurs connues, une part est non disponible (ND). Voir la colonne Notes.";
const markPartial = (cell: ExcelJS.Cell, f: Figure | undefined) => {
  if (f?.partial) cell.note = PARTIAL_CELL_NOTE;
};
const figuresOf = (edition: DashboardEdition): Figure[] =>
  edition.sections.flatMap((s) =>
    s.blocks.flatMap((b) => [b.current, b.previous, ...b.trend, ...Object.values(b.breakdown?.current ?? {}), ...Object.values(b.breakdown?.previous ?? {})]),
  );
/**
 * ADR 030: the code of a figure with parts not available (ND: partial or not
 * available; NC: every part not concerned) and, on a total, who and why.
 */
export function missingOf(b: Pick<IndicatorBlock, "missingParts">, key: string, year: number, f: Figure): { code: string | null; reasons: string | null } {
  const code = f.partial || f.notAvailable ? "ND" : f.notApplicable ? "NC" : null;
  const parts = key === "" ? (b.missingParts ?? []).filter((p) => p.year === year) : [];
  const reasons = parts.length ? parts.map((p) => `${p.code} ${p.organisation}${p.reason ? ` : ${p.reason}` : ""}`).join(" ; ") : null;
  return { code: code ?? (parts.length ? parts[0]!.code : null), reasons };
}
const numFmt = (decimals: number) => (decimals === 0 ? "#,##0" : `#,##0.${"0".repeat(decimals)}`);

function breakdownLabel(block: IndicatorBlock, key: string): string {
  const cell = parseBreakdownKey(key);
  return (block.breakdown?.lists ?? [])
    .filter((l) => cell[l.code] !== undefined)
    .map((l) => `${l.label} : ${l.items.find((i) => i.code === cell[l.code])?.label ?? cell[l.code]}`)
    .join(" ; ");
}

export async function renderEditionXlsx(edition: DashboardEdition, meta: EditionMeta | null): Promise<Buffer> {
  const wb = new (await loadExcelJS()).Workbook();
  const created = meta?.publishedAt ? new Date(meta.publishedAt) : new Date(edition.assembledAt);
  wb.creator = edition.observatory.name;
  wb.created = created;
  wb.modified = created;
  wb.title = `Tableau de bord ${edition.year}`;
  const used = new Set<string>();
  const bold = { bold: true };
  const header = (ws: ExcelJS.Worksheet, row: number) => {
    ws.getRow(row).font = bold;
    ws.getRow(row).fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFEDF2FF" } };
  };

  // ── Summary ──
  const summary = wb.addWorksheet(sheetName("Sommaire", used));
  summary.columns = [{ width: 44 }, { width: 18 }, { width: 18 }, { width: 16 }, { width: 40 }];
  summary.addRow([`Tableau de bord annuel de la protection de l'enfance ${edition.year}`]).font = { bold: true, size: 14 };
  summary.addRow([edition.observatory.name]);
  summary.addRow([meta ? `Édition n° ${meta.number}${meta.publishedAt ? `, publiée le ${formatDate(meta.publishedAt)}` : " (aperçu, non publiée)"}` : "Aperçu"]);
  summary.addRow([edition.variant === "public" ? "Édition publique : secret statistique appliqué, indicateurs à usage interne exclus." : INTERNAL_MENTION]);
  if (edition.variant === "public") summary.addRow([SECRET_EXPLANATION]);
  if (edition.observatory.isDemo) summary.addRow(["Démonstration : toutes les valeurs sont fictives."]);
  if (figuresOf(edition).some((f) => f.partial || f.notAvailable || f.notApplicable || f.notComputable)) {
    for (const line of NOT_AVAILABLE_LEGEND) summary.addRow([line]);
  }
  summary.addRow([`Sources : ${edition.contributors.map((c) => c.name).join(" ; ")}, données ${edition.year}.`]);
  summary.addRow([]);
  const kfHeader = summary.addRow(["Chiffres clés", String(edition.year - 1), String(edition.year), "Évolution", "Unité"]);
  header(summary, kfHeader.number);
  for (const k of edition.keyFigures) {
    const row = summary.addRow([k.label, cellOf(k.previous), cellOf(k.current), k.change?.relative ?? null, k.unit]);
    row.getCell(2).numFmt = numFmt(k.decimals);
    row.getCell(3).numFmt = numFmt(k.decimals);
    row.getCell(4).numFmt = "+0.0%;-0.0%;0.0%";
    markPartial(row.getCell(2), k.previous);
    markPartial(row.getCell(3), k.current);
  }

  // ── One sheet per domain ──
  const yearCols = edition.years.map(String);
  for (const section of edition.sections) {
    const ws = wb.addWorksheet(sheetName(`${section.position} ${section.domainLabel}`, used), { views: [{ state: "frozen", ySplit: 1, xSplit: 2 }] });
    ws.columns = [
      { header: "Code", width: 16 },
      { header: "Indicateur", width: 48 },
      { header: "Unité", width: 16 },
      { header: "Ventilation", width: 34 },
      ...yearCols.map((y) => ({ header: y, width: 11 })),
      { header: `Évolution ${edition.year - 1}-${edition.year}`, width: 14 },
      { header: "Sources", width: 30 },
      { header: "Notes", width: 50 },
    ];
    header(ws, 1);
    const firstYearCol = 5;
    for (const b of section.blocks) {
      const row = ws.addRow([
        b.code,
        b.label,
        b.unit,
        "Total",
        ...b.trend.map(cellOf),
        b.change?.relative ?? null,
        sourceNamesOf(edition, b.sources).join(", "),
        [b.kind === "derived" && b.formula ? `${b.formula.numerator} / ${b.formula.denominator} × ${b.formula.multiplier}` : "", ...b.notes].filter(Boolean).join(" "),
      ]);
      row.font = bold;
      for (let i = 0; i < yearCols.length; i++) {
        row.getCell(firstYearCol + i).numFmt = numFmt(b.decimals);
        markPartial(row.getCell(firstYearCol + i), b.trend[i]);
      }
      row.getCell(firstYearCol + yearCols.length).numFmt = "+0.0%;-0.0%;0.0%";
      if (b.breakdown) {
        for (const [key, f] of Object.entries(b.breakdown.current)) {
          const prev = b.breakdown.previous?.[key];
          const values: (number | string | null)[] = yearCols.map(() => null);
          values[yearCols.length - 1] = cellOf(f);
          if (prev) values[yearCols.length - 2] = cellOf(prev);
          const r = ws.addRow([b.code, b.label, b.unit, breakdownLabel(b, key), ...values]);
          for (let i = 0; i < yearCols.length; i++) r.getCell(firstYearCol + i).numFmt = numFmt(b.decimals);
          markPartial(r.getCell(firstYearCol + yearCols.length - 1), f);
          markPartial(r.getCell(firstYearCol + yearCols.length - 2), prev);
        }
      }
    }
  }

  // ── Long format ──
  const long = wb.addWorksheet(sheetName(LONG_SHEET, used), { views: [{ state: "frozen", ySplit: 1 }] });
  long.columns = [
    { header: "Code indicateur", width: 16 },
    { header: "Indicateur", width: 48 },
    { header: "Domaine", width: 30 },
    { header: "Ventilation", width: 36 },
    { header: "Clé de ventilation", width: 28 },
    { header: "Année", width: 8 },
    { header: "Valeur", width: 14 },
    { header: "Unité", width: 16 },
    { header: "Statut", width: 30 },
    { header: "Source", width: 40 },
    { header: "Non disponible (ND/NC)", width: 12 },
    { header: "Organismes et motifs (ND/NC)", width: 60 },
  ];
  header(long, 1);
  for (const section of edition.sections) {
    for (const b of section.blocks) {
      const source = sourceNamesOf(edition, b.sources).join(" ; ");
      const add = (label: string, key: string, year: number, f: Figure, breakBefore?: boolean) => {
        const status = statusOf(f) + (breakBefore ? " ; rupture de série (nouvelle définition)" : "");
        const { code, reasons } = missingOf(b, key, year, f);
        const r = long.addRow([b.code, b.label, section.domainLabel, label, key, year, cellOf(f), b.unit, status, source, code, reasons]);
        r.getCell(7).numFmt = numFmt(b.decimals);
      };
      for (const p of b.trend) add("Total", "", p.year, p, p.breakBefore);
      if (b.breakdown) {
        for (const [key, f] of Object.entries(b.breakdown.current)) add(breakdownLabel(b, key), key, edition.year, f);
        for (const [key, f] of Object.entries(b.breakdown.previous ?? {})) add(breakdownLabel(b, key), key, edition.year - 1, f);
      }
    }
  }
  long.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: 12 } };

  // ── Quality ──
  const quality = wb.addWorksheet(sheetName("Qualité des données", used));
  quality.columns = [{ width: 50 }, { width: 16 }, { width: 22 }, { width: 18 }];
  header(quality, quality.addRow(["Organisme", "Date limite", "Première transmission", "Situation"]).number);
  for (const r of edition.quality.transmissions) {
    quality.addRow([r.organisationName, r.deadline, r.transmittedAt?.slice(0, 10) ?? "", r.timing === "on_time" ? "À temps" : r.timing === "late" ? "En retard" : "Non transmis"]);
  }
  quality.addRow([]);
  header(quality, quality.addRow(["Domaine", "Attendus", "Reçus", "Complétude", "dont non disponibles (ND)"]).number);
  for (const c of edition.quality.completeness) {
    const row = quality.addRow([c.domainLabel, c.expected, c.received, c.rate, c.notAvailable ?? 0]);
    row.getCell(4).numFmt = "0%";
  }
  quality.addRow([]);
  header(quality, quality.addRow(["Indicateur manquant", "Code", "Organismes"]).number);
  for (const m of edition.quality.missing) quality.addRow([m.label, m.code, m.organisations.join(" ; ")]);
  quality.addRow([]);
  header(quality, quality.addRow(["Rupture de série", "Code", "Année", "Changements"]).number);
  for (const b of edition.quality.breaks) quality.addRow([b.label, b.code, b.year, b.changes.join(", ")]);

  // ── Contributors ──
  const contributors = wb.addWorksheet(sheetName("Contributeurs", used));
  contributors.columns = [
    { header: "Code", width: 14 },
    { header: "Organisme", width: 60 },
    { header: "Indicateurs alimentés", width: 80 },
  ];
  header(contributors, 1);
  for (const c of edition.contributors) contributors.addRow([c.code, c.name, c.indicators.join(", ")]);
  if (edition.variant === "internal" && edition.internalIndicators.length) {
    contributors.addRow([]);
    header(contributors, contributors.addRow(["Usage interne", "Indicateur", "Organismes"]).number);
    for (const i of edition.internalIndicators) contributors.addRow([i.code, i.label, i.organisations.join(" ; ")]);
  }

  return Buffer.from(await wb.xlsx.writeBuffer());
}
