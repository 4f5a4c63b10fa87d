import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Card, Stack, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listReleasedPublications } from "~/server/publications/released.server";
import { formatDate } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Publications — Portail ODPE" }];

/**
 * Art. 5: the readers' (elected officials, directions) « Publications » space:
 * the productions validated for them (« Institutions : élus, directions »)
 * and the public ones.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "read:released_publication");
  return { publications: await listReleasedPublications(await getDb()) };
}

export default function ReleasedPublications() {
  const { publications } = useLoaderData<typeof loader>();
  return (
    <Stack maw={1000}>
      <Title order={2}>Publications</Title>
      <Text>
        Les productions de l'observatoire validées par le référent de l'ODPE pour les élus et les directions, et les publications grand public. Les petits
        effectifs sont masqués (secret statistique) et chaque source est citée.
      </Text>
      {publications.length === 0 ? (
        <Text>Aucune publication diffusée pour l'instant.</Text>
      ) : (
        publications.map((p) => (
          <Card key={p.id} withBorder component="article" aria-labelledby={`pub-${p.id}`}>
            <Title order={3} size="h5" id={`pub-${p.id}`}>
              <Anchor component={Link} to={`/publications-diffusees/${p.id}`}>
                {p.title}
              </Anchor>
            </Title>
            <Text size="sm">
              {p.audienceLabel} — diffusée le {formatDate(p.published_at)} — {p.organisation_name}
            </Text>
          </Card>
        ))
      )}
    </Stack>
  );
}
