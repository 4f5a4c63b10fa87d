import { Button, Checkbox, Group, Select, SimpleGrid, Stack, TextInput, Textarea } from "@mantine/core";
import { Form } from "@remix-run/react";
import { agreementFormatLabels, agreementFormats, statisticalLevelLabels, statisticalLevels } from "~/domain/agreements";
import { FormAlert } from "./FormAlert";

export interface AgreementDefaults {
  reference: string | null;
  signed_on: string | null;
  starts_on: string;
  ends_on: string | null;
  format: string;
  statistical_level: string;
  due_month_day: string | null;
  same_person_may_validate: boolean;
  note: string | null;
}

/** The terms of a bilateral agreement (Art. 4). */
export function AgreementForm({
  defaults,
  result,
  submitLabel,
  action,
  children,
}: {
  defaults?: AgreementDefaults;
  result?: { ok: boolean; formError: string | null; fieldErrors: Record<string, string[]>; message?: string | null } | null;
  submitLabel: string;
  action?: string;
  children?: React.ReactNode;
}) {
  const errors = result?.fieldErrors ?? {};
  return (
    <Form method="post" action={action} noValidate>
      <Stack>
        <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
        {children}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Référence" name="reference" defaultValue={defaults?.reference ?? ""} error={errors.reference?.[0]} />
          <TextInput type="date" label="Date de signature" name="signedOn" defaultValue={defaults?.signed_on ?? ""} error={errors.signedOn?.[0]} />
          <TextInput type="date" label="Début" name="startsOn" required defaultValue={defaults?.starts_on ?? ""} error={errors.startsOn?.[0]} />
          <TextInput type="date" label="Fin (facultatif)" name="endsOn" defaultValue={defaults?.ends_on ?? ""} error={errors.endsOn?.[0]} />
          <Select
            label="Format de transmission"
            name="format"
            required
            defaultValue={defaults?.format ?? "excel"}
            data={agreementFormats.map((f) => ({ value: f, label: agreementFormatLabels[f] }))}
            error={errors.format?.[0]}
          />
          <Select
            label="Niveau statistique"
            name="statisticalLevel"
            required
            defaultValue={defaults?.statistical_level ?? "departement"}
            data={statisticalLevels.map((l) => ({ value: l, label: statisticalLevelLabels[l] }))}
            error={errors.statisticalLevel?.[0]}
          />
          <TextInput
            label="Date annuelle de transmission (MM-JJ, facultatif)"
            name="dueMonthDay"
            placeholder="03-31"
            description="Vide : la date limite de chaque campagne."
            defaultValue={defaults?.due_month_day ?? ""}
            error={errors.dueMonthDay?.[0]}
          />
        </SimpleGrid>
        <Checkbox
          name="samePersonMayValidate"
          defaultChecked={defaults?.same_person_may_validate ?? false}
          label="La même personne peut déposer et valider les données de l'organisme"
          description="Par défaut non : la validation par l'institution (art. 4) est faite par une autre personne que le dépôt."
        />
        <Textarea label="Modalités particulières" name="note" autosize minRows={2} defaultValue={defaults?.note ?? ""} error={errors.note?.[0]} />
        <Group>
          <Button type="submit">{submitLabel}</Button>
        </Group>
      </Stack>
    </Form>
  );
}
