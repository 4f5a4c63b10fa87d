import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";
import type { PublicationContent } from "./content.server";
import { publicationSourcesLine } from "./lineage.server";
import { buildTable, chartSpec, maskTable, snapshotSources, sourcesLine, unmaskedTable, type ChartSpec, type PublishedTable } from "~/domain/explorer";
import type { LineageSource } from "~/domain/publications";

/**
 * Rendering a publication. Markdown becomes HTML through `marked` and is then
 * sanitised with an allow-list (no raw HTML, scripts, styles, images or
 * event handlers survive; links only to http(s) and mail). Frozen items are
 * rebuilt from their snapshot; for anything external, statistical secrecy
 * is applied here, at the gate, so true small counts never leave the server.
 */
const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

// Raw HTML written in the Markdown is shown as text, never interpreted.
const marked = new Marked({ gfm: true, breaks: false, async: false, renderer: { html: ({ text }) => escapeHtml(text) } });

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: ["p", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "del", "a", "blockquote", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "br", "hr"],
  allowedAttributes: { a: ["href", "title", "rel"], th: ["align"], td: ["align"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  // The page's own title is a level-2 heading: the body's headings sit below it.
  transformTags: {
    h1: "h3",
    h2: "h4",
    h3: "h5",
    h4: "h6",
    h5: "h6",
    a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer nofollow" }),
  },
};

/** Markdown → safe HTML. */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return sanitizeHtml(html, sanitizeOptions);
}

export interface RenderedItem {
  id: string;
  kind: "chart" | "table";
  title: string;
  table: PublishedTable;
  chart: ChartSpec;
  sources: string;
  indicatorCode: string;
}

export interface RenderedPublication {
  title: string;
  audience: PublicationContent["audience"];
  bodyHtml: string;
  items: RenderedItem[];
  attachments: { documentId: string; title: string; filename: string; contentType: string; sizeBytes: number; ownerName: string; versionNumber: number }[];
  sources: string;
  contributors: { id: string; name: string; hasLogo: boolean }[];
  /** true: statistical secrecy applied (anything external); false: internal true values. */
  external: boolean;
}

/**
 * The publication as it reads. `external` (the extranet, the approval
 * screen, the referent's preview) applies statistical secrecy to every
 * frozen table and chart; internal views show the true values.
 */
export function renderPublication(content: PublicationContent, lineage: readonly LineageSource[], options: { external: boolean }): RenderedPublication {
  return {
    title: content.title,
    audience: content.audience,
    bodyHtml: renderMarkdown(content.body),
    items: content.items.map((item) => {
      const table = buildTable(item.query, item.snapshot);
      const shown = options.external ? maskTable(table, item.snapshot.indicator) : unmaskedTable(table);
      return {
        id: item.id,
        kind: item.kind,
        title: item.title,
        table: shown,
        chart: chartSpec(shown),
        sources: sourcesLine(snapshotSources(item.snapshot)),
        indicatorCode: item.snapshot.indicator.code,
      };
    }),
    attachments: content.attachments.map((a) => ({
      documentId: a.documentId,
      title: a.title,
      filename: a.filename,
      contentType: a.contentType,
      sizeBytes: a.sizeBytes,
      ownerName: a.ownerName,
      versionNumber: a.versionNumber,
    })),
    sources: publicationSourcesLine(lineage),
    contributors: lineage.filter((s) => !s.isObservatoryTeam).map((s) => ({ id: s.organisationId, name: s.name, hasLogo: s.hasLogo })),
    external: options.external,
  };
}
