import { renderToStaticMarkup } from "react-dom/server";
import type { DashboardEdition, EditionMeta } from "~/domain/dashboard";
import { ReportDocument } from "./report-document.server";

/**
 * The report as HTML, rendered once per published edition and variant:
 * a published edition is frozen, so its markup is too (an in-process cache
 * of immutable content, safe with several instances). Drafts render each time.
 */
const cache = new Map<string, string>();
const CACHE_SIZE = 32;

export interface RenderOptions {
  /** Prefix of contributors' logo URLs, e.g. "/dashboard/logos/". */
  logoBase: string;
  /** Set for frozen (published) editions only: the content never changes under this key. */
  cacheKey?: string;
}

export function renderReportHtml(edition: DashboardEdition, meta: EditionMeta | null, options: RenderOptions): string {
  const key = options.cacheKey ? `${options.cacheKey}|${edition.variant}|${options.logoBase}` : null;
  if (key) {
    const hit = cache.get(key);
    if (hit !== undefined) {
      cache.delete(key);
      cache.set(key, hit); // most recently used last
      return hit;
    }
  }
  const html = renderToStaticMarkup(<ReportDocument edition={edition} meta={meta} logoUrl={(id) => `${options.logoBase}${id}`} />);
  if (key) {
    cache.set(key, html);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  return html;
}
