import type { AppLoadContext } from "@remix-run/node";
import { actorOf, requirePermission, requireUser, type CurrentUser } from "../auth/authorize.server";
import { getDb } from "../runtime.server";
import { DomainError, notFound } from "../errors.server";
import { pageNotFound, requireParam } from "../http/params.server";
import { readUploadForm, uploadedFile } from "../http/uploads.server";
import { receiveUpload } from "./submissions.server";
import { DEFAULT_UPLOAD_LIMITS } from "~/domain/upload-errors";
import type { Problem } from "~/domain/problems";

export const UPLOAD_MAX_BYTES = DEFAULT_UPLOAD_LIMITS.maxFileBytes;

export interface WebUploadOutcome {
  ok: boolean;
  status: number;
  message: string;
  number?: number;
  problems: Problem[];
  /** Response headers, e.g. Retry-After when the server could not process the file now (503). */
  headers?: Record<string, string>;
}

/**
 * Resolves `/collection/:year/:org` parameters to a year and an organisation
 * id. Unknown ones throw the 404 page (a Response: these run outside the
 * routes' form-error handling, where a DomainError would become a 500).
 */
export async function resolveDossierParams(request: Request, params: { year?: string; org?: string }) {
  // Who asks first: an anonymous visitor learns nothing of which dossiers exist.
  await requireUser(request);
  const dossierNotFound = () => pageNotFound(notFound("Ce dossier").message);
  const year = requireParam(params, "year", "year", notFound("Ce dossier").message);
  if (!params.org) throw dossierNotFound();
  const db = await getDb();
  const org = await db.selectFrom("organisation").select(["id", "code", "name"]).where("code", "=", params.org).executeTakeFirst();
  if (!org) throw dossierNotFound();
  return { year, org };
}

/**
 * The web upload (page form or drag-and-drop endpoint): permission for the
 * organisation, size-capped multipart read, the upload guard, then the use
 * case. Every outcome is a French message; refusals leave only an audit event.
 */
export async function handleWebUpload(request: Request, context: AppLoadContext, params: { year?: string; org?: string }): Promise<{ user: CurrentUser; outcome: WebUploadOutcome }> {
  const { year, org } = await resolveDossierParams(request, params);
  const user = await requirePermission(request, "submit:submission", org.id);
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await readUploadForm(request, UPLOAD_MAX_BYTES);
    const file = await uploadedFile(form, "file");
    if (!file) throw new DomainError("validation", "Aucun fichier reçu : choisissez votre classeur Excel puis déposez-le.");
    const result = await receiveUpload(db, actor, {
      year,
      organisationId: org.id,
      uploadedBy: user.id,
      via: "web",
      filename: file.filename,
      bytes: file.bytes,
    });
    if (result.kind === "refused") {
      return { user, outcome: { ok: false, status: result.refusal.status, message: `${result.refusal.message} Aucune version n'est créée : les fichiers déjà déposés restent inchangés.`, problems: [] } };
    }
    if (result.kind === "rejected") {
      return {
        user,
        outcome: { ok: false, status: 422, message: `Fichier refusé : ${result.problems[0]?.message ?? "structure non reconnue"}`, problems: result.problems },
      };
    }
    const message =
      result.errors > 0
        ? `Version ${result.number} enregistrée avec ${result.errors} erreur(s) et ${result.warnings} avertissement(s) : corrigez-les toutes (tableau ci-dessous ou classeur annoté) puis déposez de nouveau.`
        : result.warnings > 0
          ? `Version ${result.number} enregistrée sans erreur, avec ${result.warnings} avertissement(s) : expliquez-les en commentaire pour la transmettre.`
          : `Version ${result.number} enregistrée sans erreur : vous pouvez la transmettre pour validation.`;
    return { user, outcome: { ok: true, status: 201, message, number: result.number, problems: result.problems } };
  } catch (error) {
    if (error instanceof DomainError) return { user, outcome: { ok: false, status: error.status, message: error.message, problems: [], headers: error.headers } };
    throw error;
  }
}
