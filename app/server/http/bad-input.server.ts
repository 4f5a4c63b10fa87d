import { z } from "zod";
import { logger } from "../logger.server";

/**
 * Bad input that reached the database (ADR 017): PostgreSQL refuses
 * it with a *data exception* (SQLSTATE class 22: a NUL byte or invalid UTF-8
 * in a text parameter, a non-UUID where a uuid is compared, a number out of
 * range, a malformed date…), or a loader's zod schema refuses the query
 * string. That is the client's fault, so the HTTP layer
 * answers 400 with a French message instead of a 500. Routes should refuse
 * such input before any query (zod); this is the safety net behind them,
 * logged as a warning with the SQLSTATE so a route that relies on it shows up.
 */
export function isBadInputError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 5) return false;
  // A query string parsed with zod's parse() (not safeParse) in a loader: the URL is wrong, not the server.
  if (error instanceof z.ZodError) return true;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) return true;
  return isBadInputError(cause, depth + 1);
}

export const BAD_INPUT_MESSAGE =
  "L'adresse demandée contient une valeur invalide (caractère interdit, nombre hors limites, identifiant mal formé…). Vérifiez le lien ou revenez à la page précédente.";

/** A NUL byte, raw or percent-encoded, anywhere in the URL: never valid for the portal. */
export function urlHasNul(url: string): boolean {
  return url.includes("\u0000") || /%00/i.test(url);
}

export function logBadInput(error: unknown, requestId: string | undefined, path: string) {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  logger.warn({ requestId, path, err: { code, message: typeof message === "string" ? message.slice(0, 200) : undefined } }, "bad input refused by the database: answered 400");
}
