import type { Problem } from "./problems";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW, META_SHEET, OLDER_TEMPLATE_VERSIONS, TEMPLATE_VERSION, type MetaKey } from "./template-layout";
import type { PlanLines, ReadLine } from "./validation";

/** One row as streamed from a workbook: cells by column letter. */
export interface SheetRow {
  sheet: string;
  row: number;
  cells: Record<string, CellContent>;
}

export interface CellContent {
  value: unknown;
  formula?: string;
  /** Cached result of the formula, as saved by the spreadsheet application. */
  result?: unknown;
}

export interface InterpretExpectation {
  organisationCode: string;
  organisationName: string;
  year: number;
  planHash: string;
  /** An array of the lines, or a view that builds each one when asked (ADR 058). */
  lines: PlanLines;
}

export interface Interpretation {
  read: Map<string, ReadLine>;
  /** Problems with the file as a whole or its structure: the upload is refused. */
  structural: Problem[];
}

const fileProblem = (code: Problem["code"], message: string, hint: string, sheet = DATA_SHEET, cell: string | null = null): Problem => ({
  severity: "error",
  code,
  sheet,
  cell,
  indicator: null,
  indicatorLabel: null,
  message,
  hint,
});

const text = (c: CellContent | undefined) => (c?.value === null || c?.value === undefined ? "" : String(c.value).trim());

/**
 * Reads the streamed rows of an uploaded workbook against what the
 * organisation is expected to send: the metadata sheet must name this
 * organisation, this year and this template; the data sheet must hold exactly
 * the expected lines. Values are collected for validation — or, with
 * `onLine`, handed over one by one as they are read (with their place in the
 * plan) and not kept (ADR 031); structural problems each get their own message.
 */
export async function interpretWorkbook(rows: AsyncIterable<SheetRow>, expected: InterpretExpectation, onLine?: (line: ReadLine, index: number) => void): Promise<Interpretation> {
  const meta = new Map<string, string>();
  // With `onLine`, each line read goes to it (with its place in the plan) and is not kept.
  const read = new Map<string, ReadLine>();
  const structural: Problem[] = [];
  // The template puts the plan's line i on row FIRST_DATA_ROW + i: a key found at its own place is that line.
  // The plan is indexed by key only for a key found elsewhere (rows moved or sorted), when it first happens:
  // for 100,000 lines the index weighs 3.5 MiB, and their place costs nothing (ADR 058).
  const lines = expected.lines;
  let known: Map<string, number> | null = null;
  const indexOf = (key: string, row: number): number | undefined => {
    const place = row - FIRST_DATA_ROW;
    if (place < lines.length && lines.at(place)!.key === key) return place;
    if (!known) {
      known = new Map();
      for (let i = 0; i < lines.length; i++) known.set(lines.at(i)!.key, i);
    }
    return known.get(key);
  };
  // The row each expected line was read from (0: not yet).
  const readRow = new Int32Array(lines.length);
  let sawData = false;

  for await (const row of rows) {
    if (row.sheet === META_SHEET) {
      const key = text(row.cells.A);
      if (key) meta.set(key, text(row.cells.B));
      continue;
    }
    if (row.sheet !== DATA_SHEET) continue;
    sawData = true;
    if (row.row < FIRST_DATA_ROW) continue;
    const key = text(row.cells[COLUMNS.key]);
    if (!key) {
      const anything = Object.values(row.cells).some((c) => text(c) !== "");
      if (anything) {
        structural.push(
          fileProblem("unknown_row", `La ligne ${row.row} a été ajoutée au modèle.`, "Supprimez les lignes ajoutées : le modèle ne doit pas être modifié.", DATA_SHEET, `A${row.row}`),
        );
      }
      continue;
    }
    const index = indexOf(key, row.row);
    if (index === undefined) {
      structural.push(
        fileProblem("unknown_row", `La ligne ${row.row} ne correspond à aucun indicateur attendu.`, "Téléchargez le modèle à jour et recopiez-y vos valeurs.", DATA_SHEET, `A${row.row}`),
      );
      continue;
    }
    if (readRow[index]) {
      structural.push(
        fileProblem("duplicate_row", `La ligne ${row.row} est en double (déjà présente ligne ${readRow[index]}).`, "Supprimez la ligne copiée.", DATA_SHEET, `A${row.row}`),
      );
      continue;
    }
    readRow[index] = row.row;
    const value = row.cells[COLUMNS.value];
    const line: ReadLine = {
      key,
      row: row.row,
      value: value?.formula !== undefined ? null : (value?.value ?? null),
      ...(value?.formula !== undefined ? { formula: value.formula, formulaResult: value.result } : {}),
      comment: text(row.cells[COLUMNS.comment]) || null,
      reason: text(row.cells[COLUMNS.reason]) || null,
    };
    if (onLine) onLine(line, index);
    else read.set(key, line);
  }

  const get = (k: MetaKey) => meta.get(k);
  if (!get("template_version")) {
    return {
      read,
      structural: [
        fileProblem(
          "not_a_template",
          "Ce classeur n'est pas un modèle du portail (feuille de métadonnées absente).",
          "Téléchargez le modèle de votre organisme sur le portail, saisissez-y vos valeurs, puis déposez-le.",
          META_SHEET,
        ),
      ],
    };
  }
  if (get("organisation_code") !== expected.organisationCode) {
    return {
      read,
      structural: [
        fileProblem(
          "wrong_organisation",
          `Ce fichier est le modèle d'un autre organisme (${get("organisation_code") ?? "inconnu"}), pas celui de ${expected.organisationName} (${expected.organisationCode}).`,
          "Téléchargez le modèle de votre organisme et recopiez-y vos valeurs.",
          META_SHEET,
        ),
      ],
    };
  }
  if (get("reference_year") !== String(expected.year)) {
    return {
      read,
      structural: [
        fileProblem(
          "wrong_year",
          `Ce fichier concerne l'année ${get("reference_year") ?? "inconnue"}, alors que vous déposez pour la campagne ${expected.year}.`,
          `Téléchargez le modèle ${expected.year} et recopiez-y vos valeurs, ou déposez ce fichier dans la campagne ${get("reference_year")}.`,
          META_SHEET,
        ),
      ],
    };
  }
  const version = get("template_version")!;
  if (version !== TEMPLATE_VERSION && Object.hasOwn(OLDER_TEMPLATE_VERSIONS, version)) {
    return {
      read,
      structural: [
        fileProblem(
          "wrong_template",
          `Ce fichier est l'ancienne version du modèle (version ${version}, comme le modèle de l'an dernier) : ${OLDER_TEMPLATE_VERSIONS[version]}.`,
          `Téléchargez le nouveau modèle (version ${TEMPLATE_VERSION}) sur le portail et recopiez-y vos valeurs.`,
          META_SHEET,
        ),
      ],
    };
  }
  if (version !== TEMPLATE_VERSION || get("plan_hash") !== expected.planHash) {
    return {
      read,
      structural: [
        fileProblem(
          "wrong_template",
          "Ce modèle n'est plus à jour : la liste des indicateurs attendus a changé depuis son téléchargement.",
          "Téléchargez le nouveau modèle et recopiez-y vos valeurs.",
          META_SHEET,
        ),
      ],
    };
  }
  if (!sawData) {
    structural.push(fileProblem("wrong_template", `La feuille « ${DATA_SHEET} » est absente ou a été renommée.`, "Déposez le modèle sans renommer ni supprimer ses feuilles."));
  }
  for (let i = 0; i < lines.length; i++) {
    if (!readRow[i] && sawData) {
      const line = lines.at(i)!;
      structural.push({
        ...fileProblem("missing_row", `La ligne de l'indicateur ${line.indicatorCode} (${line.breakdownLabel}) a été supprimée.`, "Téléchargez le modèle à jour et recopiez-y vos valeurs."),
        indicator: line.indicatorCode,
        indicatorLabel: line.indicatorLabel,
      });
    }
  }
  return { read, structural };
}
