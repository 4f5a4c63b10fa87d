import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { actorOf, requirePermission, userCan, requireSignedIn } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { addWorkspaceVersion, getWorkspaceDocument, workspaceDocumentOwner } from "~/server/workspace/workspace.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { orNotFound } from "~/server/http/results.server";
import { DomainError } from "~/server/errors.server";
import { documentKindLabels, versionNoteSchema, WORKSPACE_ACCEPT, WORKSPACE_FORMATS_HINT, WORKSPACE_MAX_BYTES, workspaceContentTypes, type DocumentKind, type WorkspaceContentType } from "~/domain/workspace";
import { formatBytes } from "~/domain/files";
import { FileField } from "~/ui/referential";
import { FormAlert } from "~/ui/FormAlert";
import { AnonymisationConfirmation, anonymisationConfirmed } from "~/ui/AnonymisationConfirmation";
import { TableScroll } from "~/ui/TableScroll";
import { formatDateTime } from "~/domain/format";
import { pageNotFound, requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.document.title ?? "Document"} — Espace de travail` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:workspace");
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const document = await orNotFound(async () => getWorkspaceDocument(await getDb(), id, user));
  return { document, canAddVersion: userCan(user, "update:workspace", document.owner_id), mayReview: userCan(user, "review:workspace") };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  await requireSignedIn(request);
  const id = requireParam(params, "id", "uuid", "Document introuvable");
  const db = await getDb();
  const owner = await workspaceDocumentOwner(db, id);
  if (!owner) throw pageNotFound("Document introuvable");
  const user = await requirePermission(request, "update:workspace", owner);
  try {
    const form = await readUploadForm(request, WORKSPACE_MAX_BYTES);
    const { note } = parseForm(versionNoteSchema, form);
    const upload = await uploadedFile(form, "file");
    if (!upload) throw new DomainError("validation", "Choisissez le fichier de la nouvelle version.", { file: ["Choisissez un fichier."] });
    const added = await addWorkspaceVersion(db, actorOf(user, context), id, upload, note, anonymisationConfirmed(form));
    return {
      ok: true as const,
      message: added.held
        ? `Version ${added.number} retenue pour vérification : elle pourrait contenir des données personnelles (convention, art. 4). Le référent de l'observatoire la vérifie avant qu'elle soit visible des autres membres ; les raisons sont indiquées dans la liste des versions.`
        : `Version ${added.number} déposée ; les précédentes restent consultables.`,
    };
  } catch (error) {
    return formFailure(error);
  }
}

export default function WorkspaceDocumentPage() {
  const { document: d, canAddVersion, mayReview } = useLoaderData<typeof loader>();
  const heldVersions = d.versions.filter((v) => v.held);
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  return (
    <Stack maw={1000}>
      <Anchor component={Link} to="/workspace">
        ← Espace de travail
      </Anchor>
      <Group>
        <Title order={2}>{d.title}</Title>
        <Badge variant="light" color="indigo.8">
          {documentKindLabels[d.kind as DocumentKind]}
        </Badge>
      </Group>
      {params.get("created") && d.current_version_id !== null && (
        <Alert color="green.9" role="status">
          Le document est partagé avec tous les membres de l'observatoire.
        </Alert>
      )}
      {heldVersions.length > 0 && (
        <Alert color="orange.9" role="status" title={heldVersions.length > 1 ? "Versions retenues pour vérification" : "Version retenue pour vérification"}>
          <Stack gap="xs">
            <Text size="sm">
              {d.current_version_id === null ? "Le document n'est pas encore visible des autres membres : " : "Les autres membres ne voient pas cette version : "}
              elle pourrait contenir des données personnelles, alors que seules des données anonymisées sont partagées (convention, art. 4). Le référent de
              l'observatoire la vérifie, puis la libère ou la supprime.
            </Text>
            {heldVersions.map((v) => (
              <div key={v.id}>
                <Text size="sm" fw={700}>
                  Version {v.number} :
                </Text>
                <ul style={{ margin: 0 }}>
                  {v.holdFindings.map((f, i) => (
                    <li key={i}>
                      <Text size="sm">{f.explanation}</Text>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
            {mayReview && (
              <Anchor component={Link} to="/workspace/held" size="sm">
                Vérifier les versions retenues
              </Anchor>
            )}
          </Stack>
        </Alert>
      )}
      <Text>
        Organisme propriétaire : <strong>{d.owner_name}</strong> — partagé par {d.created_by_name ?? "—"} le {formatDateTime(d.created_at)}
      </Text>
      {d.summary && <Text style={{ whiteSpace: "pre-wrap" }}>{d.summary}</Text>}
      {d.domainLabels.length > 0 && <Text size="sm">Domaines : {d.domainLabels.join(", ")}</Text>}
      {d.sources.length > 0 && <Text size="sm">Données utilisées (organismes informés, art. 5) : {d.sources.map((s) => s.name).join(", ")}</Text>}
      {d.current_version_id !== null && (
        <Group>
          <Button component="a" href={`/workspace/${d.id}/file`}>
            Télécharger la version en cours
          </Button>
        </Group>
      )}

      <section aria-labelledby="versions">
        <Title order={3} size="h4" id="versions" mb="xs">
          Versions ({d.versions.length})
        </Title>
        <TableScroll label="Versions du document" minWidth={700}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Version</Table.Th>
                <Table.Th scope="col">Fichier</Table.Th>
                <Table.Th scope="col">Déposée</Table.Th>
                <Table.Th scope="col">Note</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.versions.map((v) => (
                <Table.Tr key={v.id}>
                  <Table.Td>
                    {v.number}
                    {v.held && (
                      <Badge ml={6} variant="light" color="orange.9">
                        version retenue pour vérification
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Anchor href={`/workspace/${d.id}/file?version=${v.number}`}>{v.filename}</Anchor>{" "}
                    <Text span size="sm" c="dimmed">
                      ({workspaceContentTypes[v.content_type as WorkspaceContentType] ?? v.content_type}, {formatBytes(v.size_bytes)})
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {formatDateTime(v.uploaded_at)}
                    {v.uploaded_by_name ? ` par ${v.uploaded_by_name}` : ""}
                  </Table.Td>
                  <Table.Td>{v.note ?? "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      </section>

      {canAddVersion && (
        <Card withBorder component="section" aria-labelledby="nouvelle-version">
          <Title order={3} size="h4" id="nouvelle-version" mb="sm">
            Déposer une nouvelle version
          </Title>
          <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
          <Form method="post" encType="multipart/form-data" noValidate>
            <Stack>
              <FileField
                id="version-file"
                name="file"
                label="Fichier"
                accept={WORKSPACE_ACCEPT}
                description={WORKSPACE_FORMATS_HINT}
                required
                error={result && !result.ok ? result.fieldErrors.file?.[0] : undefined}
              />
              <TextInput label="Ce qui change (facultatif)" name="note" error={result && !result.ok ? result.fieldErrors.note?.[0] : undefined} />
              <AnonymisationConfirmation id="version-anonymised" error={result && !result.ok ? result.fieldErrors.anonymisedConfirmed?.[0] : undefined} />
              <Group>
                <Button type="submit" variant="outline" loading={navigation.state === "submitting"}>
                  Déposer la version
                </Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
