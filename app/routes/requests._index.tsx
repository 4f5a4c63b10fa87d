import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Button, Card, Group, MultiSelect, Select, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createDataRequest, listDataRequests } from "~/server/governance/data-requests.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { can } from "~/domain/permissions";
import { addDays, todayIso } from "~/domain/dates";
import { answerFormatLabels, answerFormats, dataRequestFormSchema, recipientStatusColors, recipientStatusLabels, type RecipientStatus } from "~/domain/data-requests";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Demandes de données — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:data_request");
  const db = await getDb();
  const mayAsk = can(user, "create:data_request");
  const [requests, organisations] = await Promise.all([listDataRequests(db, user.organisationId), mayAsk ? listOrganisationOptions(db) : Promise.resolve([])]);
  return {
    requests,
    mayAsk,
    defaultDue: addDays(todayIso(), 30),
    organisations: organisations.filter((o) => !o.is_observatory_team).map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "create:data_request");
  let id: string;
  try {
    id = await createDataRequest(await getDb(), actorOf(user, context), parseForm(dataRequestFormSchema, await request.formData()));
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/requests/${id}?created=1`);
}

export default function DataRequestsPage() {
  const { requests, mayAsk, organisations, defaultDue } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <Stack>
      <Title order={2}>Demandes de données</Title>
      <Text>
        Au-delà du tableau annuel, l'observatoire peut demander aux partenaires des données précises (convention, art. 3). Les réponses sont
        mutualisées comme les données annuelles : usage interne ; toute diffusion externe requiert l'accord de l'organisme source (art. 5).
      </Text>
      {requests.length === 0 ? (
        <Text>Aucune demande pour l'instant.</Text>
      ) : (
        <TableScroll label="Demandes de données">
          <Table>
            <Table.Caption>Demandes ouvertes d'abord, par date de réponse</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Demande</Table.Th>
                <Table.Th scope="col">Posée par</Table.Th>
                <Table.Th scope="col">Réponse avant le</Table.Th>
                <Table.Th scope="col">Réponses</Table.Th>
                <Table.Th scope="col">Votre organisme</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {requests.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/requests/${r.id}`}>
                      {r.title}
                    </Anchor>
                    {r.status === "closed" ? " (close)" : ""}
                  </Table.Td>
                  <Table.Td>{r.requester_name}</Table.Td>
                  <Table.Td>{formatDate(r.due_on)}</Table.Td>
                  <Table.Td>
                    {r.answered} sur {r.recipients}
                  </Table.Td>
                  <Table.Td>
                    {r.my_status ? (
                      <Badge color={recipientStatusColors[r.my_status as RecipientStatus]} variant="light" style={{ whiteSpace: "nowrap", overflow: "visible" }}>
                        {recipientStatusLabels[r.my_status as RecipientStatus]}
                      </Badge>
                    ) : (
                      "non destinataire"
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      {mayAsk && (
        <Card withBorder component="section" aria-labelledby="nouvelle-demande" maw={760}>
          <Title order={3} size="h4" id="nouvelle-demande" mb="sm">
            Nouvelle demande
          </Title>
          <Form method="post" noValidate>
            <Stack>
              <FormAlert error={result && !result.ok ? result.formError : null} />
              <TextInput label="Objet" name="title" required error={errors.title?.[0]} />
              <Textarea
                label="Question"
                description="Ce qui est demandé, le périmètre, la période de référence."
                name="question"
                required
                autosize
                minRows={3}
                error={errors.question?.[0]}
              />
              <Select
                label="Forme de la réponse"
                name="answerFormat"
                required
                defaultValue="figures"
                data={answerFormats.map((f) => ({ value: f, label: answerFormatLabels[f] }))}
                error={errors.answerFormat?.[0]}
              />
              <TextInput type="date" label="Réponse souhaitée avant le" name="dueOn" required defaultValue={defaultDue} error={errors.dueOn?.[0]} />
              <MultiSelect label="Organismes interrogés" name="organisationIds" required searchable data={organisations} error={errors.organisationIds?.[0]} />
              <Group>
                <Button type="submit">Envoyer la demande</Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
