import { Checkbox } from "@mantine/core";

/** The form field the workspace upload actions read (Art. 4). */
export const ANONYMISATION_FIELD = "anonymisedConfirmed";

/**
 * Convention Art. 4: only anonymised data are shared in the workspace. Every
 * workspace upload form carries this required box stating the rule; the
 * server refuses an upload without it (docs/decisions/025-personal-data-scan.md).
 */
export function AnonymisationConfirmation({ id, error }: { id: string; error?: string }) {
  return (
    <Checkbox
      id={id}
      name={ANONYMISATION_FIELD}
      value="on"
      required
      aria-required
      error={error}
      label="Je confirme que ce document ne contient que des données anonymisées (convention, art. 4)"
      description="Aucun nom, prénom, date de naissance, numéro de sécurité sociale, adresse, téléphone ni courriel d'une personne. Les classeurs et documents Word, PowerPoint et OpenDocument sont analysés : une version qui semble en contenir est retenue pour vérification par le référent de l'observatoire avant d'être visible des autres membres."
    />
  );
}

/** Whether the form confirmed the anonymisation. */
export const anonymisationConfirmed = (form: FormData) => form.get(ANONYMISATION_FIELD) === "on";
