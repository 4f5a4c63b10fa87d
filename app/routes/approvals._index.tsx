import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Stack, Table, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listApprovalsFor } from "~/server/publications/publication-queries.server";
import { publicationAudienceLabels } from "~/domain/publications";
import { ApprovalStatusBadge } from "~/ui/publication-badges";
import { TableScroll } from "~/ui/TableScroll";
import { formatDateTime } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Demandes d'accord de diffusion — Portail ODPE" }];

/**
 * Art. 5: the requests to diffuse the organisation's data outside the
 * observatory, for its validators. Kept after a withdrawal (Art. 7): the
 * organisation's data remain its property.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "decide:approval");
  const db = await getDb();
  const organisation = await db.selectFrom("organisation").select("name").where("id", "=", user.organisationId).executeTakeFirstOrThrow();
  return { organisation: organisation.name, approvals: await listApprovalsFor(db, user.organisationId), withdrawn: user.organisationWithdrawn };
}

export default function Approvals() {
  const { organisation, approvals, withdrawn } = useLoaderData<typeof loader>();
  const pending = approvals.filter((a) => a.status === "pending").length;
  return (
    <Stack maw={1100}>
      <Title order={2}>Demandes d'accord de diffusion</Title>
      <Text>
        Toute diffusion hors de l'observatoire des données de {organisation} requiert votre accord préalable (convention, art. 5). Chaque demande
        porte sur un contenu précis : s'il change, la demande est invalidée et une nouvelle vous parvient.
      </Text>
      {withdrawn && (
        <Alert color="orange.9" title="Organisme retiré de la convention">
          Votre organisme s'est retiré de la convention (art. 7) ; ses données restent sa propriété et leur diffusion externe demande toujours votre
          accord.
        </Alert>
      )}
      <Text fw={600}>{pending ? `${pending} demande(s) en attente de votre décision.` : "Aucune demande en attente."}</Text>
      {approvals.length > 0 && (
        <TableScroll label="Demandes d'accord" minWidth={760}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Publication</Table.Th>
                <Table.Th scope="col">Auteur</Table.Th>
                <Table.Th scope="col">Public</Table.Th>
                <Table.Th scope="col">Demandée</Table.Th>
                <Table.Th scope="col">Statut</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {approvals.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/approvals/${a.id}`}>
                      {a.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{a.author_organisation}</Table.Td>
                  <Table.Td>{publicationAudienceLabels[a.audience]}</Table.Td>
                  <Table.Td>{formatDateTime(a.requested_at)}</Table.Td>
                  <Table.Td>
                    <ApprovalStatusBadge status={a.status} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </Stack>
  );
}
