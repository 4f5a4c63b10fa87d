import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getEnv } from "~/server/env.server";
import { getOutboxMail, listOutbox } from "~/server/mail/outbox.server";
import { outboxStatusLabels, outboxStatuses } from "~/domain/outbox";
import { formatDateTime } from "~/domain/format";
import { TableScroll } from "~/ui/TableScroll";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.capture === false ? "Courriels envoyés" : "Boîte de réception de démonstration"} — Portail ODPE` },
];

const filterSchema = z.object({
  status: z.enum(outboxStatuses).optional().catch(undefined),
  q: z.string().trim().max(120).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  message: z.uuid().optional().catch(undefined),
});

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "read:mailbox");
  const params = Object.fromEntries([...new URL(request.url).searchParams].filter(([, v]) => v !== ""));
  const filter = filterSchema.parse(params);
  const db = await getDb();
  const env = getEnv();
  const [{ mails, hasMore }, selected] = await Promise.all([
    listOutbox(db, { status: filter.status, search: filter.q, page: filter.page }),
    filter.message ? getOutboxMail(db, filter.message) : Promise.resolve(undefined),
  ]);
  return { mails, hasMore, filter, selected: selected ?? null, from: env.MAIL_FROM, capture: env.mailTransport === "capture" };
}

const statusColors = { pending: "orange.9", sent: "green.9", failed: "red.9" } as const;

export default function MailboxPage() {
  const { mails, hasMore, filter, selected, from, capture } = useLoaderData<typeof loader>();
  const link = (changes: Record<string, string | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries({ status: filter.status, q: filter.q, page: String(filter.page), message: filter.message, ...changes })) {
      if (value) params.set(key, value);
    }
    return `/demo/mailbox?${params}`;
  };
  return (
    <Stack>
      <Title order={2}>{capture ? "Boîte de réception de démonstration" : "Courriels envoyés par le portail"}</Title>
      <Text>
        {capture
          ? "En démonstration, le portail n'envoie aucun courriel : chaque message (rappels, dépôts, validations, retours) est conservé ici tel qu'il serait parti."
          : "Chaque courriel du portail, avec son état d'envoi par le serveur SMTP configuré."}
      </Text>
      <Form method="get" role="search" aria-label="Filtrer les courriels">
        <Group align="flex-end">
          <Select
            label="État"
            name="status"
            clearable
            defaultValue={filter.status ?? null}
            data={Object.entries(outboxStatusLabels).map(([value, label]) => ({ value, label }))}
          />
          <TextInput label="Destinataire ou objet" name="q" defaultValue={filter.q ?? ""} />
          <Button type="submit" variant="outline">
            Filtrer
          </Button>
        </Group>
      </Form>
      {selected && (
        <Card withBorder component="article" aria-labelledby="courriel-objet">
          <Stack gap="xs">
            <Title order={3} size="h4" id="courriel-objet">
              {selected.subject}
            </Title>
            <Table variant="vertical" withRowBorders={false}>
              <Table.Tbody>
                <Table.Tr>
                  <Table.Th scope="row" w={160}>
                    De
                  </Table.Th>
                  <Table.Td>{from}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th scope="row">À</Table.Th>
                  <Table.Td>{selected.to_addresses.join(", ")}</Table.Td>
                </Table.Tr>
                {selected.reply_to && (
                  <Table.Tr>
                    <Table.Th scope="row">Répondre à</Table.Th>
                    <Table.Td>{selected.reply_to}</Table.Td>
                  </Table.Tr>
                )}
                <Table.Tr>
                  <Table.Th scope="row">État</Table.Th>
                  <Table.Td>
                    {outboxStatusLabels[selected.status]}
                    {selected.sent_at ? ` le ${formatDateTime(selected.sent_at)}` : ""}
                    {selected.last_error ? ` — dernière erreur : ${selected.last_error}` : ""}
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th scope="row">Identifiant</Table.Th>
                  <Table.Td>
                    <code>{selected.message_id ?? "—"}</code>
                  </Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
            <Text component="pre" style={{ whiteSpace: "pre-wrap", fontFamily: "inherit" }}>
              {selected.text_body}
            </Text>
            {selected.html_body && (
              <Text size="sm" c="dimmed">
                Ce courriel comporte aussi une version mise en forme (HTML), non affichée ici.
              </Text>
            )}
            <Anchor component={Link} to={link({ message: undefined })}>
              Fermer le courriel
            </Anchor>
          </Stack>
        </Card>
      )}
      <TableScroll label="Courriels" minWidth={860}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Date</Table.Th>
              <Table.Th scope="col">Destinataires</Table.Th>
              <Table.Th scope="col">Objet</Table.Th>
              <Table.Th scope="col">Type</Table.Th>
              <Table.Th scope="col">État</Table.Th>
              <Table.Th scope="col">Tentatives</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {mails.map((mail) => (
              <Table.Tr key={mail.id} aria-current={mail.id === filter.message ? "true" : undefined}>
                <Table.Td>{formatDateTime(mail.sent_at ?? mail.created_at)}</Table.Td>
                <Table.Td>{mail.to_addresses.join(", ")}</Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={link({ message: mail.id })}>
                    {mail.subject}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <code>{mail.kind}</code>
                </Table.Td>
                <Table.Td style={{ whiteSpace: "nowrap" }}>
                  <Badge color={statusColors[mail.status]} variant="light" style={{ overflow: "visible" }}>
                    {outboxStatusLabels[mail.status]}
                  </Badge>
                </Table.Td>
                <Table.Td>{mail.attempts}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
      {mails.length === 0 && <Text>Aucun courriel ne correspond à ces critères.</Text>}
      <Group>
        {filter.page > 1 && (
          <Anchor component={Link} to={link({ page: String(filter.page - 1), message: undefined })}>
            ← Page précédente
          </Anchor>
        )}
        {hasMore && (
          <Anchor component={Link} to={link({ page: String(filter.page + 1), message: undefined })}>
            Page suivante →
          </Anchor>
        )}
      </Group>
    </Stack>
  );
}
