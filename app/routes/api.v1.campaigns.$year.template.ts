import { requireApiToken } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { apiHandler, methodNotAllowed, yearParam } from "~/server/api/handler.server";
import { templateFor } from "~/server/api/partner-api.server";

/** GET /api/v1/campaigns/{year}/template: the organisation's workbook to fill in. */
export const loader = apiHandler(async ({ request, params }) => {
  const client = await requireApiToken(request, "read:campaign");
  const template = await templateFor(await getDb(), client, yearParam(params.year));
  return new Response(new Uint8Array(template.bytes), {
    headers: {
      "Content-Type": template.contentType,
      "Content-Disposition": `attachment; filename="${template.filename}"`,
      "Content-Length": String(template.bytes.byteLength),
      "Cache-Control": "no-store",
    },
  });
});

export const action = methodNotAllowed(["GET"]);
