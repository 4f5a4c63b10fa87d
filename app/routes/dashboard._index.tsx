import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from "@mantine/core";
import { requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { keyFigureComparison, listPublishedEditions, loadSnapshot } from "~/server/dashboard/editions.server";
import { editionFileUrl } from "~/server/dashboard/pages.server";
import { describeChange, formatChange, formatFigure, type EditionVariant } from "~/domain/dashboard";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Tableau de bord annuel — Portail ODPE" }];

/** Readers' home of the dashboard: the latest report, previous years, year-over-year comparison. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:dashboard");
  const variant: EditionVariant = userCan(user, "read:internal_dashboard") ? "internal" : "public";
  const db = await getDb();
  const editions = await listPublishedEditions(db);
  const latest = editions.find((e) => !e.supersededAt) ?? null;
  const latestEdition = latest ? await loadSnapshot(db, latest.id, variant) : null;
  return {
    variant,
    canManage: userCan(user, "manage:dashboard"),
    latest: latest && latestEdition ? { ...latest, keyFigures: latestEdition.keyFigures, contributors: latestEdition.contributors.length, pdfUrl: editionFileUrl(latest.id, variant === "internal" ? "pdf_internal" : "pdf_public") } : null,
    editions: editions.map(({ id, year, number, publishedAt, transmittedOn, supersededAt }) => ({ id, year, number, publishedAt, transmittedOn, supersededAt })),
    comparison: await keyFigureComparison(db, variant),
  };
}

export default function DashboardHome() {
  const { latest, editions, comparison, canManage, variant } = useLoaderData<typeof loader>();
  return (
    <Stack maw={1100}>
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Tableau de bord annuel</Title>
        {canManage && (
          <Group gap="xs">
            <Button component={Link} to="/dashboard/editions" variant="outline" size="xs">
              Gérer les éditions
            </Button>
            <Button component={Link} to="/dashboard/settings" variant="subtle" size="xs">
              Indicateurs calculés et chiffres clés
            </Button>
          </Group>
        )}
      </Group>
      <Text>
        Chaque année, l'observatoire publie sous son label un tableau de bord construit sur les données de ses partenaires, avec la mention et le logo
        de chacun, et le transmet à l'ONPE (convention, art. 5).
        {variant === "public" ? " Vous consultez l'édition publique (secret statistique appliqué)." : ""}
      </Text>

      {!latest ? (
        <Card withBorder>
          <Text>Aucun tableau de bord n'est encore publié.</Text>
        </Card>
      ) : (
        <Card withBorder>
          <Group justify="space-between" align="flex-start" mb="sm">
            <div>
              <Title order={3} size="h4">
                Dernier tableau de bord : année {latest.year}
              </Title>
              <Text size="sm">
                Édition n° {latest.number}, publiée le {formatDate(latest.publishedAt)}
                {latest.transmittedOn ? `, transmise à l'ONPE le ${formatDate(latest.transmittedOn)}` : ""} — {latest.contributors} organismes contributeurs.
              </Text>
            </div>
            <Group gap="xs">
              <Button component={Link} reloadDocument to={`/dashboard/${latest.year}`}>
                Lire le rapport {latest.year}
              </Button>
              <Button component="a" href={latest.pdfUrl} variant="outline">
                Télécharger le PDF
              </Button>
            </Group>
          </Group>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm">
            {latest.keyFigures.map((k) => (
              <Card key={k.code} withBorder padding="sm">
                <Text size="sm" fw={600} lineClamp={2}>
                  {k.label}
                </Text>
                <Text fz={26} fw={700} c="indigo.9">
                  {formatFigure(k.current, k.decimals)}
                </Text>
                <Text size="xs" c="dimmed">
                  {k.unit}
                </Text>
                <Text size="sm">
                  {formatChange(k.change, k.decimals)} <VisuallyHidden>({describeChange(k.change, k.decimals)})</VisuallyHidden> par rapport à {latest.year - 1}
                </Text>
                {k.changeNote && (
                  <Text size="xs" c="dimmed">
                    {k.changeNote}
                  </Text>
                )}
              </Card>
            ))}
          </SimpleGrid>
        </Card>
      )}

      {comparison.years.length > 1 && (
        <>
          <Title order={3} size="h4">
            Comparaison d'une année sur l'autre
          </Title>
          <TableScroll label="Chiffres clés par année" minWidth={640}>
            <Table striped>
              <Table.Caption>Chiffres clés tels que publiés dans l'édition en vigueur de chaque année</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Chiffre clé</Table.Th>
                  {comparison.years.map((y) => (
                    <Table.Th scope="col" key={y} style={{ textAlign: "right" }}>
                      {y}
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {comparison.rows.map((r) => (
                  <Table.Tr key={r.code}>
                    <Table.Th scope="row" fw={400}>
                      {r.label}
                      <Text size="xs" c="dimmed">
                        {r.unit}
                      </Text>
                    </Table.Th>
                    {comparison.years.map((y) => (
                      <Table.Td key={y} style={{ textAlign: "right" }}>
                        {r.byYear[y] ? formatFigure(r.byYear[y]!, r.decimals) : "—"}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </>
      )}

      <Title order={3} size="h4">
        Éditions publiées
      </Title>
      {editions.length === 0 ? (
        <Text>Aucune édition publiée.</Text>
      ) : (
        <Stack gap="xs" component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {editions.map((e) => (
            <li key={e.id}>
              <Group gap="sm">
                <Anchor component={Link} reloadDocument to={`/dashboard/${e.year}${e.supersededAt ? `?edition=${e.number}` : ""}`}>
                  Tableau de bord {e.year} — édition n° {e.number}
                </Anchor>
                <Text size="sm">publiée le {formatDate(e.publishedAt)}</Text>
                {e.transmittedOn && (
                  <Badge color="indigo.9" variant="light">
                    Transmise à l'ONPE le {formatDate(e.transmittedOn)}
                  </Badge>
                )}
                {e.supersededAt && (
                  <Badge color="gray.8" variant="light">
                    Remplacée le {formatDate(e.supersededAt)}
                  </Badge>
                )}
              </Group>
            </li>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
