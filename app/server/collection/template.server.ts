import type ExcelJS from "exceljs";
import { loadExcelJS } from "~/server/excel.server";
import type { CollectionPlan } from "./plan.server";
import { NOT_AVAILABLE_CHOICES, NOT_AVAILABLE_CODES, NOT_AVAILABLE_REASON_MAX } from "~/domain/not-available";
import { COLUMNS, COVER_SHEET, DATA_SHEET, FIRST_DATA_ROW, HEADER_ROW, META_SHEET, TEMPLATE_VERSION, type MetaKey } from "~/domain/template-layout";

/**
 * Sheet protection guards the structure against accidental edits; it is not
 * a security measure (the password is public and documented).
 */
export const SHEET_PROTECTION_PASSWORD = "ODPE";

const protectionOptions = {
  // The password is public (see above): Excel's default 100 000 hashing
  // rounds would only cost ~0.4 s of server CPU per template.
  spinCount: 1_000,
  selectLockedCells: true,
  selectUnlockedCells: true,
  formatColumns: true,
  formatRows: false,
  insertRows: false,
  insertColumns: false,
  deleteRows: false,
  deleteColumns: false,
  sort: false,
  autoFilter: false,
};

const dateFr = (iso: string) => new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "UTC" }).format(new Date(`${iso}T00:00:00Z`));

export interface TemplateContext {
  observatoryName: string;
  contactEmail: string | null;
  generatedAt?: Date;
}

/**
 * The yearly workbook of one organisation: a cover sheet, the data sheet
 * (one line per indicator × breakdown cell, last year's accepted value beside
 * each input, data validation on inputs — a number, or « ND »/« NC » with a
 * reason in column I where the agreement allows it (ADR 026) — every other
 * cell locked), and a
 * very hidden, protected metadata sheet identifying the template.
 */
export async function buildTemplate(plan: CollectionPlan, context: TemplateContext): Promise<Buffer> {
  const wb = new (await loadExcelJS()).Workbook();
  await writeTemplate(wb, plan, context);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * The same workbook written row by row to `file` through exceljs's streaming
 * writer, with `values` already in the input cells (memory stays flat
 * whatever the number of lines: the import benchmark writes 100 000).
 */
export async function writeTemplateFile(
  plan: CollectionPlan,
  context: TemplateContext,
  file: string,
  values: ReadonlyMap<string, number>,
): Promise<void> {
  const wb = new (await loadExcelJS()).stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true, useStyles: true });
  await writeTemplate(wb, plan, context, values);
  await wb.commit();
}

/**
 * Writes the three sheets into an in-memory workbook or a streaming writer:
 * rows in ascending order, each committed once written (a no-op in memory),
 * each sheet committed once complete (streaming only).
 */
async function writeTemplate(
  wb: ExcelJS.Workbook,
  plan: CollectionPlan,
  context: TemplateContext,
  values: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  const generatedAt = context.generatedAt ?? new Date();
  const { WorkbookWriter } = (await loadExcelJS()).stream.xlsx;
  const commitSheet = (ws: ExcelJS.Worksheet) => {
    if (wb instanceof WorkbookWriter) ws.commit();
  };
  wb.creator = context.observatoryName;
  wb.created = generatedAt;
  const year = plan.campaign.year;

  // Cover sheet
  const cover = wb.addWorksheet(COVER_SHEET, { properties: { tabColor: { argb: "FF364FC7" } } });
  cover.columns = [{ width: 34 }, { width: 90 }];
  const coverRows: [string, string][] = [
    ["Observatoire", context.observatoryName],
    ["Organisme", `${plan.organisation.name} (${plan.organisation.code})`],
    ["Année de référence", String(year)],
    ["Date limite de transmission", dateFr(plan.campaign.deadline)],
    ["Contact ODPE", context.contactEmail ?? "le référent de l'ODPE"],
    ["Version du modèle", TEMPLATE_VERSION],
  ];
  cover.getCell("A1").value = `Tableau annuel des indicateurs ${year}`;
  cover.getCell("A1").font = { bold: true, size: 16 };
  coverRows.forEach(([label, value], i) => {
    cover.getCell(`A${i + 3}`).value = label;
    cover.getCell(`A${i + 3}`).font = { bold: true };
    cover.getCell(`B${i + 3}`).value = value;
  });
  const instructions = [
    "Mode d'emploi",
    `1. Dans l'onglet « ${DATA_SHEET} », saisissez la valeur ${year} de chaque ligne dans la colonne E (cellules blanches).`,
    "2. La colonne F rappelle la valeur acceptée l'an dernier, pour comparaison. Saisissez 0 seulement si la valeur est réellement nulle.",
    `3. Donnée manquante : ne saisissez jamais 0. Là où votre convention le prévoit (message « ND/NC possible » sur la cellule), choisissez « ${NOT_AVAILABLE_CHOICES[0]} » (vous n'avez pas le chiffre cette année) ou « ${NOT_AVAILABLE_CHOICES[1]} » (l'indicateur ne s'applique pas à votre organisme), ou tapez ${NOT_AVAILABLE_CODES.join(" ou ")}, et indiquez le motif en colonne ${COLUMNS.reason} (obligatoire pour ND). Ailleurs, contactez l'ODPE.`,
    "4. Les lignes ventilées (sexe, âge…) doivent totaliser la ligne « Total » de l'indicateur (sauf ligne déclarée ND ou NC).",
    `5. Saisissez des nombres, sans unité ni formule. Un commentaire peut être ajouté en colonne ${COLUMNS.comment}.`,
    "6. Ne modifiez pas la structure du fichier (onglets, lignes, colonnes) : le portail le reconnaît grâce à elle.",
    "7. Déposez le fichier sur le portail : il signale en une fois toutes les erreurs, cellule par cellule.",
    "8. Une fois le fichier sans erreur, transmettez-le ; un validateur de votre institution le valide avant l'envoi à l'ODPE (convention, art. 4).",
  ];
  instructions.forEach((text, i) => {
    const cell = cover.getCell(`A${coverRows.length + 4 + i}`);
    cell.value = text;
    if (i === 0) cell.font = { bold: true, size: 13 };
    cover.mergeCells(`A${coverRows.length + 4 + i}:B${coverRows.length + 4 + i}`);
  });
  await cover.protect(SHEET_PROTECTION_PASSWORD, protectionOptions);
  commitSheet(cover);

  // Data sheet
  // Printable as is: landscape A4, one page wide, the header row repeated on every page.
  const ws = wb.addWorksheet(DATA_SHEET, {
    views: [{ state: "frozen", ySplit: HEADER_ROW }],
    pageSetup: {
      paperSize: 9,
      orientation: "landscape",
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: `${HEADER_ROW}:${HEADER_ROW}`,
      margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.5, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: "&L&A&RPage &P / &N" },
  });
  ws.columns = [
    { key: "code", width: 18 },
    { key: "label", width: 60 },
    { key: "breakdown", width: 38 },
    { key: "unit", width: 16 },
    { key: "value", width: 16 },
    { key: "previous", width: 16 },
    { key: "comment", width: 40 },
    { key: "key", width: 10, hidden: true },
    { key: "reason", width: 40 },
  ];
  ws.getCell("A1").value = `${plan.organisation.name} — indicateurs ${year}`;
  ws.getCell("A1").font = { bold: true, size: 14 };
  ws.getCell("A2").value = `À transmettre au plus tard le ${dateFr(plan.campaign.deadline)}. Saisissez les valeurs dans la colonne E.`;
  ws.getCell("A3").value = `Cellules blanches : à remplir. Cellules grisées : protégées. Donnée manquante : jamais 0 — « ND » ou « NC » là où votre convention le prévoit, avec le motif en colonne ${COLUMNS.reason}.`;
  const header = ws.getRow(HEADER_ROW);
  header.values = ["Code", "Indicateur", "Ventilation", "Unité", `Valeur ${year}`, `Valeur ${year - 1} (rappel)`, "Commentaire", "Clé", "Motif (si ND ou NC)"];
  header.font = { bold: true };
  header.eachCell((cell) => {
    cell.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFDBE4FF" } };
    cell.border = { bottom: { style: "thin" } };
  });

  const grey = { type: "pattern", pattern: "solid", fgColor: { argb: "FFF1F3F5" } } as const;
  // Data validations are added by range, consecutive rows with the same rule
  // together: exceljs's per-cell grouping sorts addresses as text (E10 before
  // E6) and wrote overlapping ranges (E6:E14 and E10:E14), which Excel repairs.
  const validations = new ValidationRanges(COLUMNS.value);
  const reasonValidations = new ValidationRanges(COLUMNS.reason);
  const thin = { style: "thin" } as const;
  plan.lines.forEach((line, i) => {
    const row = ws.getRow(FIRST_DATA_ROW + i);
    const numFmt = line.valueType === "integer" ? "# ##0" : "# ##0.00";
    row.values = [line.indicatorCode, line.indicatorLabel, line.breakdownLabel, line.unit, values.get(line.key) ?? null, line.previous, null, line.key, null];
    if (line.breakdownKey === "") row.font = { bold: true };
    for (const col of [COLUMNS.code, COLUMNS.label, COLUMNS.breakdown, COLUMNS.unit, COLUMNS.previous]) row.getCell(col).fill = grey;
    const input = row.getCell(COLUMNS.value);
    input.protection = { locked: false };
    input.numFmt = numFmt;
    input.border = { top: thin, bottom: thin, left: thin, right: thin };
    const min = line.min ?? (line.nonNegative ? 0 : null);
    const expectedNumber = `${line.valueType === "integer" ? "Nombre entier" : "Nombre"}${min !== null ? ` supérieur ou égal à ${min}` : ""}${line.max !== null ? ` et inférieur ou égal à ${line.max}` : ""} attendu (${line.unit})`;
    const reason = row.getCell(COLUMNS.reason);
    if (line.notAvailableAllowed) {
      // ADR 026: a number within bounds, or a « non disponible » choice (its text or its bare code).
      const at = `${COLUMNS.value}${ROW_PLACEHOLDER}`;
      const numberTests = [`ISNUMBER(${at})`, ...(line.valueType === "integer" ? [`${at}=INT(${at})`] : []), ...(min !== null ? [`${at}>=${min}`] : []), ...(line.max !== null ? [`${at}<=${line.max}`] : [])];
      const choices = [...NOT_AVAILABLE_CHOICES, ...NOT_AVAILABLE_CODES].map((text) => `${at}="${text}"`);
      validations.add(FIRST_DATA_ROW + i, {
        type: "custom",
        allowBlank: true,
        formulae: [`OR(AND(${numberTests.join(",")}),${choices.join(",")})`],
        showInputMessage: true,
        promptTitle: "ND/NC possible",
        prompt: `Un nombre, ou « ${NOT_AVAILABLE_CHOICES.join(" » / « ")} » si la donnée manque (motif en ${COLUMNS.reason}). Jamais 0 pour une donnée manquante.`,
        showErrorMessage: true,
        errorStyle: "stop",
        errorTitle: "Valeur non admise",
        error: `${expectedNumber}, ou « ${NOT_AVAILABLE_CHOICES.join(" » ou « ")} » (motif en colonne ${COLUMNS.reason}).`,
      });
      reason.protection = { locked: false };
      reason.border = { top: thin, bottom: thin, left: thin, right: thin };
      reasonValidations.add(FIRST_DATA_ROW + i, {
        type: "textLength",
        operator: "lessThanOrEqual",
        formulae: [NOT_AVAILABLE_REASON_MAX],
        allowBlank: true,
        showErrorMessage: true,
        errorTitle: "Motif trop long",
        error: `${NOT_AVAILABLE_REASON_MAX} caractères au plus.`,
      });
    } else {
      reason.fill = grey;
      validations.add(FIRST_DATA_ROW + i, {
        type: line.valueType === "integer" ? "whole" : "decimal",
        allowBlank: true,
        operator: min !== null && line.max !== null ? "between" : min !== null ? "greaterThanOrEqual" : line.max !== null ? "lessThanOrEqual" : "between",
        formulae:
          min !== null && line.max !== null ? [min, line.max] : min !== null ? [min] : line.max !== null ? [line.max] : [-1e15, 1e15],
        showErrorMessage: true,
        errorStyle: "stop",
        errorTitle: "Valeur non admise",
        error: `${expectedNumber}.`,
      });
    }
    const comment = row.getCell(COLUMNS.comment);
    comment.protection = { locked: false };
    if (line.previous !== null) row.getCell(COLUMNS.previous).numFmt = numFmt;
    row.commit();
  });
  const lastRow = FIRST_DATA_ROW + plan.lines.length - 1;
  validations.writeTo(ws);
  reasonValidations.writeTo(ws);
  if (plan.lines.length) {
    dataValidationsOf(ws).add(`${COLUMNS.comment}${FIRST_DATA_ROW}:${COLUMNS.comment}${lastRow}`, {
      type: "textLength",
      operator: "lessThanOrEqual",
      formulae: [1000],
      allowBlank: true,
      showErrorMessage: true,
      errorTitle: "Commentaire trop long",
      error: "1 000 caractères au plus.",
    });
  }
  ws.pageSetup.printArea = `A1:${COLUMNS.reason}${Math.max(lastRow, HEADER_ROW)}`;
  await ws.protect(SHEET_PROTECTION_PASSWORD, protectionOptions);
  commitSheet(ws);

  // Metadata sheet: very hidden (not listed by "Unhide"), protected; entries
  // in A:B, indicator versions in D:E, written row by row.
  const meta = wb.addWorksheet(META_SHEET, { state: "veryHidden" });
  const entries: [MetaKey, string][] = Object.entries({
    template_version: TEMPLATE_VERSION,
    organisation_code: plan.organisation.code,
    reference_year: String(year),
    campaign_id: plan.campaign.id,
    plan_hash: plan.hash,
    line_count: String(plan.lines.length),
    generated_at: generatedAt.toISOString(),
  } satisfies Record<MetaKey, string>) as [MetaKey, string][];
  const versions = [...new Map(plan.lines.map((l) => [l.indicatorCode, l.indicatorVersionId])).entries()];
  for (let i = 0; i < Math.max(entries.length, versions.length); i++) {
    const row = meta.getRow(i + 1);
    if (entries[i]) [row.getCell("A").value, row.getCell("B").value] = entries[i]!;
    if (versions[i]) [row.getCell("D").value, row.getCell("E").value] = versions[i]!;
    row.commit();
  }
  await meta.protect(SHEET_PROTECTION_PASSWORD, protectionOptions);
  commitSheet(meta);

  wb.views = [{ x: 0, y: 0, width: 20000, height: 12000, firstSheet: 0, activeTab: 1, visibility: "visible" }];
}

/** The sheet's data validations by address or range (present in exceljs, missing from its typings). */
const dataValidationsOf = (ws: ExcelJS.Worksheet) => (ws as unknown as { dataValidations: { add(address: string, rule: ExcelJS.DataValidation): void } }).dataValidations;

const ROW_PLACEHOLDER = "{row}";

/** Consecutive rows of one column sharing a data-validation rule, written as one non-overlapping range each. */
class ValidationRanges {
  private readonly ranges: { from: number; to: number; rule: ExcelJS.DataValidation; signature: string }[] = [];
  constructor(private readonly column: string) {}

  add(row: number, rule: ExcelJS.DataValidation) {
    const signature = JSON.stringify(rule);
    const last = this.ranges.at(-1);
    if (last && last.signature === signature && last.to === row - 1) last.to = row;
    else this.ranges.push({ from: row, to: row, rule, signature });
  }

  /** Custom formulas name the range's first row as ROW_PLACEHOLDER (Excel shifts relative references down the range). */
  writeTo(ws: ExcelJS.Worksheet) {
    for (const r of this.ranges) {
      const rule = r.rule.formulae ? { ...r.rule, formulae: r.rule.formulae.map((f) => (typeof f === "string" ? f.replaceAll(ROW_PLACEHOLDER, String(r.from)) : f)) } : r.rule;
      dataValidationsOf(ws).add(r.from === r.to ? `${this.column}${r.from}` : `${this.column}${r.from}:${this.column}${r.to}`, rule);
    }
  }
}

export function templateFilename(plan: CollectionPlan): string {
  return `ODPE_${plan.campaign.year}_${plan.organisation.code}_modele.xlsx`;
}
