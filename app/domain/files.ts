/**
 * Upload limits and accepted formats, shared by the forms (the `accept`
 * attribute, hints) and the server, which checks the bytes themselves.
 */
export const LOGO_MAX_BYTES = 1024 * 1024;
/** Logos: raster images only. SVG is refused: it can carry scripts. */
export const LOGO_CONTENT_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
export type LogoContentType = (typeof LOGO_CONTENT_TYPES)[number];
export const LOGO_ACCEPT = LOGO_CONTENT_TYPES.join(",");

/** Signed conventions, amendments and agreements: PDF only. */
export const DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;
export const DOCUMENT_ACCEPT = "application/pdf";

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} Ko`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(".", ",")} Mo`;
}
