import { Button, Group, Select, Stack, TextInput } from "@mantine/core";
import { Form } from "@remix-run/react";
import { roleLabels, roles } from "~/domain/permissions";
import { FormAlert } from "./FormAlert";

export interface UserFormProps {
  organisations: { id: string; code: string; name: string }[];
  defaults?: { email: string; displayName: string; role: string; organisationId: string };
  result?: { ok: boolean; formError: string | null; fieldErrors: Record<string, string[]> } | null;
  submitLabel: string;
  successMessage?: string;
}

/** The admin form to create or edit an account. */
export function UserForm({ organisations, defaults, result, submitLabel, successMessage }: UserFormProps) {
  const errors = result?.fieldErrors ?? {};
  return (
    <Form method="post" noValidate>
      <input type="hidden" name="intent" value="save" />
      <Stack maw={560}>
        <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? successMessage : null} />
        <TextInput label="Nom et prénom" name="displayName" required defaultValue={defaults?.displayName} error={errors.displayName?.[0]} />
        <TextInput label="Adresse e-mail" name="email" type="email" required defaultValue={defaults?.email} error={errors.email?.[0]} />
        <Select
          label="Organisme"
          name="organisationId"
          required
          searchable
          defaultValue={defaults?.organisationId}
          data={organisations.map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` }))}
          error={errors.organisationId?.[0]}
          nothingFoundMessage="Aucun organisme ne correspond"
        />
        <Select
          label="Rôle"
          name="role"
          required
          defaultValue={defaults?.role}
          data={roles.map((r) => ({ value: r, label: roleLabels[r] }))}
          error={errors.role?.[0]}
        />
        <Group>
          <Button type="submit">{submitLabel}</Button>
        </Group>
      </Stack>
    </Form>
  );
}
