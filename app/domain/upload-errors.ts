import { z } from "zod";

/**
 * Why an uploaded workbook was refused before any of its values were read,
 * as values the UI and the API can show: a stable code, the HTTP status to
 * answer with, a short French title and a French message that says what is
 * wrong and what to do. Built by the upload guard and the bounded workbook
 * reader (app/server/collection/); isomorphic so forms can show the limits.
 *
 * Statuses: 413 the file is too large; 415 it is not an OOXML workbook
 * (.xlsx) — legacy .xls, encrypted, macro-enabled, CSV, PDF… whatever its
 * name says; 422 it claims to be one but its content is hostile or invalid
 * (zip bomb, DTD, path traversal, absurd dimensions, corrupt zip…).
 */

const MiB = 1024 * 1024;

/** Every limit the guard and the reader enforce. All are positive integers. */
export interface UploadLimits {
  /** Size of the uploaded file itself (bytes). */
  maxFileBytes: number;
  /** Entries in the zip's central directory. */
  maxEntries: number;
  /** Sum of the uncompressed sizes of all entries, declared and actual (bytes). */
  maxTotalUncompressedBytes: number;
  /** Uncompressed size of each part the reader holds in memory: [Content_Types].xml, relationships, workbook, shared strings, styles (bytes). */
  maxCachedPartBytes: number;
  /** Uncompressed ÷ compressed size of one entry, once it is larger than `compressionRatioGraceBytes`. */
  maxEntryCompressionRatio: number;
  /** Uncompressed ÷ compressed size of the whole archive, once it is larger than `compressionRatioGraceBytes`. */
  maxTotalCompressionRatio: number;
  /** Below this uncompressed size ratios are not checked (tiny parts compress oddly). */
  compressionRatioGraceBytes: number;
  /** Sheets listed by the workbook (visible and hidden). */
  maxSheets: number;
  /** Highest row number used on a sheet (Excel allows 1 048 576). */
  maxRows: number;
  /** Highest column number used on a sheet (Excel allows 16 384, "XFD"). */
  maxColumns: number;
  /** Characters in one cell's text, formula or cached text result (Excel's own limit is 32 767). */
  maxCellTextLength: number;
}

/**
 * Defaults: a yearly template is a few sheets and a few hundred lines; these
 * leave room for the 100 000-line benchmark while refusing anything absurd.
 */
export const DEFAULT_UPLOAD_LIMITS: Readonly<UploadLimits> = Object.freeze({
  maxFileBytes: 10 * MiB,
  maxEntries: 1_000,
  maxTotalUncompressedBytes: 128 * MiB,
  maxCachedPartBytes: 16 * MiB,
  maxEntryCompressionRatio: 200,
  maxTotalCompressionRatio: 100,
  compressionRatioGraceBytes: 1 * MiB,
  maxSheets: 50,
  maxRows: 200_000,
  maxColumns: 256,
  maxCellTextLength: 32_767,
});

const positiveInt = z.number().int().positive();
export const uploadLimitsSchema = z.object({
  maxFileBytes: positiveInt,
  maxEntries: positiveInt,
  maxTotalUncompressedBytes: positiveInt,
  maxCachedPartBytes: positiveInt,
  maxEntryCompressionRatio: positiveInt,
  maxTotalCompressionRatio: positiveInt,
  compressionRatioGraceBytes: positiveInt,
  maxSheets: positiveInt,
  maxRows: positiveInt.max(1_048_576),
  maxColumns: positiveInt.max(16_384),
  maxCellTextLength: positiveInt,
}) satisfies z.ZodType<UploadLimits>;

/** The defaults with `overrides` applied; throws (a configuration error, not a user error) when a value is not a positive integer. */
export function resolveUploadLimits(overrides: Partial<UploadLimits> = {}): UploadLimits {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return uploadLimitsSchema.parse({ ...DEFAULT_UPLOAD_LIMITS, ...defined });
}

/** The accepted format, for `<input accept>` and the API documentation. */
export const XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export const uploadRefusalCodes = [
  "file_empty",
  "file_too_large",
  "not_a_workbook",
  "legacy_format",
  "encrypted_workbook",
  "macro_enabled",
  "zip_corrupt",
  "zip_unsupported",
  "zip_too_many_entries",
  "zip_unsafe_entry_name",
  "zip_duplicate_entry",
  "zip_encrypted_entry",
  "zip_size_mismatch",
  "zip_too_large_uncompressed",
  "zip_compression_ratio",
  "xml_dtd_forbidden",
  "xml_invalid",
  "workbook_invalid",
  "too_many_sheets",
  "too_many_rows",
  "too_many_columns",
  "cell_text_too_long",
  "outside_template_layout",
] as const;
export type UploadRefusalCode = (typeof uploadRefusalCodes)[number];

export type UploadRefusalStatus = 413 | 415 | 422;

export const uploadRefusalStatus: Record<UploadRefusalCode, UploadRefusalStatus> = {
  file_empty: 415,
  file_too_large: 413,
  not_a_workbook: 415,
  legacy_format: 415,
  encrypted_workbook: 415,
  macro_enabled: 415,
  zip_corrupt: 422,
  zip_unsupported: 422,
  zip_too_many_entries: 422,
  zip_unsafe_entry_name: 422,
  zip_duplicate_entry: 422,
  zip_encrypted_entry: 422,
  zip_size_mismatch: 422,
  zip_too_large_uncompressed: 422,
  zip_compression_ratio: 422,
  xml_dtd_forbidden: 422,
  xml_invalid: 422,
  workbook_invalid: 422,
  too_many_sheets: 422,
  too_many_rows: 422,
  too_many_columns: 422,
  cell_text_too_long: 422,
  outside_template_layout: 422,
};

/** Short French titles (RFC 9457 `title`). */
export const uploadRefusalTitles: Record<UploadRefusalCode, string> = {
  file_empty: "Fichier vide",
  file_too_large: "Fichier trop volumineux",
  not_a_workbook: "Ce fichier n'est pas un classeur Excel (.xlsx)",
  legacy_format: "Ancien format Office refusé",
  encrypted_workbook: "Fichier protégé par un mot de passe",
  macro_enabled: "Classeur avec macros refusé",
  zip_corrupt: "Fichier endommagé",
  zip_unsupported: "Structure de fichier non prise en charge",
  zip_too_many_entries: "Trop d'éléments dans le fichier",
  zip_unsafe_entry_name: "Nom d'élément dangereux dans le fichier",
  zip_duplicate_entry: "Élément en double dans le fichier",
  zip_encrypted_entry: "Élément chiffré dans le fichier",
  zip_size_mismatch: "Tailles incohérentes dans le fichier",
  zip_too_large_uncompressed: "Contenu décompressé trop volumineux",
  zip_compression_ratio: "Compression anormale (bombe de décompression)",
  xml_dtd_forbidden: "Déclaration DTD refusée",
  xml_invalid: "XML illisible",
  workbook_invalid: "Structure de classeur invalide",
  too_many_sheets: "Trop de feuilles",
  too_many_rows: "Trop de lignes",
  too_many_columns: "Trop de colonnes",
  cell_text_too_long: "Texte de cellule trop long",
  outside_template_layout: "Cellules hors du modèle",
};

/** A refusal, ready to show or to send as `application/problem+json`. */
export interface UploadRefusal {
  code: UploadRefusalCode;
  status: UploadRefusalStatus;
  title: string;
  /** French: what is wrong and what to do. */
  message: string;
  /** The sheet concerned, when one is. */
  sheet?: string;
  /** A1 reference of the cell concerned, when one is. */
  cell?: string;
  /** The zip entry (part) concerned, when one is. */
  part?: string;
  /** Technical detail in English for logs and audit only; never shown to users. */
  logDetail?: string;
}

/** What a non-workbook file turned out to be, from its bytes. */
export type DetectedFormat =
  | "pdf"
  | "csv"
  | "text"
  | "html"
  | "xml"
  | "image"
  | "archive"
  | "zip"
  | "opendocument"
  | "word"
  | "powerpoint"
  | "xlsb"
  | "excel_template"
  | "unknown";

export type LegacyFormat = "xls" | "doc" | "ppt" | "office";

export type MacroReason = "vba_project" | "macro_content_type" | "macro_sheet" | "activex" | "declared_name";

/** The parameters each refusal's message needs. */
export interface UploadRefusalParams {
  file_empty: Record<string, never>;
  file_too_large: { limit: number; size?: number };
  not_a_workbook: { detected: DetectedFormat };
  legacy_format: { format: LegacyFormat };
  encrypted_workbook: Record<string, never>;
  macro_enabled: { reason: MacroReason; part?: string };
  zip_corrupt: { part?: string };
  zip_unsupported: { feature: string; part?: string };
  zip_too_many_entries: { count: number; limit: number };
  zip_unsafe_entry_name: { part: string };
  zip_duplicate_entry: { part: string };
  zip_encrypted_entry: { part?: string };
  zip_size_mismatch: { part: string; declared: number; actualIsLarger: boolean };
  zip_too_large_uncompressed: { limit: number; part?: string };
  zip_compression_ratio: { ratio: number; limit: number; part?: string };
  xml_dtd_forbidden: { part: string };
  xml_invalid: { part: string; reason: string };
  workbook_invalid: { reason: string; sheet?: string; cell?: string; part?: string };
  too_many_sheets: { count: number; atLeast?: boolean; limit: number };
  too_many_rows: { sheet: string; row: number; limit: number };
  too_many_columns: { sheet: string; column: number; cell?: string; limit: number };
  cell_text_too_long: { sheet?: string; cell?: string; length?: number; limit: number };
  /** `range`: the template's area of the sheet, A1:H120 style; `cell`: the first cell outside it (absent for a sheet refused by its size). */
  outside_template_layout: { sheet: string; range: string | null; cell?: string };
}

const nf = new Intl.NumberFormat("fr-FR");
const int = (n: number) => nf.format(n);

/** "10 Mo", "1,5 Mo", "512 Ko", "12 octets". */
export function formatFileSize(bytes: number): string {
  if (bytes >= MiB) {
    const mo = bytes / MiB;
    return `${Number.isInteger(mo) ? int(mo) : new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 }).format(mo)} Mo`;
  }
  if (bytes >= 1024) return `${int(Math.round(bytes / 1024))} Ko`;
  return `${int(bytes)} octet${bytes > 1 ? "s" : ""}`;
}

/** Column number → letters (1 → "A", 16 384 → "XFD"). */
export function columnLetters(column: number): string {
  let n = column;
  let letters = "";
  while (n > 0) {
    const rest = (n - 1) % 26;
    letters = String.fromCharCode(65 + rest) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}

/** `Données!E14`, quoting sheet names that need it (`'Ma feuille'!E14`), as Excel writes references. */
export function qualifiedCellReference(sheet: string, cell: string): string {
  const bare = /^[\p{L}_][\p{L}\p{N}_.]*$/u.test(sheet);
  return `${bare ? sheet : `'${sheet.replace(/'/g, "''")}'`}!${cell}`;
}

/** A zip entry name made safe to show: no control characters, at most 80 characters. */
export function displayablePartName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, "?");
  return clean.length > 80 ? `${clean.slice(0, 77)}…` : clean;
}

const RESAVE = "Ouvrez-le dans Excel, enregistrez-le à nouveau au format « Classeur Excel (.xlsx) », puis déposez ce nouveau fichier.";
const USE_TEMPLATE =
  "Un classeur enregistré par Excel ou LibreOffice n'en contient jamais : ce fichier a été fabriqué ou modifié par un autre outil. Saisissez vos données dans le modèle fourni par le portail, enregistrez-le avec Excel, puis déposez-le.";

const detectedSentences: Record<DetectedFormat, string> = {
  pdf: "est un document PDF, pas un classeur Excel. Un PDF ne peut pas être relu par le portail : déposez le modèle Excel (.xlsx) fourni par le portail, une fois rempli.",
  csv: "est un fichier texte (CSV ou similaire), pas un classeur Excel (.xlsx), même si son nom le laisse croire. Reportez vos données dans le modèle Excel fourni par le portail, enregistrez-le au format « Classeur Excel (.xlsx) », puis déposez-le.",
  text: "est un fichier texte, pas un classeur Excel (.xlsx), même si son nom le laisse croire. Déposez le modèle Excel fourni par le portail, une fois rempli.",
  html: "est une page web (HTML) portant un nom de fichier Excel, comme en produisent certains logiciels à l'export. " + RESAVE,
  xml: "est un fichier XML (par exemple « Feuille de calcul XML 2003 »), pas un classeur .xlsx. " + RESAVE,
  image: "est une image, pas un classeur Excel. Déposez le modèle Excel (.xlsx) fourni par le portail, une fois rempli.",
  archive: "est une archive compressée (ZIP, RAR, 7z, gzip…), pas un classeur Excel. Déposez directement le classeur .xlsx, sans le compresser.",
  zip: "est une archive ZIP, pas un classeur Excel. Déposez directement le classeur .xlsx, sans le compresser.",
  opendocument:
    "est au format OpenDocument (LibreOffice, .ods), pas au format Excel. Dans LibreOffice, choisissez « Fichier > Enregistrer sous », le type « Classeur Excel 2007-365 (.xlsx) », puis déposez ce nouveau fichier.",
  word: "est un document Word, pas un classeur Excel. Déposez le modèle Excel (.xlsx) fourni par le portail, une fois rempli.",
  powerpoint: "est une présentation PowerPoint, pas un classeur Excel. Déposez le modèle Excel (.xlsx) fourni par le portail, une fois rempli.",
  xlsb: "est un classeur binaire Excel (.xlsb), un format que le portail ne lit pas. " + RESAVE,
  excel_template: "est un modèle Excel (.xltx), pas un classeur. " + RESAVE,
  unknown:
    "n'est pas un classeur Excel (.xlsx) : son contenu ne correspond pas à ce format, quel que soit son nom. Déposez le modèle Excel fourni par le portail, rempli et enregistré au format .xlsx.",
};

const legacySentences: Record<LegacyFormat, string> = {
  xls:
    "est au format Excel 97-2003 (.xls), qui n'est pas accepté. Ouvrez-le dans Excel, choisissez « Fichier > Enregistrer sous », le type « Classeur Excel (.xlsx) », puis déposez ce nouveau fichier.",
  doc: "est un document Word 97-2003 (.doc), pas un classeur Excel. Déposez le modèle Excel (.xlsx) fourni par le portail, une fois rempli.",
  ppt: "est une présentation PowerPoint 97-2003 (.ppt), pas un classeur Excel. Déposez le modèle Excel (.xlsx) fourni par le portail, une fois rempli.",
  office:
    "est dans un ancien format Microsoft Office (97-2003), pas au format Excel .xlsx. S'il s'agit d'un classeur, ouvrez-le dans Excel et enregistrez-le au format « Classeur Excel (.xlsx) », puis déposez ce nouveau fichier.",
};

const macroSentences: Record<MacroReason, string> = {
  vba_project: "contient des macros (code VBA)",
  macro_content_type: "est un classeur prenant en charge les macros (.xlsm, .xltm ou .xlam)",
  macro_sheet: "contient une feuille de macros Excel 4.0",
  activex: "contient des contrôles ActiveX",
  declared_name: "est un classeur prenant en charge les macros (.xlsm, .xltm ou .xlam)",
};

/** The subject of a message: « name » when the file name is known. */
function subject(filename: string | null | undefined): string {
  if (!filename) return "Ce fichier";
  return `Le fichier « ${displayablePartName(filename)} »`;
}

const where = (name: string | undefined) => (name ? ` (élément « ${displayablePartName(name)} »)` : "");
const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

/** One French message per code; `s` is the subject ("Ce fichier" or « name »). */
const messages: { [C in UploadRefusalCode]: (p: UploadRefusalParams[C], s: string) => string } = {
  file_empty: (_p, s) =>
    `${s} est vide (0 octet). Vérifiez que vous avez choisi le bon fichier et que son enregistrement est terminé, puis déposez-le à nouveau.`,
  file_too_large: (p, s) =>
    `${s} dépasse ${formatFileSize(p.limit)}, la taille maximale acceptée${p.size !== undefined ? ` : il pèse ${formatFileSize(p.size)}` : ""}. Un modèle rempli pèse bien moins : retirez les feuilles, lignes ou images ajoutées au modèle, puis déposez-le à nouveau.`,
  not_a_workbook: (p, s) => `${s} ${detectedSentences[p.detected]}`,
  legacy_format: (p, s) => `${s} ${legacySentences[p.format]}`,
  encrypted_workbook: (_p, s) =>
    `${s} est chiffré (protégé par un mot de passe à l'ouverture) : le portail ne peut pas le lire. Dans Excel, ouvrez-le, choisissez « Fichier > Informations > Protéger le classeur > Chiffrer avec mot de passe », effacez le mot de passe, enregistrez, puis déposez-le à nouveau. La protection des feuilles du modèle, elle, peut rester.`,
  macro_enabled: (p, s) =>
    `${s} ${macroSentences[p.reason]}${where(p.part)} : pour la sécurité de tous, ces classeurs sont refusés. Dans Excel, choisissez « Fichier > Enregistrer sous », le type « Classeur Excel (.xlsx) » (Excel retire alors les macros), puis déposez ce nouveau fichier.`,
  zip_corrupt: (p, s) =>
    `${s} est endommagé ou incomplet${where(p.part)}, par exemple après un téléchargement ou un enregistrement interrompu : il ne peut pas être lu. Vérifiez qu'il s'ouvre normalement dans Excel, enregistrez-le à nouveau au format .xlsx, puis déposez-le.`,
  zip_unsupported: (p, s) => `${s} utilise une structure de compression que le portail n'accepte pas (${p.feature})${where(p.part)}. ${RESAVE}`,
  zip_too_many_entries: (p, s) =>
    `${s} contient ${int(p.count)} éléments internes, ${int(p.limit)} au plus sont acceptés : c'est bien plus qu'un modèle rempli. Repartez du modèle fourni par le portail, sans y ajouter d'images, d'objets ni de feuilles, puis déposez-le.`,
  zip_unsafe_entry_name: (p, s) =>
    `${s} contient un élément interne au nom dangereux (« ${displayablePartName(p.part)} » : chemin absolu, remontée de dossier ou caractère interdit). ${USE_TEMPLATE}`,
  zip_duplicate_entry: (p, s) => `${s} contient deux fois le même élément interne (« ${displayablePartName(p.part)} »). ${USE_TEMPLATE}`,
  zip_encrypted_entry: (p, s) =>
    `${s} contient un élément chiffré par mot de passe${where(p.part)} : le portail ne peut pas le lire. Enregistrez le classeur avec Excel sans mot de passe, au format .xlsx, puis déposez-le.`,
  zip_size_mismatch: (p, s) =>
    `${s} est incohérent : l'élément interne « ${displayablePartName(p.part)} » annonce ${formatFileSize(p.declared)} une fois décompressé mais en contient ${p.actualIsLarger ? "davantage" : "moins"}. Un tel fichier est endommagé ou fabriqué pour tromper les contrôles. ${RESAVE}`,
  zip_too_large_uncompressed: (p, s) =>
    `Une fois décompressé, ${lowerFirst(s)} dépasserait ${formatFileSize(p.limit)}${where(p.part)}, la limite du portail. Un modèle rempli est bien plus petit : retirez les données, feuilles ou images ajoutées au modèle, puis déposez-le à nouveau.`,
  zip_compression_ratio: (p, s) =>
    `${s} est anormalement compressé${where(p.part)} : ${int(Math.round(p.ratio))} fois plus volumineux une fois décompressé, ${int(p.limit)} fois au plus. C'est la signature d'une « bombe de décompression » ; un classeur Excel ordinaire ne l'est jamais. ${USE_TEMPLATE}`,
  xml_dtd_forbidden: (p, s) =>
    `${s} contient une déclaration DTD (« <!DOCTYPE » ou « <!ENTITY ») dans l'élément « ${displayablePartName(p.part)} ». Ces déclarations servent à des attaques (entités externes, expansion d'entités) et sont refusées. ${USE_TEMPLATE}`,
  xml_invalid: (p, s) => `${s} contient un élément XML illisible (« ${displayablePartName(p.part)} » : ${p.reason}). ${RESAVE}`,
  workbook_invalid: (p, s) => {
    const at = p.sheet && p.cell ? ` (cellule ${qualifiedCellReference(p.sheet, p.cell)})` : p.sheet ? ` (feuille « ${p.sheet} »)` : where(p.part);
    return `${s} n'a pas la structure d'un classeur Excel valide : ${p.reason}${at}. ${RESAVE}`;
  },
  too_many_sheets: (p, s) =>
    `${s} contient ${p.atLeast ? "plus de " : ""}${int(p.count)} feuilles ; ${int(p.limit)} au plus sont acceptées. Le modèle du portail n'en compte que quelques-unes : supprimez les feuilles ajoutées, puis déposez-le à nouveau.`,
  too_many_rows: (p) =>
    `La feuille « ${p.sheet} » utilise la ligne ${int(p.row)} (cellule ${qualifiedCellReference(p.sheet, `A${p.row}`)}) ; ${int(p.limit)} lignes au plus sont acceptées. Supprimez les lignes ajoutées sous le tableau, y compris celles qui paraissent vides mais contiennent un espace ou une mise en forme, puis déposez le fichier à nouveau.`,
  too_many_columns: (p) =>
    `La feuille « ${p.sheet} » utilise la colonne ${columnLetters(p.column)} (cellule ${qualifiedCellReference(p.sheet, p.cell ?? `${columnLetters(p.column)}1`)}) ; seules les colonnes A à ${columnLetters(p.limit)} (${int(p.limit)} colonnes) sont acceptées. Supprimez le contenu ou la mise en forme ajoutés à droite du tableau, puis déposez le fichier à nouveau.`,
  cell_text_too_long: (p) =>
    `${p.sheet && p.cell ? `La cellule ${qualifiedCellReference(p.sheet, p.cell)} contient` : p.sheet ? `La feuille « ${p.sheet} » contient` : "Le classeur contient"} un texte de ${p.length !== undefined ? `${int(p.length)} caractères` : `plus de ${int(p.limit)} caractères`} ; ${int(p.limit)} au plus sont acceptés par cellule. Raccourcissez ce texte (un commentaire peut être résumé), puis déposez le fichier à nouveau.`,
  outside_template_layout: (p) =>
    p.range === null
      ? `La feuille « ${p.sheet} » ne fait pas partie du modèle et contient trop de données pour une simple note : elle n'a pas été lue. Supprimez cette feuille (le portail ne lit que les onglets du modèle), puis déposez le fichier à nouveau.`
      : p.cell
      ? `La feuille « ${p.sheet} » contient des cellules hors du modèle (à partir de ${qualifiedCellReference(p.sheet, p.cell)}) : le modèle n'occupe que la plage ${p.range} de cette feuille. Supprimez le contenu et la mise en forme ajoutés hors de cette plage (lignes sous le tableau, colonnes à droite), ou recopiez vos valeurs dans un modèle neuf, puis déposez le fichier à nouveau.`
      : `La feuille « ${p.sheet} » contient bien plus de données que le modèle n'en prévoit (plage ${p.range}) : elle n'a pas été lue. Supprimez cette feuille ou ce qui y a été ajouté, ou recopiez vos valeurs dans un modèle neuf, puis déposez le fichier à nouveau.`,
};

/** Builds the refusal value for `code`: status, title, French message and location. */
export function uploadRefusal<C extends UploadRefusalCode>(
  code: C,
  params: UploadRefusalParams[C],
  context: { filename?: string | null; logDetail?: string } = {},
): UploadRefusal {
  const p = params as Partial<{ sheet: string; cell: string; part: string }>;
  return {
    code,
    status: uploadRefusalStatus[code],
    title: uploadRefusalTitles[code],
    message: messages[code](params, subject(context.filename)),
    ...(p.sheet !== undefined ? { sheet: p.sheet } : {}),
    ...(p.cell !== undefined ? { cell: p.cell } : {}),
    ...(p.part !== undefined ? { part: p.part } : {}),
    ...(context.logDetail !== undefined ? { logDetail: context.logDetail } : {}),
  };
}
