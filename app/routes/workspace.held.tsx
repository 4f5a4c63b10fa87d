import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Anchor, Button, Card, Group, Stack, Text, Textarea, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { deleteHeldVersion, listHeldVersions, releaseHeldVersion } from "~/server/workspace/workspace.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { workspaceContentTypes, type WorkspaceContentType } from "~/domain/workspace";
import { formatBytes } from "~/domain/files";
import { FormAlert } from "~/ui/FormAlert";
import { formatDateTime } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Versions retenues pour vérification — Espace de travail" }];

const decisionSchema = z.object({
  versionId: z.uuid({ message: "Version inconnue : rechargez la page." }),
  intent: z.enum(["release", "delete"], { message: "Choisissez « Libérer » ou « Supprimer »." }),
  reason: z.string().trim().min(1, "Indiquez le motif de votre décision.").max(1000, "1 000 caractères au plus."),
});

/**
 * Convention Art. 4 (only anonymised data are shared): the versions the
 * personal-data scan held, with its findings, for the referent to release or
 * delete, each with a reason (docs/decisions/025-personal-data-scan.md).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "review:workspace");
  return { held: await listHeldVersions(await getDb()) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "review:workspace");
  try {
    const decision = parseForm(decisionSchema, await request.formData());
    const db = await getDb();
    if (decision.intent === "release") {
      await releaseHeldVersion(db, actorOf(user, context), decision.versionId, decision.reason);
      return { ok: true as const, message: "La version est libérée : elle est visible par tous les membres ; son auteur en est informé." };
    }
    await deleteHeldVersion(db, actorOf(user, context), decision.versionId, decision.reason);
    return { ok: true as const, message: "La version est supprimée, avec son fichier ; son auteur en est informé. La décision reste au journal d'audit." };
  } catch (error) {
    return formFailure(error);
  }
}

export default function HeldVersions() {
  const { held } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/workspace">
        ← Espace de travail
      </Anchor>
      <Title order={2}>Versions retenues pour vérification</Title>
      <Text>
        Seules des données anonymisées sont partagées dans l'espace de travail (convention, art. 4). Ces versions semblent contenir des données
        personnelles, ou n'ont pas pu être analysées entièrement : elles ne sont visibles que de leur auteur et de vous. Téléchargez-les pour
        vérifier, puis libérez-les (visibles de tous) ou supprimez-les (le fichier est effacé). Le motif est conservé au journal d'audit et
        transmis à l'auteur.
      </Text>
      <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
      {held.length === 0 ? (
        <Text>Aucune version retenue.</Text>
      ) : (
        held.map((v) => (
          <Card key={v.id} withBorder component="section" aria-labelledby={`held-${v.id}`}>
            <Title order={3} size="h4" id={`held-${v.id}`}>
              <Anchor component={Link} to={`/workspace/${v.document_id}`}>
                {v.title}
              </Anchor>{" "}
              — version {v.number}
            </Title>
            <Text size="sm" c="dimmed">
              {v.owner_name} — déposée le {formatDateTime(v.uploaded_at)}
              {v.uploaded_by_name ? ` par ${v.uploaded_by_name}` : ""} —{" "}
              <Anchor href={`/workspace/${v.document_id}/file?version=${v.number}`}>{v.filename}</Anchor> (
              {workspaceContentTypes[v.content_type as WorkspaceContentType] ?? v.content_type}, {formatBytes(v.size_bytes)})
            </Text>
            <ul>
              {v.findings.map((f, i) => (
                <li key={i}>
                  <Text size="sm">{f.explanation}</Text>
                </li>
              ))}
            </ul>
            <Form method="post">
              <input type="hidden" name="versionId" value={v.id} />
              <Stack gap="xs">
                <Textarea
                  id={`reason-${v.id}`}
                  name="reason"
                  label="Motif de la décision"
                  description="Obligatoire ; transmis à l'auteur et conservé au journal d'audit."
                  required
                  autosize
                  minRows={2}
                  maxLength={1000}
                />
                <Group>
                  <Button type="submit" name="intent" value="release" loading={navigation.state === "submitting"}>
                    Libérer
                  </Button>
                  <Button type="submit" name="intent" value="delete" color="red.9" variant="outline" loading={navigation.state === "submitting"}>
                    Supprimer
                  </Button>
                </Group>
              </Stack>
            </Form>
          </Card>
        ))
      )}
    </Stack>
  );
}
