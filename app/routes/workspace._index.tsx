import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Anchor, Badge, Button, Card, Group, MultiSelect, NativeSelect, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createWorkspaceDocument, listHeldVersions, listWorkspaceDocuments } from "~/server/workspace/workspace.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { DomainError } from "~/server/errors.server";
import {
  DOMAIN_CODE,
  documentKindLabels,
  documentKinds,
  formList,
  UUID,
  WORKSPACE_ACCEPT,
  WORKSPACE_FORMATS_HINT,
  WORKSPACE_MAX_BYTES,
  workspaceContentTypes,
  workspaceDocumentSchema,
  type DocumentKind,
  type WorkspaceContentType,
} from "~/domain/workspace";
import { formatBytes } from "~/domain/files";
import { FileField } from "~/ui/referential";
import { FormAlert } from "~/ui/FormAlert";
import { AnonymisationConfirmation, anonymisationConfirmed } from "~/ui/AnonymisationConfirmation";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Espace de travail — Portail ODPE" }];

/** Art. 4: the members' shared workspace; French full-text search over titles and summaries. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:workspace");
  const db = await getDb();
  const params = new URL(request.url).searchParams;
  const filter = {
    q: (params.get("q") ?? "").trim().slice(0, 200),
    domain: DOMAIN_CODE.test(params.get("domain") ?? "") ? params.get("domain")! : "",
    owner: UUID.test(params.get("owner") ?? "") ? params.get("owner")! : "",
    kind: (documentKinds as readonly string[]).includes(params.get("kind") ?? "") ? params.get("kind")! : "",
  };
  const mayReview = userCan(user, "review:workspace");
  const [documents, domains, organisations, held] = await Promise.all([
    listWorkspaceDocuments(db, filter),
    db.selectFrom("indicator_domain").select(["code", "label"]).orderBy("position").execute(),
    db.selectFrom("organisation").select(["id", "name"]).orderBy("name").execute(),
    mayReview ? listHeldVersions(db) : Promise.resolve([]),
  ]);
  return {
    filter,
    documents,
    domains,
    organisations,
    // The organisations the user may share a document for (its own; every one for the referent).
    owners: organisations.filter((o) => userCan(user, "update:workspace", o.id)),
    defaultOwner: user.organisationId,
    canCreate: userCan(user, "create:workspace"),
    // Art. 4: the referent reviews the versions held for possible personal data.
    heldCount: mayReview ? held.length : null,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "create:workspace");
  try {
    const form = await readUploadForm(request, WORKSPACE_MAX_BYTES);
    const input = parseForm(workspaceDocumentSchema, form);
    const upload = await uploadedFile(form, "file");
    if (!upload) throw new DomainError("validation", "Choisissez le fichier à partager.", { file: ["Choisissez un fichier."] });
    const id = await createWorkspaceDocument(
      await getDb(),
      actorOf(user, context),
      { ...input, domains: formList(form, "domains", DOMAIN_CODE), sources: formList(form, "sources", UUID) },
      upload,
      anonymisationConfirmed(form),
    );
    return redirect(`/workspace/${id}?created=1`);
  } catch (error) {
    return formFailure(error);
  }
}

export default function Workspace() {
  const { filter, documents, domains, organisations, owners, defaultOwner, canCreate, heldCount } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const errorOf = (field: string) => (failure && !failure.ok ? failure.fieldErrors[field]?.[0] : undefined);
  return (
    <Stack maw={1200}>
      <Title order={2}>Espace de travail</Title>
      <Text>
        Études, analyses et initiatives partagées entre les membres de l'observatoire (convention, art. 4). Tous les membres les consultent ; chaque
        version déposée est conservée. Seules des données anonymisées y sont partagées.
      </Text>
      {heldCount !== null && (
        <Text>
          <Anchor component={Link} to="/workspace/held">
            Versions retenues pour vérification ({heldCount})
          </Anchor>
        </Text>
      )}

      <Card withBorder component="section" aria-labelledby="recherche">
        <Title order={3} size="h4" id="recherche" mb="sm">
          Rechercher
        </Title>
        <Form method="get">
          <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
            <TextInput label="Mots (titres et résumés)" name="q" type="search" defaultValue={filter.q} />
            <NativeSelect label="Domaine" name="domain" data={[{ value: "", label: "Tous" }, ...domains.map((d) => ({ value: d.code, label: d.label }))]} defaultValue={filter.domain} />
            <NativeSelect label="Organisme" name="owner" data={[{ value: "", label: "Tous" }, ...organisations.map((o) => ({ value: o.id, label: o.name }))]} defaultValue={filter.owner} />
            <NativeSelect label="Type" name="kind" data={[{ value: "", label: "Tous" }, ...documentKinds.map((k) => ({ value: k, label: documentKindLabels[k] }))]} defaultValue={filter.kind} />
          </SimpleGrid>
          <Group mt="sm">
            <Button type="submit">Rechercher</Button>
            {(filter.q || filter.domain || filter.owner || filter.kind) && (
              <Anchor component={Link} to="/workspace">
                Effacer les critères
              </Anchor>
            )}
          </Group>
        </Form>
      </Card>

      <section aria-labelledby="documents">
        <Title order={3} size="h4" id="documents" mb="xs">
          Documents ({documents.length})
        </Title>
        {documents.length === 0 ? (
          <Text>{filter.q ? `Aucun document ne correspond à « ${filter.q} ».` : "Aucun document partagé pour l'instant."}</Text>
        ) : (
          <TableScroll label="Documents de l'espace de travail" minWidth={760}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Titre</Table.Th>
                  <Table.Th scope="col">Type</Table.Th>
                  <Table.Th scope="col">Organisme</Table.Th>
                  <Table.Th scope="col">Format</Table.Th>
                  <Table.Th scope="col">Mis à jour</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {documents.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/workspace/${d.id}`}>
                        {d.title}
                      </Anchor>
                      {d.summary && (
                        <Text size="sm" c="dimmed" lineClamp={2}>
                          {d.summary}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>{documentKindLabels[d.kind as DocumentKind]}</Table.Td>
                    <Table.Td>{d.owner_name}</Table.Td>
                    <Table.Td>
                      {d.content_type ? workspaceContentTypes[d.content_type as WorkspaceContentType] ?? d.content_type : "—"}
                      {d.size_bytes ? ` (${formatBytes(d.size_bytes)})` : ""}
                      {d.current_number > 1 && (
                        <Badge ml={6} variant="light" color="gray.8">
                          v{d.current_number}
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{formatDate(d.updated_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        )}
      </section>

      {canCreate && (
        <Card withBorder component="section" aria-labelledby="partager">
          <Title order={3} size="h4" id="partager" mb="sm">
            Partager un document
          </Title>
          <FormAlert error={failure && !failure.ok ? failure.formError : null} />
          <Form method="post" encType="multipart/form-data" noValidate>
            <Stack>
              <TextInput label="Titre" name="title" required error={errorOf("title")} />
              <Textarea label="Résumé" name="summary" autosize minRows={2} maxRows={8} error={errorOf("summary")} description="Utilisé par la recherche." />
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <NativeSelect label="Type de document" name="kind" required data={documentKinds.map((k) => ({ value: k, label: documentKindLabels[k] }))} error={errorOf("kind")} />
                <NativeSelect
                  label="Organisme propriétaire"
                  name="ownerOrganisationId"
                  required
                  data={owners.map((o) => ({ value: o.id, label: o.name }))}
                  defaultValue={defaultOwner}
                  error={errorOf("ownerOrganisationId")}
                />
              </SimpleGrid>
              <MultiSelect label="Domaines" name="domains" data={domains.map((d) => ({ value: d.code, label: d.label }))} searchable clearable error={errorOf("domains")} />
              <MultiSelect
                label="Données d'autres organismes utilisées"
                name="sources"
                description="Ces organismes en seront informés (convention, art. 5 : information mutuelle)."
                data={organisations.map((o) => ({ value: o.id, label: o.name }))}
                searchable
                clearable
                error={errorOf("sources")}
              />
              <FileField id="workspace-file" name="file" label="Fichier" accept={WORKSPACE_ACCEPT} description={WORKSPACE_FORMATS_HINT} required error={errorOf("file")} />
              <AnonymisationConfirmation id="workspace-anonymised" error={errorOf("anonymisedConfirmed")} />
              <Group>
                <Button type="submit" loading={navigation.state === "submitting"}>
                  Partager
                </Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
