import type { LoaderFunctionArgs } from "@remix-run/node";
import { buildOpenApiDocument } from "~/server/api/openapi.server";

/** GET /api/v1/openapi.json: the OpenAPI 3.1 document, generated from the zod schemas. Public. */
export async function loader({ request }: LoaderFunctionArgs) {
  return Response.json(buildOpenApiDocument(new URL(request.url).origin), {
    headers: { "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*" },
  });
}
