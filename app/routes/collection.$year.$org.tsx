import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Alert, Anchor, Button, Card, Group, Stack, Table, Text, Textarea, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission, requireUser } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getDossier } from "~/server/collection/queries.server";
import { versionReview } from "~/server/collection/review.server";
import { addComment, transitionVersion } from "~/server/collection/submissions.server";
import { handleWebUpload, resolveDossierParams, UPLOAD_MAX_BYTES } from "~/server/collection/web.server";
import { formFailure } from "~/server/http/forms.server";
import { DomainError } from "~/server/errors.server";
import { versionStatusColors, versionStatusLabels, workflowTransitions, type VersionStatus, type WorkflowAction } from "~/domain/submissions";
import type { Problem } from "~/domain/problems";
import { ProblemsTable } from "~/ui/collection/ProblemsTable";
import { UploadOutcome, UploadZone } from "~/ui/collection/UploadZone";
import { VersionValues } from "~/ui/collection/VersionValues";
import { WrapBadge } from "~/ui/WrapBadge";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate, formatDateTime } from "~/domain/format";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Dossier ${data.dossier.organisation.code} ${data.dossier.campaign.year} — Portail ODPE` : "Dossier — Portail ODPE" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { year, org } = await resolveDossierParams(request, params);
  const user = await requirePermission(request, "read:submission", org.id);
  const selected = Number(new URL(request.url).searchParams.get("version")) || undefined;
  try {
    const db = await getDb();
    const dossier = await getDossier(db, user, year, org.code, selected);
    // The values on screen: validators and the referent review without downloading the workbook (Art. 4).
    const review = dossier.selected ? await versionReview(db, dossier.selected.id, { transmittedOnly: user.organisationId !== org.id }) : null;
    return { dossier, review, maxBytes: UPLOAD_MAX_BYTES };
  } catch (error) {
    if (error instanceof DomainError) throw new Response(error.message, { status: error.status });
    throw error;
  }
}

const transitionSchema = z.object({
  intent: z.enum(["submit", "validate", "accept", "return", "send_back"]),
  versionId: z.uuid({ error: "Version inconnue : rechargez la page." }),
  comment: z.string().max(10_000).optional(),
});

type ActionData = { ok: boolean; formError: string | null; fieldErrors: Record<string, string[]>; message?: string; problems?: Problem[] };

export async function action({ request, params, context }: ActionFunctionArgs) {
  if ((request.headers.get("Content-Type") ?? "").startsWith("multipart/form-data")) {
    // Without JavaScript the upload form posts here.
    const { outcome } = await handleWebUpload(request, context, params);
    return data<ActionData>(
      { ok: outcome.ok, formError: outcome.ok ? null : outcome.message, fieldErrors: {}, message: outcome.message, problems: outcome.problems },
      { status: outcome.ok ? 200 : outcome.status, ...(outcome.headers ? { headers: outcome.headers } : {}) },
    );
  }
  const user = await requireUser(request);
  const form = await request.formData();
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    if (form.get("intent") === "comment") {
      const { year, org } = await resolveDossierParams(request, params);
      const dossier = await getDossier(db, user, year, org.code);
      if (!dossier.submission) throw new DomainError("validation", "Déposez d'abord un fichier : le fil d'échange s'ouvre avec le dossier.");
      await addComment(db, actor, dossier.submission.id, String(form.get("body") ?? ""));
      return data<ActionData>({ ok: true, formError: null, fieldErrors: {}, message: "Message envoyé." });
    }
    const parsed = transitionSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) throw new DomainError("validation", "Action inconnue : rechargez la page et réessayez.");
    await transitionVersion(db, actor, { versionId: parsed.data.versionId, action: parsed.data.intent, comment: parsed.data.comment });
    return data<ActionData>({ ok: true, formError: null, fieldErrors: {}, message: `${workflowTransitions[parsed.data.intent].label} : c'est fait.` });
  } catch (error) {
    return formFailure(error);
  }
}

function standingLabel(standing: { acceptedNumber: number; inProgress: { number: number; status: VersionStatus } | null }) {
  const accepted = `Accepté, v${standing.acceptedNumber}`;
  if (!standing.inProgress) return accepted;
  return `${accepted} ; nouvelle version ${standing.inProgress.status === "draft" ? "en brouillon" : `« ${versionStatusLabels[standing.inProgress.status].toLowerCase()} »`} v${standing.inProgress.number}`;
}

const needsComment: Partial<Record<WorkflowAction, { label: string; required: boolean }>> = {
  submit: { label: "Commentaire de transmission (obligatoire s'il reste des avertissements)", required: false },
  return: { label: "Motif du retour (communiqué au partenaire)", required: true },
  send_back: { label: "Motif du renvoi au correspondant", required: true },
};

export default function DossierPage() {
  const { dossier, review, maxBytes } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionData | undefined;
  const navigation = useNavigation();
  const { campaign, organisation, versions, selected } = dossier;
  const base = `/collection/${campaign.year}/${organisation.code}`;
  const pending = versions.filter((v) => v.actions.length > 0);
  // Wording per role: the partner reads « mes dépôts », the ODPE team a partner's dossier.
  const annotatedLabel = dossier.viewerIsOwner ? "Télécharger mon classeur annoté" : "Télécharger le classeur annoté";

  return (
    <Stack maw={1100}>
      {dossier.viewerIsOwner ? (
        <Anchor component={Link} to="/collection">
          ← Mes dépôts
        </Anchor>
      ) : (
        <Anchor component={Link} to={`/completeness/${campaign.year}`}>
          ← Complétude de la campagne {campaign.year}
        </Anchor>
      )}
      <Title order={2}>
        Indicateurs {campaign.year} — {organisation.name}
      </Title>
      <Group>
        <Text>
          Date limite : <strong>{formatDate(campaign.deadline)}</strong>
          {campaign.late && campaign.status === "open" ? " (dépassée)" : ""}
        </Text>
        <WrapBadge color={dossier.submission ? versionStatusColors[dossier.submission.status] : "gray.8"}>
          {dossier.standing ? standingLabel(dossier.standing) : dossier.submission ? versionStatusLabels[dossier.submission.status] : "Aucun dépôt"}
        </WrapBadge>
      </Group>
      {dossier.viewerIsOwner && dossier.validatorCount === 0 && (
        <Alert color="orange.9" variant="light" title="Aucun validateur dans votre organisme">
          Personne ne peut valider vos données au nom de votre institution (convention, art. 4) : une version transmise resterait en attente. Demandez à
          l'administrateur du portail ou au référent de l'ODPE de créer un compte de validateur avant de transmettre.
        </Alert>
      )}
      {(result?.message || result?.formError) && !result.problems?.length && <FormAlert error={result.ok ? null : result.formError} success={result.ok ? result.message : null} />}

      {dossier.canUpload && (
        <Card withBorder>
          <Title order={3} size="h4" mb="sm">
            1. Remplir le modèle
          </Title>
          <Text mb="sm">
            Téléchargez le modèle de votre organisme : il contient la liste des indicateurs convenus et, pour rappel, les valeurs de l'an dernier.
          </Text>
          <Button component="a" href={`${base}/template`} variant="outline" download>
            Télécharger le modèle {campaign.year} (.xlsx)
          </Button>
          <Title order={3} size="h4" mt="lg" mb="sm">
            2. Déposer le fichier rempli
          </Title>
          <Form method="post" encType="multipart/form-data" reloadDocument>
            <UploadZone action={`${base}/upload`} maxBytes={maxBytes} />
          </Form>
          {result?.problems && result.problems.length > 0 && (
            <Stack mt="md">
              <UploadOutcome ok={result.ok} problems={result.problems} message={(result.ok ? result.message : result.formError) ?? ""} />
              <ProblemsTable problems={result.problems} caption="Problèmes du fichier" />
            </Stack>
          )}
        </Card>
      )}

      {pending.map((v) => (
        <Card withBorder key={`actions-${v.id}`}>
          <Title order={3} size="h4" mb="sm">
            Version {v.number} — {versionStatusLabels[v.status]}
          </Title>
          {v.error_count > 0 && <Text mb="sm">Cette version contient {v.error_count} erreur(s) : corrigez le fichier et déposez-le de nouveau.</Text>}
          {v.warnings_comment && (
            <Text mb="sm">
              Commentaire de transmission : « {v.warnings_comment} »
            </Text>
          )}
          <Group align="flex-end">
            {v.actions
              .filter((a) => a !== "submit" || v.error_count === 0)
              .map((a) => (
                <Form method="post" key={a}>
                  <input type="hidden" name="intent" value={a} />
                  <input type="hidden" name="versionId" value={v.id} />
                  <Stack gap="xs">
                    {needsComment[a] && (
                      <Textarea
                        name="comment"
                        label={needsComment[a]!.label}
                        required={needsComment[a]!.required || (a === "submit" && v.warning_count > 0)}
                        autosize
                        minRows={2}
                        w={360}
                        error={result && !result.ok ? result.fieldErrors.comment?.[0] : undefined}
                      />
                    )}
                    <Button type="submit" loading={navigation.state === "submitting"} color={a === "return" || a === "send_back" ? "orange.9" : undefined}>
                      {workflowTransitions[a].label}
                    </Button>
                  </Stack>
                </Form>
              ))}
          </Group>
        </Card>
      ))}

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Versions déposées
        </Title>
        {versions.length === 0 ? (
          <Text>Aucun fichier déposé pour l'instant.</Text>
        ) : (
          <TableScroll label="Versions déposées" minWidth={900}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Version</Table.Th>
                  <Table.Th scope="col">Déposée le</Table.Th>
                  <Table.Th scope="col">Par</Table.Th>
                  <Table.Th scope="col">Erreurs / avertissements</Table.Th>
                  <Table.Th scope="col">Statut</Table.Th>
                  <Table.Th scope="col">Fichiers</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {versions.map((v) => (
                  <Table.Tr key={v.id} aria-current={selected?.id === v.id ? "true" : undefined}>
                    <Table.Td>
                      <Anchor component={Link} to={`?version=${v.number}`} preventScrollReset>
                        n° {v.number}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{formatDateTime(v.uploaded_at)}</Table.Td>
                    <Table.Td>{v.uploaded_via === "api" ? `API (${v.token_name ?? "jeton"})` : (v.uploader_name ?? "—")}</Table.Td>
                    <Table.Td>
                      {v.error_count} / {v.warning_count}
                    </Table.Td>
                    <Table.Td>
                      {/* Long states wrap instead of being cut (« Remplacé par une version plus récente »). */}
                      <WrapBadge color={versionStatusColors[v.status]}>{versionStatusLabels[v.status]}</WrapBadge>
                      {v.return_reason && <Text size="xs">Motif : {v.return_reason}</Text>}
                    </Table.Td>
                    <Table.Td>
                      <Stack gap={2}>
                        <Anchor href={`/versions/${v.id}/file`} size="sm">
                          Fichier déposé
                        </Anchor>
                        {v.error_count + v.warning_count > 0 && (
                          <Anchor href={`/versions/${v.id}/annotated`} size="sm">
                            {annotatedLabel}
                          </Anchor>
                        )}
                      </Stack>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        )}
      </Card>

      {review && (
        <Card withBorder>
          <VersionValues review={review} year={campaign.year} />
        </Card>
      )}

      {selected && (
        <Card withBorder>
          <ProblemsTable problems={selected.problems} caption={`Problèmes de la version ${selected.number}`} />
          {selected.problems.length > 0 && (
            <Button component="a" href={`/versions/${selected.id}/annotated`} variant="outline" mt="sm">
              {annotatedLabel} (cellules surlignées et commentées)
            </Button>
          )}
        </Card>
      )}

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Échanges avec l'ODPE
        </Title>
        <Stack gap="sm">
          {dossier.comments.length === 0 && <Text>Aucun message.</Text>}
          {dossier.comments.map((c) => (
            <Alert key={c.id} color={c.kind === "return" ? "orange.9" : "gray.8"} variant="light" title={`${c.author_label} — ${formatDateTime(c.created_at)}`}>
              <Text style={{ whiteSpace: "pre-wrap" }}>{c.body}</Text>
            </Alert>
          ))}
          {dossier.canComment && dossier.submission && (
            <Form method="post">
              <input type="hidden" name="intent" value="comment" />
              <Stack gap="xs">
                <Textarea name="body" label="Votre message" required autosize minRows={2} error={result && !result.ok ? result.fieldErrors.body?.[0] : undefined} />
                <Group>
                  <Button type="submit" variant="outline">
                    Envoyer le message
                  </Button>
                </Group>
              </Stack>
            </Form>
          )}
        </Stack>
      </Card>
    </Stack>
  );
}
