import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Stack, Table, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { campaignsForOrganisation } from "~/server/collection/queries.server";
import { versionStatusColors, versionStatusLabels } from "~/domain/submissions";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate, formatDateTime } from "~/domain/format";
import { WrapBadge } from "~/ui/WrapBadge";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Dépôt des tableaux — Portail ODPE" }];

/** The partner's campaigns: what is expected of its organisation, by when, and where each dossier stands. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:submission");
  const db = await getDb();
  const org = await db.selectFrom("organisation").select(["code", "name"]).where("id", "=", user.organisationId).executeTakeFirstOrThrow();
  return { organisation: org, campaigns: await campaignsForOrganisation(db, user.organisationId) };
}

export default function CollectionIndex() {
  const { organisation, campaigns } = useLoaderData<typeof loader>();
  return (
    <Stack maw={1000}>
      <Title order={2}>Dépôt des tableaux annuels</Title>
      <Text>
        {organisation.name} transmet chaque année ses indicateurs à l'ODPE, après validation par son institution (convention, art. 4).
      </Text>
      {campaigns.length === 0 ? (
        <Text>Votre organisme n'est attendu dans aucune campagne ouverte.</Text>
      ) : (
        <TableScroll label="Campagnes de collecte" minWidth={700}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Année</Table.Th>
                <Table.Th scope="col">Date limite</Table.Th>
                <Table.Th scope="col">Campagne</Table.Th>
                <Table.Th scope="col">Votre dossier</Table.Th>
                <Table.Th scope="col">Dernière activité</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {campaigns.map((c) => (
                <Table.Tr key={c.reference_year}>
                  <Table.Td>
                    <Anchor component={Link} to={`/collection/${c.reference_year}/${organisation.code}`}>
                      Indicateurs {c.reference_year}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{formatDate(c.deadline)}</Table.Td>
                  <Table.Td>{c.campaign_status === "open" ? "Ouverte" : "Clôturée"}</Table.Td>
                  <Table.Td>
                    {c.submission_status ? (
                      <WrapBadge color={versionStatusColors[c.submission_status]}>
                        {versionStatusLabels[c.submission_status]}
                      </WrapBadge>
                    ) : (
                      "À déposer"
                    )}
                  </Table.Td>
                  <Table.Td>{formatDateTime(c.last_activity_at)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </Stack>
  );
}
