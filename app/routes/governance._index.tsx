import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { addMember, createMeeting, endMembership, listGovernance } from "~/server/governance/governance.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { can } from "~/domain/permissions";
import { meetingFormSchema, memberFormSchema } from "~/domain/governance";
import { todayIso } from "~/domain/dates";
import { z } from "zod";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Instances de gouvernance — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:governance");
  const db = await getDb();
  const manage = can(user, "manage:governance");
  const [bodies, organisations] = await Promise.all([listGovernance(db), manage ? listOrganisationOptions(db) : Promise.resolve([])]);
  return { bodies, manage, today: todayIso(), organisations: organisations.map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` })) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:governance");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  try {
    const form = await request.formData();
    switch (intent) {
      case "member":
        await addMember(db, actorOf(user, context), parseForm(memberFormSchema, form));
        return intentSuccess(intent, "Le membre a été ajouté.");
      case "end-member": {
        const { memberId } = parseForm(z.object({ memberId: z.uuid({ error: "Membre inconnu : rechargez la page." }) }), form);
        await endMembership(db, actorOf(user, context), memberId);
        return intentSuccess(intent, "Le mandat est terminé à la date du jour.");
      }
      case "meeting":
        await createMeeting(db, actorOf(user, context), parseForm(meetingFormSchema, form));
        return intentSuccess(intent, "La réunion a été enregistrée : ajoutez son compte rendu et ses décisions depuis sa page.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function GovernancePage() {
  const { bodies, manage, organisations, today } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const errors = (intent: string) => (result && !result.ok && result.intent === intent ? result.fieldErrors : {});
  const bodyOptions = bodies.map((b) => ({ value: b.code, label: b.name }));
  return (
    <Stack>
      <Title order={2}>Instances de gouvernance</Title>
      <Text>
        La convention (art. 2) institue une conférence stratégique et un comité de suivi. Leurs réunions, comptes rendus et décisions
        (adoption du tableau de bord, avenants, diffusion) sont conservés ici ; les décisions citent les documents qu'elles concernent.
      </Text>
      <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
      {bodies.map((body) => (
        <Card withBorder component="section" key={body.code} aria-labelledby={`instance-${body.code}`}>
          <Title order={3} id={`instance-${body.code}`} mb="xs">
            {body.name}
          </Title>
          <Text size="sm" mb="sm">
            {body.mission}
          </Text>
          <Title order={4} size="h5" mb="xs">
            Membres
          </Title>
          {body.members.length === 0 ? (
            <Text size="sm">Aucun membre enregistré.</Text>
          ) : (
            <TableScroll label={`Membres — ${body.name}`}>
              <Table>
                <Table.Caption>Membres en fonction de la {body.name.toLowerCase()}</Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Personne</Table.Th>
                    <Table.Th scope="col">Fonction</Table.Th>
                    <Table.Th scope="col">Organisme</Table.Th>
                    <Table.Th scope="col">Depuis</Table.Th>
                    {manage && <Table.Th scope="col">Action</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {body.members.map((m) => (
                    <Table.Tr key={m.id}>
                      <Table.Td>{m.person_name}</Table.Td>
                      <Table.Td>{m.position ?? "—"}</Table.Td>
                      <Table.Td>{m.organisation_name}</Table.Td>
                      <Table.Td>{formatDate(m.since)}</Table.Td>
                      {manage && (
                        <Table.Td>
                          <Form method="post" action="?intent=end-member">
                            <input type="hidden" name="memberId" value={m.id} />
                            <Button type="submit" size="compact-sm" variant="subtle" aria-label={`Terminer le mandat de ${m.person_name}`}>
                              Terminer le mandat
                            </Button>
                          </Form>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </TableScroll>
          )}
          <Title order={4} size="h5" mt="md" mb="xs">
            Réunions
          </Title>
          {body.meetings.length === 0 ? (
            <Text size="sm">Aucune réunion enregistrée.</Text>
          ) : (
            <Stack gap={4}>
              {body.meetings.map((m) => (
                <Text size="sm" key={m.id}>
                  <Anchor component={Link} to={`/governance/meetings/${m.id}`}>
                    {formatDate(m.held_on)} — {m.title}
                  </Anchor>{" "}
                  ({m.decision_count} décision{m.decision_count > 1 ? "s" : ""}
                  {m.minutes_file_id ? ", compte rendu" : ", compte rendu à déposer"})
                </Text>
              ))}
            </Stack>
          )}
        </Card>
      ))}
      {manage && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder component="section" aria-labelledby="ajouter-membre">
            <Title order={3} size="h4" id="ajouter-membre" mb="sm">
              Ajouter un membre
            </Title>
            <Form method="post" action="?intent=member" noValidate>
              <Stack>
                <Select label="Instance" name="bodyCode" required data={bodyOptions} error={errors("member").bodyCode?.[0]} />
                <Select label="Organisme représenté" name="organisationId" required searchable data={organisations} error={errors("member").organisationId?.[0]} />
                <TextInput label="Nom de la personne" name="personName" required error={errors("member").personName?.[0]} />
                <TextInput label="Fonction (facultatif)" name="position" error={errors("member").position?.[0]} />
                <TextInput type="date" label="Début du mandat" name="since" required defaultValue={today} error={errors("member").since?.[0]} />
                <TextInput type="date" label="Fin du mandat (facultatif)" name="until" error={errors("member").until?.[0]} />
                <Group>
                  <Button type="submit">Ajouter le membre</Button>
                </Group>
              </Stack>
            </Form>
          </Card>
          <Card withBorder component="section" aria-labelledby="nouvelle-reunion">
            <Title order={3} size="h4" id="nouvelle-reunion" mb="sm">
              Enregistrer une réunion
            </Title>
            <Form method="post" action="?intent=meeting" noValidate>
              <Stack>
                <Select label="Instance" name="bodyCode" required data={bodyOptions} error={errors("meeting").bodyCode?.[0]} />
                <TextInput type="date" label="Date de la réunion" name="heldOn" required defaultValue={today} error={errors("meeting").heldOn?.[0]} />
                <TextInput label="Intitulé" name="title" required error={errors("meeting").title?.[0]} />
                <Textarea label="Ordre du jour" name="agenda" required autosize minRows={3} error={errors("meeting").agenda?.[0]} />
                <Group>
                  <Button type="submit">Enregistrer la réunion</Button>
                </Group>
              </Stack>
            </Form>
          </Card>
        </SimpleGrid>
      )}
    </Stack>
  );
}
