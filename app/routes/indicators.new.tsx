import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Button, Group, MultiSelect, Select, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createIndicator, listCodelists, listDomains } from "~/server/indicators/indicators.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { DEFAULT_SECRECY_THRESHOLD, indicatorCreateSchema } from "~/domain/indicators";
import { FormAlert } from "~/ui/FormAlert";
import { IndicatorDefinitionFields } from "~/ui/IndicatorFields";
import { formatDate } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Ajouter un indicateur — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:indicator");
  const db = await getDb();
  const [domains, codelists, organisations, amendments] = await Promise.all([
    listDomains(db),
    listCodelists(db),
    listOrganisationOptions(db),
    db.selectFrom("amendment").select(["id", "number", "signed_on", "title"]).where("kind", "=", "new_data").orderBy("number").execute(),
  ]);
  return { domains, codelists: codelists.map(({ code, label }) => ({ code, label })), organisations, amendments };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:indicator");
  let code: string;
  try {
    const input = parseForm(indicatorCreateSchema, await request.formData());
    await createIndicator(await getDb(), actorOf(user, context), input);
    code = input.code;
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/indicators/${code}?created=1`);
}

export default function NewIndicatorPage() {
  const { domains, codelists, organisations, amendments } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
  return (
    <Stack maw={860}>
      <Anchor component={Link} to="/indicators">
        ← Catalogue des indicateurs
      </Anchor>
      <Title order={2}>Ajouter un indicateur</Title>
      <Text>
        Une donnée nouvelle au-delà du catalogue initial passe par un avenant « nouvelles données » (art. 7) : enregistrez l'avenant
        puis choisissez-le ci-dessous, ou choisissez-le plus tard dans le formulaire de l'avenant.
      </Text>
      <Form method="post" noValidate>
        <Stack>
          <FormAlert error={result && !result.ok ? result.formError : null} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Code" name="code" required description="Stable et unique, exemple : IP_NB." error={errors.code?.[0]} />
            <Select label="Domaine" name="domain" required data={domains.map((d) => ({ value: d.code, label: `${d.position}. ${d.label}` }))} error={errors.domain?.[0]} />
          </SimpleGrid>
          <IndicatorDefinitionFields codelists={codelists} errors={errors} />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput
              label="Seuil de secret statistique"
              name="secrecyThreshold"
              required
              inputMode="numeric"
              defaultValue={String(DEFAULT_SECRECY_THRESHOLD)}
              description="Les effectifs de 1 au seuil − 1 sont masqués hors de l'observatoire ; 0 = sans objet."
              error={errors.secrecyThreshold?.[0]}
            />
            <TextInput
              label="Première année de référence (facultatif)"
              name="validFromYear"
              inputMode="numeric"
              description="Vide : depuis l'origine de la série."
              error={errors.validFromYear?.[0]}
            />
            <Select
              label="Texte qui introduit l'indicateur"
              name="introducedBy"
              required
              defaultValue="convention"
              data={[
                { value: "convention", label: "Convention-cadre (catalogue initial)" },
                ...amendments.map((a) => ({ value: a.id, label: `Avenant n° ${a.number} du ${formatDate(a.signed_on)}` })),
              ]}
              error={errors.introducedBy?.[0]}
            />
          </SimpleGrid>
          <MultiSelect
            label="Organismes fournisseurs"
            name="providerIds"
            searchable
            data={organisations.filter((o) => !o.is_observatory_team).map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` }))}
            error={errors.providerIds?.[0]}
          />
          <Group>
            <Button type="submit">Ajouter l'indicateur</Button>
          </Group>
        </Stack>
      </Form>
    </Stack>
  );
}
