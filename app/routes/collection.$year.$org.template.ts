import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { resolveDossierParams } from "~/server/collection/web.server";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate, templateFilename } from "~/server/collection/template.server";
import { XLSX_CONTENT_TYPE } from "~/server/collection/submissions.server";
import { DomainError } from "~/server/errors.server";
import { getObservatoryContact } from "~/server/observatory/observatory.server";

/** The organisation's workbook for the campaign (Art. 4). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { year, org } = await resolveDossierParams(request, params);
  await requirePermission(request, "read:submission", org.id);
  const db = await getDb();
  try {
    const plan = await buildCollectionPlan(db, year, org.id);
    const contact = await getObservatoryContact(db);
    const bytes = await buildTemplate(plan, contact);
    return new Response(new Uint8Array(bytes), {
      headers: {
        "Content-Type": XLSX_CONTENT_TYPE,
        "Content-Disposition": `attachment; filename="${templateFilename(plan)}"`,
        "Cache-Control": "private, no-store",
      },
    });
  } catch (error) {
    if (error instanceof DomainError) throw new Response(error.message, { status: error.status });
    throw error;
  }
}
