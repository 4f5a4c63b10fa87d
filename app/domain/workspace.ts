import { z } from "zod";

/**
 * The collaborative workspace (convention Art. 4): members share studies,
 * analyses and initiatives, open to every signatory at any time.
 */
export const WORKSPACE_MAX_BYTES = 20 * 1024 * 1024;

/** What the server accepts, told by the file's bytes (app/server/workspace/sniff.server.ts). */
export const workspaceContentTypes = {
  "application/pdf": "PDF",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
  "application/vnd.oasis.opendocument.text": "Texte OpenDocument",
  "application/vnd.oasis.opendocument.spreadsheet": "Classeur OpenDocument",
  "application/vnd.oasis.opendocument.presentation": "Présentation OpenDocument",
  "application/msword": "Word 97-2003",
  "application/vnd.ms-excel": "Excel 97-2003",
  "application/vnd.ms-powerpoint": "PowerPoint 97-2003",
  "image/png": "Image PNG",
  "image/jpeg": "Image JPEG",
  "image/webp": "Image WebP",
} as const;
export type WorkspaceContentType = keyof typeof workspaceContentTypes;

/** The extension a stored document is served with: its sniffed type's, whatever name it was uploaded under. */
export const workspaceExtensions: Record<WorkspaceContentType, string> = {
  "application/pdf": "pdf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
  "application/vnd.oasis.opendocument.text": "odt",
  "application/vnd.oasis.opendocument.spreadsheet": "ods",
  "application/vnd.oasis.opendocument.presentation": "odp",
  "application/msword": "doc",
  "application/vnd.ms-excel": "xls",
  "application/vnd.ms-powerpoint": "ppt",
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
};

/**
 * The download name of a workspace document (ADR 017): the uploaded
 * name with its extension replaced by the sniffed type's (« a.html » holding a
 * PDF is served as « a.pdf »); an unknown type gets « .bin ».
 */
export function downloadName(filename: string, contentType: string): string {
  const extension = (workspaceExtensions as Record<string, string>)[contentType] ?? "bin";
  const base = filename.replace(/[/\\]/g, "_").replace(/\.[^.]{0,10}$/, "").trim() || "document";
  return `${base}.${extension}`;
}

export const WORKSPACE_ACCEPT = ".pdf,.docx,.xlsx,.pptx,.odt,.ods,.odp,.doc,.xls,.ppt,.png,.jpg,.jpeg,.webp";
export const WORKSPACE_FORMATS_HINT = "PDF, Word, Excel, PowerPoint, OpenDocument ou image (PNG, JPEG, WebP), 20 Mo au plus. Les fichiers avec macros sont refusés.";

export const documentKinds = ["study", "analysis", "initiative", "report", "other"] as const;
export type DocumentKind = (typeof documentKinds)[number];
export const documentKindLabels: Record<DocumentKind, string> = {
  study: "Étude",
  analysis: "Analyse",
  initiative: "Initiative, action",
  report: "Rapport, bilan",
  other: "Autre document",
};

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { error: `${max.toLocaleString("fr-FR")} caractères au plus.` });

/** Domain tags: the eight domains of Art. 4 (`domain` fields); data sources: organisations whose data the document uses (`source` fields). */
export const workspaceDocumentSchema = z.object({
  title: z
    .string({ error: "Indiquez un titre." })
    .trim()
    .min(3, { error: "Le titre doit contenir au moins 3 caractères." })
    .max(200, { error: "200 caractères au plus." }),
  summary: text(4000).optional().transform((v) => v ?? ""),
  kind: z.enum(documentKinds, { error: "Choisissez le type de document." }),
  ownerOrganisationId: z.uuid({ error: "Choisissez l'organisme propriétaire." }),
});
export type WorkspaceDocumentInput = z.infer<typeof workspaceDocumentSchema> & { domains: string[]; sources: string[] };

export const versionNoteSchema = z.object({
  note: text(500)
    .optional()
    .transform((v) => (v ? v : null)),
});

/** Multi-valued fields (checkbox groups) of a form: only well-formed values, deduplicated. */
export function formList(form: FormData, field: string, pattern: RegExp, max = 60): string[] {
  // Repeated fields, or one comma-separated value (a multi-select's hidden field).
  const values = form.getAll(field).flatMap((v) => (typeof v === "string" ? v.split(",") : [])).map((v) => v.trim());
  return [...new Set(values.filter((v) => pattern.test(v)))].slice(0, max);
}
export const DOMAIN_CODE = /^[A-Z_]{2,40}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Accent folding used both when indexing and when searching, so "etude"
 * finds "Étude" on every PostgreSQL (the `unaccent` extension is not
 * available on the embedded database). Must match the migration's translate().
 */
export const FOLD_FROM = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ";
export const FOLD_TO = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuy";
