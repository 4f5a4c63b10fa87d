import { z } from "zod";
import { isIsoDate, type IsoDate } from "./dates";
import { idList } from "./convention";

/**
 * Ad-hoc data requests (Art. 3: partners answer the observatory's specific
 * requests). A request names its question, due date and the expected form
 * of the answer; each partner organisation asked answers once (a file, or
 * figures typed in the portal) or declines with a reason.
 */
export const answerFormats = ["file", "figures"] as const;
export type AnswerFormat = (typeof answerFormats)[number];
export const answerFormatLabels: Record<AnswerFormat, string> = {
  file: "Un fichier (tableur, PDF…)",
  figures: "Des chiffres saisis dans le portail",
};

export type RecipientStatus = "pending" | "answered" | "declined";
export const recipientStatusLabels: Record<RecipientStatus, string> = {
  pending: "En attente",
  answered: "Répondu",
  declined: "Décliné",
};
export const recipientStatusColors: Record<RecipientStatus, string> = {
  pending: "orange.9",
  answered: "green.9",
  declined: "gray.8",
};

/** Reminders: this many days before the due date, on the due date, then every week while unanswered. */
export const REQUEST_REMINDER_DAYS_BEFORE = 3;
export const REQUEST_OVERDUE_EVERY_DAYS = 7;

/** Is `today` a reminder day for a request due on `dueOn`? */
export function isRequestReminderDay(dueOn: IsoDate, today: IsoDate): boolean {
  const day = (iso: IsoDate) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / 86_400_000;
  const before = day(dueOn) - day(today);
  if (before === REQUEST_REMINDER_DAYS_BEFORE || before === 0) return true;
  return before < 0 && -before % REQUEST_OVERDUE_EVERY_DAYS === 0;
}

const isoDate = (message: string) => z.string({ error: message }).trim().refine(isIsoDate, { error: message });

export const dataRequestFormSchema = z.object({
  title: z.string({ error: "Indiquez l'objet de la demande." }).trim().min(2, { error: "Indiquez l'objet de la demande." }).max(200, { error: "200 caractères au plus." }),
  question: z
    .string({ error: "Indiquez la question posée." })
    .trim()
    .min(2, { error: "Indiquez la question posée (ce qui est demandé, le périmètre, la période)." })
    .max(5000, { error: "5 000 caractères au plus." }),
  answerFormat: z.enum(answerFormats, { error: "Choisissez la forme de la réponse attendue." }),
  dueOn: isoDate("Indiquez la date de réponse souhaitée (jj/mm/aaaa)."),
  organisationIds: idList.refine((ids) => ids.length > 0, { error: "Choisissez au moins un organisme destinataire." }),
});
export type DataRequestFormInput = z.infer<typeof dataRequestFormSchema>;

/** Figures typed as lines « libellé ; valeur » (one per line), French decimals accepted. */
export function parseFigures(text: string): { figures: { label: string; value: number }[] } | { error: string } {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length === 0) return { error: "Saisissez au moins un chiffre, une ligne par chiffre : « libellé ; valeur »." };
  if (lines.length > 200) return { error: "200 lignes au plus." };
  const figures: { label: string; value: number }[] = [];
  for (const [index, line] of lines.entries()) {
    const at = line.lastIndexOf(";");
    const label = at > 0 ? line.slice(0, at).trim() : "";
    const raw = at > 0 ? line.slice(at + 1).trim().replace(/\s|\u202f|\u00a0/g, "").replace(",", ".") : "";
    const value = Number(raw);
    if (!label || raw === "" || !Number.isFinite(value)) {
      return { error: `Ligne ${index + 1} (« ${line.slice(0, 60)} ») : écrivez « libellé ; valeur », par exemple « Enfants suivis ; 124 ».` };
    }
    if (label.length > 200) return { error: `Ligne ${index + 1} : libellé de 200 caractères au plus.` };
    figures.push({ label, value });
  }
  return { figures };
}

export const answerFormSchema = z.object({
  comment: z
    .string()
    .trim()
    .max(5000, { error: "5 000 caractères au plus." })
    .optional()
    .transform((v) => (v ? v : null)),
  figures: z.string().max(20_000, { error: "20 000 caractères au plus." }).optional().transform((v) => v ?? ""),
});

export const declineFormSchema = z.object({
  reason: z.string({ error: "Indiquez pourquoi votre organisme ne peut pas répondre." }).trim().min(3, { error: "Indiquez pourquoi votre organisme ne peut pas répondre." }).max(2000, { error: "2 000 caractères au plus." }),
});
