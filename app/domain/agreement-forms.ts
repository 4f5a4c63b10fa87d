import { z } from "zod";
import { isIsoDate, isMonthDay } from "./dates";
import { agreementFormats, DEFAULT_USAGE_RIGHTS, statisticalLevels, usageRightsValues, type AgreementIndicatorInput, type UsageRights } from "./agreements";

/**
 * The agreement forms' parsing (zod). Apart from app/domain/agreements.ts,
 * whose labels the browser needs on many pages: those pages do not carry zod
 * (issue 14 item 6, ADR 036). Only actions use these.
 */

const optionalDate = (message: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v ? v : null))
    .refine((v) => v === null || isIsoDate(v), { error: message });

export const agreementFormSchema = z
  .object({
    reference: z
      .string()
      .trim()
      .max(80, { error: "80 caractères au plus." })
      .optional()
      .transform((v) => (v ? v : null)),
    signedOn: optionalDate("Date de signature invalide (jj/mm/aaaa)."),
    startsOn: z.string({ error: "Indiquez la date de début." }).trim().refine(isIsoDate, { error: "Indiquez la date de début (jj/mm/aaaa)." }),
    endsOn: optionalDate("Date de fin invalide (jj/mm/aaaa)."),
    format: z.enum(agreementFormats, { error: "Choisissez le format de transmission." }),
    statisticalLevel: z.enum(statisticalLevels, { error: "Choisissez le niveau statistique." }),
    dueMonthDay: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : null))
      .refine((v) => v === null || isMonthDay(v), { error: "Date annuelle au format MM-JJ (exemple : 03-31 pour le 31 mars)." }),
    samePersonMayValidate: z
      .string()
      .optional()
      .transform((v) => v === "on" || v === "true"),
    note: z
      .string()
      .trim()
      .max(2000, { error: "2 000 caractères au plus." })
      .optional()
      .transform((v) => (v ? v : null)),
  })
  .refine((a) => a.endsOn === null || a.endsOn >= a.startsOn, { path: ["endsOn"], error: "La date de fin doit suivre la date de début." });
export type AgreementFormInput = z.infer<typeof agreementFormSchema>;

export function parseAgreementIndicators(form: FormData): Required<AgreementIndicatorInput>[] {
  const result: Required<AgreementIndicatorInput>[] = [];
  const uuid = z.uuid();
  for (const id of form.getAll("indicator")) {
    if (typeof id !== "string" || !uuid.safeParse(id).success) continue;
    const rights = String(form.get(`rights.${id}`) ?? DEFAULT_USAGE_RIGHTS);
    result.push({
      indicatorId: id,
      usageRights: (usageRightsValues as readonly string[]).includes(rights) ? (rights as UsageRights) : DEFAULT_USAGE_RIGHTS,
      notAvailableAllowed: form.get(`notAvailable.${id}`) === "on",
    });
  }
  return result;
}
