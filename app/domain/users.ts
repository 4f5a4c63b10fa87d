import { z } from "zod";
import { roles } from "./permissions";

/** Input of the admin "create / edit user" forms (French messages). */
export const userFormSchema = z.object({
  email: z
    .string({ error: "Indiquez l'adresse e-mail." })
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: "Adresse e-mail invalide (exemple : prenom.nom@organisme.fr)." })),
  displayName: z
    .string({ error: "Indiquez le nom." })
    .trim()
    .min(2, { error: "Le nom doit contenir au moins 2 caractères." })
    .max(120, { error: "Le nom ne doit pas dépasser 120 caractères." }),
  role: z.enum(roles, { error: "Choisissez un rôle dans la liste." }),
  organisationId: z.uuid({ error: "Choisissez un organisme dans la liste." }),
});
export type UserFormInput = z.infer<typeof userFormSchema>;

/** How long an admin-issued one-time password link stays valid. */
export const RESET_LINK_HOURS = 24;
