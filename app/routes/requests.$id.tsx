import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Group, Stack, Table, Text, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { answerDataRequest, closeDataRequest, declineDataRequest, getDataRequest } from "~/server/governance/data-requests.server";
import { parseForm } from "~/server/http/forms.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { can } from "~/domain/permissions";
import { answerFormatLabels, answerFormSchema, declineFormSchema, recipientStatusColors, recipientStatusLabels } from "~/domain/data-requests";
import { WORKSPACE_ACCEPT, WORKSPACE_FORMATS_HINT, WORKSPACE_MAX_BYTES } from "~/domain/workspace";
import { FormAlert } from "~/ui/FormAlert";
import { FileField } from "~/ui/referential";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate, formatDateTime, formatDecimal } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Demande : ${data?.request.title ?? "données"} — Portail ODPE` }];

export async function loader({ request: httpRequest, params }: LoaderFunctionArgs) {
  const user = await requirePermission(httpRequest, "read:data_request");
  const id = requireParam(params, "id", "uuid", "Demande introuvable");
  const db = await getDb();
  const request = await orNotFound(() => getDataRequest(db, id));
  const mine = request.recipients.find((r) => r.organisation_id === user.organisationId) ?? null;
  return {
    request,
    mayAnswer: request.status === "open" && mine?.status === "pending" && can(user, "submit:data_request", user.organisationId),
    mayClose: request.status === "open" && (can(user, "manage:data_request") || (request.requested_by === user.id && can(user, "create:data_request"))),
  };
}

export async function action({ request: httpRequest, params, context }: ActionFunctionArgs) {
  const intent = new URL(httpRequest.url).searchParams.get("intent") ?? "";
  // Each command checks its own permission (answer, decline: the organisation's correspondent; close: requester or referent).
  const user = await requirePermission(httpRequest, "read:data_request");
  const id = requireParam(params, "id", "uuid", "Demande introuvable");
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    switch (intent) {
      case "answer": {
        await requirePermission(httpRequest, "submit:data_request", user.organisationId);
        const form = await readUploadForm(httpRequest, WORKSPACE_MAX_BYTES);
        const input = parseForm(answerFormSchema, form);
        await answerDataRequest(db, actor, id, { ...input, file: await uploadedFile(form, "file") });
        return intentSuccess(intent, "La réponse de votre organisme est transmise à l'observatoire.");
      }
      case "decline": {
        await requirePermission(httpRequest, "submit:data_request", user.organisationId);
        const { reason } = parseForm(declineFormSchema, await httpRequest.formData());
        await declineDataRequest(db, actor, id, reason);
        return intentSuccess(intent, "L'observatoire est prévenu que votre organisme ne peut pas répondre.");
      }
      case "close":
        await closeDataRequest(db, actor, id);
        return intentSuccess(intent, "La demande est close : plus de réponse ni de rappel.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function DataRequestPage() {
  const { request: r, mayAnswer, mayClose } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const errors = (intent: string) => (result && !result.ok && result.intent === intent ? result.fieldErrors : {});
  return (
    <Stack maw={1000}>
      <Anchor component={Link} to="/requests">
        ← Demandes de données
      </Anchor>
      <Title order={2}>{r.title}</Title>
      <Text>
        Demandée le {formatDate(r.created_at)} par {r.requester_person} ({r.requester_name}) — réponse attendue avant le {formatDate(r.due_on)} :{" "}
        {answerFormatLabels[r.answer_format].toLowerCase()}.{r.status === "closed" ? ` Close le ${formatDate(r.closed_at)}.` : ""}
      </Text>
      <FormAlert
        error={result && !result.ok ? result.formError : null}
        success={result?.ok ? result.message : params.get("created") ? "La demande est envoyée ; les correspondants des organismes interrogés sont prévenus." : null}
      />
      <Card withBorder component="section" aria-labelledby="question">
        <Title order={3} size="h4" id="question" mb="xs">
          Question
        </Title>
        <Text style={{ whiteSpace: "pre-wrap" }}>{r.question}</Text>
      </Card>
      <Card withBorder component="section" aria-labelledby="reponses">
        <Title order={3} size="h4" id="reponses" mb="xs">
          Réponses des organismes
        </Title>
        <Text size="sm" mb="sm">
          Données mutualisées : usage interne ; toute diffusion externe requiert l'accord de l'organisme source (art. 5), qui est cité.
        </Text>
        <TableScroll label="Réponses des organismes">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Organisme</Table.Th>
                <Table.Th scope="col">État</Table.Th>
                <Table.Th scope="col">Réponse</Table.Th>
                <Table.Th scope="col">Le</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {r.recipients.map((x) => (
                <Table.Tr key={x.organisation_id}>
                  <Table.Td>{x.organisation_name}</Table.Td>
                  <Table.Td>
                    <Badge color={recipientStatusColors[x.status]} variant="light" style={{ whiteSpace: "nowrap", overflow: "visible" }}>
                      {recipientStatusLabels[x.status]}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {x.answer_figures && (
                      <Stack gap={0}>
                        {x.answer_figures.map((f, i) => (
                          <Text size="sm" key={i}>
                            {f.label} : <strong>{formatDecimal(f.value)}</strong>
                          </Text>
                        ))}
                      </Stack>
                    )}
                    {x.file_id && (
                      <Anchor href={`/requests/${r.id}/answers/${x.organisation_id}`} size="sm">
                        Télécharger {x.filename}
                      </Anchor>
                    )}
                    {x.answer_comment && (
                      <Text size="sm" c="dimmed">
                        {x.status === "declined" ? "Motif : " : ""}
                        {x.answer_comment}
                      </Text>
                    )}
                    {x.status === "pending" && "—"}
                  </Table.Td>
                  <Table.Td>{x.answered_at ? `${formatDateTime(x.answered_at)}${x.answered_by_name ? ` (${x.answered_by_name})` : ""}` : "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      </Card>
      {mayAnswer && (
        <Card withBorder component="section" aria-labelledby="repondre">
          <Title order={3} size="h4" id="repondre" mb="sm">
            Répondre pour votre organisme
          </Title>
          <Alert color="blue.9" mb="sm">
            Données anonymisées uniquement (art. 4) : aucun nom, date de naissance ni identifiant de personne. La réponse enregistrée n'est
            pas remplaçable : vérifiez-la avant de l'envoyer.
          </Alert>
          <Form method="post" action="?intent=answer" encType="multipart/form-data" noValidate>
            <Stack maw={640}>
              {r.answer_format === "figures" ? (
                <Textarea
                  label="Chiffres"
                  description="Une ligne par chiffre : « libellé ; valeur », par exemple « Enfants suivis au 31/12 ; 124 »."
                  name="figures"
                  required
                  autosize
                  minRows={4}
                  error={errors("answer").figures?.[0]}
                />
              ) : (
                <FileField id="file" name="file" label="Fichier de réponse" accept={WORKSPACE_ACCEPT} description={WORKSPACE_FORMATS_HINT} required error={errors("answer").file?.[0]} />
              )}
              <Textarea label="Commentaire (facultatif)" description="Définitions, périmètre, limites des chiffres." name="comment" autosize minRows={2} error={errors("answer").comment?.[0]} />
              <Group>
                <Button type="submit">Envoyer la réponse</Button>
              </Group>
            </Stack>
          </Form>
          <Form method="post" action="?intent=decline" noValidate>
            <Stack maw={640} mt="md">
              <Textarea label="Votre organisme ne peut pas répondre ? Indiquez pourquoi" name="reason" autosize minRows={2} error={errors("decline").reason?.[0]} />
              <Group>
                <Button type="submit" variant="outline">
                  Décliner la demande
                </Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
      {mayClose && (
        <Form method="post" action="?intent=close">
          <Button type="submit" variant="outline" color="gray.8">
            Clore la demande (plus de réponse ni de rappel)
          </Button>
        </Form>
      )}
    </Stack>
  );
}
