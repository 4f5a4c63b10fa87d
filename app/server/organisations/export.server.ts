import type { OrganisationExport } from "./organisations.server";

/** The export as a JSON download named after the organisation and the day. */
export function organisationDataResponse(data: OrganisationExport): Response {
  const day = data.exportedAt.slice(0, 10);
  return new Response(JSON.stringify(data, null, 2), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="donnees-${data.organisation.code}-${day}.json"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
