import { XLSX_CONTENT_TYPE } from "~/domain/upload-errors";

/**
 * The headers of a partner-API upload of a yearly workbook (POST
 * /api/v1/campaigns/{year}/uploads), as a partner's script sends them:
 * bearer token, the workbook's type and its file name. Shared by the
 * benchmarks that upload through a running server (bench/load.ts,
 * bench/import-server.ts).
 */
export function apiUploadHeaders(token: string, year: number, organisationCode: string): Record<string, string> {
  return {
    Authorization: `Bearer ${token}`,
    "Content-Type": XLSX_CONTENT_TYPE,
    "Content-Disposition": `attachment; filename="ODPE_${year}_${organisationCode}.xlsx"`,
    Accept: "application/json",
  };
}
