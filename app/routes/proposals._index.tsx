import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Button, Card, Group, MultiSelect, Select, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createProposal, listProposals } from "~/server/governance/proposals.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { listIndicatorOptions } from "~/server/indicators/indicators.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { can } from "~/domain/permissions";
import { proposalFormSchema, proposalKindLabels, proposalKinds, proposalStatusColors, proposalStatusLabels } from "~/domain/governance";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Propositions d'indicateurs — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:indicator_proposal");
  const db = await getDb();
  const mayPropose = can(user, "create:indicator_proposal");
  const [proposals, organisations, indicators] = await Promise.all([
    listProposals(db),
    mayPropose ? listOrganisationOptions(db) : Promise.resolve([]),
    mayPropose ? listIndicatorOptions(db) : Promise.resolve([]),
  ]);
  return {
    proposals,
    mayPropose,
    organisations: organisations.filter((o) => !o.is_observatory_team).map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` })),
    indicators: indicators.map((i) => ({ value: i.id, label: `${i.code} — ${i.label}` })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "create:indicator_proposal");
  let id: string;
  try {
    id = await createProposal(await getDb(), actorOf(user, context), parseForm(proposalFormSchema, await request.formData()));
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/proposals/${id}?created=1`);
}

export default function ProposalsPage() {
  const { proposals, mayPropose, organisations, indicators } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <Stack>
      <Title order={2}>Propositions d'indicateurs</Title>
      <Text>
        La liste des données partagées est convenue au préalable avec les signataires (art. 2 et 3). Un membre propose un nouvel indicateur
        ou une modification ; chaque signataire concerné donne l'accord ou l'objection de son institution ; le référent ODPE l'inscrit au
        catalogue par avenant (art. 7).
      </Text>
      {proposals.length === 0 ? (
        <Text>Aucune proposition pour l'instant.</Text>
      ) : (
        <TableScroll label="Propositions d'indicateurs">
          <Table>
            <Table.Caption>Propositions, la plus récente d'abord</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Proposition</Table.Th>
                <Table.Th scope="col">Type</Table.Th>
                <Table.Th scope="col">Proposée par</Table.Th>
                <Table.Th scope="col">Le</Table.Th>
                <Table.Th scope="col">Avis des signataires</Table.Th>
                <Table.Th scope="col">État</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {proposals.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/proposals/${p.id}`}>
                      {p.title}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {proposalKindLabels[p.kind]}
                    {p.indicator_code ? ` (${p.indicator_code})` : ""}
                  </Table.Td>
                  <Table.Td>{p.proposer_name}</Table.Td>
                  <Table.Td>{formatDate(p.created_at)}</Table.Td>
                  <Table.Td>
                    {p.agreed} accord{p.agreed > 1 ? "s" : ""} sur {p.concerned}
                    {p.objected > 0 ? `, ${p.objected} objection${p.objected > 1 ? "s" : ""}` : ""}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={proposalStatusColors[p.status]} variant="light" style={{ whiteSpace: "nowrap", overflow: "visible" }}>
                      {proposalStatusLabels[p.status]}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      {mayPropose && (
        <Card withBorder component="section" aria-labelledby="proposer" maw={760}>
          <Title order={3} size="h4" id="proposer" mb="sm">
            Proposer un indicateur
          </Title>
          <Form method="post" noValidate>
            <Stack>
              <FormAlert error={result && !result.ok ? result.formError : null} />
              <Select
                label="Type de proposition"
                name="kind"
                required
                defaultValue="new"
                data={proposalKinds.map((k) => ({ value: k, label: proposalKindLabels[k] }))}
                error={errors.kind?.[0]}
              />
              <Select
                label="Indicateur à modifier (pour une modification)"
                name="indicatorId"
                searchable
                clearable
                data={indicators}
                error={errors.indicatorId?.[0]}
              />
              <TextInput label="Intitulé proposé" name="title" required error={errors.title?.[0]} />
              <Textarea
                label="Définition proposée"
                description="Ce qui est compté, l'unité, la date de référence, les ventilations."
                name="definition"
                required
                autosize
                minRows={3}
                error={errors.definition?.[0]}
              />
              <Textarea label="Motif" description="Pourquoi l'observatoire en a besoin." name="rationale" required autosize minRows={2} error={errors.rationale?.[0]} />
              <MultiSelect
                label="Signataires concernés"
                description="Les organismes qui produiraient la donnée : leur accord est requis avant l'inscription au catalogue."
                name="organisationIds"
                required
                searchable
                data={organisations}
                error={errors.organisationIds?.[0]}
              />
              <Group>
                <Button type="submit">Soumettre la proposition</Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
