import { data } from "@remix-run/node";
import { DomainError } from "../errors.server";
import { formFailure } from "./forms.server";
import { pageNotFound } from "./params.server";

/**
 * Results of pages with several forms: each carries the `intent` of the
 * form it answers, so the page shows the message next to that form.
 */
export interface IntentResult {
  ok: boolean;
  intent: string;
  message: string | null;
  formError: string | null;
  fieldErrors: Record<string, string[]>;
}

export function intentSuccess(intent: string, message: string) {
  return data<IntentResult>({ ok: true, intent, message, formError: null, fieldErrors: {} });
}

/** The one error mapping (formFailure) with the form's intent added. */
export function intentFailure(intent: string, error: unknown) {
  const failure = formFailure(error);
  return data<IntentResult>({ ...failure.data, intent, message: null }, failure.init ?? undefined);
}

/** Runs a loader step; a domain "not found" becomes the 404 page. */
export async function orNotFound<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof DomainError && error.status === 404) throw pageNotFound(error.message);
    throw error;
  }
}

export const unknownIntent = () => new DomainError("validation", "Action inconnue : rechargez la page et réessayez.");

/** A JSON document as a download (an export of someone's data: never cached, never sniffed). */
export function jsonDownload(body: unknown, filename: string): Response {
  return new Response(JSON.stringify(body, null, 2), {
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
