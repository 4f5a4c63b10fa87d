import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { publishedReportPage } from "~/server/dashboard/pages.server";
import { reportDocumentResponse } from "~/server/dashboard/document.server";
import { withdrawnEditionResponse } from "~/server/disclosure/withdrawn.server";

const paramsSchema = z.object({ year: z.coerce.number().int().min(2000).max(2200) });
const querySchema = z.object({ edition: z.coerce.number().int().positive().optional().catch(undefined) });

/**
 * The public edition of a published dashboard, without login (extranet,
 * Art. 5): statistical secrecy applied, internal indicators left out, every
 * contributor cited with its logo. Linked from /extranet (listPublishedEditions).
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const parsed = paramsSchema.safeParse(params);
  if (!parsed.success) throw new Response("Tableau de bord introuvable", { status: 404 });
  const query = querySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const withdrawn = await withdrawnEditionResponse(await getDb(), parsed.data.year, query.edition);
  if (withdrawn) throw withdrawn;
  const page = await orNotFound(async () =>
    publishedReportPage(await getDb(), { year: parsed.data.year, number: query.edition, variant: "public", audience: "extranet" }),
  );
  return reportDocumentResponse(request, page.document, { cacheControl: "public, max-age=300" });
}
