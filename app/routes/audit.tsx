import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Button, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listAuditActions, listAuditEvents } from "~/server/audit/audit-query.server";
import { describeVerification, verifyAuditChainCached } from "~/server/audit/audit.server";
import { auditActionLabel } from "~/domain/audit-actions";
import { formatDateTime } from "~/domain/format";
import { TableScroll } from "~/ui/TableScroll";

export const meta: MetaFunction = () => [{ title: "Journal d'audit — Portail ODPE" }];

const filterSchema = z.object({
  action: z.string().max(80).optional().catch(undefined),
  actor: z.string().max(120).optional().catch(undefined),
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  verify: z.literal("1").optional().catch(undefined),
});

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "read:audit");
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const filter = filterSchema.parse(Object.fromEntries(Object.entries(params).filter(([, v]) => v !== "")));
  const db = await getDb();
  const [{ events, hasMore }, actions, verification] = await Promise.all([
    listAuditEvents(db, filter),
    listAuditActions(db),
    filter.verify ? verifyAuditChainCached(db) : Promise.resolve(null),
  ]);
  return {
    events,
    hasMore,
    actions,
    filter,
    verification: verification && { ok: verification.ok, lines: describeVerification(verification, "fr") },
  };
}

export default function AuditPage() {
  const { events, hasMore, actions, filter, verification } = useLoaderData<typeof loader>();
  const pageLink = (page: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...filter, verify: undefined, page: String(page) })) {
      if (value) params.set(key, String(value));
    }
    return `/audit?${params}`;
  };
  return (
    <Stack>
      <Title order={2}>Journal d'audit</Title>
      <Text>
        Chaque action sensible est tracée ; chaque événement est chaîné au précédent par une empreinte calculée avec une
        clé conservée hors de la base, et l'état du journal est ancré chaque jour (ancre signée envoyée par courriel aux
        référents) : toute modification, suppression ou troncature a posteriori est détectable.
      </Text>
      {verification && (
        <Alert color={verification.ok ? "green.9" : "red.9"} role="status" title="Vérification de l'intégrité">
          {verification.lines.map((line) => (
            <Text key={line} size="sm">
              {line}
            </Text>
          ))}
        </Alert>
      )}
      <Form method="get" role="search" aria-label="Filtrer le journal">
        <Group align="flex-end">
          <Select label="Action" name="action" clearable searchable defaultValue={filter.action ?? null} data={actions.map((a) => ({ value: a, label: auditActionLabel(a) }))} />
          <TextInput label="Auteur" name="actor" defaultValue={filter.actor ?? ""} />
          <TextInput label="Du" name="from" type="date" defaultValue={filter.from ?? ""} />
          <TextInput label="Au" name="to" type="date" defaultValue={filter.to ?? ""} />
          <Button type="submit" variant="outline">
            Filtrer
          </Button>
          <Button type="submit" name="verify" value="1" variant="light">
            Vérifier l'intégrité
          </Button>
        </Group>
      </Form>
      <TableScroll label="Événements du journal" minWidth={900}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">N°</Table.Th>
              <Table.Th scope="col">Date</Table.Th>
              <Table.Th scope="col">Auteur</Table.Th>
              <Table.Th scope="col">Organisme</Table.Th>
              <Table.Th scope="col">Action</Table.Th>
              <Table.Th scope="col">Résumé</Table.Th>
              <Table.Th scope="col">IP / requête</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>{e.id}</Table.Td>
                <Table.Td>{formatDateTime(e.occurred_at)}</Table.Td>
                <Table.Td>{e.actor_label}</Table.Td>
                <Table.Td>{e.organisation_code ?? "—"}</Table.Td>
                <Table.Td>
                  {auditActionLabel(e.action)}
                  <Text size="xs" c="dimmed">
                    <code>{e.action}</code>
                  </Text>
                </Table.Td>
                <Table.Td>
                  {e.summary}
                  {e.subject_label && <Text size="xs">Compte concerné : {e.subject_label}</Text>}
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{e.ip ?? "—"}</Text>
                  <Text size="xs">{e.request_id ?? ""}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
      {events.length === 0 && <Text>Aucun événement ne correspond à ces critères.</Text>}
      <Group>
        {filter.page > 1 && (
          <Anchor component={Link} to={pageLink(filter.page - 1)}>
            ← Page précédente
          </Anchor>
        )}
        {hasMore && (
          <Anchor component={Link} to={pageLink(filter.page + 1)}>
            Page suivante →
          </Anchor>
        )}
      </Group>
    </Stack>
  );
}
