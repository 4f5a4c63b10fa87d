import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Alert, Card, Group, List, Stack, Table, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { agreementsForOrganisation } from "~/server/agreements/agreements.server";
import { getOrganisation } from "~/server/organisations/organisations.server";
import { deadlinesForOrganisation } from "~/server/campaigns/campaigns.server";
import { agreementFormatLabels, statisticalLevelLabels, usageRightsExplanations, usageRightsLabels, usageRightsValues } from "~/domain/agreements";
import { formatMonthDay, todayIso } from "~/domain/dates";
import { DocumentLink, MembershipBadge, UsageRightsBadge, membershipSentence } from "~/ui/referential";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Ma convention — Portail ODPE" }];

/** "Ma convention": the user's organisation's agreement, in plain French (Art. 4, 5, 7). */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:agreement");
  const db = await getDb();
  const today = todayIso();
  const [organisation, agreements, deadlines] = await Promise.all([
    getOrganisation(db, user.organisationId, today),
    agreementsForOrganisation(db, user.organisationId, today),
    deadlinesForOrganisation(db, user.organisationId, today),
  ]);
  return { organisation, agreements, deadlines };
}

export default function MyAgreementPage() {
  const { organisation: o, agreements, deadlines } = useLoaderData<typeof loader>();
  const current = agreements.find((a) => a.inForce) ?? agreements[0];
  const past = agreements.filter((a) => a !== current);
  return (
    <Stack maw={1000}>
      <Title order={2}>Ma convention</Title>
      <Group>
        <Text fw={600}>{o.name}</Text>
        <MembershipBadge status={o.status} />
      </Group>
      <Text>{membershipSentence(o)}.</Text>

      {!current ? (
        <Alert color="orange.9" title="Pas de convention d'application">
          Votre organisme n'a pas encore de convention d'application avec l'observatoire : elle fixera les données que vous
          transmettez et leurs conditions d'usage. Contactez le référent de l'ODPE.
        </Alert>
      ) : (
        <>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">
              Ce que prévoit votre convention d'application
            </Title>
            <List spacing="xs">
              <List.Item>
                Elle s'applique depuis le {formatDate(current.starts_on)}
                {current.ends_on ? ` et jusqu'au ${formatDate(current.ends_on)}` : ", sans date de fin"}
                {current.signed_on ? ` ; elle a été signée le ${formatDate(current.signed_on)}` : ""}
                {current.reference ? ` (référence ${current.reference})` : ""}.
              </List.Item>
              <List.Item>
                Vous transmettez {current.indicators.length} indicateur(s) une fois par an, sous forme de{" "}
                {current.format === "excel" ? "tableau Excel, à partir du modèle fourni par l'observatoire" : "transmission automatisée (API) depuis votre système"}
                , au niveau {current.statistical_level === "departement" ? "du département" : "de chaque territoire du département"}.
              </List.Item>
              <List.Item>
                Date de transmission :{" "}
                {current.due_month_day
                  ? `au plus tard le ${formatMonthDay(current.due_month_day)} de chaque année (ou la date limite de la campagne si elle est plus tardive).`
                  : "la date limite fixée à l'ouverture de chaque campagne annuelle."}
              </List.Item>
              <List.Item>
                Validation avant transmission (art. 4) :{" "}
                {current.same_person_may_validate
                  ? "la personne qui dépose les tableaux peut aussi les valider pour votre organisme."
                  : "une autre personne de votre organisme que celle qui dépose les tableaux les valide avant leur transmission."}
              </List.Item>
              <List.Item>
                Les données restent la propriété de votre organisme (art. 5 et 6). Elles sont mises à disposition de tous les membres
                pour l'analyse et les études de l'observatoire, et alimentent le tableau de bord annuel qui cite votre organisme.
              </List.Item>
              {current.note && <List.Item>Modalités particulières : {current.note}</List.Item>}
            </List>
            <Text mt="sm">
              <DocumentLink href={`/agreements/${current.id}/document`} document={current.document} label="Convention d'application signée (PDF)" />
            </Text>
            <Text size="sm" mt="xs">
              Format : {agreementFormatLabels[current.format]} — niveau : {statisticalLevelLabels[current.statistical_level]}.
            </Text>
          </Card>

          <Card withBorder>
            <Title order={3} size="h4" mb="xs">
              Vos échéances
            </Title>
            {deadlines.length === 0 ? (
              <Text>Aucune transmission attendue en ce moment.</Text>
            ) : (
              <List>
                {deadlines.map((d) => (
                  <List.Item key={d.referenceYear}>
                    Données {d.referenceYear} : à transmettre au plus tard le {formatDate(d.deadline)}
                    {d.reopened ? " (délai accordé par le référent)" : ""}.
                  </List.Item>
                ))}
              </List>
            )}
          </Card>

          <Card withBorder>
            <Title order={3} size="h4" mb="xs">
              Vos indicateurs et leurs droits d'usage
            </Title>
            <Stack gap={4} mb="sm">
              {usageRightsValues.map((v) => (
                <Text size="sm" key={v}>
                  <UsageRightsBadge rights={v} /> <strong>{usageRightsLabels[v]}</strong> : {usageRightsExplanations[v]}
                </Text>
              ))}
            </Stack>
            <Text size="sm" mb="sm">
              Là où votre convention l'autorise, une donnée manquante se déclare dans le classeur « ND — non disponible » (avec
              son motif en colonne I) ou « NC — non concerné » : ne saisissez jamais 0 pour une donnée manquante.
            </Text>
            <TableScroll label="Indicateurs transmis et droits d'usage" minWidth={820}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Indicateur</Table.Th>
                    <Table.Th scope="col">Domaine</Table.Th>
                    <Table.Th scope="col">Unité</Table.Th>
                    <Table.Th scope="col">Droit d'usage</Table.Th>
                    <Table.Th scope="col">« Non disponible » (ND/NC)</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {current.indicators.map((i) => (
                    <Table.Tr key={i.indicator_id}>
                      <Table.Td>
                        <Text size="sm" fw={600}>
                          {i.code}
                        </Text>
                        <Text size="sm">{i.label}</Text>
                      </Table.Td>
                      <Table.Td>{i.domain_label}</Table.Td>
                      <Table.Td>{i.unit}</Table.Td>
                      <Table.Td>
                        <UsageRightsBadge rights={i.usage_rights} />
                      </Table.Td>
                      <Table.Td>{i.not_available_allowed ? "Autorisé, avec motif" : "Non prévu"}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </TableScroll>
          </Card>
        </>
      )}
      {past.length > 0 && (
        <Text size="sm">
          Conventions précédentes :{" "}
          {past.map((a) => `du ${formatDate(a.starts_on)}${a.ends_on ? ` au ${formatDate(a.ends_on)}` : ""}`).join(" ; ")}.
        </Text>
      )}
    </Stack>
  );
}
