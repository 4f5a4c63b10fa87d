import { Button, Group, Select, Stack, TextInput, Textarea } from "@mantine/core";
import { Form } from "@remix-run/react";
import { organisationKindLabels } from "~/domain/organisations";
import { organisationKinds } from "~/domain/observatory-files";
import { FormAlert } from "./FormAlert";

export interface OrganisationFormProps {
  defaults?: { code: string; name: string; kind: string; note: string | null };
  /** The code is a stable identifier: shown but not editable once created. */
  codeLocked?: boolean;
  result?: { ok: boolean; formError: string | null; fieldErrors: Record<string, string[]>; message?: string | null } | null;
  submitLabel: string;
  /** Where to post (default: the page itself). */
  action?: string;
}

/** Identity of an organisation: code, name, category, note. */
export function OrganisationForm({ defaults, codeLocked, result, submitLabel, action }: OrganisationFormProps) {
  const errors = result?.fieldErrors ?? {};
  return (
    <Form method="post" action={action} noValidate>
      <Stack maw={560}>
        <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
        <TextInput
          label="Code"
          name="code"
          required
          readOnly={codeLocked}
          description={codeLocked ? "Identifiant stable : il ne change pas." : "Lettres capitales, chiffres, - ou _ (exemple : CAF42)."}
          defaultValue={defaults?.code}
          error={errors.code?.[0]}
        />
        <TextInput label="Nom" name="name" required defaultValue={defaults?.name} error={errors.name?.[0]} />
        <Select
          label="Catégorie"
          name="kind"
          required
          defaultValue={defaults?.kind}
          data={organisationKinds.map((k) => ({ value: k, label: organisationKindLabels[k] }))}
          error={errors.kind?.[0]}
        />
        <Textarea label="Note" name="note" autosize minRows={2} defaultValue={defaults?.note ?? ""} error={errors.note?.[0]} />
        <Group>
          <Button type="submit">{submitLabel}</Button>
        </Group>
      </Stack>
    </Form>
  );
}
