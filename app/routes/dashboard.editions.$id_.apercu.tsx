import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Group, Stack } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { editionForDisplay } from "~/server/dashboard/editions.server";
import { editionFileUrl, MEMBERS_LOGO_BASE } from "~/server/dashboard/pages.server";
import { renderReportHtml } from "~/server/dashboard/render.server";
import { ReportView } from "~/ui/dashboard/ReportView";
import { requireParam } from "~/server/http/params.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: "/dashboard-report.css" }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Aperçu du tableau de bord ${data?.year ?? ""} — Portail ODPE` }];

/** The referent previews an edition before validating it, in its internal and public variants. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:dashboard");
  const id = requireParam(params, "id", "uuid", "Édition introuvable");
  const variant = new URL(request.url).searchParams.get("vue") === "publique" ? "public" : "internal";
  const { row, meta, edition, frozen } = await orNotFound(async () => editionForDisplay(await getDb(), id, variant));
  const html = renderReportHtml(edition, meta, { logoBase: MEMBERS_LOGO_BASE, cacheKey: frozen ? `${row.id}|${meta.transmittedOn ?? ""}|${meta.supersededAt ?? ""}` : undefined });
  return {
    id: row.id,
    year: row.reference_year,
    number: row.number,
    variant,
    frozen,
    html,
    downloads: (variant === "internal" ? (["pdf_internal", "xlsx_internal"] as const) : (["pdf_public", "xlsx_public"] as const)).map((kind) => ({
      href: editionFileUrl(row.id, kind),
      label: kind.startsWith("pdf") ? "Télécharger le PDF" : "Télécharger le classeur Excel",
    })),
  };
}

export default function EditionPreview() {
  const data = useLoaderData<typeof loader>();
  const other = data.variant === "internal" ? "publique" : "interne";
  return (
    <Stack maw={1100} gap="sm">
      <Group className="rp-noprint" gap="md">
        <Anchor component={Link} to={`/dashboard/editions/${data.id}`}>
          ← Édition n° {data.number}
        </Anchor>
        <Anchor component={Link} to={`/dashboard/editions/${data.id}/apercu${other === "publique" ? "?vue=publique" : ""}`}>
          Voir l'édition {other}
        </Anchor>
      </Group>
      <ReportView
        html={data.html}
        downloads={data.downloads}
        notice={
          data.frozen ? null : (
            <Alert color="violet.9" role="status" mb="sm">
              Aperçu assemblé à l'instant à partir des données acceptées : rien n'est encore publié.
            </Alert>
          )
        }
      />
    </Stack>
  );
}
