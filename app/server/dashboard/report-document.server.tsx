import {
  describeChange,
  editionStatusLabels,
  formatChange,
  formatFigure,
  frenchTypography,
  sourceNamesOf,
  type Breakdown,
  type DashboardEdition,
  type EditionMeta,
  type Figure,
  type IndicatorBlock,
} from "~/domain/dashboard";
import { reportCharts, trendPosition, type TrendChart } from "~/domain/report-charts";
import { formatDate } from "~/domain/format";
import { SECRET_EXPLANATION, SECRET_LABEL } from "~/domain/secrecy";

/**
 * The annual report as plain, semantic HTML (no client component): rendered
 * once on the server per published edition (app/server/dashboard/render.server.tsx),
 * light on a phone, printable. Styles: app/ui/dashboard/report.css.
 */
export interface ReportDocumentProps {
  edition: DashboardEdition;
  meta: EditionMeta | null;
  /** URL of a contributor's logo (stored file id). */
  logoUrl: (fileId: string) => string;
}

const percent = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 0 });

function paragraphs(text: string) {
  return text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p, i) => <p key={i}>{frenchTypography(p)}</p>);
}

/** An inline SVG trend line drawn from its description (app/domain/report-charts.ts); missing or masked years break the line. */
export function Sparkline({ chart, width = 120, height = 32 }: { chart: TrendChart; width?: number; height?: number }) {
  if (!chart.axis) {
    return (
      <svg className="rp-spark" width={width} height={height} role="img" aria-label={chart.altText}>
        <line x1="2" x2={width - 2} y1={height / 2} y2={height / 2} className="rp-spark-empty" />
      </svg>
    );
  }
  const box = { x: 4, y: 4, w: width - 8, h: height - 8 };
  const at = (i: number) => trendPosition(chart, i, box);
  const coordinates = (i: number) => `${at(i).x.toFixed(1)},${at(i).y.toFixed(1)}`;
  return (
    <svg className="rp-spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={chart.altText}>
      {chart.segments.map((s, i) =>
        s.length > 1 ? (
          <polyline key={i} points={s.map(coordinates).join(" ")} className="rp-spark-line" />
        ) : (
          <circle key={i} cx={at(s[0]!).x.toFixed(1)} cy={at(s[0]!).y.toFixed(1)} r="1.8" className="rp-spark-dot" />
        ),
      )}
      {chart.emphasised !== null && <circle cx={at(chart.emphasised).x} cy={at(chart.emphasised).y} r="2.6" className="rp-spark-last" />}
    </svg>
  );
}

function FigureText({ figure, decimals }: { figure: Figure; decimals: number }) {
  if (figure.secret) {
    return (
      <span className="rp-secret" title="Secret statistique">
        {formatFigure(figure, decimals)}
      </span>
    );
  }
  return <>{formatFigure(figure, decimals)}</>;
}

function ChangeText({ block, full = false }: { block: Pick<IndicatorBlock, "change" | "decimals" | "changeNote">; full?: boolean }) {
  const text = formatChange(block.change, block.decimals);
  const direction = !block.change ? "none" : block.change.absolute > 0 ? "up" : block.change.absolute < 0 ? "down" : "flat";
  return (
    <span className={`rp-change rp-change-${direction}`}>
      <span aria-hidden="true">{direction === "up" ? "▲ " : direction === "down" ? "▼ " : ""}</span>
      {text}
      <span className="rp-sr"> ({describeChange(block.change, block.decimals)})</span>
      {block.changeNote && <span className="rp-note">{full ? frenchTypography(block.changeNote) : block.change ? "à périmètre constant" : "non calculée"}</span>}
    </span>
  );
}

function BreakdownTables({ block, year }: { block: IndicatorBlock; year: number }) {
  const b = block.breakdown as Breakdown;
  const total = block.current.value;
  if (b.lists.length === 2) {
    const [rows, cols] = b.lists as [Breakdown["lists"][0], Breakdown["lists"][0]];
    return (
      <div className="rp-scroll" role="region" aria-label={`${block.label} : ${rows.label} × ${cols.label}, ${year}`} tabIndex={0}>
        <table className="rp-table rp-cross">
          <caption>
            {block.label} par {rows.label.toLowerCase()} et {cols.label.toLowerCase()}, {year}
          </caption>
          <thead>
            <tr>
              <th scope="col">{rows.label}</th>
              {cols.items.map((c) => (
                <th scope="col" key={c.code}>
                  {c.label}
                </th>
              ))}
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {rows.items.map((r) => (
              <tr key={r.code}>
                <th scope="row">{r.label}</th>
                {cols.items.map((c) => (
                  <td key={c.code}>
                    <FigureText figure={b.current[`${rows.code}=${r.code}|${cols.code}=${c.code}`] ?? { value: null }} decimals={block.decimals} />
                  </td>
                ))}
                <td className="rp-strong">
                  <FigureText figure={b.current[`${rows.code}=${r.code}`] ?? { value: null }} decimals={block.decimals} />
                </td>
              </tr>
            ))}
            <tr className="rp-total">
              <th scope="row">Total</th>
              {cols.items.map((c) => (
                <td key={c.code}>
                  <FigureText figure={b.current[`${cols.code}=${c.code}`] ?? { value: null }} decimals={block.decimals} />
                </td>
              ))}
              <td>
                <FigureText figure={block.current} decimals={block.decimals} />
              </td>
            </tr>
          </tbody>
        </table>
      </div>
    );
  }
  return (
    <>
      {b.lists.map((list) => (
        <div key={list.code} className="rp-scroll" role="region" aria-label={`${block.label} par ${list.label.toLowerCase()}`} tabIndex={0}>
          <table className="rp-table">
            <caption>
              {block.label} par {list.label.toLowerCase()}
            </caption>
            <thead>
              <tr>
                <th scope="col">{list.label}</th>
                {b.previous && <th scope="col">{year - 1}</th>}
                <th scope="col">{year}</th>
                <th scope="col">Part en {year}</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((item) => {
                const key = `${list.code}=${item.code}`;
                const cell = b.current[key] ?? { value: null };
                const share = total && cell.value !== null && block.aggregation === "sum" ? cell.value / total : null;
                return (
                  <tr key={item.code}>
                    <th scope="row">{item.label}</th>
                    {b.previous && (
                      <td>
                        <FigureText figure={b.previous[key] ?? { value: null }} decimals={block.decimals} />
                      </td>
                    )}
                    <td>
                      <FigureText figure={cell} decimals={block.decimals} />
                    </td>
                    <td className="rp-share">
                      {share === null ? (
                        "—"
                      ) : (
                        <>
                          <span className="rp-meter" aria-hidden="true">
                            <span style={{ width: `${Math.round(share * 100)}%` }} />
                          </span>
                          {percent.format(share)}
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

/** The whole report. */
export function ReportDocument({ edition, meta, logoUrl }: ReportDocumentProps) {
  const year = edition.year;
  const charts = reportCharts(edition);
  const trendRange = `${edition.years[0]}–${year}`;
  const withBreakdown = (blocks: IndicatorBlock[]) => blocks.filter((b) => b.breakdown);
  const q = edition.quality;
  const contributorNames = edition.contributors.map((c) => c.name);
  return (
    <article className="odpe-report" lang="fr">
      <div className="rp-cover">
        <p className="rp-kicker">
          {edition.observatory.name}
          {edition.observatory.departementName ? ` — ${edition.observatory.departementName} (${edition.observatory.departementCode})` : ""}
        </p>
        <h2 className="rp-title">Tableau de bord annuel de la protection de l&apos;enfance {year}</h2>
        <p className="rp-edition">
          {meta ? `Édition n° ${meta.number}` : "Assemblage en cours"}
          {meta?.publishedAt ? ` · publiée le ${formatDate(meta.publishedAt)}` : meta ? ` · ${editionStatusLabels[meta.status]} (aperçu, non publiée)` : ""}
          {meta?.transmittedOn ? ` · transmise à l'ONPE le ${formatDate(meta.transmittedOn)}` : ""}
          {" · "}
          {edition.variant === "public" ? "édition publique" : "édition interne, réservée aux membres de l'observatoire"}
        </p>
        {edition.observatory.isDemo && (
          <p className="rp-notice">Démonstration : les organismes existent, mais toutes les valeurs de ce tableau de bord sont fictives.</p>
        )}
        {meta?.supersededAt && <p className="rp-notice">Cette édition a été remplacée par une édition corrigée le {formatDate(meta.supersededAt)}.</p>}
        {meta?.correctionNote && <p className="rp-notice">Édition corrective : {frenchTypography(meta.correctionNote)}</p>}
        {edition.variant === "internal" && (
          <p className="rp-notice">
            Usage interne à l&apos;ODPE : cette édition montre les valeurs exactes et les indicateurs à usage interne. Toute diffusion externe se fait à partir de
            l&apos;édition publique (convention, art. 5).
          </p>
        )}
      </div>

      <nav className="rp-toc" aria-label="Sommaire du rapport">
        <ol>
          {meta?.foreword && (
            <li>
              <a href="#avant-propos">Avant-propos</a>
            </li>
          )}
          <li>
            <a href="#chiffres-cles">Chiffres clés</a>
          </li>
          {edition.sections.map((s) => (
            <li key={s.domainCode}>
              <a href={`#domaine-${s.domainCode}`}>{s.domainLabel}</a>
            </li>
          ))}
          <li>
            <a href="#qualite">Qualité des données</a>
          </li>
          <li>
            <a href="#contributeurs">Contributeurs</a>
          </li>
          <li>
            <a href="#methode">Méthode et secret statistique</a>
          </li>
        </ol>
      </nav>

      {meta?.foreword && (
        <section id="avant-propos" className="rp-section">
          <h3>Avant-propos</h3>
          {paragraphs(meta.foreword)}
        </section>
      )}

      <section id="chiffres-cles" className="rp-section">
        <h3>Chiffres clés {year}</h3>
        {edition.keyFigures.length === 0 ? (
          <p>Aucun chiffre clé n&apos;est défini dans le catalogue.</p>
        ) : (
          <ul className="rp-keys">
            {edition.keyFigures.map((k) => {
              const chart = charts.get(k.code)?.trend;
              return (
                <li key={k.code} className="rp-key">
                  <span className="rp-key-label">{k.label}</span>
                  <span className="rp-key-value">
                    <FigureText figure={k.current} decimals={k.decimals} />
                  </span>
                  <span className="rp-key-unit">{k.unit}</span>
                  <span className="rp-key-change">
                    <ChangeText block={k} full /> par rapport à {year - 1} (<FigureText figure={k.previous} decimals={k.decimals} />)
                  </span>
                  {chart && <Sparkline chart={chart} />}
                </li>
              );
            })}
          </ul>
        )}
      </section>

      {edition.sections.map((section) => (
        <section key={section.domainCode} id={`domaine-${section.domainCode}`} className="rp-section">
          <h3>
            {section.position}. {section.domainLabel}
          </h3>
          {meta?.comments[section.domainCode] && <div className="rp-comment">{paragraphs(meta.comments[section.domainCode]!)}</div>}
          <div className="rp-scroll" role="region" aria-label={`Indicateurs : ${section.domainLabel}`} tabIndex={0}>
            <table className="rp-table rp-indicators">
              <caption>
                {section.domainLabel} : valeurs {year - 1} et {year}, évolution et tendance {trendRange}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Indicateur</th>
                  <th scope="col">{year - 1}</th>
                  <th scope="col">{year}</th>
                  <th scope="col">Évolution</th>
                  <th scope="col">Tendance {trendRange}</th>
                  <th scope="col">Sources</th>
                </tr>
              </thead>
              <tbody>
                {section.blocks.map((b) => (
                  <tr key={b.code} id={`indicateur-${b.code}`}>
                    <th scope="row">
                      <span className="rp-ind-label">{b.label}</span>
                      <span className="rp-ind-unit">
                        {b.unit}
                        {b.kind === "derived" ? " — indicateur calculé" : ""}
                        {b.aggregation === "mean" && b.sources.length > 1 ? " — moyenne des organismes" : ""}
                        {b.aggregation === "weighted_mean" && b.sources.length > 1 ? " — moyenne pondérée des organismes" : ""}
                        {b.aggregation === "ratio_of_sums" && b.sources.length > 1 ? " — rapport des sommes" : ""}
                      </span>
                      {b.notes.map((n, i) => (
                        <span key={i} className="rp-note">
                          {frenchTypography(n)}
                        </span>
                      ))}
                    </th>
                    <td>
                      <FigureText figure={b.previous} decimals={b.decimals} />
                    </td>
                    <td className="rp-strong">
                      <FigureText figure={b.current} decimals={b.decimals} />
                    </td>
                    <td>
                      <ChangeText block={b} />
                    </td>
                    <td>
                      <Sparkline chart={charts.get(b.code)!.trend} />
                    </td>
                    <td className="rp-sources">{sourceNamesOf(edition, b.sources).join(", ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {withBreakdown(section.blocks).map((b) => (
            <details key={b.code} className="rp-breakdown">
              <summary>
                Ventilation : {b.label} ({b.breakdown!.lists.map((l) => l.label.toLowerCase()).join(" × ")})
              </summary>
              <BreakdownTables block={b} year={year} />
            </details>
          ))}
        </section>
      ))}

      <section id="qualite" className="rp-section">
        <h3>Qualité des données</h3>
        <h4>Transmissions de la campagne {year}</h4>
        {q.transmissions.length === 0 ? (
          <p>Aucune transmission attendue n&apos;est enregistrée pour cette année.</p>
        ) : (
          <>
            <p>
              {q.transmissions.filter((t) => t.timing === "on_time").length} organisme(s) à temps, {q.transmissions.filter((t) => t.timing === "late").length} en
              retard, {q.transmissions.filter((t) => t.timing === "missing").length} sans transmission, sur {q.transmissions.length} attendu(s)
              {q.campaign ? ` (date limite de la campagne : ${formatDate(q.campaign.deadline)})` : ""}.
            </p>
            <div className="rp-scroll" role="region" aria-label="Transmissions par organisme" tabIndex={0}>
              <table className="rp-table">
                <caption>Transmissions par organisme</caption>
                <thead>
                  <tr>
                    <th scope="col">Organisme</th>
                    <th scope="col">Date limite</th>
                    <th scope="col">Première transmission</th>
                    <th scope="col">Situation</th>
                  </tr>
                </thead>
                <tbody>
                  {q.transmissions.map((t) => (
                    <tr key={t.organisationCode}>
                      <th scope="row">{t.organisationName}</th>
                      <td>{formatDate(t.deadline)}</td>
                      <td>{formatDate(t.transmittedAt)}</td>
                      <td className={`rp-timing rp-timing-${t.timing}`}>{t.timing === "on_time" ? "À temps" : t.timing === "late" ? "En retard" : "Non transmis"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
        <h4>Complétude par domaine</h4>
        {q.completeness.length === 0 ? (
          <p>Aucun indicateur attendu.</p>
        ) : (
          <div className="rp-scroll" role="region" aria-label="Complétude par domaine" tabIndex={0}>
            <table className="rp-table">
              <caption>Indicateurs reçus sur indicateurs attendus (organisme × indicateur), {year}</caption>
              <thead>
                <tr>
                  <th scope="col">Domaine</th>
                  <th scope="col">Attendus</th>
                  <th scope="col">Reçus</th>
                  <th scope="col">Complétude</th>
                </tr>
              </thead>
              <tbody>
                {q.completeness.map((c) => (
                  <tr key={c.domainCode}>
                    <th scope="row">{c.domainLabel}</th>
                    <td>{c.expected}</td>
                    <td>
                      {c.received}
                      {c.notAvailable ? ` (dont ${c.notAvailable} non disponible${c.notAvailable > 1 ? "s" : ""})` : ""}
                    </td>
                    <td className="rp-share">
                      <span className="rp-meter" aria-hidden="true">
                        <span style={{ width: `${Math.round((c.rate ?? 0) * 100)}%` }} />
                      </span>
                      {c.rate === null ? "—" : percent.format(c.rate)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h4>Indicateurs manquants</h4>
        {q.missing.length === 0 ? (
          <p>Tous les indicateurs attendus ont été reçus.</p>
        ) : (
          <ul className="rp-list">
            {q.missing.map((m) => (
              <li key={m.code}>
                <strong>{m.label}</strong> ({m.code}) : {m.organisations.join(", ")}
              </li>
            ))}
          </ul>
        )}
        <h4>Ruptures de série</h4>
        {q.breaks.length === 0 ? (
          <p>Aucune définition n&apos;a changé sur la période {trendRange}.</p>
        ) : (
          <ul className="rp-list">
            {q.breaks.map((b) => (
              <li key={`${b.code}-${b.year}`}>
                <strong>{b.label}</strong> ({b.code}) : nouvelle définition en {b.year} ({b.changes.join(", ")})
                {b.breaksComparability ? " — valeurs non comparables avant et après." : "."}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section id="contributeurs" className="rp-section">
        <h3>Contributeurs</h3>
        <p>
          Ce tableau de bord est publié sous le label de l&apos;observatoire avec la mention et le logo de chaque organisme dont les données y figurent (convention,
          art. 5). {edition.contributors.length} organisme(s) ont contribué.
        </p>
        <ul className="rp-logos">
          {edition.contributors.map((c) => (
            <li key={c.code}>
              {c.logoFileId ? (
                <img src={logoUrl(c.logoFileId)} alt={`Logo : ${c.name}`} width={96} height={48} />
              ) : (
                <span className="rp-monogram" aria-hidden="true">
                  {c.code.slice(0, 4)}
                </span>
              )}
              <span>{c.name}</span>
            </li>
          ))}
        </ul>
        <p className="rp-sources-line">Sources : {contributorNames.join(" ; ")}, données {year}.</p>
      </section>

      {edition.variant === "internal" && edition.internalIndicators.length > 0 && (
        <section id="usage-interne" className="rp-section">
          <h3>Indicateurs à usage interne</h3>
          <p>Ces indicateurs figurent dans l&apos;édition interne seulement : une convention d&apos;application les réserve à l&apos;usage interne (art. 4 et 5).</p>
          <ul className="rp-list">
            {edition.internalIndicators.map((i) => (
              <li key={i.code}>
                <strong>{i.label}</strong> ({i.code}) : {i.organisations.join(", ")}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section id="methode" className="rp-section">
        <h3>Méthode et secret statistique</h3>
        <p>
          Les valeurs sont celles acceptées par l&apos;ODPE après validation par chaque institution (art. 4). La valeur départementale additionne les valeurs des
          organismes ; les pourcentages, durées moyennes et prix unitaires sont la moyenne des organismes pondérée comme le catalogue le déclare (par exemple le taux d&apos;occupation par les places installées), ou « non agrégeable ». Les taux rapportent un
          indicateur à la population de référence du domaine « Contexte départemental ».
        </p>
        {edition.variant === "public" ? (
          <p>
            {SECRET_EXPLANATION} : les petits effectifs, et les cases qui permettraient de les retrouver, sont remplacés par « {SECRET_LABEL} » (
            {edition.maskedCount} valeur(s) masquée(s)).{" "}
            {edition.excludedInternalCount > 0 &&
              `${edition.excludedInternalCount} indicateur(s) réservé(s) à l'usage interne par une convention d'application ne figurent pas dans cette édition.`}
          </p>
        ) : (
          <p>Édition interne : aucune valeur n&apos;est masquée. Le secret statistique s&apos;applique à l&apos;édition publique.</p>
        )}
        <p>
          « n.d. » : valeur non disponible. Assemblé le {formatDate(edition.assembledAt)} à partir des données transmises pour {edition.years[0]} à {year}.
        </p>
      </section>
    </article>
  );
}
