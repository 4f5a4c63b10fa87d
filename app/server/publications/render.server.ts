import { createRequire } from "node:module";
import { Marked } from "marked";
import type sanitizeHtmlModule from "sanitize-html";
import type { FrozenItem, PublicationContent } from "./content.server";
import { publicationSourcesLine } from "./lineage.server";
import { buildTable, chartSpec, maskTable, maskTableWith, snapshotSources, sourcesLine, unmaskedTable, type ChartSpec, type DataTable, type PublishedTable } from "~/domain/explorer";
import { itemStatistics } from "../disclosure/release.server";
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

// sanitize-html (with htmlparser2 and postcss, ~15 MiB) is loaded on the first rendering, not at
// start (ADR 039): a start renders no Markdown. It is CommonJS, so `require` keeps renderMarkdown synchronous.
const requireCjs = createRequire(import.meta.url);
let sanitizer: { sanitize: typeof sanitizeHtmlModule; options: sanitizeHtmlModule.IOptions } | undefined;

function loadSanitizer() {
  if (sanitizer) return sanitizer;
  const sanitizeHtml = requireCjs("sanitize-html") as typeof sanitizeHtmlModule;
  const options: sanitizeHtmlModule.IOptions = {
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
  sanitizer = { sanitize: sanitizeHtml, options };
  return sanitizer;
}

/** Markdown → safe HTML. */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  const { sanitize, options } = loadSanitizer();
  return sanitize(html, options);
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
export function renderPublication(
  content: PublicationContent,
  lineage: readonly LineageSource[],
  options: {
    external: boolean;
    /**
     * A published publication: the values its release recorded in the disclosure
     * ledger (statistic key → value, null: secret). A cell the ledger does not
     * hold is shown secret. Without it (previews, approval), the local rule.
     */
    released?: Map<string, number | null> | null;
  },
): RenderedPublication {
  return {
    title: content.title,
    audience: content.audience,
    bodyHtml: renderMarkdown(content.body),
    items: content.items.map((item) => {
      const table = buildTable(item.query, item.snapshot);
      const shown = !options.external ? unmaskedTable(table) : options.released ? releasedTable(table, item, options.released) : maskTable(table, item.snapshot.indicator);
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
    contributors: publicationContributors(lineage),
    external: options.external,
  };
}

/** The member organisations credited (with their logo) under a publication: its sources but the observatory's team. */
export function publicationContributors(lineage: readonly LineageSource[]) {
  return lineage.filter((s) => !s.isObservatoryTeam).map((s) => ({ id: s.organisationId, name: s.name, hasLogo: s.hasLogo }));
}

/** A frozen table as its release recorded it in the disclosure ledger: a cell is shown only if the ledger holds its value. */
function releasedTable(table: DataTable, item: FrozenItem, released: Map<string, number | null>): PublishedTable {
  const statistics = itemStatistics(item, table);
  const secret = new Set<string>();
  for (const row of table.rows) {
    for (const cell of row.cells) {
      if (cell.count === null) continue;
      const s = statistics.get(cell.id);
      const value = s ? released.get(s.key) : undefined;
      if (value === undefined || value === null || value !== cell.count) secret.add(cell.id);
    }
  }
  return maskTableWith(table, secret);
}
