import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Alert, Anchor, Button, Card, Group, MultiSelect, NativeSelect, Radio, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { explorerOptions, runQuery } from "~/server/explorer/explorer.server";
import { addFrozenItem } from "~/server/publications/publication-commands.server";
import { editablePublications, publicationOwner } from "~/server/publications/publication-queries.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { DomainError } from "~/server/errors.server";
import {
  buildTable,
  chartSpec,
  explorerSearchParams,
  explorerViewLabels,
  INTERNAL_USE_MENTION,
  parseExplorerQuery,
  snapshotSources,
  sourcesLine,
  unmaskedTable,
} from "~/domain/explorer";
import { itemKindLabels, publicationStatusLabels } from "~/domain/publications";
import { freezeFormSchema } from "~/domain/publication-forms";
import { DataChart, DataTableView } from "~/ui/diffusion";
import { FormAlert } from "~/ui/FormAlert";

export const meta: MetaFunction = () => [{ title: "Données mutualisées — Portail ODPE" }];

/** Art. 5: pooled data, for members' analysis only (true values; the gate to the outside is the publication workflow). */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:pooled_data");
  const db = await getDb();
  const options = await explorerOptions(db);
  const asked = parseExplorerQuery(new URL(request.url).searchParams);
  let result = null;
  let notice: string | null = null;
  if (asked && !options.indicators.some((i) => i.code === asked.indicator)) {
    notice = "Aucune valeur acceptée pour cet indicateur pour l'instant.";
  } else if (asked) {
    const { query, snapshot } = await runQuery(db, asked);
    const table = unmaskedTable(buildTable(query, snapshot));
    result = {
      query,
      params: explorerSearchParams(query).toString(),
      indicator: snapshot.indicator,
      table,
      chart: chartSpec(table),
      sources: sourcesLine(snapshotSources(snapshot)),
      empty: !snapshot.values.some((v) => v.value !== null),
    };
  }
  const canFreeze = userCan(user, "create:publication");
  return {
    options,
    asked,
    result,
    notice,
    canExport: userCan(user, "export:pooled_data"),
    canFreeze,
    publications: canFreeze ? await editablePublications(db, user) : [],
  };
}

/** Freezes the query on screen into a publication (the server runs it again: values never come from the browser). */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "create:publication");
  const db = await getDb();
  try {
    const form = await request.formData();
    const input = parseForm(freezeFormSchema, form);
    const query = parseExplorerQuery(new URLSearchParams(String(form.get("query") ?? "")));
    if (!query) throw new DomainError("validation", "Choisissez d'abord un indicateur.");
    if (input.publicationId !== "new") await requirePermission(request, "update:publication", await publicationOwner(db, input.publicationId));
    const result = await addFrozenItem(db, actorOf(user, context), input.publicationId, { query, title: input.itemTitle, kind: input.kind });
    return redirect(`/publications/${result.publicationId}?frozen=1${result.invalidated.length ? "&invalidated=1" : ""}`);
  } catch (error) {
    return formFailure(error);
  }
}

export default function Explorer() {
  const { options, asked, result, notice, canExport, canFreeze, publications } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const years = options.years.map((y) => ({ value: String(y), label: String(y) }));
  const groups = [...new Set(options.indicators.map((i) => i.domain))].map((domain) => ({
    group: domain,
    items: options.indicators.filter((i) => i.domain === domain).map((i) => ({ value: i.code, label: `${i.label} (${i.code})` })),
  }));
  const current = options.indicators.find((i) => i.code === asked?.indicator);
  return (
    <Stack maw={1200}>
      <Title order={2}>Données mutualisées</Title>
      <Alert color="orange.9" title="Usage interne" role="note">
        {INTERNAL_USE_MENTION}. Les valeurs affichées ici sont les valeurs réelles, sans secret statistique : pour diffuser un tableau ou un graphique,
        figez-le dans une publication.
      </Alert>

      <Card withBorder component="section" aria-labelledby="criteres">
        <Title order={3} size="h4" id="criteres" mb="sm">
          Critères
        </Title>
        {options.indicators.length === 0 ? (
          <Text>Aucune donnée acceptée pour l'instant : les valeurs apparaissent ici dès que l'ODPE accepte une transmission.</Text>
        ) : (
          <Form method="get">
            <Stack>
              <NativeSelect
                label="Indicateur"
                name="indicator"
                required
                data={[{ value: "", label: "Choisissez un indicateur" }, ...groups]}
                defaultValue={asked?.indicator ?? ""}
              />
              <Radio.Group name="view" label="Vue" defaultValue={asked?.view ?? "series"}>
                <Group mt={4}>
                  <Radio value="series" label={explorerViewLabels.series} />
                  <Radio value="breakdown" label={explorerViewLabels.breakdown} />
                </Group>
              </Radio.Group>
              <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
                <NativeSelect label="De l'année" name="from" data={[{ value: "", label: "Toutes" }, ...years]} defaultValue={asked?.from ? String(asked.from) : ""} />
                <NativeSelect label="À l'année" name="to" data={[{ value: "", label: "Toutes" }, ...years]} defaultValue={asked?.to ? String(asked.to) : ""} />
                <NativeSelect
                  label="Année de la ventilation"
                  name="year"
                  description="Pour la vue « ventilation »"
                  data={[{ value: "", label: "La plus récente" }, ...years]}
                  defaultValue={asked?.year ? String(asked.year) : ""}
                />
                <NativeSelect
                  label="Taux"
                  name="rate"
                  description={current && current.valueType !== "integer" ? "Réservé aux effectifs" : "Taux du catalogue : population Insee du même univers"}
                  data={[
                    { value: "", label: "Aucun (effectifs)" },
                    ...options.rates.filter((r) => !current || r.numerator === current.code).map((r) => ({ value: r.code, label: r.label })),
                  ]}
                  defaultValue={asked?.rate ?? ""}
                />
              </SimpleGrid>
              <MultiSelect
                label="Organismes"
                name="org"
                description="Laissez vide pour tous les organismes qui fournissent l'indicateur."
                data={options.organisations.map((o) => ({ value: o.id, label: o.name }))}
                defaultValue={asked?.organisations ?? []}
                searchable
                clearable
                hidePickedOptions
                nothingFoundMessage="Aucun organisme"
              />
              <Group>
                <Button type="submit">Afficher</Button>
              </Group>
            </Stack>
          </Form>
        )}
      </Card>

      {notice && <Alert color="gray.8">{notice}</Alert>}

      {result && (
        <Card withBorder component="section" aria-labelledby="resultat">
          <Stack>
            <Title order={3} size="h4" id="resultat">
              {result.indicator.label} ({result.indicator.code})
            </Title>
            <Text fw={600}>{result.sources}</Text>
            {result.empty ? (
              <Text>Aucune valeur pour ces critères.</Text>
            ) : (
              <>
                <DataChart spec={result.chart} title={result.indicator.label} tableId="tableau-explorateur" />
                <div id="tableau-explorateur">
                  <DataTableView table={result.table} label={`Tableau : ${result.indicator.label}`} />
                </div>
                <Text size="sm" fs="italic">
                  {INTERNAL_USE_MENTION}
                </Text>
                {canExport && (
                  <Group>
                    <Anchor href={`/explorer/export?format=xlsx&${result.params}`}>Exporter en Excel (XLSX)</Anchor>
                    <Anchor href={`/explorer/export?format=csv&${result.params}`}>Exporter en CSV</Anchor>
                    <Text size="sm" c="dimmed">
                      Chaque export est enregistré dans le journal d'audit.
                    </Text>
                  </Group>
                )}
              </>
            )}
          </Stack>
        </Card>
      )}

      {result && !result.empty && canFreeze && (
        <Card withBorder component="section" aria-labelledby="figer">
          <Title order={3} size="h4" id="figer" mb="xs">
            Figer dans une publication
          </Title>
          <Text size="sm" mb="sm">
            Le tableau est enregistré tel quel (critères et valeurs) : il ne changera plus, même si les données sont corrigées. Les organismes dont il
            utilise les données en sont informés (art. 5).
          </Text>
          <FormAlert error={failure && !failure.ok ? failure.formError : null} />
          <Form method="post" noValidate>
            <input type="hidden" name="query" value={result.params} />
            <Stack>
              <TextInput
                label="Titre du tableau ou du graphique"
                name="itemTitle"
                required
                defaultValue={result.indicator.label}
                error={failure && !failure.ok ? failure.fieldErrors.itemTitle?.[0] : undefined}
              />
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <NativeSelect
                  label="Forme"
                  name="kind"
                  data={[
                    { value: "chart", label: itemKindLabels.chart },
                    { value: "table", label: itemKindLabels.table },
                  ]}
                />
                <NativeSelect
                  label="Publication"
                  name="publicationId"
                  data={[
                    { value: "new", label: "Nouvelle publication (brouillon)" },
                    ...publications.map((p) => ({ value: p.id, label: `${p.title} — ${publicationStatusLabels[p.status]}` })),
                  ]}
                  error={failure && !failure.ok ? failure.fieldErrors.publicationId?.[0] : undefined}
                />
              </SimpleGrid>
              <Group>
                <Button type="submit" variant="outline" loading={navigation.state === "submitting"}>
                  Figer dans la publication
                </Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
