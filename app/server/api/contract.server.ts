import { z } from "zod";
import { campaignStatuses } from "~/domain/campaigns";
import { submissionStatuses } from "~/domain/submissions";

/**
 * The partner API's contract as zod schemas: the bodies it answers with and
 * the one it reads. The OpenAPI document (openapi.server.ts) is generated
 * from these; the tests validate real responses against that document.
 * Every schema registered here becomes `#/components/schemas/<id>`.
 */
export const apiSchemas = z.registry<{ id: string; description?: string }>();

const isoDateTime = z.iso.datetime().describe("Date et heure UTC, ISO 8601.");
const year = z.int().min(2000).max(2200).describe("Année de référence des données (la campagne 2025 collecte les données de 2025).");
const versionStatus = z
  .enum([...submissionStatuses, "superseded"])
  .describe(
    "draft : déposée ; submitted : transmise pour validation interne ; institution_validated : validée par l'institution ; accepted : acceptée par l'ODPE ; returned : retournée ; superseded : remplacée par une version plus récente.",
  );

export const ProblemItem = z
  .object({
    code: z.string().describe("Code stable du problème (required, not_integer, breakdown_sum, variation, wrong_year, not_available_not_allowed, not_available_reason_missing…)."),
    sheet: z.string().nullable().describe("Feuille concernée."),
    cell: z.string().nullable().describe("Cellule concernée (référence A1), null pour un problème qui porte sur tout le fichier."),
    ref: z.string().nullable().describe("Référence complète, par exemple Données!E14."),
    indicator: z.string().nullable().describe("Code de l'indicateur concerné."),
    indicatorLabel: z.string().nullable().describe("Libellé de l'indicateur concerné."),
    message: z.string().describe("Ce qui ne va pas, en français."),
    hint: z.string().nullable().describe("Ce qu'il faut faire, en français."),
  })
  .describe("Un problème trouvé dans un classeur : où (feuille, cellule), quel indicateur, quoi et que faire.");
apiSchemas.add(ProblemItem, { id: "ProblemItem" });

export const Campaign = z
  .object({
    year,
    status: z.enum(campaignStatuses).describe("open : ouverte ; closed : clôturée."),
    deadline: z.iso.date().describe("Date limite de transmission de votre organisme (AAAA-MM-JJ)."),
    submissionOpen: z.boolean().describe("Votre organisme peut-il déposer et transmettre aujourd'hui ?"),
    late: z.boolean().describe("La date limite est passée mais la campagne est encore ouverte (transmission tardive)."),
    submissionStatus: z.enum(submissionStatuses).nullable().describe("Statut de votre dossier pour cette campagne, null si rien n'a été déposé."),
    versionCount: z.int().min(0).describe("Nombre de versions déposées."),
    templateUrl: z.string().describe("Adresse du modèle Excel de votre organisme."),
    uploadsUrl: z.string().describe("Adresse des versions déposées (GET) et du dépôt (POST)."),
  })
  .describe("Une campagne annuelle de collecte qui concerne votre organisme.");
apiSchemas.add(Campaign, { id: "Campaign" });

export const CampaignList = z.object({
  organisation: z.object({ code: z.string(), name: z.string() }).describe("L'organisme du jeton."),
  campaigns: z.array(Campaign).describe("Les campagnes qui concernent l'organisme, la plus récente d'abord."),
});
apiSchemas.add(CampaignList, { id: "CampaignList" });

export const UploadSummary = z
  .object({
    id: z.uuid().describe("Identifiant de la version."),
    year,
    version: z.int().min(1).describe("Numéro de la version (1, 2, 3…), croissant, jamais réutilisé."),
    status: versionStatus,
    uploadedAt: isoDateTime,
    uploadedVia: z.enum(["web", "api"]).describe("Déposée depuis le portail (web) ou par l'API (api)."),
    errorCount: z.int().min(0),
    warningCount: z.int().min(0),
    url: z.string().describe("Adresse de la version dans l'API."),
  })
  .describe("Une version déposée, en résumé.");
apiSchemas.add(UploadSummary, { id: "UploadSummary" });

export const UploadList = z.object({
  year,
  uploads: z.array(UploadSummary).describe("Toutes les versions déposées par votre organisme pour cette campagne, la plus récente d'abord."),
});
apiSchemas.add(UploadList, { id: "UploadList" });

export const Upload = UploadSummary.extend({
  filename: z.string().describe("Nom du fichier déposé."),
  sizeBytes: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).describe("Empreinte SHA-256 du fichier conservé."),
  submittedAt: isoDateTime.nullable().describe("Date de transmission, null tant qu'elle n'est pas transmise."),
  warningsComment: z.string().nullable().describe("Commentaire de transmission expliquant les avertissements."),
  returnReason: z.string().nullable().describe("Motif du dernier retour, le cas échéant."),
  errors: z.array(ProblemItem).describe("Erreurs : toutes doivent être corrigées avant de transmettre."),
  warnings: z.array(ProblemItem).describe("Avertissements (variations fortes…) : à expliquer dans le commentaire de transmission."),
}).describe("Une version déposée, avec tous les problèmes trouvés.");
apiSchemas.add(Upload, { id: "Upload" });

export const SubmitRequest = z
  .object({
    comment: z
      .string()
      .max(10_000)
      .optional()
      .describe("Commentaire de transmission ; obligatoire quand la version a des avertissements (il les explique)."),
  })
  .describe("Corps facultatif de la transmission.");
apiSchemas.add(SubmitRequest, { id: "SubmitRequest" });

export const Problem = z
  .object({
    type: z.string().describe("Adresse de l'explication du problème dans la documentation (/api/docs#…)."),
    title: z.string().describe("Résumé en français."),
    status: z.int().min(400).max(599).describe("Code HTTP."),
    detail: z.string().describe("Explication en français : ce qui ne va pas et que faire."),
    requestId: z.string().optional().describe("Identifiant de la requête, à transmettre au support."),
    code: z.string().optional().describe("Code stable du refus d'un fichier (file_too_large, not_a_workbook, macro_enabled…)."),
    limitBytes: z.int().optional().describe("Taille maximale acceptée, pour un refus 413."),
    errors: z.array(ProblemItem).optional().describe("Tous les problèmes trouvés dans le fichier."),
    warnings: z.array(ProblemItem).optional().describe("Les avertissements de la version conservée (422 workbook-errors)."),
    upload: UploadSummary.optional().describe("La version conservée comme brouillon malgré ses erreurs (422 workbook-errors)."),
    fieldErrors: z.record(z.string(), z.array(z.string())).optional().describe("Messages par champ du corps JSON."),
  })
  .describe("Erreur au format RFC 9457 (application/problem+json).");
apiSchemas.add(Problem, { id: "Problem" });

export type ProblemItem = z.infer<typeof ProblemItem>;
export type Campaign = z.infer<typeof Campaign>;
export type CampaignList = z.infer<typeof CampaignList>;
export type UploadSummary = z.infer<typeof UploadSummary>;
export type UploadList = z.infer<typeof UploadList>;
export type Upload = z.infer<typeof Upload>;
export type SubmitRequest = z.infer<typeof SubmitRequest>;
