import { apiActor, requireApiToken } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { apiHandler, yearParam } from "~/server/api/handler.server";
import { apiJson, ApiProblem } from "~/server/http/problem.server";
import { assertUploadAllowed, listUploads, uploadWorkbook, workbookErrorsProblem } from "~/server/api/partner-api.server";
import { readWorkbookRequest } from "~/server/api/upload-request.server";
import { DEFAULT_UPLOAD_LIMITS } from "~/domain/upload-errors";

/** GET /api/v1/campaigns/{year}/uploads: the organisation's versions for the campaign. */
export const loader = apiHandler(async ({ request, params }) => {
  const client = await requireApiToken(request, "read:submission");
  return apiJson(await listUploads(await getDb(), client, yearParam(params.year)));
});

/** POST /api/v1/campaigns/{year}/uploads: a filled workbook, raw or multipart `file` → 201, or 422 listing every error. */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") {
    throw new ApiProblem("method-not-allowed", { detail: `La méthode ${request.method} n'est pas permise ici : utilisez GET ou POST.`, headers: { Allow: "GET, POST" } });
  }
  const client = await requireApiToken(request, "submit:submission");
  const year = yearParam(params.year);
  const db = await getDb();
  // Refuse before reading the body when the campaign is not open to the organisation.
  await assertUploadAllowed(db, client, year);
  const file = await readWorkbookRequest(request, DEFAULT_UPLOAD_LIMITS.maxFileBytes);
  const outcome = await uploadWorkbook(db, apiActor(client, context), client, { year, ...file });
  if (outcome.kind === "stored_with_errors") throw workbookErrorsProblem(outcome.upload);
  return apiJson(outcome.upload, { status: 201, headers: { Location: outcome.upload.url } });
});
