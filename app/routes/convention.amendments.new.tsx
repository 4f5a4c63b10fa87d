import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Button, Group, MultiSelect, Select, Stack, Text, TextInput, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { nextAmendmentNumber, recordAmendment } from "~/server/convention/convention.server";
import { listOrganisations } from "~/server/organisations/organisations.server";
import { listIndicatorOptions } from "~/server/indicators/indicators.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { amendmentFormSchema, amendmentKindLabels, amendmentKinds } from "~/domain/convention";
import { DOCUMENT_ACCEPT, DOCUMENT_MAX_BYTES } from "~/domain/files";
import { todayIso } from "~/domain/dates";
import { FormAlert } from "~/ui/FormAlert";
import { FileField } from "~/ui/referential";

export const meta: MetaFunction = () => [{ title: "Enregistrer un avenant — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:convention");
  const db = await getDb();
  const today = todayIso();
  const [number, organisations, indicators] = await Promise.all([nextAmendmentNumber(db), listOrganisations(db, today), listIndicatorOptions(db)]);
  return {
    number,
    today,
    // Only organisations that are not members (never joined, or withdrawn) can be admitted.
    candidates: organisations.filter((o) => !o.is_observatory_team && (o.status === "not_member" || o.status === "withdrawn")).map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` })),
    indicators: indicators.filter((i) => i.amendmentNumber === null).map((i) => ({ value: i.id, label: `${i.code} — ${i.label}` })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:convention");
  let number: number;
  try {
    const form = await readUploadForm(request, DOCUMENT_MAX_BYTES);
    const input = parseForm(amendmentFormSchema, form);
    const document = await uploadedFile(form, "document");
    ({ number } = await recordAmendment(await getDb(), actorOf(user, context), input, document));
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/convention?amendment=${number}`);
}

export default function NewAmendmentPage() {
  const { number, today, candidates, indicators } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.fieldErrors ?? {};
  return (
    <Stack maw={760}>
      <Anchor component={Link} to="/convention">
        ← Registre de la convention
      </Anchor>
      <Title order={2}>Enregistrer l'avenant n° {number}</Title>
      <Text>
        Les avenants sont numérotés dans l'ordre (art. 7). Un avenant d'adhésion fait membres, à sa date, les organismes choisis ;
        un avenant « nouvelles données » ajoute des indicateurs au catalogue. Créez d'abord l'organisme ou l'indicateur concerné.
      </Text>
      <Form method="post" encType="multipart/form-data" noValidate>
        <Stack>
          <FormAlert error={result && !result.ok ? result.formError : null} />
          <TextInput type="date" label="Date de l'avenant" name="signedOn" required defaultValue={today} error={errors.signedOn?.[0]} />
          <Select
            label="Type d'avenant"
            name="kind"
            required
            data={amendmentKinds.map((k) => ({ value: k, label: amendmentKindLabels[k] }))}
            error={errors.kind?.[0]}
          />
          <TextInput label="Objet" name="title" required error={errors.title?.[0]} />
          <Textarea label="Description" name="description" autosize minRows={2} error={errors.description?.[0]} />
          <MultiSelect
            label="Organismes admis (avenant d'adhésion)"
            name="organisationIds"
            searchable
            data={candidates}
            nothingFoundMessage="Aucun organisme non membre"
            error={errors.organisationIds?.[0]}
          />
          <MultiSelect
            label="Indicateurs ajoutés (avenant « nouvelles données »)"
            name="indicatorIds"
            searchable
            data={indicators}
            nothingFoundMessage="Aucun indicateur à ajouter"
            error={errors.indicatorIds?.[0]}
          />
          <FileField id="document" name="document" label="Avenant signé (PDF, facultatif)" accept={DOCUMENT_ACCEPT} error={errors.document?.[0]} />
          <Group>
            <Button type="submit">Enregistrer l'avenant n° {number}</Button>
          </Group>
        </Stack>
      </Form>
    </Stack>
  );
}
