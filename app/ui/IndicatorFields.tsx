import { Checkbox, Group, MultiSelect, Select, SimpleGrid, Stack, TextInput, Textarea } from "@mantine/core";
import { measureLabels, measures, valueTypeLabels, valueTypes } from "~/domain/indicators";

export interface DefinitionDefaults {
  label: string;
  definition: string | null;
  unit: string;
  value_type: string;
  measure: string;
  breakdowns: string[];
  non_negative: boolean;
  min_value: number | null;
  max_value: number | null;
  breakdown_sum_equals_total: boolean;
}

/** The definitional fields of an indicator version (a change makes a new version). */
export function IndicatorDefinitionFields({
  defaults,
  codelists,
  errors,
}: {
  defaults?: DefinitionDefaults;
  codelists: { code: string; label: string }[];
  errors: Record<string, string[]>;
}) {
  return (
    <Stack>
      <TextInput label="Libellé" name="label" required defaultValue={defaults?.label} error={errors.label?.[0]} />
      <Textarea
        label="Définition"
        name="definition"
        required
        autosize
        minRows={3}
        description="Ce qui est compté, à quelle date ou sur quelle période, avec quelles inclusions et exclusions."
        defaultValue={defaults?.definition ?? ""}
        error={errors.definition?.[0]}
      />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <TextInput label="Unité" name="unit" required defaultValue={defaults?.unit} error={errors.unit?.[0]} />
        <Select
          label="Type de valeur"
          name="valueType"
          required
          defaultValue={defaults?.value_type ?? "integer"}
          data={valueTypes.map((v) => ({ value: v, label: valueTypeLabels[v] }))}
          error={errors.valueType?.[0]}
        />
        <Select
          label="Stock ou flux"
          name="measure"
          required
          defaultValue={defaults?.measure ?? "stock"}
          data={measures.map((m) => ({ value: m, label: measureLabels[m] }))}
          error={errors.measure?.[0]}
        />
      </SimpleGrid>
      <MultiSelect
        label="Ventilations (listes de codes croisées)"
        name="breakdowns"
        defaultValue={defaults?.breakdowns ?? []}
        data={codelists.map((c) => ({ value: c.code, label: `${c.label} (${c.code})` }))}
        error={errors.breakdowns?.[0]}
      />
      <Group>
        <Checkbox label="Valeur positive ou nulle" name="nonNegative" defaultChecked={defaults?.non_negative ?? true} />
        <Checkbox label="La somme des cases de la ventilation est égale au total" name="sumEqualsTotal" defaultChecked={defaults?.breakdown_sum_equals_total ?? true} />
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label="Minimum (facultatif)" name="minValue" inputMode="decimal" defaultValue={defaults?.min_value ?? ""} error={errors.minValue?.[0]} />
        <TextInput label="Maximum (facultatif)" name="maxValue" inputMode="decimal" defaultValue={defaults?.max_value ?? ""} error={errors.maxValue?.[0]} />
      </SimpleGrid>
    </Stack>
  );
}
