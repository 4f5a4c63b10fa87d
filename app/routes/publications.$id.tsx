import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Button, Card, Code, Group, List, NativeSelect, Stack, Table, Tabs, Text, TextInput, Textarea, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission, userCan, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { attachDocument, detachDocument, publicationCommandPermissions, rejectPublication, removeItem, submitPublication, unpublishPublication, updatePublicationText, validatePublication, withdrawSubmission } from "~/server/publications/publication-commands.server";
import { getPublicationPage, publicationOwner } from "~/server/publications/publication-queries.server";
import { listWorkspaceDocuments } from "~/server/workspace/workspace.server";
import { addPublicationComment, commentsOpen, publicationCommentPermission, listPublicationComments } from "~/server/publications/released.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import {
  canTransition,
  isEditable,
  publicationAudienceLabels,
  publicationAudiences,
  publicationStatusLabels,
  shortHash,
  type PublicationStatus,
} from "~/domain/publications";
import { publicationFormSchema, reasonSchema } from "~/domain/publication-forms";
import { usageRightsLabels } from "~/domain/agreements";
import { PublicationContentView } from "~/ui/diffusion";
import { ApprovalStatusBadge, PublicationStatusBadge, RequirementBadge } from "~/ui/publication-badges";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDateTime, formatYears } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";
import type { PermissionRequest } from "~/domain/permissions";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.row.title ?? "Publication"} — Portail ODPE` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:publication");
  const id = requireParam(params, "id", "uuid", "Publication introuvable");
  const db = await getDb();
  const page = await orNotFound(() => getPublicationPage(db, id));
  const status = page.row.status;
  const mayEdit = userCan(user, "update:publication", page.row.organisation_id);
  const mayValidate = userCan(user, "validate:publication", page.row.organisation_id);
  const documents = mayEdit && isEditable(status) ? await listWorkspaceDocuments(db, {}, 200) : [];
  // Art. 2: the comité de suivi's comments on the production while it is prepared.
  const comments = await listPublicationComments(db, id);
  return {
    row: { ...page.row },
    author: page.author,
    lineage: page.lineage,
    approvals: page.approvals,
    events: page.events,
    clearanceMessage: page.clearanceMessage,
    invalidatedSinceSubmit: page.invalidatedSinceSubmit,
    external: page.external,
    internal: page.internal,
    items: page.content.items.map((i) => ({ id: i.id, title: i.title, kind: i.kind, indicator: i.snapshot.indicator.label })),
    attachable: documents.filter((d) => !page.content.attachments.some((a) => a.documentId === d.id)).map((d) => ({ id: d.id, title: d.title, owner: d.owner_name })),
    comments,
    can: {
      comment: userCan(user, "comment:publication", page.row.organisation_id) && commentsOpen(status),
      edit: mayEdit && isEditable(status),
      submit: mayEdit && canTransition(status, "submit"),
      withdraw: mayEdit && canTransition(status, "withdraw"),
      validate: mayValidate && canTransition(status, "validate"),
      unpublish: mayValidate && canTransition(status, "unpublish"),
    },
  };
}

/** The command each intent runs, by the permission that command declares for itself (ADR 034). */
const intentPermission: Record<string, PermissionRequest> = {
  text: publicationCommandPermissions.updatePublicationText,
  "remove-item": publicationCommandPermissions.removeItem,
  attach: publicationCommandPermissions.attachDocument,
  detach: publicationCommandPermissions.detachDocument,
  submit: publicationCommandPermissions.submitPublication,
  withdraw: publicationCommandPermissions.withdrawSubmission,
  validate: publicationCommandPermissions.validatePublication,
  reject: publicationCommandPermissions.rejectPublication,
  unpublish: publicationCommandPermissions.unpublishPublication,
  comment: publicationCommentPermission,
};

const invalidatedMessage = (names: string[]) =>
  names.length ? ` Les accords déjà demandés ou donnés (${names.join(", ")}) sont invalidés : ils valaient pour le contenu précédent.` : "";

export async function action({ request, params, context }: ActionFunctionArgs) {
  await requireSignedIn(request);
  const id = requireParam(params, "id", "uuid", "Publication introuvable");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  // The guard answers 403 before the form is read; each command checks the actor's permission again itself.
  const permission = intentPermission[intent];
  const user = await requirePermission(request, permission ?? "validate:publication", await publicationOwner(db, id));
  const actor = actorOf(user, context);
  try {
    if (!permission) throw unknownIntent();
    const form = await request.formData();
    switch (intent) {
      case "text": {
        const result = await updatePublicationText(db, actor, id, parseForm(publicationFormSchema, form));
        return intentSuccess(intent, `Le texte est enregistré.${invalidatedMessage(result.invalidated)}`);
      }
      case "remove-item": {
        const { itemId } = parseForm(z.object({ itemId: z.uuid({ error: "Élément inconnu." }) }), form);
        const result = await removeItem(db, actor, id, itemId);
        return intentSuccess(intent, `L'élément est retiré.${invalidatedMessage(result.invalidated)}`);
      }
      case "attach": {
        const { documentId } = parseForm(z.object({ documentId: z.uuid({ error: "Choisissez un document de l'espace de travail." }) }), form);
        const result = await attachDocument(db, actor, id, documentId);
        return intentSuccess(intent, `Le document est joint (version actuelle, figée).${invalidatedMessage(result.invalidated)}`);
      }
      case "detach": {
        const { documentId } = parseForm(z.object({ documentId: z.uuid({ error: "Document inconnu." }) }), form);
        const result = await detachDocument(db, actor, id, documentId);
        return intentSuccess(intent, `Le document est retiré.${invalidatedMessage(result.invalidated)}`);
      }
      case "submit": {
        const result = await submitPublication(db, actor, id);
        return intentSuccess(
          intent,
          result.asked.length
            ? `Accord demandé à : ${result.asked.join(", ")}. Leurs validateurs voient exactement ce contenu.`
            : "Aucun accord n'est nécessaire : la publication attend la validation du référent.",
        );
      }
      case "withdraw":
        await withdrawSubmission(db, actor, id);
        return intentSuccess(intent, "La demande est retirée : la publication est revenue en brouillon.");
      case "validate":
        await validatePublication(db, actor, id);
        return intentSuccess(intent, "La publication est en ligne.");
      case "reject":
        await rejectPublication(db, actor, id, parseForm(reasonSchema, form).reason);
        return intentSuccess(intent, "La mise en ligne est refusée ; l'auteur est informé du motif.");
      case "unpublish":
        await unpublishPublication(db, actor, id, parseForm(reasonSchema, form).reason);
        return intentSuccess(intent, "La publication est retirée de la diffusion ; son historique est conservé.");
      case "comment": {
        const { body } = parseForm(z.object({ body: z.string().max(10_000, { error: "Le commentaire dépasse 10 000 caractères." }) }), form);
        await addPublicationComment(db, actor, id, body);
        return intentSuccess(intent, "Commentaire ajouté au fil de la production.");
      }
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

const resultFor = (result: IntentResult | undefined, ...intents: string[]) => (result && intents.includes(result.intent) ? result : null);

export default function PublicationPage() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const { row, can } = data;
  const status = row.status as PublicationStatus;
  const workflow = resultFor(result, "submit", "withdraw", "validate", "reject", "unpublish");
  const edit = resultFor(result, "text", "remove-item", "attach", "detach");
  const comment = resultFor(result, "comment");
  const refusals = data.approvals.filter((a) => a.status === "refused" && (!row.submitted_at || !a.decided_at || a.decided_at >= row.submitted_at));
  const currentApproval = (orgId: string) => data.approvals.find((a) => a.organisation_id === orgId && a.content_hash === row.content_hash && a.status !== "invalidated");
  return (
    <Stack maw={1200}>
      <Anchor component={Link} to="/publications">
        ← Publications
      </Anchor>
      <Group>
        <Title order={2}>{row.title}</Title>
        <PublicationStatusBadge status={status} />
      </Group>
      <Text>
        {publicationAudienceLabels[row.audience]} — par {data.author.display_name} ({data.author.organisation_name}) — contenu{" "}
        <Code>{shortHash(row.content_hash)}</Code> du {formatDateTime(row.content_changed_at)}
      </Text>

      {params.get("frozen") && !result && (
        <Alert color="green.9" role="status" title="Tableau figé">
          Le tableau est enregistré dans la publication avec ses valeurs. Les organismes dont il utilise les données en sont informés (art. 5).
          {params.get("invalidated") && " Les accords déjà demandés ou donnés sont invalidés : le contenu a changé."}
        </Alert>
      )}
      <FormAlert error={workflow && !workflow.ok ? workflow.formError : null} success={workflow?.ok ? workflow.message : null} />
      {data.invalidatedSinceSubmit.length > 0 && status === "draft" && (
        <Alert color="orange.9" title="Accords invalidés">
          Le contenu a été modifié après la demande d'accord : les accords de {data.invalidatedSinceSubmit.join(", ")} ne valent plus. Soumettez de
          nouveau la publication pour leur demander d'approuver le nouveau contenu.
        </Alert>
      )}
      {refusals.length > 0 && (
        <Alert color="red.9" title="Refus d'un organisme source">
          <List>
            {refusals.map((a) => (
              <List.Item key={a.id}>
                {a.organisation_name} ({a.decided_by_label}, {formatDateTime(a.decided_at)}) : {a.reason}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      {status === "rejected" && row.rejection_reason && (
        <Alert color="red.9" title="Mise en ligne refusée par le référent">
          {row.rejection_reason}
        </Alert>
      )}
      {status === "unpublished" && row.unpublish_reason && (
        <Alert color="gray.8" title="Retirée de la diffusion">
          {formatDateTime(row.unpublished_at)} : {row.unpublish_reason}
        </Alert>
      )}
      {data.clearanceMessage && data.lineage.some((s) => s.requirement === "blocked") && (
        <Alert color="red.9" title="Diffusion externe impossible">
          {data.clearanceMessage}
        </Alert>
      )}

      <Card withBorder component="section" aria-labelledby="circuit">
        <Title order={3} size="h4" id="circuit" mb="xs">
          Circuit de diffusion (art. 5)
        </Title>
        <Text size="sm" mb="sm">
          Statut : {publicationStatusLabels[status]}.
          {status === "awaiting_sources" &&
            ` En attente de : ${data.approvals.filter((a) => a.status === "pending").map((a) => a.organisation_name).join(", ") || "—"}.`}
          {status === "published" && row.published_at && ` En ligne depuis le ${formatDateTime(row.published_at)}.`}
        </Text>
        <Group align="flex-start">
          {can.submit && (
            <Form method="post" action="?intent=submit">
              <Button type="submit">Demander l'accord des organismes sources</Button>
            </Form>
          )}
          {can.withdraw && (
            <Form method="post" action="?intent=withdraw">
              <Button type="submit" variant="outline">
                Retirer la demande
              </Button>
            </Form>
          )}
          {can.validate && (
            <Form method="post" action="?intent=validate">
              <Button type="submit" color="green.9">
                Valider la mise en ligne
              </Button>
            </Form>
          )}
          {status === "published" && row.audience === "extranet" && (
            <Button component="a" href={`/extranet/publications/${row.id}`} variant="outline">
              Voir sur l'extranet
            </Button>
          )}
        </Group>
        {can.validate && (
          <Form method="post" action="?intent=reject" noValidate>
            <Stack mt="sm" maw={640}>
              <Textarea
                label="Motif du refus de mise en ligne"
                name="reason"
                autosize
                minRows={2}
                error={workflow?.intent === "reject" ? workflow.fieldErrors.reason?.[0] : undefined}
              />
              <Group>
                <Button type="submit" color="red.9" variant="outline">
                  Refuser la mise en ligne
                </Button>
              </Group>
            </Stack>
          </Form>
        )}
        {can.unpublish && (
          <Form method="post" action="?intent=unpublish" noValidate>
            <Stack mt="sm" maw={640}>
              <Textarea
                label="Motif du retrait"
                name="reason"
                autosize
                minRows={2}
                error={workflow?.intent === "unpublish" ? workflow.fieldErrors.reason?.[0] : undefined}
              />
              <Group>
                <Button type="submit" color="red.9" variant="outline">
                  Retirer de la diffusion
                </Button>
              </Group>
            </Stack>
          </Form>
        )}
      </Card>

      <section aria-labelledby="sources">
        <Title order={3} size="h4" id="sources" mb="xs">
          Sources (calculées par le portail)
        </Title>
        <Text size="sm" mb="xs">
          Les organismes sources sont déduits des valeurs figées (chaque valeur → la transmission acceptée dont elle provient → son organisme) et des
          propriétaires des documents joints. Ils ne se modifient pas à la main.
        </Text>
        {data.lineage.length === 0 ? (
          <Text>Aucune donnée ni document d'un organisme pour l'instant.</Text>
        ) : (
          <TableScroll label="Organismes sources" minWidth={820}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Organisme</Table.Th>
                  <Table.Th scope="col">Données et documents utilisés</Table.Th>
                  <Table.Th scope="col">Condition de diffusion</Table.Th>
                  <Table.Th scope="col">Accord pour ce contenu</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.lineage.map((s) => {
                  const approval = currentApproval(s.organisationId);
                  return (
                    <Table.Tr key={s.organisationId}>
                      <Table.Td>
                        {s.name}
                        {s.withdrawn && (
                          <Text size="xs" c="dimmed">
                            Retiré de la convention : ses données restent sa propriété, son accord reste requis.
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <List size="sm">
                          {s.uses.map((u) => (
                            <List.Item key={`${u.indicatorCode}-${u.usageRights}`}>
                              {u.indicatorLabel} ({u.indicatorCode}), données {formatYears(u.years)} — {usageRightsLabels[u.usageRights].toLowerCase()}
                            </List.Item>
                          ))}
                          {s.documents.map((d) => (
                            <List.Item key={d.documentId}>Document « {d.title} »</List.Item>
                          ))}
                        </List>
                      </Table.Td>
                      <Table.Td>
                        <RequirementBadge requirement={s.requirement} />
                      </Table.Td>
                      <Table.Td>{s.requirement === "approval" ? approval ? <ApprovalStatusBadge status={approval.status} /> : "Pas encore demandé" : "—"}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </TableScroll>
        )}
      </section>

      <section aria-labelledby="contenu-publication">
        <Title order={3} size="h4" id="contenu-publication" mb="xs">
          Contenu
        </Title>
        <Tabs defaultValue="external" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="external">Tel que diffusé (secret statistique appliqué)</Tabs.Tab>
            <Tabs.Tab value="internal">Valeurs réelles (usage interne)</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="external" pt="md">
            <PublicationContentView
              view={data.external}
              attachmentUrl={(doc) => `/publications/${row.id}/attachments/${doc}`}
              logoUrl={(org) => `/extranet/logos/${org}`}
            />
          </Tabs.Panel>
          <Tabs.Panel value="internal" pt="md">
            <PublicationContentView
              view={data.internal}
              attachmentUrl={(doc) => `/publications/${row.id}/attachments/${doc}`}
              logoUrl={(org) => `/extranet/logos/${org}`}
            />
          </Tabs.Panel>
        </Tabs>
      </section>

      {can.edit && (
        <Card withBorder component="section" aria-labelledby="modifier">
          <Title order={3} size="h4" id="modifier" mb="xs">
            Modifier le contenu
          </Title>
          {status !== "draft" && (
            <Alert color="orange.9" mb="sm">
              Toute modification ramène la publication en brouillon et invalide les accords déjà demandés ou donnés : ils ne valent que pour le contenu
              approuvé.
            </Alert>
          )}
          <FormAlert error={edit && !edit.ok ? edit.formError : null} success={edit?.ok ? edit.message : null} />
          <Form method="post" action="?intent=text" noValidate>
            <Stack>
              <TextInput label="Titre" name="title" required defaultValue={row.title} error={edit?.intent === "text" ? edit.fieldErrors.title?.[0] : undefined} />
              <NativeSelect
                label="Public visé"
                name="audience"
                defaultValue={row.audience}
                data={publicationAudiences.map((a) => ({ value: a, label: publicationAudienceLabels[a] }))}
              />
              <Textarea
                label="Texte (Markdown)"
                name="body"
                description="Titres (##), listes (-), gras (**texte**), liens [texte](https://…). Le HTML n'est pas interprété."
                defaultValue={row.body_markdown}
                autosize
                minRows={6}
                maxRows={30}
                error={edit?.intent === "text" ? edit.fieldErrors.body?.[0] : undefined}
              />
              <Group>
                <Button type="submit">Enregistrer le texte</Button>
              </Group>
            </Stack>
          </Form>

          <Title order={4} size="h5" mt="lg" mb="xs">
            Tableaux et graphiques figés
          </Title>
          {data.items.length === 0 && <Text size="sm">Aucun pour l'instant.</Text>}
          <Stack gap="xs">
            {data.items.map((item) => (
              <Form key={item.id} method="post" action="?intent=remove-item">
                <Group>
                  <input type="hidden" name="itemId" value={item.id} />
                  <Text size="sm">
                    {item.title} ({item.kind === "chart" ? "graphique" : "tableau"} — {item.indicator})
                  </Text>
                  <Button type="submit" size="xs" variant="outline" color="red.9" aria-label={`Retirer « ${item.title} »`}>
                    Retirer
                  </Button>
                </Group>
              </Form>
            ))}
          </Stack>
          <Anchor component={Link} to="/explorer" mt="xs">
            Ajouter un tableau ou un graphique depuis l'explorateur de données
          </Anchor>

          <Title order={4} size="h5" mt="lg" mb="xs">
            Documents joints
          </Title>
          <Stack gap="xs">
            {data.external.attachments.map((a) => (
              <Form key={a.documentId} method="post" action="?intent=detach">
                <Group>
                  <input type="hidden" name="documentId" value={a.documentId} />
                  <Text size="sm">
                    {a.title} (version {a.versionNumber}, {a.ownerName})
                  </Text>
                  <Button type="submit" size="xs" variant="outline" color="red.9" aria-label={`Retirer le document « ${a.title} »`}>
                    Retirer
                  </Button>
                </Group>
              </Form>
            ))}
          </Stack>
          {data.attachable.length > 0 ? (
            <Form method="post" action="?intent=attach" noValidate>
              <Group align="flex-end" mt="xs">
                <NativeSelect
                  label="Document de l'espace de travail"
                  name="documentId"
                  data={data.attachable.map((d) => ({ value: d.id, label: `${d.title} (${d.owner})` }))}
                  error={edit?.intent === "attach" ? edit.fieldErrors.documentId?.[0] : undefined}
                />
                <Button type="submit" variant="outline">
                  Joindre
                </Button>
              </Group>
            </Form>
          ) : (
            <Text size="sm">
              Déposez d'abord le fichier dans l'{" "}
              <Anchor component={Link} to="/workspace">
                espace de travail
              </Anchor>
              .
            </Text>
          )}
        </Card>
      )}

      {data.approvals.length > 0 && (
        <section aria-labelledby="accords">
          <Title order={3} size="h4" id="accords" mb="xs">
            Demandes d'accord
          </Title>
          <TableScroll label="Demandes d'accord" minWidth={820}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Organisme</Table.Th>
                  <Table.Th scope="col">Contenu</Table.Th>
                  <Table.Th scope="col">Demandé</Table.Th>
                  <Table.Th scope="col">Statut</Table.Th>
                  <Table.Th scope="col">Décision ou motif</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.approvals.map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td>{a.organisation_name}</Table.Td>
                    <Table.Td>
                      <Code>{shortHash(a.content_hash)}</Code>
                    </Table.Td>
                    <Table.Td>{formatDateTime(a.requested_at)}</Table.Td>
                    <Table.Td>
                      <ApprovalStatusBadge status={a.status} />
                    </Table.Td>
                    <Table.Td>
                      {a.decided_at ? `${a.decided_by_label ?? ""}, ${formatDateTime(a.decided_at)}` : ""}
                      {a.reason ? ` — ${a.reason}` : ""}
                      {a.close_reason ? ` ${a.close_reason}` : ""}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </section>
      )}

      <section aria-labelledby="commentaires">
        <Title order={3} size="h4" id="commentaires" mb="xs">
          Commentaires du comité de suivi (art. 2)
        </Title>
        {data.comments.length === 0 ? (
          <Text size="sm">Aucun commentaire.</Text>
        ) : (
          <List size="sm">
            {data.comments.map((c) => (
              <List.Item key={c.id}>
                <strong>{c.author_label}</strong>, {formatDateTime(c.created_at)} : {c.body}
              </List.Item>
            ))}
          </List>
        )}
        {can.comment && (
          <Form method="post" action="?intent=comment" noValidate>
            <Stack gap="xs" mt="sm">
              <FormAlert error={comment && !comment.ok ? comment.formError : null} success={comment?.ok ? comment.message : null} />
              <Textarea label="Votre commentaire" name="body" required autosize minRows={2} error={comment?.fieldErrors.body?.[0]} />
              <Group>
                <Button type="submit" variant="light">
                  Commenter
                </Button>
              </Group>
            </Stack>
          </Form>
        )}
      </section>

      <section aria-labelledby="historique">
        <Title order={3} size="h4" id="historique" mb="xs">
          Historique
        </Title>
        <List size="sm">
          {data.events.map((e) => (
            <List.Item key={e.id}>
              {formatDateTime(e.occurred_at)} — {e.actor_label} : {e.transition === "created" ? "création" : e.transition === "approvals_invalidated" ? "accords invalidés" : `${publicationStatusLabels[(e.from_status ?? "draft") as PublicationStatus]} → ${publicationStatusLabels[e.to_status as PublicationStatus]}`}
              {e.note ? ` (${e.note})` : ""} — contenu <Code>{shortHash(e.content_hash)}</Code>
            </List.Item>
          ))}
        </List>
      </section>
    </Stack>
  );
}
