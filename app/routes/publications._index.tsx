import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Button, Card, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createPublication } from "~/server/publications/publication-commands.server";
import { listPublications } from "~/server/publications/publication-queries.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { publicationAudienceLabels, publicationAudiences } from "~/domain/publications";
import { publicationFormSchema } from "~/domain/publication-forms";
import { PublicationStatusBadge } from "~/ui/publication-badges";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Publications — Portail ODPE" }];

/** Art. 5: productions for diffusion outside the observatory, and where each stands in the workflow. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:publication");
  const publications = await listPublications(await getDb());
  const canValidate = userCan(user, "validate:publication");
  return {
    publications,
    toValidate: canValidate ? publications.filter((p) => p.status === "awaiting_referent") : [],
    mine: publications.filter((p) => p.organisation_id === user.organisationId),
    canCreate: userCan(user, "create:publication"),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "create:publication");
  try {
    const input = parseForm(publicationFormSchema, await request.formData());
    const id = await createPublication(await getDb(), actorOf(user, context), input);
    return redirect(`/publications/${id}`);
  } catch (error) {
    return formFailure(error);
  }
}

type Row = ReturnType<typeof useLoaderData<typeof loader>>["publications"][number];

function PublicationTable({ rows, label }: { rows: Row[]; label: string }) {
  if (rows.length === 0) return <Text>Aucune publication.</Text>;
  return (
    <TableScroll label={label} minWidth={760}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Titre</Table.Th>
            <Table.Th scope="col">Statut</Table.Th>
            <Table.Th scope="col">Public</Table.Th>
            <Table.Th scope="col">Auteur</Table.Th>
            <Table.Th scope="col">Modifiée</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((p) => (
            <Table.Tr key={p.id}>
              <Table.Td>
                <Anchor component={Link} to={`/publications/${p.id}`}>
                  {p.title}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <PublicationStatusBadge status={p.status} />
              </Table.Td>
              <Table.Td>{publicationAudienceLabels[p.audience]}</Table.Td>
              <Table.Td>
                {p.author_name} ({p.organisation_name})
              </Table.Td>
              <Table.Td>{formatDate(p.updated_at)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}

export default function Publications() {
  const { publications, toValidate, mine, canCreate } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  return (
    <Stack maw={1200}>
      <Title order={2}>Publications</Title>
      <Text>
        Toute diffusion hors de l'observatoire — données brutes ou analyses — requiert l'accord préalable de chaque organisme source, puis la validation
        du référent de l'ODPE (convention, art. 5). Les sources sont calculées par le portail à partir des données figées et des documents joints.
      </Text>
      {toValidate.length > 0 && (
        <section aria-labelledby="a-valider">
          <Title order={3} size="h4" id="a-valider" mb="xs">
            À valider ({toValidate.length})
          </Title>
          <PublicationTable rows={toValidate} label="Publications à valider" />
        </section>
      )}
      {mine.length > 0 && (
        <section aria-labelledby="mon-organisme">
          <Title order={3} size="h4" id="mon-organisme" mb="xs">
            Publications de mon organisme
          </Title>
          <PublicationTable rows={mine} label="Publications de mon organisme" />
        </section>
      )}
      <section aria-labelledby="toutes">
        <Title order={3} size="h4" id="toutes" mb="xs">
          Toutes les publications
        </Title>
        <PublicationTable rows={publications} label="Toutes les publications" />
      </section>
      {canCreate && (
        <Card withBorder component="section" aria-labelledby="nouvelle">
          <Title order={3} size="h4" id="nouvelle" mb="sm">
            Nouvelle publication
          </Title>
          <Text size="sm" mb="sm">
            Vous pouvez aussi partir de l'explorateur de données : « Figer dans une publication » crée le brouillon avec son premier graphique.
          </Text>
          <FormAlert error={failure && !failure.ok ? failure.formError : null} />
          <Form method="post" noValidate>
            <Stack>
              <TextInput label="Titre" name="title" required error={failure && !failure.ok ? failure.fieldErrors.title?.[0] : undefined} />
              <NativeSelect
                label="Public visé"
                name="audience"
                required
                data={publicationAudiences.map((a) => ({ value: a, label: publicationAudienceLabels[a] }))}
                error={failure && !failure.ok ? failure.fieldErrors.audience?.[0] : undefined}
              />
              <Group>
                <Button type="submit">Créer le brouillon</Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
