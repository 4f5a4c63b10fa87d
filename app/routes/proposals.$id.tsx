import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Group, Radio, Select, Stack, Table, Text, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { adoptProposal, getProposal, recordOpinion, rejectProposal } from "~/server/governance/proposals.server";
import { decisionsCiting } from "~/server/governance/governance.server";
import { listAmendments } from "~/server/convention/convention.server";
import { listIndicatorOptions } from "~/server/indicators/indicators.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { can } from "~/domain/permissions";
import {
  adoptionFormSchema,
  opinionFormSchema,
  opinionLabels,
  proposalKindLabels,
  proposalStatusColors,
  proposalStatusLabels,
  rejectionFormSchema,
} from "~/domain/governance";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate, formatDateTime } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Proposition : ${data?.proposal.title ?? "indicateur"} — Portail ODPE` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:indicator_proposal");
  const id = requireParam(params, "id", "uuid", "Proposition introuvable");
  const db = await getDb();
  const proposal = await orNotFound(() => getProposal(db, id));
  const manage = can(user, "manage:indicator_proposal");
  const mine = proposal.opinions.find((o) => o.organisation_id === user.organisationId) ?? null;
  const mayDecide = proposal.status === "open" && mine !== null && can(user, "decide:indicator_proposal", user.organisationId);
  const [amendments, indicators, decisions] = await Promise.all([
    manage && proposal.status === "open" ? listAmendments(db) : Promise.resolve([]),
    manage && proposal.status === "open" ? listIndicatorOptions(db) : Promise.resolve([]),
    decisionsCiting(db, "indicator_proposal", id),
  ]);
  return {
    proposal,
    manage,
    mayDecide,
    mine,
    decisions,
    amendments: amendments.map((a) => ({ value: a.id, label: `Avenant n° ${a.number} du ${formatDate(a.signed_on)} : ${a.title}` })),
    indicators: indicators.map((i) => ({ value: i.id, label: `${i.code} — ${i.label}` })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  // Each command checks its own permission (opinion: the institution's validator; adopt/reject: the referent).
  const user = await requirePermission(request, "read:indicator_proposal");
  const id = requireParam(params, "id", "uuid", "Proposition introuvable");
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await request.formData();
    switch (intent) {
      case "opinion": {
        const input = parseForm(opinionFormSchema, form);
        await recordOpinion(db, actor, id, input);
        return intentSuccess(intent, input.position === "agree" ? "L'accord de votre organisme est enregistré." : "L'objection de votre organisme est enregistrée.");
      }
      case "adopt":
        await adoptProposal(db, actor, id, parseForm(adoptionFormSchema, form));
        return intentSuccess(intent, "La proposition est adoptée : elle est liée à l'avenant et à l'indicateur du catalogue.");
      case "reject":
        await rejectProposal(db, actor, id, parseForm(rejectionFormSchema, form).reason);
        return intentSuccess(intent, "La proposition est close comme non retenue ; son auteur est prévenu.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function ProposalPage() {
  const { proposal: p, manage, mayDecide, mine, decisions, amendments, indicators } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const errors = (intent: string) => (result && !result.ok && result.intent === intent ? result.fieldErrors : {});
  return (
    <Stack maw={1000}>
      <Anchor component={Link} to="/proposals">
        ← Propositions d'indicateurs
      </Anchor>
      <Group>
        <Title order={2}>{p.title}</Title>
        <Badge color={proposalStatusColors[p.status]} variant="light" style={{ whiteSpace: "nowrap", overflow: "visible" }}>
          {proposalStatusLabels[p.status]}
        </Badge>
      </Group>
      <Text>
        {proposalKindLabels[p.kind]}
        {p.indicator_code ? (
          <>
            {" "}
            de{" "}
            <Anchor component={Link} to={`/indicators/${p.indicator_code}`}>
              {p.indicator_code}
            </Anchor>
          </>
        ) : null}{" "}
        — proposée le {formatDate(p.created_at)} par {p.proposer_person} ({p.proposer_name}).
      </Text>
      <FormAlert
        error={result && !result.ok ? result.formError : null}
        success={result?.ok ? result.message : params.get("created") ? "La proposition est soumise ; les signataires concernés sont prévenus." : null}
      />
      {p.status === "adopted" && (
        <Alert color="green.9" title="Adoptée par avenant (art. 7)">
          Adoptée par l'avenant n° {p.amendment_number} du {formatDate(p.amendment_signed_on)} ({p.amendment_title}) :{" "}
          <Anchor component={Link} to={`/indicators/${p.adopted_indicator_code}`}>
            indicateur {p.adopted_indicator_code}
          </Anchor>
          .
        </Alert>
      )}
      {p.status === "rejected" && (
        <Alert color="gray.8" title="Non retenue">
          {p.closing_reason}
        </Alert>
      )}
      <Card withBorder component="section" aria-labelledby="definition">
        <Title order={3} size="h4" id="definition" mb="xs">
          Définition proposée
        </Title>
        <Text style={{ whiteSpace: "pre-wrap" }}>{p.definition}</Text>
        <Title order={4} size="h5" mt="sm" mb="xs">
          Motif
        </Title>
        <Text style={{ whiteSpace: "pre-wrap" }}>{p.rationale}</Text>
      </Card>
      <Card withBorder component="section" aria-labelledby="avis">
        <Title order={3} size="h4" id="avis" mb="xs">
          Avis des signataires concernés (art. 2 et 3)
        </Title>
        <TableScroll label="Avis des signataires concernés">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Signataire</Table.Th>
                <Table.Th scope="col">Avis</Table.Th>
                <Table.Th scope="col">Commentaire</Table.Th>
                <Table.Th scope="col">Donné le</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {p.opinions.map((o) => (
                <Table.Tr key={o.organisation_id}>
                  <Table.Td>{o.organisation_name}</Table.Td>
                  <Table.Td>{opinionLabels[o.position ?? "pending"]}</Table.Td>
                  <Table.Td>{o.comment ?? "—"}</Table.Td>
                  <Table.Td>{o.decided_at ? `${formatDateTime(o.decided_at)}${o.decided_by_name ? ` (${o.decided_by_name})` : ""}` : "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      </Card>
      {decisions.length > 0 && (
        <Card withBorder component="section" aria-labelledby="decisions">
          <Title order={3} size="h4" id="decisions" mb="xs">
            Décisions des instances
          </Title>
          {decisions.map((d) => (
            <Text size="sm" key={d.id}>
              <Anchor component={Link} to={`/governance/meetings/${d.meeting_id}`}>
                {d.body_name}, {formatDate(d.held_on)}
              </Anchor>{" "}
              — décision n° {d.number} : {d.text}
            </Text>
          ))}
        </Card>
      )}
      {mayDecide && (
        <Card withBorder component="section" aria-labelledby="votre-avis">
          <Title order={3} size="h4" id="votre-avis" mb="sm">
            L'avis de votre organisme
          </Title>
          {mine?.position && <Text size="sm" mb="xs">Avis actuel : {opinionLabels[mine.position]}. Vous pouvez le modifier tant que la proposition est en consultation.</Text>}
          <Form method="post" action="?intent=opinion" noValidate>
            <Stack maw={640}>
              <Radio.Group name="position" label="Avis" required error={errors("opinion").position?.[0]}>
                <Group mt="xs">
                  <Radio value="agree" label="Accord" />
                  <Radio value="object" label="Objection" />
                </Group>
              </Radio.Group>
              <Textarea label="Commentaire (obligatoire pour une objection)" name="comment" autosize minRows={2} error={errors("opinion").comment?.[0]} />
              <Group>
                <Button type="submit">Enregistrer l'avis</Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
      {manage && p.status === "open" && (
        <Card withBorder component="section" aria-labelledby="decision-referent">
          <Title order={3} size="h4" id="decision-referent" mb="sm">
            Adoption par avenant
          </Title>
          {p.refusal ? (
            <Alert color="orange.9" mb="sm">
              {p.refusal}
            </Alert>
          ) : (
            <Text size="sm" mb="sm">
              Tous les signataires concernés ont donné leur accord. Enregistrez l'avenant (registre de la convention) et, pour un nouvel
              indicateur, créez-le au catalogue, puis liez-les ici.
            </Text>
          )}
          <Form method="post" action="?intent=adopt" noValidate>
            <Stack maw={640}>
              <Select label="Avenant" name="amendmentId" required searchable data={amendments} error={errors("adopt").amendmentId?.[0]} />
              <Select label="Indicateur du catalogue" name="indicatorId" required searchable data={indicators} error={errors("adopt").indicatorId?.[0]} />
              <Group>
                <Button type="submit" disabled={p.refusal !== null}>
                  Adopter la proposition
                </Button>
              </Group>
            </Stack>
          </Form>
          <Form method="post" action="?intent=reject" noValidate>
            <Stack maw={640} mt="md">
              <Textarea label="Motif pour ne pas retenir la proposition" name="reason" autosize minRows={2} error={errors("reject").reason?.[0]} />
              <Group>
                <Button type="submit" color="red.9" variant="outline">
                  Ne pas retenir
                </Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
