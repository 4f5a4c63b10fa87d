import type { OrganisationExport } from "./organisations.server";
import { jsonDownload } from "../http/results.server";

/** The export as a JSON download named after the organisation and the day. */
export function organisationDataResponse(data: OrganisationExport): Response {
  return jsonDownload(data, `donnees-${data.organisation.code}-${data.exportedAt.slice(0, 10)}.json`);
}
