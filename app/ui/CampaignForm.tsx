import { Button, Group, SimpleGrid, Stack, TextInput, Textarea } from "@mantine/core";
import { Form } from "@remix-run/react";
import { FormAlert } from "./FormAlert";

export interface CampaignDefaults {
  reference_year: number;
  opens_on: string;
  deadline: string;
  reminder_days_before: number[];
  reminder_days_after: number[];
  note: string | null;
}

/** A campaign's reference year, dates and reminders. */
export function CampaignForm({
  defaults,
  yearLocked,
  result,
  submitLabel,
  action,
}: {
  defaults: CampaignDefaults;
  yearLocked?: boolean;
  result?: { ok: boolean; formError: string | null; fieldErrors: Record<string, string[]>; message?: string | null } | null;
  submitLabel: string;
  action?: string;
}) {
  const errors = result?.fieldErrors ?? {};
  return (
    <Form method="post" action={action} noValidate>
      <Stack maw={720}>
        <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            label="Année de référence"
            name="referenceYear"
            required
            inputMode="numeric"
            readOnly={yearLocked}
            description="L'année sur laquelle portent les données."
            defaultValue={String(defaults.reference_year)}
            error={errors.referenceYear?.[0]}
          />
          <TextInput type="date" label="Date d'ouverture" name="opensOn" required defaultValue={defaults.opens_on} error={errors.opensOn?.[0]} />
          <TextInput type="date" label="Date limite" name="deadline" required defaultValue={defaults.deadline} error={errors.deadline?.[0]} />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label="Relances avant l'échéance (jours)"
            name="reminderDaysBefore"
            description="Séparés par des virgules, exemple : 14, 3."
            defaultValue={defaults.reminder_days_before.join(", ")}
            error={errors.reminderDaysBefore?.[0]}
          />
          <TextInput
            label="Relances après l'échéance (jours)"
            name="reminderDaysAfter"
            description="Exemple : 1."
            defaultValue={defaults.reminder_days_after.join(", ")}
            error={errors.reminderDaysAfter?.[0]}
          />
        </SimpleGrid>
        <Textarea label="Note" name="note" autosize minRows={1} defaultValue={defaults.note ?? ""} error={errors.note?.[0]} />
        <Group>
          <Button type="submit">{submitLabel}</Button>
        </Group>
      </Stack>
    </Form>
  );
}
