import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getConvention, listAmendments, setAmendmentDocument, setConventionDocument, updateConvention } from "~/server/convention/convention.server";
import { parseForm } from "~/server/http/forms.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { intentFailure, intentSuccess, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { DomainError } from "~/server/errors.server";
import { conventionFormSchema } from "~/domain/convention";
import { DOCUMENT_ACCEPT, DOCUMENT_MAX_BYTES } from "~/domain/files";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { DocumentLink, FileField, noShrink } from "~/ui/referential";
import { formatDate } from "~/domain/format";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction = () => [{ title: "Convention et avenants — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:convention");
  const db = await getDb();
  const [convention, amendments] = await Promise.all([getConvention(db), listAmendments(db)]);
  return { convention, amendments, canManage: userCan(user, "manage:convention") };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:convention");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await readUploadForm(request, DOCUMENT_MAX_BYTES);
    switch (intent) {
      case "convention":
        await updateConvention(db, actor, parseForm(conventionFormSchema, form));
        return intentSuccess(intent, "La convention-cadre a été mise à jour.");
      case "convention-document": {
        const upload = await uploadedFile(form, "document");
        if (!upload) throw new DomainError("validation", "Choisissez le PDF signé.", { document: ["Choisissez le PDF signé."] });
        await setConventionDocument(db, actor, upload);
        return intentSuccess(intent, "La convention-cadre signée est jointe.");
      }
      case "amendment-document": {
        const { number } = parseForm(z.object({ number: z.coerce.number({ error: "Choisissez l'avenant." }).int().min(1, { error: "Choisissez l'avenant." }) }), form);
        const upload = await uploadedFile(form, "amendmentDocument");
        if (!upload) throw new DomainError("validation", "Choisissez le PDF signé.", { amendmentDocument: ["Choisissez le PDF signé."] });
        await setAmendmentDocument(db, actor, number, upload);
        return intentSuccess(intent, `L'avenant n° ${number} signé est joint.`);
      }
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function ConventionPage() {
  const { convention, amendments, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const recorded = params.get("amendment");
  const conventionResult = result && result.intent.startsWith("convention") ? result : null;
  const amendmentResult = result?.intent === "amendment-document" ? result : null;
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Convention et avenants</Title>
        {canManage && convention && (
          <Button component={Link} to="/convention/amendments/new">
            Enregistrer un avenant
          </Button>
        )}
      </Group>
      <Text>
        Le registre de la convention de partage de données : la convention-cadre puis ses avenants numérotés et datés. Toute
        modification, tout nouveau partenaire et toute nouvelle donnée passent par un avenant (art. 7).
      </Text>
      {recorded && (
        <Alert color="green.9" role="status">
          L'avenant n° {recorded} est enregistré et ses effets sont appliqués.
        </Alert>
      )}

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Convention-cadre
        </Title>
        {convention ? (
          <Stack gap="xs">
            <Text fw={600}>{convention.title}</Text>
            <Text>Signée le {formatDate(convention.signature_date)}.</Text>
            {convention.note && <Text size="sm">{convention.note}</Text>}
            <DocumentLink href="/convention/document" document={convention.document} label="Convention signée (PDF)" />
          </Stack>
        ) : (
          <Text>La convention-cadre n'est pas encore enregistrée.</Text>
        )}
        {canManage && (
          <Stack mt="md">
            <FormAlert error={conventionResult && !conventionResult.ok ? conventionResult.formError : null} success={conventionResult?.ok ? conventionResult.message : null} />
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Form method="post" action="?intent=convention" noValidate>
                <Stack>
                  <TextInput label="Titre de la convention" name="title" required defaultValue={convention?.title} error={conventionResult?.fieldErrors.title?.[0]} />
                  <TextInput
                    type="date"
                    label="Date de signature"
                    name="signatureDate"
                    required
                    defaultValue={convention?.signature_date}
                    error={conventionResult?.fieldErrors.signatureDate?.[0]}
                  />
                  <Textarea label="Note" name="note" autosize minRows={1} defaultValue={convention?.note ?? ""} />
                  <Group>
                    <Button type="submit" variant="outline">
                      Enregistrer la convention-cadre
                    </Button>
                  </Group>
                </Stack>
              </Form>
              {convention && (
                <Form method="post" action="?intent=convention-document" encType="multipart/form-data" noValidate>
                  <Stack>
                    <FileField
                      id="convention-document"
                      name="document"
                      label="Convention signée (PDF, 10 Mo au plus)"
                      accept={DOCUMENT_ACCEPT}
                      required
                      error={conventionResult?.fieldErrors.document?.[0]}
                    />
                    <Group>
                      <Button type="submit" variant="outline">
                        Joindre le PDF
                      </Button>
                    </Group>
                  </Stack>
                </Form>
              )}
            </SimpleGrid>
          </Stack>
        )}
      </Card>

      <Title order={3} size="h4">
        Registre des avenants ({amendments.length})
      </Title>
      {amendments.length === 0 ? (
        <Text>Aucun avenant : la convention-cadre s'applique telle que signée.</Text>
      ) : (
        <TableScroll label="Registre des avenants" minWidth={900}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">N°</Table.Th>
                <Table.Th scope="col">Date</Table.Th>
                <Table.Th scope="col">Type</Table.Th>
                <Table.Th scope="col">Objet</Table.Th>
                <Table.Th scope="col">Effets</Table.Th>
                <Table.Th scope="col">Document</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {amendments.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>{a.number}</Table.Td>
                  <Table.Td>{formatDate(a.signed_on)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" style={noShrink}>
                      {a.kindLabel}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {a.title}
                    </Text>
                    {a.description && <Text size="sm">{a.description}</Text>}
                  </Table.Td>
                  <Table.Td>
                    {a.organisations.length > 0 && (
                      <Text size="sm">
                        Organisme(s) admis :{" "}
                        {a.organisations.map((o, i) => (
                          <span key={o.id}>
                            {i > 0 && ", "}
                            <Anchor component={Link} to={`/organisations/${o.id}`}>
                              {o.code}
                            </Anchor>
                          </span>
                        ))}
                      </Text>
                    )}
                    {a.indicators.length > 0 && (
                      <Text size="sm">
                        Indicateur(s) ajouté(s) :{" "}
                        {a.indicators.map((i, n) => (
                          <span key={i.id}>
                            {n > 0 && ", "}
                            <Anchor component={Link} to={`/indicators/${i.code}`}>
                              {i.code}
                            </Anchor>
                          </span>
                        ))}
                      </Text>
                    )}
                    {a.organisations.length === 0 && a.indicators.length === 0 && "—"}
                  </Table.Td>
                  <Table.Td>
                    <DocumentLink href={`/convention/amendments/${a.number}/document`} document={a.document} label="PDF" />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
      {canManage && amendments.length > 0 && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Joindre un avenant signé
          </Title>
          <FormAlert error={amendmentResult && !amendmentResult.ok ? amendmentResult.formError : null} success={amendmentResult?.ok ? amendmentResult.message : null} />
          <Form method="post" action="?intent=amendment-document" encType="multipart/form-data" noValidate>
            <Group align="flex-end">
              <Select
                label="Avenant"
                name="number"
                required
                data={amendments.map((a) => ({ value: String(a.number), label: `N° ${a.number} — ${a.title}` }))}
                error={amendmentResult?.fieldErrors.number?.[0]}
              />
              <FileField id="amendment-document" name="amendmentDocument" label="Avenant signé (PDF)" accept={DOCUMENT_ACCEPT} required error={amendmentResult?.fieldErrors.amendmentDocument?.[0]} />
              <Button type="submit" variant="outline">
                Joindre le PDF
              </Button>
            </Group>
          </Form>
        </Card>
      )}
    </Stack>
  );
}
