import { BAD_INPUT_MESSAGE, isBadInputError, logBadInput } from "./bad-input.server";
import type { AppLoadContext } from "@remix-run/node";
import { DomainError } from "../errors.server";
import { logger } from "../logger.server";
import { isDatabaseUnavailable } from "../db.server";
import { cellReference } from "~/domain/problems";
import type { ProblemItem } from "../api/contract.server";

/**
 * THE mapping from what can go wrong in an API call to an RFC 9457
 * `application/problem+json` response: guard refusals, domain errors, refused
 * uploads, and anything unexpected (a 500 that names the request id, never a
 * stack trace). Every problem `type` is an anchor of the API documentation
 * page, which explains it in French.
 */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";
export const API_DOCS_PATH = "/api/docs";

/** The kinds of problem the API answers with: status, French title, and what the docs say about it. */
export const problemTypes = {
  "bad-request": { status: 400, title: "Requête invalide", explanation: "Le corps de la requête ne peut pas être lu (JSON mal formé, champ manquant)." },
  unauthenticated: {
    status: 401,
    title: "Jeton d'accès manquant ou invalide",
    explanation: "L'en-tête « Authorization: Bearer <jeton> » est absent, ou le jeton est inconnu ou révoqué. Créez un jeton dans « Accès API ».",
  },
  forbidden: { status: 403, title: "Accès refusé", explanation: "Le jeton ne permet pas cette action pour votre organisme." },
  "not-found": {
    status: 404,
    title: "Ressource introuvable",
    explanation: "La campagne, le modèle ou la version n'existe pas, ou n'appartient pas à votre organisme.",
  },
  "method-not-allowed": { status: 405, title: "Méthode non permise", explanation: "Cette adresse n'accepte pas cette méthode HTTP (voir l'en-tête Allow)." },
  conflict: {
    status: 409,
    title: "Action impossible dans l'état actuel",
    explanation:
      "La campagne est clôturée ou pas encore ouverte, votre organisme s'est retiré de la convention (art. 7), ou la version n'est plus dans un état qui permet l'action.",
  },
  "payload-too-large": { status: 413, title: "Fichier trop volumineux", explanation: "Le fichier dépasse la taille maximale acceptée." },
  "unsupported-media-type": {
    status: 415,
    title: "Format non accepté",
    explanation: "Le corps n'est pas un classeur Excel .xlsx (ni envoyé brut, ni dans le champ multipart « file »), ou le fichier n'en est pas un, quel que soit son nom.",
  },
  "invalid-request": {
    status: 422,
    title: "Demande impossible à traiter",
    explanation: "Une règle n'est pas respectée : par exemple transmettre une version qui contient des erreurs, ou sans commentaire alors qu'elle a des avertissements.",
  },
  "workbook-refused": {
    status: 422,
    title: "Fichier refusé",
    explanation:
      "Le fichier n'est pas le modèle attendu (autre organisme, autre année, modèle périmé ou modifié) ou son contenu est dangereux : aucune version n'est créée ; `errors` dit pourquoi.",
  },
  "workbook-errors": {
    status: 422,
    title: "Le fichier contient des erreurs",
    explanation:
      "Le fichier a été conservé comme version brouillon, mais il contient des erreurs, toutes listées dans `errors` (feuille, cellule, indicateur) : corrigez-les et déposez le fichier de nouveau.",
  },
  "rate-limited": {
    status: 429,
    title: "Trop de requêtes",
    explanation: "Le jeton a dépassé le nombre de requêtes permis par minute : attendez le nombre de secondes indiqué par l'en-tête Retry-After.",
  },
  internal: {
    status: 500,
    title: "Erreur interne",
    explanation: "Une erreur inattendue s'est produite. Transmettez la valeur de `requestId` au référent de l'ODPE.",
  },
  unavailable: {
    status: 503,
    title: "Service momentanément indisponible",
    explanation:
      "Le portail ne peut pas traiter la requête pour le moment (base de données injoignable pendant une maintenance, un redémarrage ou un incident ; ou traitement d'un classeur trop long ou trop gourmand en mémoire) : la requête n'a pas abouti. Réessayez après le nombre de secondes indiqué par l'en-tête Retry-After ; avant de déposer de nouveau un fichier, listez vos versions (un dépôt dont la réponse s'est perdue au moment de la panne peut avoir été enregistré).",
  },
} as const satisfies Record<string, { status: number; title: string; explanation: string }>;
export type ProblemType = keyof typeof problemTypes;

export const problemTypeUri = (type: ProblemType) => `${API_DOCS_PATH}#${type}`;

export interface ProblemOptions {
  detail: string;
  title?: string;
  errors?: ProblemItem[];
  headers?: Record<string, string>;
  /** Extension members (RFC 9457 §3.2). */
  extra?: Record<string, unknown>;
}

/** A refusal raised on purpose by the API layer (bad body, wrong media type, too large…). */
export class ApiProblem extends Error {
  readonly status: number;
  constructor(
    readonly type: ProblemType,
    readonly options: ProblemOptions,
  ) {
    super(options.detail);
    this.name = "ApiProblem";
    this.status = problemTypes[type].status;
  }
}

export function problemResponse(type: ProblemType, options: ProblemOptions, context?: Pick<AppLoadContext, "requestId">): Response {
  const { status, title } = problemTypes[type];
  const body = {
    type: problemTypeUri(type),
    title: options.title ?? title,
    status,
    detail: options.detail,
    ...(options.errors ? { errors: options.errors } : {}),
    ...options.extra,
    ...(context?.requestId ? { requestId: context.requestId } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, "Cache-Control": "no-store", ...options.headers },
  });
}

const domainTypes: Record<DomainError["code"], ProblemType> = {
  validation: "invalid-request",
  not_found: "not-found",
  forbidden: "forbidden",
  conflict: "conflict",
  throttled: "rate-limited",
  unauthenticated: "unauthenticated",
  too_large: "payload-too-large",
  unavailable: "unavailable",
};

/** What the upload guard and the bounded reader say when they refuse a file (see app/domain/upload-errors.ts). */
export interface RefusalLike {
  code: string;
  status: number;
  title: string;
  message: string;
  sheet?: string;
  cell?: string;
}

/** A refused upload (upload guard or bounded reader) as a problem: 413, 415 or 422, no version created. */
export function uploadRefusalProblem(refusal: RefusalLike, extra: Record<string, unknown> = {}): ApiProblem {
  const type: ProblemType = refusal.status === 413 ? "payload-too-large" : refusal.status === 415 ? "unsupported-media-type" : "workbook-refused";
  return new ApiProblem(type, {
    title: refusal.title,
    detail: refusal.message,
    extra: { code: refusal.code, ...extra },
    ...(type === "workbook-refused"
      ? {
          errors: [
            {
              code: refusal.code,
              sheet: refusal.sheet ?? null,
              cell: refusal.cell ?? null,
              ref: refusal.sheet !== undefined ? cellReference({ sheet: refusal.sheet, cell: refusal.cell ?? null }) : null,
              indicator: null,
              indicatorLabel: null,
              message: refusal.message,
              hint: null,
            },
          ],
        }
      : {}),
  });
}

/**
 * Turns anything thrown by an API handler into the response to send:
 * responses (already problems, from the guards) pass through; the rest is mapped here.
 */
export function toProblemResponse(error: unknown, context?: Pick<AppLoadContext, "requestId">): Response {
  if (error instanceof Response) return error;
  if (error instanceof ApiProblem) return problemResponse(error.type, error.options, context);
  if (error instanceof DomainError) {
    const fieldErrors = Object.keys(error.fieldErrors).length ? { fieldErrors: error.fieldErrors } : {};
    return problemResponse(domainTypes[error.code], { detail: error.message, headers: error.headers, extra: fieldErrors }, context);
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailableProblem(error, context);
  if (isBadInputError(error)) {
    logBadInput(error, context?.requestId, "/api/");
    return problemResponse("bad-request", { detail: BAD_INPUT_MESSAGE }, context);
  }
  logger.error({ err: error, requestId: context?.requestId }, "api: unexpected error");
  return problemResponse(
    "internal",
    { detail: "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, transmettez l'identifiant de requête (requestId) au référent de l'ODPE." },
    context,
  );
}

/** Seconds a client is asked to wait (Retry-After) while the database is unreachable. */
export const OUTAGE_RETRY_AFTER_SECONDS = 30;
export const OUTAGE_MESSAGE =
  "Le portail ne peut pas joindre sa base de données pour le moment (maintenance ou incident) : votre demande n'a pas abouti. Réessayez dans quelques instants, en vérifiant d'abord si votre dernier envoi apparaît ; si cela dure, prévenez le référent de l'ODPE.";

/** The database cannot be reached: 503, nothing stored, retry later (logged as a warning with the request id). */
export function databaseUnavailableProblem(error: unknown, context?: Pick<AppLoadContext, "requestId">): Response {
  logDatabaseUnavailable(error, context?.requestId);
  return problemResponse("unavailable", { detail: OUTAGE_MESSAGE, headers: { "Retry-After": String(OUTAGE_RETRY_AFTER_SECONDS) } }, context);
}

export function logDatabaseUnavailable(error: unknown, requestId: string | undefined) {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  logger.warn({ requestId, err: { message: typeof message === "string" ? message : String(error), code } }, "database unavailable: answered 503");
}

/** JSON success body, never cached (answers depend on the token). */
export function apiJson(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...init.headers },
  });
}
