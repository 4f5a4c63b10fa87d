import { z } from "zod";
import { apiSchemas } from "./contract.server";
import { API_BASE } from "./partner-api.server";
import { UPLOAD_FIELD } from "./upload-request.server";
import { problemTypes, problemTypeUri, PROBLEM_CONTENT_TYPE, type ProblemType } from "../http/problem.server";
import { DEFAULT_UPLOAD_LIMITS, formatFileSize, XLSX_CONTENT_TYPE } from "~/domain/upload-errors";
import type { PermissionRequest } from "~/domain/permissions";

/**
 * The partner API described once: each operation with its French summary,
 * the permission its token needs, and every status it may answer with. The
 * OpenAPI 3.1 document (GET /api/v1/openapi.json) and the documentation page
 * (/api/docs) are both generated from this list and the zod schemas of
 * contract.server.ts; the tests check real responses against the document.
 */

type SchemaId = "Campaign" | "CampaignList" | "UploadSummary" | "UploadList" | "Upload" | "SubmitRequest" | "Problem" | "ProblemItem";

export interface ApiResponseSpec {
  description: string;
  /** A JSON body of this schema (`application/problem+json` for 4xx/5xx), or an .xlsx file. */
  body?: SchemaId | "xlsx";
  /** Problem types this status may carry (links to the docs). */
  problems?: ProblemType[];
  headers?: ("Location" | "Retry-After" | "RateLimit" | "Content-Disposition")[];
}

export interface ApiOperation {
  method: "get" | "post";
  path: string;
  operationId: string;
  summary: string;
  description: string;
  permission: PermissionRequest | null;
  parameters: ("year" | "id")[];
  requestBody?: "workbook" | "submit";
  responses: Record<number, ApiResponseSpec>;
}

const problem = (description: string, ...problems: ProblemType[]): ApiResponseSpec => ({ description, body: "Problem", problems });

/** Answers every authenticated operation may give. */
const common: Record<number, ApiResponseSpec> = {
  401: problem("Jeton manquant, inconnu ou révoqué.", "unauthenticated"),
  403: problem("Action non permise au jeton, ou requête portant l'en-tête Origin d'un autre site (protection CSRF : un système partenaire n'envoie pas d'en-tête Origin).", "forbidden"),
  409: problem("Votre organisme s'est retiré de la convention (art. 7) : l'API ne lui est plus ouverte.", "conflict"),
  429: { ...problem("Trop de requêtes pour ce jeton : attendre Retry-After secondes.", "rate-limited"), headers: ["Retry-After"] },
  500: problem("Erreur inattendue (transmettre requestId).", "internal"),
  503: { ...problem("Base de données momentanément injoignable : la requête n'a pas abouti ; réessayer après Retry-After secondes.", "unavailable"), headers: ["Retry-After"] },
};

const maxSize = formatFileSize(DEFAULT_UPLOAD_LIMITS.maxFileBytes);

export const apiOperations: ApiOperation[] = [
  {
    method: "get",
    path: `${API_BASE}/campaigns`,
    operationId: "listCampaigns",
    summary: "Lister les campagnes qui concernent votre organisme",
    description: "Les campagnes annuelles où votre organisme est attendu, la plus récente d'abord : année, statut, date limite, et si vous pouvez déposer aujourd'hui.",
    permission: "read:campaign",
    parameters: [],
    responses: { 200: { description: "Les campagnes.", body: "CampaignList", headers: ["RateLimit"] }, ...common },
  },
  {
    method: "get",
    path: `${API_BASE}/campaigns/{year}/template`,
    operationId: "getTemplate",
    summary: "Télécharger le modèle Excel de votre organisme",
    description:
      "Le classeur à remplir pour la campagne : une ligne par indicateur et ventilation de votre convention d'application, la valeur acceptée l'an dernier en regard. Ne modifiez pas sa structure : le portail la vérifie au dépôt.",
    permission: "read:campaign",
    parameters: ["year"],
    responses: {
      200: { description: "Le modèle (.xlsx).", body: "xlsx", headers: ["Content-Disposition", "RateLimit"] },
      404: problem("Votre organisme n'est pas attendu dans la campagne de cette année.", "not-found"),
      ...common,
    },
  },
  {
    method: "get",
    path: `${API_BASE}/campaigns/{year}/uploads`,
    operationId: "listUploads",
    summary: "Lister vos versions déposées pour une campagne",
    description: "Toutes les versions déposées par votre organisme (par le portail ou l'API), la plus récente d'abord. Aucune n'est jamais écrasée.",
    permission: "read:submission",
    parameters: ["year"],
    responses: {
      200: { description: "Les versions.", body: "UploadList", headers: ["RateLimit"] },
      404: problem("Votre organisme n'est pas attendu dans la campagne de cette année.", "not-found"),
      ...common,
    },
  },
  {
    method: "post",
    path: `${API_BASE}/campaigns/{year}/uploads`,
    operationId: "createUpload",
    summary: "Déposer un classeur rempli",
    description: `Le classeur (.xlsx, ${maxSize} au plus) en corps brut avec « Content-Type: ${XLSX_CONTENT_TYPE} » (nom facultatif dans « Content-Disposition: attachment; filename=… »), ou en multipart/form-data dans le champ « ${UPLOAD_FIELD} ». Tous les problèmes sont signalés en une fois, cellule par cellule. Chaque dépôt accepté devient une nouvelle version numérotée, même avec des erreurs (422) ; aucune version n'est écrasée.`,
    permission: "submit:submission",
    parameters: ["year"],
    requestBody: "workbook",
    responses: {
      201: { description: "Version créée, sans erreur (éventuellement avec des avertissements).", body: "Upload", headers: ["Location", "RateLimit"] },
      400: problem("Corps multipart illisible ou sans champ « file ».", "bad-request"),
      404: problem("Votre organisme n'est pas attendu dans la campagne de cette année.", "not-found"),
      409: problem("Campagne clôturée ou pas encore ouverte pour votre organisme, ou organisme retiré de la convention (art. 7).", "conflict"),
      413: problem(`Fichier de plus de ${maxSize}.`, "payload-too-large"),
      415: problem("Ce n'est pas un classeur .xlsx (ancien .xls, chiffré, avec macros, CSV, PDF renommé…), ou type de contenu non accepté.", "unsupported-media-type"),
      422: {
        ...problem(
          "Fichier avec des erreurs : version conservée comme brouillon, toutes les erreurs listées (workbook-errors) ; ou fichier refusé sans version : autre organisme, autre année, modèle périmé ou modifié, contenu dangereux (workbook-refused).",
          "workbook-errors",
          "workbook-refused",
        ),
        headers: ["Location"],
      },
      401: common[401]!,
      403: common[403]!,
      429: common[429]!,
      500: common[500]!,
      503: common[503]!,
    },
  },
  {
    method: "get",
    path: `${API_BASE}/uploads/{id}`,
    operationId: "getUpload",
    summary: "Consulter une version",
    description: "Une version déposée par votre organisme : statut, fichier, et toutes ses erreurs et avertissements.",
    permission: "read:submission",
    parameters: ["id"],
    responses: {
      200: { description: "La version.", body: "Upload", headers: ["RateLimit"] },
      404: problem("Version inconnue, ou d'un autre organisme.", "not-found"),
      ...common,
    },
  },
  {
    method: "post",
    path: `${API_BASE}/uploads/{id}/submit`,
    operationId: "submitUpload",
    summary: "Transmettre une version pour validation interne",
    description:
      "Transmet la dernière version, sans erreur, pour la validation de votre institution (convention, art. 4) ; un validateur de votre organisme la valide ensuite dans le portail avant l'envoi à l'ODPE. Si la version a des avertissements, un commentaire qui les explique est obligatoire.",
    permission: "submit:submission",
    parameters: ["id"],
    requestBody: "submit",
    responses: {
      200: { description: "La version, transmise.", body: "Upload", headers: ["RateLimit"] },
      400: problem("Corps JSON illisible.", "bad-request"),
      404: problem("Version inconnue, ou d'un autre organisme.", "not-found"),
      409: problem("Version déjà transmise ou remplacée par une plus récente, campagne clôturée, ou organisme retiré de la convention.", "conflict"),
      415: problem("Corps non JSON.", "unsupported-media-type"),
      422: problem("Version avec des erreurs, ou avertissements sans commentaire.", "invalid-request"),
      401: common[401]!,
      403: common[403]!,
      429: common[429]!,
      500: common[500]!,
      503: common[503]!,
    },
  },
  {
    method: "get",
    path: `${API_BASE}/openapi.json`,
    operationId: "getOpenApiDocument",
    summary: "Ce document OpenAPI 3.1",
    description: "La description de l'API, générée à partir de ses schémas. Publique, sans jeton.",
    permission: null,
    parameters: [],
    responses: { 200: { description: "Le document OpenAPI." } },
  },
];

/** The JSON Schemas of the contract, as OpenAPI 3.1 components (JSON Schema 2020-12). */
export function componentSchemas(): Record<string, Record<string, unknown>> {
  const { schemas } = z.toJSONSchema(apiSchemas, {
    target: "draft-2020-12",
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

const ref = (id: SchemaId) => ({ $ref: `#/components/schemas/${id}` });
const xlsxSchema = { type: "string", contentMediaType: XLSX_CONTENT_TYPE };

const headerObjects = {
  Location: { Location: { description: "Adresse de la version dans l'API.", schema: { type: "string" } } },
  "Retry-After": { "Retry-After": { description: "Secondes à attendre avant de réessayer.", schema: { type: "integer", minimum: 1 } } },
  "Content-Disposition": { "Content-Disposition": { description: "attachment; filename=\"ODPE_<année>_<organisme>_modele.xlsx\"", schema: { type: "string" } } },
  RateLimit: {
    "RateLimit-Limit": { description: "Requêtes permises par minute pour ce jeton.", schema: { type: "integer" } },
    "RateLimit-Remaining": { description: "Requêtes restantes dans la minute en cours.", schema: { type: "integer" } },
    "RateLimit-Reset": { description: "Secondes avant la minute suivante.", schema: { type: "integer" } },
  },
} as const;

const parameterObjects = {
  year: {
    name: "year",
    in: "path",
    required: true,
    description: "Année de référence de la campagne, par exemple 2025.",
    schema: { type: "integer", minimum: 2000, maximum: 2200 },
  },
  id: { name: "id", in: "path", required: true, description: "Identifiant de la version.", schema: { type: "string", format: "uuid" } },
} as const;

const requestBodies = {
  workbook: {
    required: true,
    description: "Le classeur rempli : corps brut, ou multipart/form-data avec le champ « file ».",
    content: {
      [XLSX_CONTENT_TYPE]: { schema: xlsxSchema },
      "multipart/form-data": {
        schema: { type: "object", properties: { [UPLOAD_FIELD]: xlsxSchema }, required: [UPLOAD_FIELD] },
        encoding: { [UPLOAD_FIELD]: { contentType: XLSX_CONTENT_TYPE } },
      },
    },
  },
  submit: { required: false, description: "Facultatif : le commentaire de transmission.", content: { "application/json": { schema: ref("SubmitRequest") } } },
} as const;

function responseObject(status: number, spec: ApiResponseSpec) {
  const headers = Object.assign({}, ...(spec.headers ?? []).map((h) => headerObjects[h])) as Record<string, unknown>;
  const content =
    spec.body === "xlsx"
      ? { [XLSX_CONTENT_TYPE]: { schema: xlsxSchema } }
      : spec.body
        ? { [status >= 400 ? PROBLEM_CONTENT_TYPE : "application/json"]: { schema: ref(spec.body) } }
        : spec.body === undefined && status === 200
          ? { "application/json": { schema: { type: "object" } } }
          : undefined;
  const problems = spec.problems?.length ? ` Types : ${spec.problems.map((p) => problemTypeUri(p)).join(", ")}.` : "";
  return {
    description: `${spec.description}${problems}`,
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(content ? { content } : {}),
  };
}

/** The OpenAPI 3.1 document of the partner API. */
export function buildOpenApiDocument(origin?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of apiOperations) {
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      description: op.description + (op.permission ? ` Permission du jeton : ${op.permission}.` : ""),
      tags: [op.permission ? "Collecte" : "Documentation"],
      ...(op.permission ? {} : { security: [] }),
      ...(op.parameters.length ? { parameters: op.parameters.map((p) => parameterObjects[p]) } : {}),
      ...(op.requestBody ? { requestBody: requestBodies[op.requestBody] } : {}),
      responses: Object.fromEntries(
        Object.entries(op.responses)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([status, spec]) => [status, responseObject(Number(status), spec)]),
      ),
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "API du portail ODPE pour les systèmes des partenaires",
      version: "1.0.0",
      description:
        "Dépôt annuel des indicateurs (convention, art. 4) par les systèmes d'information des partenaires : campagnes, modèles Excel, dépôts, versions et transmission. " +
        "Authentification : « Authorization: Bearer <jeton> », un jeton créé par un correspondant dans « Accès API ». Erreurs au format RFC 9457 (application/problem+json), messages en français.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: origin ?? "/", description: "Ce portail" }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: "Collecte", description: "Campagnes, modèles, dépôts et transmission." },
      { name: "Documentation", description: "Ce document." },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "Jeton « odpe_… » créé par un correspondant de votre organisme (page « Accès API » du portail), montré une seule fois.",
        },
      },
      schemas: componentSchemas(),
    },
    "x-problem-types": Object.fromEntries(Object.entries(problemTypes).map(([type, p]) => [problemTypeUri(type as ProblemType), { status: p.status, title: p.title }])),
  };
}
