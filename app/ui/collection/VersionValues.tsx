import { Text, Title } from "@mantine/core";
import type { ReviewDomain, ReviewLine, VersionReview } from "~/domain/review";
import { formatDecimal } from "~/domain/format";
import { TableScroll } from "../TableScroll";

const percent = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });

function Change({ line }: { line: ReviewLine }) {
  if (line.change === null) return <>—</>;
  const arrow = line.change > 0 ? "▲" : line.change < 0 ? "▼" : "";
  return (
    <>
      <span aria-hidden="true">{arrow} </span>
      {percent.format(line.change)}
    </>
  );
}

function DomainTable({ domain, year, comparedWith }: { domain: ReviewDomain; year: number; comparedWith: number | null }) {
  const caption = `${domain.label} : valeurs ${year}, rappel ${year - 1}${comparedWith ? `, écarts avec la version ${comparedWith}` : ""}`;
  return (
    <TableScroll label={`Valeurs — ${domain.label}`} minWidth={comparedWith ? 980 : 860}>
      <table className="review-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Indicateur et ventilation</th>
            <th scope="col">Cellule</th>
            <th scope="col">Valeur {year}</th>
            <th scope="col">Acceptée {year - 1}</th>
            <th scope="col">Évolution</th>
            {comparedWith !== null && <th scope="col">Version {comparedWith}</th>}
            <th scope="col">Avertissements et commentaire du correspondant</th>
          </tr>
        </thead>
        {domain.indicators.map((indicator) => (
          <tbody key={indicator.code}>
            <tr className="review-indicator">
              <th scope="rowgroup" colSpan={comparedWith !== null ? 7 : 6}>
                {indicator.code} — {indicator.label} <span className="review-unit">({indicator.unit})</span>
              </th>
            </tr>
            {indicator.lines.map((line) => {
              const changed = line.previousVersionValue !== undefined;
              return (
                <tr key={line.cell} className={changed ? "review-changed" : undefined}>
                  <th scope="row" className={line.isTotal ? "review-total" : "review-breakdown"}>
                    {line.breakdownLabel}
                  </th>
                  <td>
                    <code>{line.cell}</code>
                  </td>
                  <td className="review-number">
                    {line.notAvailable ? <em className="review-not-available">{line.notAvailable}</em> : <strong>{formatDecimal(line.value)}</strong>}
                  </td>
                  <td className="review-number">{formatDecimal(line.previousYear)}</td>
                  <td className="review-number">
                    <Change line={line} />
                  </td>
                  {comparedWith !== null && (
                    <td className="review-number">{changed ? <span>modifiée : {formatDecimal(line.previousVersionValue)} avant</span> : "inchangée"}</td>
                  )}
                  <td>
                    {line.errors.map((message, i) => (
                      <p key={`e${i}`} className="review-error">
                        Erreur : {message}
                      </p>
                    ))}
                    {line.warnings.map((message, i) => (
                      <p key={`w${i}`} className="review-warning">
                        Avertissement : {message}
                      </p>
                    ))}
                    {line.comment && <p className="review-comment">Commentaire : « {line.comment} »</p>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        ))}
      </table>
    </TableScroll>
  );
}

/**
 * The values of one version on screen (Art. 4 validation without downloading
 * the workbook): one collapsible section per domain, server-rendered, no
 * client-side state. Lines that differ from the previous version are marked
 * in words (« modifiée ») and highlighted.
 */
export function VersionValues({ review, year }: { review: VersionReview; year: number }) {
  if (review.lineCount === 0) return <Text>Cette version ne contient aucune valeur lisible.</Text>;
  const openAll = review.domains.length <= 3;
  return (
    <section aria-labelledby="version-values-title">
      <Title order={3} size="h4" id="version-values-title" mb="xs">
        Valeurs de la version {review.versionNumber}
      </Title>
      <Text mb="sm">
        {review.lineCount} ligne(s)
        {review.comparedWith !== null
          ? ` ; ${review.changedCount} modifiée(s) depuis la version ${review.comparedWith} (surlignées).`
          : " ; première version de l'année."}
      </Text>
      {review.domains.map((domain) => (
        <details key={domain.code} open={openAll || domain.changedCount > 0 || domain.warningCount > 0} className="review-domain">
          <summary>
            {domain.label} — {domain.indicators.length} indicateur(s)
            {domain.changedCount > 0 ? `, ${domain.changedCount} ligne(s) modifiée(s)` : ""}
            {domain.warningCount > 0 ? `, ${domain.warningCount} avertissement(s)` : ""}
          </summary>
          <DomainTable domain={domain} year={year} comparedWith={review.comparedWith} />
        </details>
      ))}
    </section>
  );
}
