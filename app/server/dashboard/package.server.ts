import { zipSync, strToU8 } from "fflate";
import type { DashboardEdition, EditionMeta } from "~/domain/dashboard";
import { sha256Hex } from "../storage/files.server";
import { ANCHOR_FILE_NAME, anchorJson, type AuditAnchorDocument } from "../audit/anchor.server";

/**
 * The ONPE package (Art. 5: the dashboard is sent to the national
 * observatory): a zip holding the public PDF, the public XLSX and a
 * manifest.json naming the observatory, the département, the year, the
 * edition, when it was generated, and each file with its sha256; and
 * `audit-anchor.json`, a signed anchor of the audit chain written at
 * publication (ADR 024), so a copy of it leaves the portal with the package.
 */
export const MANIFEST_NAME = "manifest.json";
export const MANIFEST_FORMAT = "odpe-tableau-de-bord/1";

export interface ManifestFile {
  name: string;
  mediaType: string;
  size: number;
  sha256: string;
}

export interface OnpeManifest {
  format: typeof MANIFEST_FORMAT;
  observatory: { code: string; name: string };
  departement: { code: string; name: string };
  referenceYear: number;
  edition: { number: number; publishedAt: string | null; variant: "public" };
  generatedAt: string;
  isDemo: boolean;
  files: ManifestFile[];
}

export function packageBaseName(edition: Pick<DashboardEdition, "year" | "observatory">, number: number): string {
  const dep = edition.observatory.departementCode || edition.observatory.code;
  return `tableau-de-bord-${dep}-${edition.year}-edition-${number}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

export function buildOnpePackage(input: {
  edition: DashboardEdition;
  meta: EditionMeta;
  pdf: Buffer;
  xlsx: Buffer;
  generatedAt: Date;
  /** ADR 024: the audit chain's anchor written with the package. */
  auditAnchor?: AuditAnchorDocument;
}): { bytes: Buffer; manifest: OnpeManifest; filename: string } {
  const { edition, meta, pdf, xlsx, generatedAt, auditAnchor } = input;
  if (edition.variant !== "public") throw new Error("The ONPE package carries the public edition only (Art. 5).");
  const base = packageBaseName(edition, meta.number);
  const files: [string, string, Buffer][] = [
    [`${base}.pdf`, "application/pdf", pdf],
    [`${base}.xlsx`, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx],
  ];
  if (auditAnchor) files.push([ANCHOR_FILE_NAME, "application/json", Buffer.from(anchorJson(auditAnchor), "utf8")]);
  const manifest: OnpeManifest = {
    format: MANIFEST_FORMAT,
    observatory: { code: edition.observatory.code, name: edition.observatory.name },
    departement: { code: edition.observatory.departementCode, name: edition.observatory.departementName },
    referenceYear: edition.year,
    edition: { number: meta.number, publishedAt: meta.publishedAt, variant: "public" },
    generatedAt: generatedAt.toISOString(),
    isDemo: edition.observatory.isDemo,
    files: files.map(([name, mediaType, bytes]) => ({ name, mediaType, size: bytes.byteLength, sha256: sha256Hex(bytes) })),
  };
  const mtime = generatedAt;
  const zipped = zipSync(
    {
      [MANIFEST_NAME]: [strToU8(JSON.stringify(manifest, null, 2)), { mtime }],
      ...Object.fromEntries(files.map(([name, , bytes]) => [name, [new Uint8Array(bytes), { mtime, level: 6 }]])),
    },
    { mtime },
  );
  return { bytes: Buffer.from(zipped), manifest, filename: `${base}-onpe.zip` };
}
