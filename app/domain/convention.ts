import { z } from "zod";
import { isIsoDate } from "./dates";

/** Art. 7: changes, new partners and new data each take a numbered, dated amendment. */
export const amendmentKinds = ["new_partner", "new_data", "other"] as const;
export type AmendmentKind = (typeof amendmentKinds)[number];

export const amendmentKindLabels: Record<AmendmentKind, string> = {
  new_partner: "Adhésion de nouveaux partenaires",
  new_data: "Nouvelles données",
  other: "Autre modification",
};

const isoDate = (message: string) => z.string({ error: message }).trim().refine(isIsoDate, { error: message });

/** Multi-selects arrive as one comma-separated field (Mantine MultiSelect's hidden input). */
export const idList = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []))
  .pipe(z.array(z.uuid({ error: "Sélection invalide : rechargez la page et réessayez." })));

export const conventionFormSchema = z.object({
  title: z.string({ error: "Indiquez le titre." }).trim().min(2, { error: "Indiquez le titre." }).max(300, { error: "300 caractères au plus." }),
  signatureDate: isoDate("Indiquez la date de signature (jj/mm/aaaa)."),
  note: z
    .string()
    .trim()
    .max(1000, { error: "1 000 caractères au plus." })
    .optional()
    .transform((v) => (v ? v : null)),
});
export type ConventionFormInput = z.infer<typeof conventionFormSchema>;

export const amendmentFormSchema = z
  .object({
    signedOn: isoDate("Indiquez la date de l'avenant (jj/mm/aaaa)."),
    kind: z.enum(amendmentKinds, { error: "Choisissez le type d'avenant." }),
    title: z.string({ error: "Indiquez l'objet de l'avenant." }).trim().min(2, { error: "Indiquez l'objet de l'avenant." }).max(300, { error: "300 caractères au plus." }),
    description: z
      .string()
      .trim()
      .max(2000, { error: "2 000 caractères au plus." })
      .optional()
      .transform((v) => (v ? v : null)),
    organisationIds: idList,
    indicatorIds: idList,
  })
  .refine((a) => a.kind !== "new_partner" || a.organisationIds.length > 0, {
    path: ["organisationIds"],
    error: "Un avenant d'adhésion fait adhérer au moins un organisme : sélectionnez-le.",
  })
  .refine((a) => a.kind !== "new_data" || a.indicatorIds.length > 0, {
    path: ["indicatorIds"],
    error: "Un avenant « nouvelles données » ajoute au moins un indicateur : sélectionnez-le.",
  })
  .refine((a) => a.kind === "new_partner" || a.organisationIds.length === 0, {
    path: ["organisationIds"],
    error: "Seul un avenant d'adhésion fait adhérer des organismes : changez le type ou videz la sélection.",
  })
  .refine((a) => a.kind === "new_data" || a.indicatorIds.length === 0, {
    path: ["indicatorIds"],
    error: "Seul un avenant « nouvelles données » ajoute des indicateurs : changez le type ou videz la sélection.",
  });
export type AmendmentFormInput = z.infer<typeof amendmentFormSchema>;
