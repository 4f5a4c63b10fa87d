import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Button, Group, List, Select, Stack, Table, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { completenessBoard } from "~/server/collection/queries.server";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { versionStatusColors, versionStatusLabels, type VersionStatus } from "~/domain/submissions";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate, formatDateTime } from "~/domain/format";
import { WrapBadge } from "~/ui/WrapBadge";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction = () => [{ title: "Suivi de la collecte — Portail ODPE" }];

const filters = {
  all: "Tous les organismes",
  missing: "Rien transmis",
  waiting: "En cours de validation",
  accepted: "Acceptés",
  late: "En retard",
} as const;
type Filter = keyof typeof filters;

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:submission", ANY_ORGANISATION);
  const year = requireParam(params, "year", "year", "Campagne introuvable");
  const filter = (new URL(request.url).searchParams.get("filtre") ?? "all") as Filter;
  const rows = await completenessBoard(await getDb(), year);
  const shown = rows.filter((r) => {
    switch (filter) {
      case "missing":
        return !r.first_transmitted_at;
      case "waiting":
        return r.status === "submitted" || r.status === "institution_validated";
      case "accepted":
        return r.acceptedNumber !== null;
      case "late":
        return r.onTime === false || (!r.first_transmitted_at && r.daysToDeadline < 0);
      default:
        return true;
    }
  });
  const summary = {
    expected: rows.length,
    transmitted: rows.filter((r) => r.first_transmitted_at).length,
    accepted: rows.filter((r) => r.acceptedNumber !== null).length,
  };
  const withoutValidator = rows.filter((r) => r.withoutValidator).map((r) => ({ code: r.code, name: r.name }));
  return { year, rows: shown, summary, withoutValidator, filter: filter in filters ? filter : "all" };
}

export default function CompletenessBoard() {
  const { year, rows, summary, withoutValidator, filter } = useLoaderData<typeof loader>();
  return (
    <Stack>
      <Title order={2}>Suivi de la collecte {year}</Title>
      <Text>
        {summary.transmitted} organisme(s) sur {summary.expected} ont transmis ; {summary.accepted} dossier(s) accepté(s).
      </Text>
      <Group align="flex-end">
        <Form method="get">
          <Group align="flex-end">
            <Select label="Afficher" name="filtre" defaultValue={filter} data={Object.entries(filters).map(([value, label]) => ({ value, label }))} allowDeselect={false} />
            <Button type="submit" variant="outline">
              Filtrer
            </Button>
          </Group>
        </Form>
        <Button component="a" href={`/completeness/${year}/export`} variant="light">
          Exporter (.xlsx)
        </Button>
      </Group>
      {withoutValidator.length > 0 && (
        <Alert color="orange.9" variant="light" title={`${withoutValidator.length} organisme(s) sans validateur`}>
          <Text size="sm" mb={4}>
            Personne ne peut y valider les données au nom de l'institution (convention, art. 4) : une version transmise y resterait en attente. Créez un compte de
            validateur ou contactez l'organisme.
          </Text>
          <List size="sm">
            {withoutValidator.map((o) => (
              <List.Item key={o.code}>
                {o.code} — {o.name}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      <TableScroll label="État des transmissions" minWidth={1000}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Organisme</Table.Th>
              <Table.Th scope="col">Statut</Table.Th>
              <Table.Th scope="col">Date limite</Table.Th>
              <Table.Th scope="col">Échéance</Table.Th>
              <Table.Th scope="col">Transmis le</Table.Th>
              <Table.Th scope="col">À l'heure</Table.Th>
              <Table.Th scope="col">Dernière activité</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.code}>
                <Table.Td>
                  <Anchor component={Link} to={`/collection/${year}/${r.code}`}>
                    {r.code}
                  </Anchor>{" "}
                  — {r.name}
                </Table.Td>
                <Table.Td>
                  {r.acceptedNumber !== null ? (
                    <WrapBadge color={versionStatusColors.accepted}>
                      {r.currentNumber !== null && r.currentNumber > r.acceptedNumber
                        ? `Accepté, v${r.acceptedNumber} ; nouvelle version ${r.status === "draft" ? "en brouillon" : `« ${versionStatusLabels[r.status as VersionStatus].toLowerCase()} »`} v${r.currentNumber}`
                        : `Accepté, v${r.acceptedNumber}`}
                    </WrapBadge>
                  ) : r.status === "expected" ? (
                    <WrapBadge color="gray.8">
                      Attendu
                    </WrapBadge>
                  ) : (
                    <WrapBadge color={versionStatusColors[r.status as VersionStatus]}>
                      {versionStatusLabels[r.status as VersionStatus]}
                    </WrapBadge>
                  )}
                  {r.notAvailableText && (
                    <Text size="sm" c="orange.9">
                      {r.notAvailableText}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{formatDate(r.deadline)}</Table.Td>
                <Table.Td>{r.daysToDeadline >= 0 ? `J−${r.daysToDeadline}` : `dépassée de ${-r.daysToDeadline} j`}</Table.Td>
                <Table.Td>{formatDate(r.first_transmitted_at ? new Date(r.first_transmitted_at).toISOString().slice(0, 10) : null)}</Table.Td>
                <Table.Td>{r.onTime === null ? "—" : r.onTime ? "Oui" : "Non (en retard)"}</Table.Td>
                <Table.Td>{formatDateTime(r.last_activity_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
    </Stack>
  );
}
