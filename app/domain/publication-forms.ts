import { z } from "zod";
import { itemKinds, publicationAudiences } from "./publications";

/**
 * The publication forms' schemas (zod). Apart from app/domain/publications.ts,
 * whose labels and rules the browser needs: a page that only shows a status
 * badge does not carry zod (issue 14 item 6, ADR 036). Only actions use these.
 */

export const PUBLICATION_BODY_MAX = 50_000;

export const publicationFormSchema = z.object({
  title: z
    .string({ error: "Indiquez un titre." })
    .trim()
    .min(3, { error: "Le titre doit contenir au moins 3 caractères." })
    .max(200, { error: "200 caractères au plus." }),
  audience: z.enum(publicationAudiences, { error: "Choisissez le public visé." }),
  body: z
    .string()
    .max(PUBLICATION_BODY_MAX, { error: "50 000 caractères au plus." })
    .optional()
    .transform((v) => (v ?? "").replace(/\r\n/g, "\n")),
});
export type PublicationFormInput = z.infer<typeof publicationFormSchema>;


export const freezeFormSchema = z.object({
  itemTitle: z
    .string({ error: "Indiquez un titre pour ce tableau ou graphique." })
    .trim()
    .min(3, { error: "Indiquez un titre pour ce tableau ou graphique (3 caractères au moins)." })
    .max(200, { error: "200 caractères au plus." }),
  kind: z.enum(itemKinds, { error: "Choisissez graphique ou tableau." }),
  /** An editable publication, or "new" to start one. */
  publicationId: z.union([z.literal("new"), z.uuid()], { error: "Choisissez la publication." }),
});

export const reasonSchema = z.object({
  reason: z
    .string({ error: "Indiquez le motif." })
    .trim()
    .min(5, { error: "Indiquez le motif (5 caractères au moins) : il sera communiqué à l'auteur." })
    .max(2000, { error: "2 000 caractères au plus." }),
});

export const decisionSchema = z.discriminatedUnion("decision", [
  z.object({ decision: z.literal("approve"), contentHash: z.string().regex(/^[0-9a-f]{64}$/), reason: z.string().optional() }),
  z.object({
    decision: z.literal("refuse"),
    contentHash: z.string().regex(/^[0-9a-f]{64}$/),
    reason: z
      .string({ error: "Indiquez le motif du refus." })
      .trim()
      .min(5, { error: "Indiquez le motif du refus (5 caractères au moins) : il sera communiqué à l'auteur." })
      .max(2000, { error: "2 000 caractères au plus." }),
  }),
]);
