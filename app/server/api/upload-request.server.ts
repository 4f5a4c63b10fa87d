import { ApiProblem, uploadRefusalProblem } from "../http/problem.server";
import { readBodyCapped, readMultipartFile } from "../http/body.server";
import { sanitizeFilename } from "../storage/files.server";
import { uploadRefusal, XLSX_CONTENT_TYPE } from "~/domain/upload-errors";

/** The multipart field that carries the workbook. */
export const UPLOAD_FIELD = "file";

export interface ReceivedWorkbook {
  filename: string;
  bytes: Uint8Array;
  /** The declared type of the file (the upload guard refuses a macro-enabled one on that alone; the bytes decide the rest). */
  contentType: string | null;
}

/** `filename` of a `Content-Disposition: attachment; filename="…"` header, if any. */
function dispositionFilename(header: string | null): string {
  const match = header ? /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header) : null;
  if (!match?.[1]) return "";
  try {
    return sanitizeFilename(decodeURIComponent(match[1]), "");
  } catch {
    return sanitizeFilename(match[1], "");
  }
}

/**
 * The workbook of an upload request, read within `maxBytes`: either the raw
 * body (Content-Type of an .xlsx, or application/octet-stream) or the
 * multipart field `file`. Whatever the declared type, the upload guard
 * then decides from the bytes.
 */
export async function readWorkbookRequest(request: Request, maxBytes: number): Promise<ReceivedWorkbook> {
  const type = (request.headers.get("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "multipart/form-data") {
    const file = await readMultipartFile(request, UPLOAD_FIELD, maxBytes, (limit) => tooLarge(limit, null));
    if (!file) {
      throw new ApiProblem("bad-request", { detail: `Aucun fichier dans la requête : envoyez le classeur dans le champ multipart « ${UPLOAD_FIELD} ».` });
    }
    return { filename: sanitizeFilename(file.filename, ""), bytes: file.bytes, contentType: file.contentType };
  }
  if (type === XLSX_CONTENT_TYPE || type === "application/octet-stream") {
    const filename = dispositionFilename(request.headers.get("Content-Disposition"));
    const bytes = await readBodyCapped(request, maxBytes, (limit) => tooLarge(limit, filename));
    return { filename, bytes, contentType: type };
  }
  throw new ApiProblem("unsupported-media-type", {
    detail: `Type de contenu « ${type || "absent"} » non accepté : envoyez le classeur brut avec « Content-Type: ${XLSX_CONTENT_TYPE} », ou en multipart/form-data dans le champ « ${UPLOAD_FIELD} ».`,
  });
}

/** The upload guard's own 413 message, for a body stopped at the limit before the guard could see it. */
const tooLarge = (limit: number, filename: string | null) =>
  uploadRefusalProblem(uploadRefusal("file_too_large", { limit }, { filename }), { limitBytes: limit });
