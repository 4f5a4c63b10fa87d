import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getCampaign, reopenForOrganisation, transitionCampaign, updateCampaign } from "~/server/campaigns/campaigns.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { campaignFormSchema, campaignStatuses, campaignStatusLabels, campaignTransitions, nextStatuses, reminderDates, reopenFormSchema } from "~/domain/campaigns";
import { addDays, todayIso } from "~/domain/dates";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { CampaignForm } from "~/ui/CampaignForm";
import { FormAlert } from "~/ui/FormAlert";
import { CampaignStatusBadge, MembershipBadge } from "~/ui/referential";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate, formatDateTime } from "~/domain/format";
import { WrapBadge } from "~/ui/WrapBadge";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Campagne ${data?.campaign.reference_year ?? ""} — Portail ODPE` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:campaign", ANY_ORGANISATION);
  const year = requireParam(params, "year", "year", "Campagne introuvable");
  const today = todayIso();
  const db = await getDb();
  const campaign = await orNotFound(() => getCampaign(db, year, today));
  const canManage = userCan(user, "manage:campaign");
  return {
    campaign,
    today,
    reminders: reminderDates(campaign.deadline, campaign.reminder_days_before, campaign.reminder_days_after),
    // The transition table says where the campaign may go and who may move it.
    transitions: nextStatuses(campaign.status)
      .filter((to) => userCan(user, campaignTransitions[to]!.permission))
      .map((to) => ({ to, action: campaignTransitions[to]!.action })),
    canManage,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:campaign");
  const year = requireParam(params, "year", "year", "Campagne introuvable");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await request.formData();
    switch (intent) {
      case "transition": {
        const { to } = parseForm(z.object({ to: z.enum(campaignStatuses, { error: "Statut inconnu." }) }), form);
        const result = await transitionCampaign(db, actor, year, to);
        return intentSuccess(
          intent,
          to === "open"
            ? `La campagne ${year} est ouverte : ${result.expected} transmission(s) attendue(s). Les partenaires voient leur échéance sur leur page d'accueil.`
            : `La campagne ${year} est ${campaignStatusLabels[to].toLowerCase()}.`,
        );
      }
      case "update":
        await updateCampaign(db, actor, year, parseForm(campaignFormSchema, form));
        return intentSuccess(intent, "La campagne est mise à jour.");
      case "reopen":
        await reopenForOrganisation(db, actor, year, parseForm(reopenFormSchema, form));
        return intentSuccess(intent, "Le délai de l'organisme est enregistré.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function CampaignPage() {
  const { campaign: c, today, reminders, transitions, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const pick = (intent: string) => (result?.intent === intent ? result : null);
  const transition = pick("transition");
  const reopen = pick("reopen");
  const update = pick("update");
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/campaigns">
        ← Campagnes de collecte
      </Anchor>
      <Group>
        <Title order={2}>Campagne {c.reference_year}</Title>
        <CampaignStatusBadge status={c.status} />
      </Group>
      {params.get("created") && (
        <Alert color="green.9" role="status">
          La campagne est créée en préparation. Vérifiez les dates puis ouvrez-la.
        </Alert>
      )}
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Text>
            <strong>Ouverture :</strong> {formatDate(c.opens_on)}
            {c.opened_at ? ` (ouverte le ${formatDateTime(c.opened_at)})` : " (prévue)"}
          </Text>
          <Text>
            <strong>Date limite :</strong> {formatDate(c.deadline)}
          </Text>
          <Text>
            <strong>Relances :</strong> {reminders.map((r) => formatDate(r.date)).join(", ") || "aucune"}
          </Text>
        </SimpleGrid>
        {c.closed_at && <Text mt="xs">Clôturée le {formatDateTime(c.closed_at)}.</Text>}
        {c.note && <Text mt="xs">{c.note}</Text>}
        <FormAlert error={transition && !transition.ok ? transition.formError : null} success={transition?.ok ? transition.message : null} />
        {transitions.length > 0 && (
          <Group mt="md">
            {transitions.map((t) => (
              <Form method="post" action="?intent=transition" key={t.to}>
                <input type="hidden" name="to" value={t.to} />
                <Button type="submit" color={t.to === "closed" ? "red.9" : undefined}>
                  {t.action}
                </Button>
              </Form>
            ))}
          </Group>
        )}
        {c.status === "draft" && canManage && (
          <Text size="sm" mt="xs">
            L'ouverture crée une transmission attendue pour chaque organisme membre dont la convention d'application couvre
            l'année {c.reference_year}.
          </Text>
        )}
      </Card>

      {c.status === "draft" && canManage && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Modifier la campagne
          </Title>
          <CampaignForm action="?intent=update" defaults={c} yearLocked result={update} submitLabel="Enregistrer la campagne" />
        </Card>
      )}

      {c.status !== "draft" && (
        <>
          <Title order={3} size="h4">
            Transmissions attendues ({c.expected.length})
          </Title>
          <TableScroll label="Transmissions attendues" minWidth={900}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Organisme</Table.Th>
                  <Table.Th scope="col">Statut de l'organisme</Table.Th>
                  <Table.Th scope="col">Date limite</Table.Th>
                  <Table.Th scope="col">Dépôt</Table.Th>
                  <Table.Th scope="col">Réouverture</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {c.expected.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/organisations/${e.organisation_id}`}>
                        {e.organisation_code}
                      </Anchor>
                      <Text size="xs">{e.organisation_name}</Text>
                    </Table.Td>
                    <Table.Td>
                      <MembershipBadge status={e.organisationStatus} />
                    </Table.Td>
                    <Table.Td>{formatDate(e.deadline)}</Table.Td>
                    <Table.Td>
                      {e.window.open ? (
                        <WrapBadge color={e.window.late ? "orange.9" : "green.9"}>
                          {e.window.late ? "Ouvert (en retard)" : "Ouvert"}
                        </WrapBadge>
                      ) : (
                        <Badge color="gray.8" variant="light" title={e.window.message}>
                          Fermé
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{e.reopened_at ? `${formatDateTime(e.reopened_at)} — ${e.reopen_reason ?? ""}` : "—"}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
          {canManage && c.expected.length > 0 && (
            <Card withBorder>
              <Title order={3} size="h4" mb="xs">
                {c.status === "closed" ? "Rouvrir pour un organisme" : "Prolonger le délai d'un organisme"}
              </Title>
              <Text size="sm" mb="sm">
                {c.status === "closed"
                  ? "La campagne est clôturée : seul l'organisme choisi pourra de nouveau transmettre, jusqu'à la nouvelle date limite. La réouverture est tracée dans le journal."
                  : "Le nouveau délai ne vaut que pour l'organisme choisi ; il est tracé dans le journal."}
              </Text>
              <FormAlert error={reopen && !reopen.ok ? reopen.formError : null} success={reopen?.ok ? reopen.message : null} />
              <Form method="post" action="?intent=reopen" noValidate>
                <SimpleGrid cols={{ base: 1, sm: 3 }}>
                  <Select
                    label="Organisme"
                    name="organisationId"
                    required
                    searchable
                    data={c.expected.filter((e) => e.organisationStatus !== "withdrawn").map((e) => ({ value: e.organisation_id, label: `${e.organisation_code} — ${e.organisation_name}` }))}
                    error={reopen?.fieldErrors.organisationId?.[0]}
                  />
                  <TextInput type="date" label="Nouvelle date limite" name="deadline" required defaultValue={addDays(c.status === "open" && c.deadline > today ? c.deadline : today, 14)} error={reopen?.fieldErrors.deadline?.[0]} />
                  <TextInput label="Motif" name="reason" required error={reopen?.fieldErrors.reason?.[0]} />
                </SimpleGrid>
                <Button type="submit" mt="sm" variant="outline">
                  {c.status === "closed" ? "Rouvrir pour cet organisme" : "Prolonger le délai"}
                </Button>
              </Form>
            </Card>
          )}
        </>
      )}
    </Stack>
  );
}
