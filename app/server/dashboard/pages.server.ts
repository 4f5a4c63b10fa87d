import type { Db } from "../db.server";
import { notFound } from "../errors.server";
import { editionFileLabels, editionFileSlugs, type EditionFileKind, type EditionVariant } from "~/domain/dashboard";
import { formatDate } from "~/domain/format";
import { EXTRANET_BASE, findPublishedEdition, loadSnapshot } from "./editions.server";
import { renderReportHtml } from "./render.server";
import type { ReportDocumentPage } from "./document.server";

/**
 * What the report pages show, for the members (/dashboard/…) and the public
 * extranet (/extranet/tableau-de-bord/…): the frozen edition's HTML
 * (rendered once), its downloads, the other editions of the year, links.
 */
export type ReportAudience = "members" | "extranet";

export const MEMBERS_LOGO_BASE = "/dashboard/logos/";
export const EXTRANET_LOGO_BASE = `${EXTRANET_BASE}/logos/`;

export const editionFileUrl = (editionId: string, kind: EditionFileKind) => `/dashboard/editions/${editionId}/fichiers/${editionFileSlugs[kind]}`;

export interface ReportPageInput {
  year: number;
  number?: number;
  variant: EditionVariant;
  audience: ReportAudience;
  /** Members who may read both editions get a link to the other one. */
  canSwitch?: boolean;
  canManage?: boolean;
}

export async function publishedReportPage(db: Db, input: ReportPageInput): Promise<{ variant: EditionVariant; editionId: string; number: number; document: ReportDocumentPage }> {
  const found = await findPublishedEdition(db, input.year, input.number);
  if (!found) throw notFound(input.number ? `L'édition n° ${input.number} du tableau de bord ${input.year}` : `Le tableau de bord ${input.year}`);
  const { row, meta, editionsOfYear } = found;
  const extranet = input.audience === "extranet";
  const variant: EditionVariant = extranet ? "public" : input.variant;
  const edition = await loadSnapshot(db, row.id, variant);
  const html = renderReportHtml(edition, meta, {
    logoBase: extranet ? EXTRANET_LOGO_BASE : MEMBERS_LOGO_BASE,
    // Frozen content; the transmission date and a later correction are part of what is shown.
    cacheKey: `${row.id}|${meta.transmittedOn ?? ""}|${meta.supersededAt ?? ""}`,
  });
  const base = extranet ? `${EXTRANET_BASE}/${row.reference_year}` : `/dashboard/${row.reference_year}`;
  const kinds: EditionFileKind[] = variant === "internal" ? ["pdf_internal", "xlsx_internal"] : ["pdf_public", "xlsx_public"];
  const latest = editionsOfYear[0]?.number ?? row.number;
  const other = variant === "internal" ? "publique" : "interne";
  return {
    variant,
    editionId: row.id,
    number: row.number,
    document: {
      title: `Tableau de bord ${row.reference_year} — ${edition.observatory.label}`,
      home: extranet ? { href: "/extranet", label: `${edition.observatory.label} — extranet` } : { href: "/", label: `${edition.observatory.label} — portail` },
      isDemo: edition.observatory.isDemo,
      links: extranet
        ? [{ href: "/extranet", label: "← Extranet de l'observatoire" }]
        : [
            { href: "/dashboard", label: "← Tableau de bord annuel" },
            ...(input.canSwitch ? [{ href: `${base}?edition=${row.number}&vue=${other}`, label: `Voir l'édition ${other}` }] : []),
            ...(input.canManage ? [{ href: `/dashboard/editions/${row.id}`, label: "Gérer cette édition" }] : []),
          ],
      downloads: kinds.map((kind) => ({
        href: extranet ? `${EXTRANET_BASE}/${row.reference_year}/${row.number}/${editionFileSlugs[kind]}` : editionFileUrl(row.id, kind),
        label: `Télécharger : ${editionFileLabels[kind].replace(/^Rapport PDF/, "PDF").replace(/^Classeur Excel/, "Excel")}`,
      })),
      editions: editionsOfYear.map((e) => ({
        href: `${base}?edition=${e.number}${!extranet && variant === "public" && input.canSwitch ? "&vue=publique" : ""}`,
        label: `n° ${e.number} (${formatDate(e.publishedAt)})`,
        current: e.number === row.number,
      })),
      notice: meta.supersededAt
        ? { text: `Cette édition a été remplacée le ${formatDate(meta.supersededAt)} par une édition corrigée :`, href: base, linkText: `lire l'édition n° ${latest}` }
        : null,
      html,
    },
  };
}
