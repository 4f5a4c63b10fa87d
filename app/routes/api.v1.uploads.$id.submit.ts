import { apiActor, requireApiToken } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { apiHandler, methodNotAllowed, uploadIdParam } from "~/server/api/handler.server";
import { apiJson, ApiProblem } from "~/server/http/problem.server";
import { readJsonBody } from "~/server/http/body.server";
import { submitUpload } from "~/server/api/partner-api.server";
import { SubmitRequest } from "~/server/api/contract.server";

/** POST /api/v1/uploads/{id}/submit: transmits the version for the institution's validation (Art. 4). */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") {
    throw new ApiProblem("method-not-allowed", { detail: `La méthode ${request.method} n'est pas permise ici : utilisez POST.`, headers: { Allow: "POST" } });
  }
  const client = await requireApiToken(request, "submit:submission");
  const id = uploadIdParam(params.id);
  const body = SubmitRequest.safeParse(await readJsonBody(request));
  if (!body.success) {
    throw new ApiProblem("bad-request", {
      detail: "Corps invalide : envoyez au plus {\"comment\": \"…\"} (texte de 10 000 caractères au plus).",
      extra: { fieldErrors: { comment: body.error.issues.map((i) => i.message) } },
    });
  }
  const upload = await submitUpload(await getDb(), apiActor(client, context), client, id, body.data.comment ?? null);
  return apiJson(upload);
});

export const loader = methodNotAllowed(["POST"]);
