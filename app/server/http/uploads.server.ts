import { DOCUMENT_MAX_BYTES, LOGO_MAX_BYTES, formatBytes, type LogoContentType } from "~/domain/files";
import { DomainError } from "../errors.server";
import { readMultipart } from "./body.server";

/**
 * Reading uploaded files. The browser's file name and declared type are
 * never trusted: the server reads the bytes (magic numbers) and the size.
 */

/**
 * Parses a form that may carry files (the one multipart reader, body.server.ts),
 * refusing a file above `maxPartBytes` with a French message on its field.
 * File names keep what the user gave them (`;`, `=`, accents, RFC 5987 `filename*`).
 */
export async function readUploadForm(request: Request, maxPartBytes: number): Promise<FormData> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) return request.formData();
  const tooLargeMessage = `Le fichier dépasse la taille autorisée (${formatBytes(maxPartBytes)} au plus) : réduisez-le puis réessayez.`;
  const content = await readMultipart(request, {
    maxFileBytes: maxPartBytes,
    tooLarge: (_limit, field) => new DomainError("too_large", tooLargeMessage, field ? { [field]: [tooLargeMessage] } : {}, { Connection: "close" }),
    unreadable: () =>
      new DomainError("validation", "Le formulaire envoyé est illisible (envoi interrompu ou mal formé) : rechargez la page, choisissez de nouveau le fichier puis réessayez."),
  });
  const form = new FormData();
  for (const [name, value] of content.fields) form.append(name, value);
  for (const file of content.files) {
    form.append(file.field, new File([file.bytes], file.filename, file.contentType ? { type: file.contentType } : {}));
  }
  return form;
}

export interface Upload {
  field: string;
  filename: string;
  bytes: Uint8Array;
}

/** The file sent in `field`, or null when the user chose none. */
export async function uploadedFile(form: FormData, field: string): Promise<Upload | null> {
  const value = form.get(field);
  if (!value || typeof value === "string") return null;
  const file = value as File;
  if (file.size === 0 && !file.name) return null;
  return { field, filename: file.name || "fichier", bytes: new Uint8Array(await file.arrayBuffer()) };
}

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** The image type told by the file's first bytes, or null when it is not PNG, JPEG or WebP. */
export function sniffImageType(bytes: Uint8Array): LogoContentType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return null;
}

export const isPdf = (bytes: Uint8Array) => startsWith(bytes, ascii("%PDF-"));

function looksLikeSvg(upload: Upload): boolean {
  const head = new TextDecoder("utf-8", { fatal: false }).decode(upload.bytes.subarray(0, 1024)).toLowerCase();
  return upload.filename.toLowerCase().endsWith(".svg") || head.includes("<svg") || head.trimStart().startsWith("<?xml");
}

const refuse = (field: string, message: string) => new DomainError("validation", message, { [field]: [message] });

/** A logo: PNG, JPEG or WebP as told by its bytes, 1 Mo at most. SVG is refused (it can carry scripts). */
export function checkLogo(upload: Upload): { contentType: LogoContentType } {
  if (upload.bytes.byteLength === 0) throw refuse(upload.field, "Le fichier est vide.");
  if (upload.bytes.byteLength > LOGO_MAX_BYTES) {
    throw refuse(upload.field, `Le logo pèse ${formatBytes(upload.bytes.byteLength)} : ${formatBytes(LOGO_MAX_BYTES)} au plus. Réduisez l'image puis réessayez.`);
  }
  const contentType = sniffImageType(upload.bytes);
  if (!contentType) {
    throw refuse(
      upload.field,
      looksLikeSvg(upload)
        ? "Les logos SVG sont refusés (ils peuvent contenir du code) : envoyez un PNG, un JPEG ou un WebP."
        : "Ce fichier n'est pas une image PNG, JPEG ou WebP : envoyez le logo dans l'un de ces formats.",
    );
  }
  return { contentType };
}

/** A signed document: a PDF as told by its bytes, 10 Mo at most. */
export function checkPdf(upload: Upload): { contentType: "application/pdf" } {
  if (upload.bytes.byteLength > DOCUMENT_MAX_BYTES) {
    throw refuse(upload.field, `Le document pèse ${formatBytes(upload.bytes.byteLength)} : ${formatBytes(DOCUMENT_MAX_BYTES)} au plus.`);
  }
  if (!isPdf(upload.bytes)) throw refuse(upload.field, "Ce fichier n'est pas un PDF : envoyez la version PDF du document signé.");
  return { contentType: "application/pdf" };
}
