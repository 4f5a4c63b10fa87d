import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Anchor, Button, Card, Group, NativeSelect, Stack, Table, Text, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { parseForm, formFailure } from "~/server/http/forms.server";
import { createEdition, listEditions } from "~/server/dashboard/editions.server";
import { yearsWithValues } from "~/server/dashboard/load.server";
import { newEditionSchema } from "~/domain/dashboard";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { EditionStatusBadge } from "~/ui/dashboard/EditionStatusBadge";
import { formatDate, formatDateTime } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Éditions du tableau de bord — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:dashboard");
  const db = await getDb();
  const [editions, years] = await Promise.all([listEditions(db), yearsWithValues(db)]);
  const published = new Set(editions.filter((e) => e.published_at).map((e) => e.reference_year));
  return { editions, years: years.map((y) => ({ year: y, published: published.has(y) })) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:dashboard");
  try {
    const input = parseForm(newEditionSchema, await request.formData());
    const id = await createEdition(await getDb(), actorOf(user, context), input);
    return redirect(`/dashboard/editions/${id}?preparee=1`);
  } catch (error) {
    return formFailure(error);
  }
}

export default function Editions() {
  const { editions, years } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/dashboard">
        ← Tableau de bord annuel
      </Anchor>
      <Title order={2}>Éditions du tableau de bord</Title>
      <Text>
        Préparez l'édition d'une année dont la campagne est clôturée : rédigez l'avant-propos et les commentaires, prévisualisez, validez, puis publiez.
        La publication fige les valeurs, les textes et les fichiers ; une correction ultérieure fait une nouvelle édition, l'ancienne reste consultable.
      </Text>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Préparer une édition
        </Title>
        <Form method="post">
          <Stack gap="sm" maw={560}>
            <FormAlert error={failure && !failure.ok ? failure.formError : null} />
            <NativeSelect
              name="year"
              label="Année de référence"
              description="Années pour lesquelles des données ont été acceptées"
              data={years.map((y) => ({ value: String(y.year), label: y.published ? `${y.year} (déjà publiée : édition corrective)` : String(y.year) }))}
              error={failure && !failure.ok ? failure.fieldErrors.year?.[0] : undefined}
              required
            />
            <Textarea
              name="correctionNote"
              label="Motif de la correction"
              description="Obligatoire si une édition de cette année est déjà publiée : ce que la nouvelle édition corrige."
              autosize
              minRows={2}
              error={failure && !failure.ok ? failure.fieldErrors.correctionNote?.[0] : undefined}
            />
            <Group>
              <Button type="submit" loading={busy}>
                Préparer l'édition
              </Button>
            </Group>
          </Stack>
        </Form>
      </Card>

      <Title order={3} size="h4">
        Toutes les éditions
      </Title>
      {editions.length === 0 ? (
        <Text>Aucune édition pour l'instant.</Text>
      ) : (
        <TableScroll label="Éditions du tableau de bord" minWidth={760}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Année</Table.Th>
                <Table.Th scope="col">Édition</Table.Th>
                <Table.Th scope="col">Statut</Table.Th>
                <Table.Th scope="col">Préparée le</Table.Th>
                <Table.Th scope="col">Publiée le</Table.Th>
                <Table.Th scope="col">Transmise à l'ONPE</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {editions.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{e.reference_year}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/dashboard/editions/${e.id}`}>
                      Édition n° {e.number}
                    </Anchor>
                    {e.superseded_at && (
                      <Text size="xs" c="dimmed">
                        remplacée le {formatDate(e.superseded_at)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <EditionStatusBadge status={e.status} />
                  </Table.Td>
                  <Table.Td>{formatDateTime(e.created_at)}</Table.Td>
                  <Table.Td>{formatDateTime(e.published_at)}</Table.Td>
                  <Table.Td>{formatDate(e.transmitted_on)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </Stack>
  );
}
