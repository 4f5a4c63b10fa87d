/**
 * Domain errors are values the user can act on: a French message, the field
 * concerned if any, and the HTTP status the one mapper (`toHttpResponse`) uses.
 */
export type DomainErrorCode =
  | "validation"
  | "not_found"
  | "forbidden"
  | "conflict"
  | "throttled"
  | "unauthenticated"
  | "too_large"
  /** The server cannot do it now (heavy work out of time or memory): 503, retry later. */
  | "unavailable";

const statusOf: Record<DomainErrorCode, number> = {
  validation: 422,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  throttled: 429,
  unauthenticated: 401,
  too_large: 413,
  unavailable: 503,
};

export class DomainError extends Error {
  readonly status: number;
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly fieldErrors: Record<string, string[]> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "DomainError";
    this.status = statusOf[code];
  }
}

export const notFound = (what = "La page demandée") => new DomainError("not_found", `${what} n'existe pas ou plus.`);
export const forbidden = () =>
  new DomainError("forbidden", "Vous n'avez pas les droits nécessaires pour cette action.");
