import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { withdrawnEditionResponse } from "~/server/disclosure/withdrawn.server";
import { PUBLIC_REPORT_CACHE_CONTROL, reportArtefact } from "~/server/dashboard/report-artefacts.server";
import { artefactResponse } from "~/server/artefacts/artefacts.server";
import { requireParam } from "~/server/http/params.server";

const querySchema = z.object({ edition: z.coerce.number().int().positive().optional().catch(undefined) });

/**
 * The public edition of a published dashboard, without login (extranet,
 * Art. 5): statistical secrecy applied, internal indicators left out, every
 * contributor cited with its logo. Linked from /extranet (listPublishedEditions).
 * Served from the stored artefact (ADR 021); once stored, the HTTP layer's
 * fast path (app/server/http/artefact-route.server.ts) answers before Remix.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const year = requireParam(params, "year", "year", "Tableau de bord introuvable");
  const query = querySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  // A superseded edition withdrawn from the public site (ADR 015) answers 410; its stored page was deleted with the withdrawal.
  const withdrawn = await withdrawnEditionResponse(await getDb(), year, query.edition);
  if (withdrawn) throw withdrawn;
  const artefact = await orNotFound(async () =>
    reportArtefact(await getDb(), { year, number: query.edition, variant: "public", audience: "extranet" }),
  );
  return artefactResponse(request, artefact, PUBLIC_REPORT_CACHE_CONTROL);
}
