import type { AppLoadContext } from "@remix-run/node";
import { apiRateHeaders, rememberClientIp } from "../auth/authorize.server";
import { ApiProblem, problemResponse, toProblemResponse } from "../http/problem.server";

interface HandlerArgs {
  request: Request;
  params: Record<string, string | undefined>;
  context: AppLoadContext;
}

/**
 * Wraps an API loader or action: whatever it throws becomes a problem
 * response through the one mapper, and every answer to a token carries its
 * rate-limit headers. Routes export `loader = apiHandler(async (args) => …)`.
 */
export function apiHandler(handler: (args: HandlerArgs) => Promise<Response>) {
  return async (args: HandlerArgs): Promise<Response> => {
    let response: Response;
    rememberClientIp(args.request, args.context?.ip);
    try {
      response = await handler(args);
    } catch (error) {
      response = toProblemResponse(error, args.context);
    }
    for (const [name, value] of Object.entries(apiRateHeaders(args.request))) {
      if (!response.headers.has(name)) response.headers.set(name, value);
    }
    return response;
  };
}

/** For an API route without an action (or loader): 405 naming the methods it has. */
export function methodNotAllowed(allowed: readonly string[]) {
  return async ({ request, context }: HandlerArgs): Promise<Response> =>
    problemResponse(
      "method-not-allowed",
      { detail: `La méthode ${request.method} n'est pas permise ici : utilisez ${allowed.join(" ou ")}.`, headers: { Allow: allowed.join(", ") } },
      context,
    );
}

/** A `{year}` path parameter: a four-digit reference year, or 404. */
export function yearParam(value: string | undefined): number {
  const year = Number(value);
  if (!value || !/^\d{4}$/.test(value) || year < 2000 || year > 2200) {
    throw new ApiProblem("not-found", { detail: `Aucune campagne pour l'année « ${value ?? ""} » : indiquez une année sur quatre chiffres, par exemple 2025.` });
  }
  return year;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An `{id}` path parameter: a version id (uuid), or 404. */
export function uploadIdParam(value: string | undefined): string {
  if (!value || !UUID.test(value)) throw new ApiProblem("not-found", { detail: "Cette version n'existe pas ou n'appartient pas à votre organisme." });
  return value.toLowerCase();
}
