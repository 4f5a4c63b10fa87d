import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { handleWebUpload } from "~/server/collection/web.server";
import { pageNotFound } from "~/server/http/params.server";

/** The drag-and-drop endpoint (JSON, with upload progress in the browser). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { outcome } = await handleWebUpload(request, context, params);
  if (!(request.headers.get("Accept") ?? "").includes("application/json")) {
    return redirect(`/collection/${params.year}/${params.org}${outcome.number ? `?version=${outcome.number}` : ""}`);
  }
  const { headers, ...body } = outcome;
  return Response.json(body, { status: outcome.ok ? 201 : outcome.status, ...(headers ? { headers } : {}) });
}

export async function loader() {
  throw pageNotFound("Page introuvable");
}
