import { data } from "@remix-run/node";
import type { z } from "zod";
import { DomainError } from "../errors.server";

/** What an action returns when the user must correct something. */
export interface FormFailure {
  ok: false;
  formError: string;
  fieldErrors: Record<string, string[]>;
}

/** Parses form fields with a zod schema; failures become a DomainError with French field messages. */
export function parseForm<T extends z.ZodType>(schema: T, formData: FormData): z.output<T> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of formData.entries()) {
    if (typeof value === "string") raw[key] = value;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? "_form");
    (fieldErrors[key] ??= []).push(issue.message);
  }
  throw new DomainError("validation", "Le formulaire contient des erreurs : corrigez les champs signalés.", fieldErrors);
}

/**
 * The one mapping from domain errors to what a page action returns: the
 * French message and field errors with the matching HTTP status. Other errors propagate.
 */
export function formFailure(error: unknown) {
  if (error instanceof DomainError) {
    return data<FormFailure>(
      { ok: false, formError: error.message, fieldErrors: error.fieldErrors },
      { status: error.status, headers: error.headers },
    );
  }
  throw error;
}
