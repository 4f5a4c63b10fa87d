import type { Db } from "../db.server";
import { withdrawalOf } from "./ledger.server";

/**
 * A superseded dashboard edition withdrawn from the public site (ADR 015,
 * 3b: with its correction it would let a secret cell be worked back): the
 * extranet answers 410 Gone with a French notice pointing to the current
 * edition. Members keep reading it internally.
 */
export async function withdrawnEditionResponse(db: Db, year: number, number: number | undefined): Promise<Response | null> {
  if (number === undefined) return null;
  const edition = await db.selectFrom("dashboard_edition").select("id").where("reference_year", "=", year).where("number", "=", number).executeTakeFirst();
  if (!edition) return null;
  const withdrawal = await withdrawalOf(db, "dashboard_edition", edition.id);
  if (!withdrawal) return null;
  const href = `/extranet/tableau-de-bord/${year}`;
  const html = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Édition retirée — tableau de bord ${year}</title></head>
<body><main>
<h1>Édition retirée du site public</h1>
<p>L'édition n° ${number} du tableau de bord ${year} a été remplacée par une édition corrigée et retirée du site public : lue avec sa correction, elle aurait permis de retrouver des valeurs couvertes par le secret statistique.</p>
<p><a href="${href}">Lire l'édition en vigueur du tableau de bord ${year}</a></p>
</main></body></html>`;
  return new Response(html, { status: 410, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff" } });
}
