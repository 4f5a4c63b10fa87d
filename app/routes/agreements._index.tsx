import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Group, Stack, Table, Text, Title } from "@mantine/core";
import { requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listAgreements } from "~/server/agreements/agreements.server";
import { agreementFormatLabels, statisticalLevelLabels } from "~/domain/agreements";
import { formatMonthDay, todayIso } from "~/domain/dates";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { MembershipBadge, noShrink } from "~/ui/referential";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Conventions d'application — Portail ODPE" }];

/** All organisations' agreements: for those who hold the permission for every organisation. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:agreement", ANY_ORGANISATION);
  const { agreements, providersWithoutAgreement } = await listAgreements(await getDb(), todayIso());
  return { agreements, providersWithoutAgreement, canManage: userCan(user, "manage:agreement") };
}

export default function AgreementsPage() {
  const { agreements, providersWithoutAgreement, canManage } = useLoaderData<typeof loader>();
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Conventions d'application</Title>
        {canManage && (
          <Button component={Link} to="/agreements/new">
            Nouvelle convention d'application
          </Button>
        )}
      </Group>
      <Text>
        Pour chaque producteur de données, la convention d'application fixe les indicateurs transmis, le format, le niveau
        statistique, le calendrier et les droits d'usage de chaque indicateur (art. 4 et 5).
      </Text>
      {providersWithoutAgreement.length > 0 && (
        <Alert color="orange.9" title="Fournisseurs sans convention d'application en vigueur">
          <Group gap="xs">
            {providersWithoutAgreement.map((p) =>
              canManage ? (
                <Anchor key={p.id} component={Link} to={`/agreements/new?organisation=${p.id}`}>
                  {p.code}
                </Anchor>
              ) : (
                <Text key={p.id} span>
                  {p.code}
                </Text>
              ),
            )}
          </Group>
        </Alert>
      )}
      <TableScroll label="Liste des conventions d'application" minWidth={1000}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Organisme</Table.Th>
              <Table.Th scope="col">Référence</Table.Th>
              <Table.Th scope="col">Période</Table.Th>
              <Table.Th scope="col">Format</Table.Th>
              <Table.Th scope="col">Niveau</Table.Th>
              <Table.Th scope="col">Échéance annuelle</Table.Th>
              <Table.Th scope="col">Indicateurs (interne / sur accord / ouvert)</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {agreements.map((a) => (
              <Table.Tr key={a.id}>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Text size="sm" fw={600}>
                      {a.organisation_code}
                    </Text>
                    <MembershipBadge status={a.organisationStatus} />
                  </Group>
                  <Text size="xs">{a.organisation_name}</Text>
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/agreements/${a.id}`}>
                    {a.reference ?? "Sans référence"}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  du {formatDate(a.starts_on)}
                  {a.ends_on ? ` au ${formatDate(a.ends_on)}` : ""}{" "}
                  {a.inForce ? (
                    <Badge color="green.9" variant="light" style={noShrink}>
                      En vigueur
                    </Badge>
                  ) : (
                    <Badge color="gray.8" variant="light" style={noShrink}>
                      Hors période
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{agreementFormatLabels[a.format].split(" (")[0]}</Table.Td>
                <Table.Td>{statisticalLevelLabels[a.statistical_level].split(" (")[0]}</Table.Td>
                <Table.Td>{a.due_month_day ? formatMonthDay(a.due_month_day) : "Date de la campagne"}</Table.Td>
                <Table.Td>
                  {a.indicatorCount} ({a.rightsCount.internal} / {a.rightsCount.with_approval} / {a.rightsCount.open})
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
    </Stack>
  );
}
