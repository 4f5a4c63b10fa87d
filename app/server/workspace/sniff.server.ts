import { DomainError } from "../errors.server";
import { isPdf, sniffImageType, type Upload } from "../http/uploads.server";
import { formatBytes } from "~/domain/files";
import { WORKSPACE_MAX_BYTES, workspaceContentTypes, type WorkspaceContentType } from "~/domain/workspace";

/**
 * The type of a workspace document, told by its bytes (never by the name or
 * the browser's declared type): PDF, images, Office Open XML and OpenDocument
 * (zip archives recognised by their entries), legacy Office (OLE compound
 * file, disambiguated by the extension). Macro-enabled files are refused.
 */

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

const ZIP_LOCAL = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Entry names of a zip archive, read from its central directory (no decompression). Null when malformed. */
export function zipEntryNames(bytes: Uint8Array): string[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  const stop = Math.max(0, bytes.length - 0xffff - 22);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= stop; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  const names: string[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: false });
  for (let n = 0; n < count; n++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== 0x02014b50) return null;
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    if (offset + 46 + nameLength > bytes.length) return null;
    names.push(decoder.decode(bytes.subarray(offset + 46, offset + 46 + nameLength)));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

const refuse = (field: string, message: string) => new DomainError("validation", message, { [field]: [message] });

function sniffZip(bytes: Uint8Array, field: string): WorkspaceContentType | null {
  const names = zipEntryNames(bytes);
  if (!names) return null;
  if (names.some((n) => /vbaProject\.bin$/i.test(n) || /^Basic\//.test(n))) {
    throw refuse(field, "Les documents contenant des macros sont refusés : enregistrez-le sans macros (.docx, .xlsx, .pptx, PDF) puis réessayez.");
  }
  // OpenDocument: a first, uncompressed entry named "mimetype" holding the type.
  if (startsWith(bytes, ascii("mimetype"), 30)) {
    const head = new TextDecoder("ascii").decode(bytes.subarray(38, 38 + 60));
    for (const type of ["application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.presentation"] as const) {
      if (head.startsWith(type)) return type;
    }
    return null;
  }
  if (!names.includes("[Content_Types].xml")) return null;
  if (names.includes("word/document.xml")) return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (names.includes("xl/workbook.xml")) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  if (names.includes("ppt/presentation.xml")) return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  return null;
}

const legacyByExtension: Record<string, WorkspaceContentType> = {
  doc: "application/msword",
  xls: "application/vnd.ms-excel",
  ppt: "application/vnd.ms-powerpoint",
};

/** Checks a workspace upload: not empty, within the size cap, of an accepted type as told by its bytes. */
export function checkWorkspaceFile(upload: Upload): { contentType: WorkspaceContentType; label: string } {
  const size = upload.bytes.byteLength;
  if (size === 0) throw refuse(upload.field, "Le fichier est vide.");
  if (size > WORKSPACE_MAX_BYTES) {
    throw refuse(
      upload.field,
      `Le fichier dépasse la taille autorisée (${formatBytes(WORKSPACE_MAX_BYTES)} au plus ; il pèse ${formatBytes(size)}). Réduisez-le (PDF compressé, images allégées) puis réessayez.`,
    );
  }
  let type: WorkspaceContentType | null = null;
  if (isPdf(upload.bytes)) type = "application/pdf";
  else if (sniffImageType(upload.bytes)) type = sniffImageType(upload.bytes);
  else if (startsWith(upload.bytes, ZIP_LOCAL)) type = sniffZip(upload.bytes, upload.field);
  else if (startsWith(upload.bytes, OLE)) {
    const extension = upload.filename.toLowerCase().split(".").pop() ?? "";
    type = legacyByExtension[extension] ?? null;
  }
  if (!type) {
    throw refuse(
      upload.field,
      "Ce type de fichier n'est pas accepté dans l'espace de travail : envoyez un PDF, un document Word, Excel, PowerPoint ou OpenDocument, ou une image PNG, JPEG ou WebP.",
    );
  }
  return { contentType: type, label: workspaceContentTypes[type] };
}
