import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Card, Group, Stack, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getOrganisation } from "~/server/organisations/organisations.server";
import { todayIso } from "~/domain/dates";
import { MembershipBadge, membershipSentence } from "~/ui/referential";
import { formatDate } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Données de mon organisme — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "export:organisation_data");
  const organisation = await getOrganisation(await getDb(), user.organisationId, todayIso());
  return { organisation, withdrawn: user.organisationWithdrawn };
}

export default function MyDataPage() {
  const { organisation: o, withdrawn } = useLoaderData<typeof loader>();
  return (
    <Stack maw={820}>
      <Title order={2}>Données de mon organisme</Title>
      <Group>
        <Text fw={600}>{o.name}</Text>
        <MembershipBadge status={o.status} />
      </Group>
      <Text>{membershipSentence(o)}.</Text>
      {withdrawn && (
        <Alert color="red.9" title="Votre organisme s'est retiré de la convention">
          Le retrait a pris effet le {formatDate(o.withdrawal_effective_date)} (art. 7). Votre organisme ne peut plus transmettre
          de données et votre accès au portail se limite à cette page. Les données transmises restent sa propriété (art. 5 et 6) :
          vous pouvez les exporter ci-dessous ; toute diffusion externe demande toujours votre accord.
        </Alert>
      )}
      <Card withBorder>
        <Stack>
          <Text>
            Les données transmises à l'observatoire restent la propriété de votre organisme (art. 5 et 6 de la convention).
            L'export rassemble ce que le portail détient pour lui : identité, contacts, comptes, conventions d'application et droits
            d'usage, transmissions attendues.
          </Text>
          <Anchor href="/my-data/export" fw={600}>
            Télécharger les données de mon organisme (JSON)
          </Anchor>
        </Stack>
      </Card>
      <Card withBorder>
        <Stack>
          <Text>
            Vos données personnelles (compte, connexions, notifications, messages reçus, actions journalisées) peuvent être
            téléchargées à tout moment, y compris après le retrait de votre organisme.
          </Text>
          <Anchor href="/account/export" fw={600}>
            Télécharger mes données personnelles (JSON)
          </Anchor>
        </Stack>
      </Card>
    </Stack>
  );
}
