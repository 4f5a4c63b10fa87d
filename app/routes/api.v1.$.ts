import { problemResponse } from "~/server/http/problem.server";
import type { AppLoadContext } from "@remix-run/node";

/** Any other address under /api/v1: a 404 problem (JSON), not the HTML page. */
const notFound = async ({ request, context }: { request: Request; context: AppLoadContext }) =>
  problemResponse(
    "not-found",
    { detail: `Aucune ressource à l'adresse ${new URL(request.url).pathname} : voir la documentation de l'API (/api/docs).` },
    context,
  );

export const loader = notFound;
export const action = notFound;
