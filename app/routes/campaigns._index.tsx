import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Button, Card, Group, Stack, Table, Text, Timeline, Title } from "@mantine/core";
import { requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listCampaigns } from "~/server/campaigns/campaigns.server";
import { campaignCalendar, reminderDates } from "~/domain/campaigns";
import { todayIso } from "~/domain/dates";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { CampaignStatusBadge } from "~/ui/referential";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Campagnes de collecte — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:campaign", ANY_ORGANISATION);
  const campaigns = await listCampaigns(await getDb());
  const today = todayIso();
  return { campaigns, calendar: campaignCalendar(campaigns, today).slice(0, 12), today, canManage: userCan(user, "manage:campaign") };
}

const eventColor = { opening: "indigo.9", reminder: "gray.8", deadline: "red.9" } as const;

export default function CampaignsPage() {
  const { campaigns, calendar, canManage } = useLoaderData<typeof loader>();
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Campagnes de collecte</Title>
        {canManage && (
          <Button component={Link} to="/campaigns/new">
            Nouvelle campagne
          </Button>
        )}
      </Group>
      <Text>
        Une campagne par année de référence : les partenaires transmettent leurs tableaux une fois par an, selon le calendrier
        convenu (art. 4). L'ouverture crée une transmission attendue pour chaque organisme membre dont la convention
        d'application couvre l'année ; la clôture verrouille les dépôts, sauf réouverture individuelle.
      </Text>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Calendrier à venir
        </Title>
        {calendar.length === 0 ? (
          <Text>Aucune échéance à venir.</Text>
        ) : (
          <Timeline bulletSize={14} lineWidth={2}>
            {calendar.map((e) => (
              <Timeline.Item key={`${e.kind}-${e.referenceYear}-${e.date}-${e.label}`} color={eventColor[e.kind]} title={formatDate(e.date)}>
                <Text size="sm">{e.label}</Text>
              </Timeline.Item>
            ))}
          </Timeline>
        )}
      </Card>
      <TableScroll label="Liste des campagnes" minWidth={900}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Année de référence</Table.Th>
              <Table.Th scope="col">Statut</Table.Th>
              <Table.Th scope="col">Ouverture</Table.Th>
              <Table.Th scope="col">Date limite</Table.Th>
              <Table.Th scope="col">Relances</Table.Th>
              <Table.Th scope="col">Transmissions attendues</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {campaigns.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/campaigns/${c.reference_year}`}>
                    Campagne {c.reference_year}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <CampaignStatusBadge status={c.status} />
                </Table.Td>
                <Table.Td>{formatDate(c.opens_on)}</Table.Td>
                <Table.Td>{formatDate(c.deadline)}</Table.Td>
                <Table.Td>
                  {reminderDates(c.deadline, c.reminder_days_before, c.reminder_days_after)
                    .map((r) => formatDate(r.date))
                    .join(", ") || "aucune"}
                </Table.Td>
                <Table.Td>
                  {c.status === "draft" ? "—" : c.expected_count}
                  {c.reopened_count > 0 && (
                    <Badge ml="xs" color="orange.9" variant="light">
                      {c.reopened_count} réouverture(s)
                    </Badge>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
    </Stack>
  );
}
