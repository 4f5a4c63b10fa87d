import { strFromU8, strToU8, unzipSync } from "fflate";
import type { Executor } from "../db.server";
import type { DigestChange } from "../audit/resign.server";
import { runHeavy } from "../heavy/pool.server";
import { zipFilesSync, type ZipFilesInput } from "../storage/zip-files";
import { formatFigure, type DashboardEdition, type EditionMeta, type Figure } from "~/domain/dashboard";
import { NOT_AVAILABLE_LEGEND } from "~/domain/partial-totals";
import { missingOf } from "./xlsx.server";
import { sha256Hex } from "../storage/files.server";
import { ANCHOR_FILE_NAME, anchorDocumentSchema, anchorJson, type AuditAnchorDocument } from "../audit/anchor.server";

/**
 * The ONPE package (Art. 5: the dashboard is sent to the national
 * observatory): a zip holding the public PDF, the public XLSX and a
 * manifest.json naming the observatory, the département, the year, the
 * edition, when it was generated, and each file with its sha256; and
 * `audit-anchor.json`, a signed anchor of the audit chain written at
 * publication (ADR 024), so a copy of it leaves the portal with the package.
 * ADR 030: `valeurs.csv`, every published figure with its ND/NC code and the
 * organisations and reasons, and `LISEZMOI-ND-NC.txt`, the legend (also in
 * the manifest).
 */
export const VALUES_CSV_NAME = "valeurs.csv";
export const LEGEND_NAME = "LISEZMOI-ND-NC.txt";
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
  /** ADR 030: what ND and NC mean in the values. */
  notAvailableLegend: string[];
}

const csvCell = (v: string | number | null) => {
  const text = v === null ? "" : String(v);
  return /[";\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/**
 * ADR 030: the public edition's figures, one per line (semicolon-separated,
 * UTF-8 with BOM): a value is a number or empty with its status; ND/NC in
 * their own column with who and why — never 0 for a figure not available.
 */
export function valuesCsv(edition: DashboardEdition): string {
  const lines = [["indicateur", "libelle", "ventilation", "annee", "valeur", "affichage", "code_nd_nc", "organismes_et_motifs"].join(";")];
  const number = (f: Figure) => (f.secret || f.notAvailable || f.notApplicable || f.notComputable || f.notDefined || f.notAggregable ? null : f.value);
  for (const b of edition.sections.flatMap((s) => s.blocks)) {
    const add = (key: string, year: number, f: Figure) => {
      const { code, reasons } = missingOf(b, key, year, f);
      lines.push([b.code, b.label, key, year, number(f), formatFigure(f, b.decimals), code, reasons].map(csvCell).join(";"));
    };
    for (const p of b.trend) add("", p.year, p);
    for (const [key, f] of Object.entries(b.breakdown?.current ?? {})) add(key, edition.year, f);
    for (const [key, f] of Object.entries(b.breakdown?.previous ?? {})) add(key, edition.year - 1, f);
  }
  return "\ufeff" + lines.join("\r\n") + "\r\n";
}

export function packageBaseName(edition: Pick<DashboardEdition, "year" | "observatory">, number: number): string {
  const dep = edition.observatory.departementCode || edition.observatory.code;
  return `tableau-de-bord-${dep}-${edition.year}-edition-${number}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

export async function buildOnpePackage(input: {
  edition: DashboardEdition;
  meta: EditionMeta;
  pdf: Buffer;
  xlsx: Buffer;
  generatedAt: Date;
  /** ADR 024: the audit chain's anchor written with the package. */
  auditAnchor?: AuditAnchorDocument;
}): Promise<{ bytes: Buffer; manifest: OnpeManifest; filename: string }> {
  const { edition, meta, pdf, xlsx, generatedAt, auditAnchor } = input;
  if (edition.variant !== "public") throw new Error("The ONPE package carries the public edition only (Art. 5).");
  const base = packageBaseName(edition, meta.number);
  const files: [string, string, Buffer][] = [
    [`${base}.pdf`, "application/pdf", pdf],
    [`${base}.xlsx`, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx],
  ];
  files.push([VALUES_CSV_NAME, "text/csv; charset=utf-8", Buffer.from(valuesCsv(edition), "utf8")]);
  files.push([LEGEND_NAME, "text/plain; charset=utf-8", Buffer.from(NOT_AVAILABLE_LEGEND.join("\r\n") + "\r\n", "utf8")]);
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
    notAvailableLegend: [...NOT_AVAILABLE_LEGEND],
  };
  // Deflated in the heavy-work pool (ADR 049): 101 ms of the main thread during a publish under load.
  const bytes = await zipPackage(manifest, files.map(([name, , content]) => ({ name, bytes: content })), generatedAt, (input) => runHeavy("zipFiles", input));
  return { bytes, manifest, filename: `${base}-onpe.zip` };
}

/** The package's archive: the manifest first, then its files in its order (one layout for `buildOnpePackage` and `reanchorOnpePackage`). */
async function zipPackage(
  manifest: OnpeManifest,
  files: { name: string; bytes: Uint8Array }[],
  mtime: Date,
  zip: (input: ZipFilesInput) => Uint8Array | Promise<Uint8Array>,
): Promise<Buffer> {
  const zipped = await zip({
    files: [{ name: MANIFEST_NAME, bytes: strToU8(JSON.stringify(manifest, null, 2)) }, ...files.map(({ name, bytes }) => ({ name, bytes: new Uint8Array(bytes), level: 6 as const }))],
    mtime,
  });
  return Buffer.from(zipped.buffer, zipped.byteOffset, zipped.byteLength);
}

/**
 * A copied chain's re-signing (ADR 052, audit/resign.server.ts): the ONPE
 * package that carries `previous` (the template's anchor) gets `anchor` (the
 * same head, signed with this folder's key) and its manifest the new file's
 * size and digest; nothing else in the archive changes, which is checked by
 * reading the new archive back (same entries, same order, same bytes but the
 * anchor's). Returns the package's old and new digests.
 */
export async function reanchorOnpePackage(trx: Executor, anchor: AuditAnchorDocument, previous: AuditAnchorDocument): Promise<DigestChange[]> {
  if (previous.reason !== "onpe_package") return [];
  const packages = await trx
    .selectFrom("dashboard_edition_file as f")
    .innerJoin("stored_file as s", "s.id", "f.file_id")
    .select(["s.id", "s.content", "s.sha256"])
    .where("f.kind", "=", "onpe_package")
    .execute();
  for (const row of packages) {
    const stored = Buffer.from(row.content.buffer, row.content.byteOffset, row.content.byteLength);
    const entries = unzipSync(stored);
    const carried = entries[ANCHOR_FILE_NAME];
    if (!carried || anchorDocumentSchema.parse(JSON.parse(strFromU8(carried))).anchorId !== previous.anchorId) continue;
    if (strFromU8(carried) !== anchorJson(previous)) throw new Error(`ONPE package ${row.id}: its anchor differs from the database's anchor ${previous.anchorId}`);
    const manifest = JSON.parse(strFromU8(entries[MANIFEST_NAME]!)) as OnpeManifest;
    const text = strToU8(anchorJson(anchor));
    const next: OnpeManifest = {
      ...manifest,
      files: manifest.files.map((f) => (f.name === ANCHOR_FILE_NAME ? { ...f, size: text.byteLength, sha256: sha256Hex(Buffer.from(text)) } : f)),
    };
    // In place: a folder's making serves no request, and the pool's first thread would cost more than the deflating.
    const files = next.files.map((f) => ({ name: f.name, bytes: f.name === ANCHOR_FILE_NAME ? text : entries[f.name]! }));
    const bytes = await zipPackage(next, files, new Date(manifest.generatedAt), zipFilesSync);
    // Read back: the same entries in the same order, each byte for byte, but the anchor and its line in the manifest.
    const written = unzipSync(bytes);
    const unchanged = (name: string) => written[name] !== undefined && Buffer.from(written[name]).equals(Buffer.from(entries[name]!));
    const sameList = JSON.stringify(Object.keys(written)) === JSON.stringify(Object.keys(entries));
    if (!sameList || !Object.keys(entries).every((name) => name === ANCHOR_FILE_NAME || name === MANIFEST_NAME || unchanged(name))) {
      throw new Error(`ONPE package ${row.id}: rewriting its anchor would change something else; not rewritten`);
    }
    const sha256 = sha256Hex(bytes);
    await trx.updateTable("stored_file").set({ content: bytes, sha256, size_bytes: bytes.byteLength }).where("id", "=", row.id).execute();
    await trx.updateTable("onpe_transmission").set({ package_sha256: sha256 }).where("package_file_id", "=", row.id).execute();
    return [{ from: row.sha256, to: sha256 }];
  }
  throw new Error(`No ONPE package carries the audit anchor ${previous.anchorId}`);
}
