import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Accordion, Anchor, Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title, VisuallyHidden } from "@mantine/core";
import { z } from "zod";
import { requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listCatalogue, listCodelists, listDomains } from "~/server/indicators/indicators.server";
import { measureLabels } from "~/domain/indicators";
import { TableScroll } from "~/ui/TableScroll";
import { noShrink } from "~/ui/referential";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Catalogue des indicateurs — Portail ODPE" }];

const filterSchema = z.object({
  q: z.string().trim().max(80).optional().catch(undefined),
  domain: z.string().regex(/^[A-Z_]+$/).optional().catch(undefined),
});

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:indicator");
  const params = Object.fromEntries([...new URL(request.url).searchParams].filter(([, v]) => v !== ""));
  const filter = filterSchema.parse(params);
  const db = await getDb();
  const [catalogue, domains, codelists] = await Promise.all([listCatalogue(db), listDomains(db), listCodelists(db)]);
  const q = filter.q?.toLowerCase();
  const indicators = catalogue
    .filter((i) => !filter.domain || i.domain_code === filter.domain)
    .filter((i) => !q || i.code.toLowerCase().includes(q) || i.current.label.toLowerCase().includes(q))
    .map((i) => ({
      id: i.id,
      code: i.code,
      domain_code: i.domain_code,
      label: i.current.label,
      unit: i.current.unit,
      measure: i.current.measure,
      breakdowns: i.current.breakdowns,
      secrecy_threshold: i.secrecy_threshold,
      version: i.current.version,
      breaks: i.breaks.map((b) => ({ year: b.year, breaksComparability: b.breaksComparability })),
      providers: i.providers.map((p) => p.code),
      amendment_number: i.amendment_number,
    }));
  return { indicators, total: catalogue.length, domains, codelists, filter, canManage: userCan(user, "manage:indicator") };
}

export default function IndicatorsPage() {
  const { indicators, total, domains, codelists, filter, canManage } = useLoaderData<typeof loader>();
  const codelistLabel = new Map(codelists.map((c) => [c.code, c.label]));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Catalogue des indicateurs</Title>
        {canManage && (
          <Button component={Link} to="/indicators/new">
            Ajouter un indicateur
          </Button>
        )}
      </Group>
      <Text>
        Les indicateurs convenus par les signataires (art. 3), classés dans les huit domaines de la convention (art. 4). Chaque
        indicateur a un code stable ; quand sa définition change, une nouvelle version s'applique à partir d'une année et une
        rupture de série est signalée. {total} indicateurs.
      </Text>
      <Form method="get" role="search" aria-label="Filtrer le catalogue">
        <Group align="flex-end">
          <TextInput label="Rechercher (code ou libellé)" name="q" defaultValue={filter.q ?? ""} />
          <Select
            label="Domaine"
            name="domain"
            clearable
            defaultValue={filter.domain ?? null}
            data={domains.map((d) => ({ value: d.code, label: d.label }))}
          />
          <Button type="submit" variant="outline">
            Filtrer
          </Button>
        </Group>
      </Form>
      {domains
        .filter((d) => indicators.some((i) => i.domain_code === d.code))
        .map((d) => (
          <Stack key={d.code} gap="xs">
            <Title order={3} size="h4">
              {d.position}. {d.label}
            </Title>
            <TableScroll label={`Indicateurs du domaine ${d.label}`} minWidth={960}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Code</Table.Th>
                    <Table.Th scope="col">Libellé</Table.Th>
                    <Table.Th scope="col">Unité</Table.Th>
                    <Table.Th scope="col">Stock ou flux</Table.Th>
                    <Table.Th scope="col">Ventilations</Table.Th>
                    <Table.Th scope="col">Fournisseurs</Table.Th>
                    <Table.Th scope="col">Secret</Table.Th>
                    <Table.Th scope="col">Version</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {indicators
                    .filter((i) => i.domain_code === d.code)
                    .map((i) => (
                      <Table.Tr key={i.id}>
                        <Table.Td>
                          <Anchor component={Link} to={`/indicators/${i.code}`}>
                            {i.code}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>
                          {i.label}
                          {i.amendment_number !== null && (
                            <Text size="xs" c="dimmed">
                              Ajouté par l'avenant n° {i.amendment_number}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>{i.unit}</Table.Td>
                        <Table.Td>{measureLabels[i.measure].split(" ")[0]}</Table.Td>
                        <Table.Td>{i.breakdowns.length ? i.breakdowns.map((b) => codelistLabel.get(b) ?? b).join(" × ") : "—"}</Table.Td>
                        <Table.Td>{i.providers.join(", ") || "—"}</Table.Td>
                        <Table.Td>{i.secrecy_threshold > 0 ? `< ${i.secrecy_threshold}` : "sans objet"}</Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            <Text size="sm">v{i.version}</Text>
                            {i.breaks.map((b) => (
                              <Badge key={b.year} color={b.breaksComparability ? "orange.9" : "gray.8"} variant="light" title="Rupture de série" style={noShrink}>
                                Rupture {b.year}
                              </Badge>
                            ))}
                          </Group>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                </Table.Tbody>
              </Table>
            </TableScroll>
          </Stack>
        ))}
      {indicators.length === 0 && <Text>Aucun indicateur ne correspond à la recherche.</Text>}
      <Title order={3} size="h4">
        Listes de codes des ventilations
      </Title>
      <Accordion variant="separated">
        {codelists.map((c) => (
          <Accordion.Item key={c.code} value={c.code}>
            <Accordion.Control>
              {c.label} ({c.code}, {c.items.length} modalités)
            </Accordion.Control>
            <Accordion.Panel>
              <Anchor component={Link} to={`/indicators/codelists/${c.code}`}>
                {canManage ? "Modifier les libellés et voir l'historique" : "Voir l'historique des libellés"}
                <VisuallyHidden> de la liste {c.label}</VisuallyHidden>
              </Anchor>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Code</Table.Th>
                    <Table.Th scope="col">Libellé</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {c.items.map((item) => (
                    <Table.Tr key={item.code}>
                      <Table.Td>{item.code}</Table.Td>
                      <Table.Td>{item.label}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </Stack>
  );
}
