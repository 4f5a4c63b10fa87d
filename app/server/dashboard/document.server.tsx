import { renderToStaticMarkup } from "react-dom/server";

/**
 * A published report as a standalone HTML document: the frozen edition's
 * markup (rendered once, see render.server.tsx) in a light page with its
 * links and downloads — no application bundle, so it opens fast on a phone,
 * prints cleanly and is cached by its ETag. Styles: public/dashboard-report.css;
 * script (print, breakdowns opened before printing): public/dashboard-report.js.
 * See docs/decisions/ (the published report is a static document).
 */
export interface ReportDocumentPage {
  title: string;
  /** The portal's (or extranet's) home, and the observatory's label. */
  home: { href: string; label: string };
  isDemo: boolean;
  links: { href: string; label: string }[];
  downloads: { href: string; label: string }[];
  editions: { href: string; label: string; current: boolean }[];
  notice: { text: string; href?: string; linkText?: string } | null;
  /** The report's own markup (ReportDocument rendered to a string). */
  html: string;
}

function Page({ page }: { page: ReportDocumentPage }) {
  return (
    <html lang="fr" className="rp-page">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{page.title}</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/dashboard-report.css" />
        <script src="/dashboard-report.js" defer />
      </head>
      <body>
        <a href="#contenu" className="skip-link">
          Aller au contenu
        </a>
        <header className="rp-bar">
          <h1>
            <a href={page.home.href}>{page.home.label}</a>
            {page.isDemo && (
              <span className="rp-badge" title="Données et comptes fictifs de démonstration">
                Démonstration
              </span>
            )}
          </h1>
          {page.links.length > 0 && (
            <nav aria-label="Liens de la page">
              <ul className="rp-links">
                {page.links.map((l) => (
                  <li key={l.href}>
                    <a href={l.href}>{l.label}</a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
        </header>
        <main id="contenu" className="rp-main">
          <div className="rp-noprint">
            {page.notice && (
              <p className="rp-notice" role="status">
                {page.notice.text}
                {page.notice.href && (
                  <>
                    {" "}
                    <a href={page.notice.href}>{page.notice.linkText}</a>.
                  </>
                )}
              </p>
            )}
            <div className="rp-toolbar">
              {page.downloads.map((d) => (
                <a key={d.href} className="rp-button" href={d.href}>
                  {d.label}
                </a>
              ))}
              <button type="button" id="rp-print" className="rp-button" hidden>
                Imprimer
              </button>
            </div>
            {page.editions.length > 1 && (
              <p>
                Éditions de cette année :{" "}
                {page.editions.map((e, i) => (
                  <span key={e.href}>
                    {i > 0 && " · "}
                    {e.current ? <strong aria-current="page">{e.label}</strong> : <a href={e.href}>{e.label}</a>}
                  </span>
                ))}
              </p>
            )}
          </div>
          <div dangerouslySetInnerHTML={{ __html: page.html }} />
        </main>
      </body>
    </html>
  );
}

/** The whole page as HTML text (stored once per published page: see app/server/artefacts). */
export function reportDocumentHtml(page: ReportDocumentPage): string {
  return `<!DOCTYPE html>${renderToStaticMarkup(<Page page={page} />)}`;
}
