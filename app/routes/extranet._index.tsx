import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Card, Grid12, Group, Stack, Text, Title } from "~/ui/lite";
import { getDb } from "~/server/runtime.server";
import { getObservatory } from "~/server/observatory/observatory.server";
import { listExtranetPublications } from "~/server/publications/publication-queries.server";
import { listPublishedEditions } from "~/server/dashboard/editions.server";
import { Contributors } from "~/ui/contributors";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Extranet — ${data?.observatory.name ?? "Observatoire départemental de la protection de l'enfance"}` },
  { name: "description", content: "Publications et tableaux de bord de l'observatoire départemental de la protection de l'enfance." },
];

/**
 * Art. 5: the extranet run by the Département, open to all without login.
 * Only what went through the workflow reaches it: publications validated by
 * the referent after every source's approval, and published annual dashboards.
 */
export async function loader(_args: LoaderFunctionArgs) {
  const db = await getDb();
  const [observatory, publications, editions] = await Promise.all([getObservatory(db), listExtranetPublications(db), listPublishedEditions(db)]);
  // Only what the page renders goes to the browser (ADR 044): the list of editions names each one's contributors by
  // their number; their names and logos are on the edition's own page (convention, art. 5), not repeated here.
  return {
    observatory,
    publications: publications.map(({ id, title, publishedAt, excerpt, sources, contributors }) => ({ id, title, publishedAt, excerpt, sources, contributors })),
    dashboards: editions
      .filter((e) => !e.withdrawn && !e.supersededAt)
      .map(({ id, year, number, publishedAt, transmittedOn, url, pdfUrl, xlsxUrl, contributors }) => ({
        id,
        year,
        number,
        publishedAt,
        transmittedOn,
        url,
        pdfUrl,
        xlsxUrl,
        contributorCount: contributors.length,
      })),
  };
}

export default function Extranet() {
  const { observatory, publications, dashboards } = useLoaderData<typeof loader>();
  return (
    <Stack maw={1000} mx="auto">
      <Title order={2}>{observatory.name}</Title>
      <Text>
        Les publications et tableaux de bord de l'observatoire{observatory.departementName ? ` (${observatory.departementName})` : ""}, validés par le
        référent de l'observatoire avec l'accord de chaque organisme source. Les petits effectifs sont masqués (secret statistique).
      </Text>
      {observatory.isDemo && <Text c="dimmed">Instance de démonstration : les données sont fictives.</Text>}

      <section aria-labelledby="tableaux-de-bord">
        <Title order={3} size="h4" id="tableaux-de-bord" mb="xs">
          Tableaux de bord annuels
        </Title>
        {dashboards.length === 0 ? (
          <Text>Aucun tableau de bord publié pour l'instant.</Text>
        ) : (
          <Grid12>
            {dashboards.map((d) => (
              <Card key={d.id} component="article" aria-labelledby={`tdb-${d.id}`}>
                <Stack gap="xs">
                  <Title order={4} size="h5" id={`tdb-${d.id}`}>
                    <Anchor href={d.url}>Tableau de bord {d.year}</Anchor>
                  </Title>
                  <Text size="sm">
                    Édition n° {d.number}, publiée le {formatDate(d.publishedAt)}
                    {d.transmittedOn ? `, transmise à l'ONPE le ${formatDate(d.transmittedOn)}` : ""}.
                  </Text>
                  <Group gap="sm">
                    <Anchor href={d.pdfUrl} size="sm">
                      PDF
                    </Anchor>
                    <Anchor href={d.xlsxUrl} size="sm">
                      Excel
                    </Anchor>
                  </Group>
                  {d.contributorCount > 0 && (
                    <Text size="sm">
                      <strong>Sources :</strong>{" "}
                      <Anchor href={`${d.url}#contributeurs`}>
                        {d.contributorCount === 1 ? "1 organisme contributeur" : `${d.contributorCount} organismes contributeurs`}
                      </Anchor>
                      {d.contributorCount === 1 ? ", cité avec son logo dans le tableau de bord." : ", cités avec leur logo dans le tableau de bord."}
                    </Text>
                  )}
                </Stack>
              </Card>
            ))}
          </Grid12>
        )}
      </section>

      <section aria-labelledby="publications">
        <Title order={3} size="h4" id="publications" mb="xs">
          Publications
        </Title>
        {publications.length === 0 ? (
          <Text>Aucune publication pour l'instant.</Text>
        ) : (
          <Stack>
            {publications.map((p) => (
              <Card key={p.id} component="article" aria-labelledby={`pub-${p.id}`}>
                <Stack gap="xs">
                  <Title order={4} size="h5" id={`pub-${p.id}`}>
                    <Anchor component={Link} to={`/extranet/publications/${p.id}`}>
                      {p.title}
                    </Anchor>
                  </Title>
                  <Text size="sm" c="dimmed">
                    Publiée le {formatDate(p.publishedAt)}
                  </Text>
                  {p.excerpt && <Text size="sm">{p.excerpt}</Text>}
                  <Text size="sm" fw={600}>
                    {p.sources}
                  </Text>
                  <Contributors contributors={p.contributors} logoUrl={(id) => `/extranet/logos/${id}`} />
                </Stack>
              </Card>
            ))}
          </Stack>
        )}
      </section>
    </Stack>
  );
}
