import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Group, List, MultiSelect, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { addIndicatorVersion, getIndicator, listCodelists, updateIndicatorSettings } from "~/server/indicators/indicators.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { describeRules, indicatorSettingsSchema, indicatorVersionSchema, measureLabels, valueTypeLabels } from "~/domain/indicators";
import { FormAlert } from "~/ui/FormAlert";
import { IndicatorDefinitionFields } from "~/ui/IndicatorFields";
import { TableScroll } from "~/ui/TableScroll";
import { proposalsForIndicator } from "~/server/governance/proposals.server";
import { proposalKindLabels, proposalStatusLabels } from "~/domain/governance";
import { formatDate } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.indicator.code ?? "Indicateur"} — Catalogue des indicateurs` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:indicator");
  const code = requireParam(params, "code", "code", "Indicateur introuvable");
  const db = await getDb();
  const canManage = userCan(user, "manage:indicator");
  const [indicator, codelists, organisations] = await Promise.all([
    orNotFound(() => getIndicator(db, code)),
    listCodelists(db),
    canManage ? listOrganisationOptions(db) : Promise.resolve([]),
  ]);
  // Art. 2–3 and 7: the proposals that led to this indicator (or propose to change it) and the amendment that adopted them.
  const proposals = userCan(user, "read:indicator_proposal") ? await proposalsForIndicator(db, indicator.id) : [];
  return { indicator, codelists, organisations: organisations.filter((o) => !o.is_observatory_team), canManage, proposals };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:indicator");
  const code = requireParam(params, "code", "code", "Indicateur introuvable");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await request.formData();
    switch (intent) {
      case "version": {
        const { version } = await addIndicatorVersion(db, actor, code, parseForm(indicatorVersionSchema, form));
        return intentSuccess(intent, `La version ${version} est créée. Les valeurs des années antérieures gardent leur version.`);
      }
      case "settings":
        await updateIndicatorSettings(db, actor, code, parseForm(indicatorSettingsSchema, form));
        return intentSuccess(intent, "Les paramètres sont enregistrés.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function IndicatorPage() {
  const { indicator: ind, codelists, organisations, canManage, proposals } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const cur = ind.current;
  const listLabel = new Map(codelists.map((c) => [c.code, c.label]));
  const versionResult = result?.intent === "version" ? result : null;
  const settingsResult = result?.intent === "settings" ? result : null;
  const period = (v: { valid_from_year: number | null; endYear: number | null }) =>
    `${v.valid_from_year === null ? "depuis l'origine" : `à partir de ${v.valid_from_year}`}${v.endYear !== null ? ` jusqu'à ${v.endYear}` : " (en vigueur)"}`;
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/indicators">
        ← Catalogue des indicateurs
      </Anchor>
      <Group>
        <Title order={2}>
          {ind.code} — {cur.label}
        </Title>
        <Badge variant="light">{ind.domain_label}</Badge>
      </Group>
      {params.get("created") && (
        <Alert color="green.9" role="status">
          L'indicateur est ajouté au catalogue.
        </Alert>
      )}
      {ind.breaks.length > 0 && (
        <Alert color="orange.9" title="Rupture de série" role="note">
          <List size="sm">
            {ind.breaks.map((b) => (
              <List.Item key={b.version}>
                En {b.year} (version {b.version}) : {b.changes.join(", ") || "définition précisée"}.{" "}
                {b.breaksComparability
                  ? "Les valeurs antérieures et postérieures ne sont pas directement comparables."
                  : "Les valeurs restent comparables (définition reformulée ou règles de contrôle modifiées)."}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Définition en vigueur (version {cur.version})
        </Title>
        <Stack gap="xs">
          <Text>{cur.definition ?? "Définition à compléter."}</Text>
          <Text size="sm">
            Unité : {cur.unit} — {valueTypeLabels[cur.value_type]} — {measureLabels[cur.measure]}
          </Text>
          <Text size="sm">Ventilations : {cur.breakdowns.length ? cur.breakdowns.map((b) => listLabel.get(b) ?? b).join(" × ") : "aucune"}</Text>
          <Text size="sm">Contrôles : {describeRules(cur).join(" ") || "aucun"}</Text>
          <Text size="sm">
            Secret statistique : {ind.secrecy_threshold > 0 ? `effectifs de 1 à ${ind.secrecy_threshold - 1} masqués hors de l'observatoire` : "sans objet"}.
          </Text>
          <Text size="sm">
            Fournisseurs :{" "}
            {ind.providers.length
              ? ind.providers.map((p, i) => (
                  <span key={p.id}>
                    {i > 0 && ", "}
                    <Anchor component={Link} to={`/organisations/${p.id}`}>
                      {p.code}
                    </Anchor>
                  </span>
                ))
              : "aucun"}
          </Text>
          <Text size="sm">
            Introduit par : {ind.amendment_number !== null ? `l'avenant n° ${ind.amendment_number}` : "la convention-cadre"}
            {ind.evidence ? ` — ${ind.evidence.startsWith("seen") ? "indicateur repéré dans des tableaux publiés (ODPE, ONPE ou DREES)" : "indicateur proposé, non repéré dans une publication"}` : ""}
          </Text>
        </Stack>
      </Card>

      {proposals.length > 0 && (
        <Card withBorder component="section" aria-labelledby="propositions">
          <Title order={3} size="h4" mb="xs" id="propositions">
            Propositions et avenants
          </Title>
          <Stack gap={4}>
            {proposals.map((p) => (
              <Text size="sm" key={p.id}>
                <Anchor component={Link} to={`/proposals/${p.id}`}>
                  {p.title}
                </Anchor>{" "}
                — {proposalKindLabels[p.kind].toLowerCase()} proposée le {formatDate(p.created_at)}, {proposalStatusLabels[p.status].toLowerCase()}
                {p.amendment_number !== null ? ` (avenant n° ${p.amendment_number} du ${formatDate(p.amendment_signed_on)})` : ""}
              </Text>
            ))}
          </Stack>
        </Card>
      )}

      <Title order={3} size="h4">
        Historique des versions
      </Title>
      <TableScroll label="Historique des versions" minWidth={800}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Version</Table.Th>
              <Table.Th scope="col">Années de référence</Table.Th>
              <Table.Th scope="col">Libellé et définition</Table.Th>
              <Table.Th scope="col">Unité</Table.Th>
              <Table.Th scope="col">Ventilations</Table.Th>
              <Table.Th scope="col">Changement</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...ind.versions].reverse().map((v) => (
              <Table.Tr key={v.id}>
                <Table.Td>v{v.version}</Table.Td>
                <Table.Td>{period(v)}</Table.Td>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {v.label}
                  </Text>
                  <Text size="sm">{v.definition ?? "—"}</Text>
                </Table.Td>
                <Table.Td>{v.unit}</Table.Td>
                <Table.Td>{v.breakdowns.length ? v.breakdowns.join(" × ") : "—"}</Table.Td>
                <Table.Td>
                  {v.change_note ?? "—"}
                  {ind.breaks.some((b) => b.version === v.version) && (
                    <Badge ml="xs" color="orange.9" variant="light">
                      Rupture de série
                    </Badge>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>

      {canManage && (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">
              Changer la définition (nouvelle version)
            </Title>
            <Text size="sm" mb="sm">
              Une nouvelle version s'applique à partir d'une année de référence ; les versions précédentes et les valeurs collectées
              sous elles ne changent pas. Le catalogue signale la rupture de série.
            </Text>
            <FormAlert error={versionResult && !versionResult.ok ? versionResult.formError : null} success={versionResult?.ok ? versionResult.message : null} />
            <Form method="post" action="?intent=version" noValidate>
              <Stack>
                <IndicatorDefinitionFields defaults={cur} codelists={codelists} errors={versionResult?.fieldErrors ?? {}} />
                <TextInput label="À partir de l'année de référence" name="validFromYear" required inputMode="numeric" error={versionResult?.fieldErrors.validFromYear?.[0]} />
                <Textarea label="Ce qui change" name="changeNote" required autosize minRows={2} error={versionResult?.fieldErrors.changeNote?.[0]} />
                <Group>
                  <Button type="submit">Créer la nouvelle version</Button>
                </Group>
              </Stack>
            </Form>
          </Card>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">
              Paramètres (sans changement de définition)
            </Title>
            <FormAlert error={settingsResult && !settingsResult.ok ? settingsResult.formError : null} success={settingsResult?.ok ? settingsResult.message : null} />
            <Form method="post" action="?intent=settings" noValidate>
              <Stack>
                <TextInput
                  label="Seuil de secret statistique"
                  name="secrecyThreshold"
                  required
                  inputMode="numeric"
                  defaultValue={String(ind.secrecy_threshold)}
                  description="0 = sans objet (montants, taux, populations)."
                  error={settingsResult?.fieldErrors.secrecyThreshold?.[0]}
                />
                <MultiSelect
                  label="Organismes fournisseurs"
                  name="providerIds"
                  searchable
                  defaultValue={ind.providers.map((p) => p.id)}
                  data={organisations.map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` }))}
                  error={settingsResult?.fieldErrors.providerIds?.[0]}
                />
                <Group>
                  <Button type="submit" variant="outline">
                    Enregistrer les paramètres
                  </Button>
                </Group>
              </Stack>
            </Form>
          </Card>
        </SimpleGrid>
      )}
    </Stack>
  );
}
