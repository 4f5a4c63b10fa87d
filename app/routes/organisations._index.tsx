import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Button, Group, Stack, Table, Text, Title } from "@mantine/core";
import { TableScroll } from "~/ui/TableScroll";
import { requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { countMembers, listOrganisations } from "~/server/organisations/organisations.server";
import { joinedByLabel, organisationKindLabels } from "~/domain/organisations";
import { todayIso } from "~/domain/dates";
import { MembershipBadge } from "~/ui/referential";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Organismes membres — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:organisation");
  const db = await getDb();
  const today = todayIso();
  const [organisations, counts] = await Promise.all([listOrganisations(db, today), countMembers(db, today)]);
  return { organisations, counts, canManage: userCan(user, "manage:organisation") };
}

export default function OrganisationsPage() {
  const { organisations, counts, canManage } = useLoaderData<typeof loader>();
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Organismes membres</Title>
        {canManage && (
          <Button component={Link} to="/organisations/new">
            Ajouter un organisme
          </Button>
        )}
      </Group>
      <Text>
        Les signataires de la convention de partage de données et l'équipe de l'observatoire : {counts.members} membre(s)
        {counts.withdrawn ? `, ${counts.withdrawn} retiré(s)` : ""} sur {organisations.length} organismes. Un retrait prend effet
        trois mois après la lettre recommandée (art. 7) ; les données transmises restent la propriété de l'organisme.
      </Text>
      <TableScroll label="Liste des organismes membres" minWidth={900}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Code</Table.Th>
              <Table.Th scope="col">Nom</Table.Th>
              <Table.Th scope="col">Catégorie</Table.Th>
              <Table.Th scope="col">Statut</Table.Th>
              <Table.Th scope="col">Membre depuis</Table.Th>
              <Table.Th scope="col">Retrait</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {organisations.map((o) => (
              <Table.Tr key={o.id}>
                <Table.Td>{o.code}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    {o.logo_file_id && <img src={`/organisations/${o.id}/logo`} alt="" width={28} height={28} style={{ objectFit: "contain" }} />}
                    <Anchor component={Link} to={`/organisations/${o.id}`}>
                      {o.name}
                    </Anchor>
                  </Group>
                </Table.Td>
                <Table.Td>{organisationKindLabels[o.kind as keyof typeof organisationKindLabels] ?? o.kind}</Table.Td>
                <Table.Td>
                  <MembershipBadge status={o.status} />
                </Table.Td>
                <Table.Td>{o.member_since ? `${formatDate(o.member_since)} (${joinedByLabel(o.joined_amendment_number)})` : "—"}</Table.Td>
                <Table.Td>
                  {o.withdrawal_notice_date
                    ? `Lettre du ${formatDate(o.withdrawal_notice_date)}, effectif le ${formatDate(o.withdrawal_effective_date)}`
                    : "—"}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
    </Stack>
  );
}
