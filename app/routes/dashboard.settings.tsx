import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Anchor, Button, Card, Group, MultiSelect, NativeSelect, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { createDerivedIndicator, deleteDerivedIndicator, listDerivedIndicators, listKeyFigureCodes, setKeyFigures } from "~/server/dashboard/catalogue.server";
import { listCatalogue, listDomains } from "~/server/indicators/indicators.server";
import { derivedIndicatorSchema, keyFiguresSchema, multipliers } from "~/domain/dashboard";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";

export const meta: MetaFunction = () => [{ title: "Indicateurs calculés et chiffres clés — Portail ODPE" }];

/** The dashboard's part of the catalogue: derived indicators (rates) and key figures. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:dashboard");
  const db = await getDb();
  const [derived, keyFigures, catalogue, domains] = await Promise.all([listDerivedIndicators(db), listKeyFigureCodes(db), listCatalogue(db), listDomains(db)]);
  return {
    derived,
    keyFigures,
    domains: domains.map((d) => ({ value: d.code, label: d.label })),
    indicators: catalogue.map((i) => ({ value: i.code, label: `${i.code} — ${i.current.label}` })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:dashboard");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await request.formData();
    switch (intent) {
      case "create":
        await createDerivedIndicator(db, actor, parseForm(derivedIndicatorSchema, form));
        return intentSuccess(intent, "L'indicateur calculé est ajouté au catalogue : il figurera dans les prochaines éditions.");
      case "delete": {
        const { code } = parseForm(z.object({ code: z.string().regex(/^[A-Z0-9_]{2,40}$/, { error: "Indicateur inconnu." }) }), form);
        await deleteDerivedIndicator(db, actor, code);
        return intentSuccess(intent, `L'indicateur calculé ${code} est retiré du catalogue.`);
      }
      case "key-figures":
        await setKeyFigures(db, actor, parseForm(keyFiguresSchema, form));
        return intentSuccess(intent, "Les chiffres clés sont enregistrés.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function DashboardSettings() {
  const { derived, keyFigures, domains, indicators } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const busy = useNavigation().state === "submitting";
  const pick = (intent: string) => (result?.intent === intent ? result : null);
  const create = pick("create");
  const del = pick("delete");
  const kf = pick("key-figures");
  const errors = create && !create.ok ? create.fieldErrors : {};
  const allCodes = [...indicators, ...derived.map((d) => ({ value: d.code, label: `${d.code} — ${d.label} (calculé)` }))];
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/dashboard">
        ← Tableau de bord annuel
      </Anchor>
      <Title order={2}>Indicateurs calculés et chiffres clés</Title>
      <Text>
        Les indicateurs calculés rapportent un indicateur du catalogue à un autre, par exemple les enfants confiés pour 1 000 jeunes de 0 à 20 ans
        (population du domaine « Contexte départemental »). Les chiffres clés ouvrent chaque édition. Les éditions publiées restent figées.
      </Text>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Chiffres clés
        </Title>
        <Form method="post" action="?intent=key-figures">
          <Stack gap="sm">
            <FormAlert error={kf && !kf.ok ? kf.formError : null} success={kf?.ok ? kf.message : null} />
            <MultiSelect
              name="codes"
              label="Chiffres clés, dans l'ordre d'affichage"
              description="12 au plus"
              data={allCodes}
              defaultValue={keyFigures}
              searchable
              maxValues={12}
              error={kf && !kf.ok ? kf.fieldErrors.codes?.[0] : undefined}
            />
            <Group>
              <Button type="submit" loading={busy}>
                Enregistrer les chiffres clés
              </Button>
            </Group>
          </Stack>
        </Form>
      </Card>

      <Title order={3} size="h4">
        Indicateurs calculés ({derived.length})
      </Title>
      <FormAlert error={del && !del.ok ? del.formError : null} success={del?.ok ? del.message : null} />
      {derived.length === 0 ? (
        <Text>Aucun indicateur calculé.</Text>
      ) : (
        <TableScroll label="Indicateurs calculés" minWidth={860}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Code</Table.Th>
                <Table.Th scope="col">Libellé</Table.Th>
                <Table.Th scope="col">Domaine</Table.Th>
                <Table.Th scope="col">Formule</Table.Th>
                <Table.Th scope="col">Unité</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {derived.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>{d.code}</Table.Td>
                  <Table.Td>{d.label}</Table.Td>
                  <Table.Td>{d.domain_label}</Table.Td>
                  <Table.Td>
                    {d.numerator} / {d.denominator} × {d.multiplier.toLocaleString("fr-FR")}
                  </Table.Td>
                  <Table.Td>{d.unit}</Table.Td>
                  <Table.Td>
                    <Form method="post" action="?intent=delete">
                      <input type="hidden" name="code" value={d.code} />
                      <Button type="submit" size="xs" variant="outline" color="red.9" aria-label={`Retirer ${d.code}`}>
                        Retirer
                      </Button>
                    </Form>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Ajouter un indicateur calculé
        </Title>
        <Form method="post" action="?intent=create">
          <Stack gap="sm">
            <FormAlert error={create && !create.ok ? create.formError : null} success={create?.ok ? create.message : null} />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput name="code" label="Code" description="Lettres capitales, chiffres, _" required error={errors.code?.[0]} />
              <NativeSelect name="domain" label="Domaine" data={domains} required error={errors.domain?.[0]} />
            </SimpleGrid>
            <TextInput name="label" label="Libellé" required error={errors.label?.[0]} />
            <Textarea name="definition" label="Définition (facultatif)" autosize minRows={2} error={errors.definition?.[0]} />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NativeSelect name="numerator" label="Numérateur" data={indicators} required error={errors.numerator?.[0]} />
              <NativeSelect name="denominator" label="Dénominateur (population de référence)" data={indicators} required error={errors.denominator?.[0]} />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <NativeSelect
                name="multiplier"
                label="Multiplicateur"
                defaultValue="1000"
                data={multipliers.map((m) => ({ value: String(m), label: `pour ${m.toLocaleString("fr-FR")}` }))}
                error={errors.multiplier?.[0]}
              />
              <TextInput name="unit" label="Unité affichée" placeholder="pour 1 000 mineurs" required error={errors.unit?.[0]} />
              <NativeSelect name="decimals" label="Décimales" defaultValue="1" data={["0", "1", "2", "3"]} error={errors.decimals?.[0]} />
            </SimpleGrid>
            <Group>
              <Button type="submit" loading={busy}>
                Ajouter l'indicateur calculé
              </Button>
            </Group>
          </Stack>
        </Form>
      </Card>
    </Stack>
  );
}
