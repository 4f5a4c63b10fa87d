import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Button, Card, Code, Group, List, Stack, Text, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { decideApproval } from "~/server/publications/publication-commands.server";
import { approvalOwner, getApprovalPage } from "~/server/publications/publication-queries.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { orNotFound } from "~/server/http/results.server";
import { publicationAudienceLabels, shortHash } from "~/domain/publications";
import { decisionSchema } from "~/domain/publication-forms";
import { usageRightsLabels } from "~/domain/agreements";
import { PublicationContentView } from "~/ui/diffusion";
import { ApprovalStatusBadge } from "~/ui/publication-badges";
import { FormAlert } from "~/ui/FormAlert";
import { formatDateTime, formatYears } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Accord : ${data?.publication.title ?? "publication"} — Portail ODPE` }];

/** Art. 5: the validator sees exactly the content to be diffused (as it would go out, statistical secrecy applied) and decides. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireSignedIn(request);
  const id = requireParam(params, "id", "uuid", "Demande introuvable");
  const db = await getDb();
  await requirePermission(request, "decide:approval", await approvalOwner(db, id));
  return orNotFound(() => getApprovalPage(db, id));
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  await requireSignedIn(request);
  const id = requireParam(params, "id", "uuid", "Demande introuvable");
  const db = await getDb();
  const user = await requirePermission(request, "decide:approval", await approvalOwner(db, id));
  try {
    const decision = parseForm(decisionSchema, await request.formData());
    await decideApproval(
      db,
      actorOf(user, context),
      id,
      decision.decision === "approve" ? { decision: "approve", contentHash: decision.contentHash } : { decision: "refuse", contentHash: decision.contentHash, reason: decision.reason },
    );
    return { ok: true as const, message: decision.decision === "approve" ? "Votre accord est enregistré." : "Votre refus est enregistré ; l'auteur en reçoit le motif." };
  } catch (error) {
    return formFailure(error);
  }
}

export default function ApprovalPage() {
  const { approval, publication, author, current, mine, rendered } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const open = approval.status === "pending" && current && publication.status === "awaiting_sources";
  return (
    <Stack maw={1200}>
      <Anchor component={Link} to="/approvals">
        ← Demandes d'accord
      </Anchor>
      <Group>
        <Title order={2}>Accord de diffusion : {publication.title}</Title>
        <ApprovalStatusBadge status={approval.status} />
      </Group>
      <Text>
        Demandé le {formatDateTime(approval.requested_at)} à {approval.organisation_name} par {author.display_name} ({author.organisation_name}) —
        public visé : {publicationAudienceLabels[publication.audience]}.
      </Text>
      <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
      {!current && approval.status === "pending" && (
        <Alert color="orange.9">Le contenu a changé depuis cette demande : elle ne peut plus être décidée. Une nouvelle demande vous parviendra.</Alert>
      )}
      {approval.reason && <Alert color={approval.status === "refused" ? "red.9" : "gray.8"}>Motif : {approval.reason}</Alert>}
      {approval.close_reason && <Alert color="gray.8">{approval.close_reason}</Alert>}

      <Card withBorder component="section" aria-labelledby="vos-donnees">
        <Title order={3} size="h4" id="vos-donnees" mb="xs">
          Ce qui concerne {approval.organisation_name}
        </Title>
        {mine ? (
          <List size="sm">
            {mine.uses.map((u) => (
              <List.Item key={`${u.indicatorCode}-${u.usageRights}`}>
                {u.indicatorLabel} ({u.indicatorCode}), données {formatYears(u.years)} — {usageRightsLabels[u.usageRights].toLowerCase()}
              </List.Item>
            ))}
            {mine.documents.map((d) => (
              <List.Item key={d.documentId}>Document « {d.title} »</List.Item>
            ))}
          </List>
        ) : (
          <Text size="sm">Vos données ne figurent plus dans ce contenu.</Text>
        )}
        <Text size="sm" mt="xs">
          Contenu soumis : <Code>{shortHash(approval.content_hash)}</Code>. Votre décision vaut pour ce contenu exactement ; toute modification
          ultérieure l'invalide.
        </Text>
      </Card>

      <Card withBorder component="section" aria-labelledby="contenu-soumis">
        <Title order={3} size="h4" id="contenu-soumis" mb="xs">
          Contenu tel qu'il serait diffusé
        </Title>
        <Text size="sm" mb="sm">
          Le secret statistique est appliqué (cases masquées affichées « s »), comme à l'extérieur.
        </Text>
        <Title order={3} size="h3" mb="sm">
          {rendered.title}
        </Title>
        <PublicationContentView
          view={rendered}
          attachmentUrl={(doc) => `/approvals/${approval.id}/attachments/${doc}`}
          logoUrl={(org) => `/extranet/logos/${org}`}
        />
      </Card>

      {open && (
        <Card withBorder component="section" aria-labelledby="decision">
          <Title order={3} size="h4" id="decision" mb="sm">
            Votre décision
          </Title>
          <Stack>
            <Form method="post">
              <input type="hidden" name="contentHash" value={approval.content_hash} />
              <input type="hidden" name="decision" value="approve" />
              <Button type="submit" color="green.9">
                Donner l'accord de {approval.organisation_name}
              </Button>
            </Form>
            <Form method="post" noValidate>
              <input type="hidden" name="contentHash" value={approval.content_hash} />
              <input type="hidden" name="decision" value="refuse" />
              <Stack maw={640}>
                <Textarea
                  label="Motif du refus (communiqué à l'auteur)"
                  name="reason"
                  autosize
                  minRows={2}
                  error={result && !result.ok ? result.fieldErrors.reason?.[0] : undefined}
                />
                <Group>
                  <Button type="submit" color="red.9" variant="outline">
                    Refuser la diffusion
                  </Button>
                </Group>
              </Stack>
            </Form>
          </Stack>
        </Card>
      )}
    </Stack>
  );
}
