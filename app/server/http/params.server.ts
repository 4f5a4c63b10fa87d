import { z } from "zod";

/**
 * The HTTP edge for route parameters and missing things: one way to read a
 * path parameter and one way to answer « not found » (docs/architecture.md,
 * « One way to do a thing »). The thrown Response's body is the French
 * sentence the root error boundary shows, with the request id (app/root.tsx).
 */

/** A 404 whose body is the route's French message (« Proposition introuvable »); throw it. */
export function pageNotFound(message: string): Response {
  return new Response(message, { status: 404 });
}

/** What a path parameter may look like. */
export type ParamKind = "uuid" | "year" | "code" | "number";

const uuid = z.uuid();
/** Campaign years, as the collection and the API read them (four digits, 2000–2200). */
const YEAR = /^\d{4}$/;
/** Indicator and code-list codes (conventions/: upper-case letters, digits, underscore). */
const CODE = /^[A-Z0-9_]{1,40}$/;
/** Ordinal numbers (an edition of a year, an amendment): a positive integer without leading zero. */
const NUMBER = /^[1-9]\d{0,8}$/;

/** Whether `value` is a well-formed parameter of `kind`. */
export function isParam(value: string | undefined, kind: ParamKind): value is string {
  if (value === undefined) return false;
  switch (kind) {
    case "uuid":
      return uuid.safeParse(value).success;
    case "year": {
      const year = Number(value);
      return YEAR.test(value) && year >= 2000 && year <= 2200;
    }
    case "code":
      return CODE.test(value);
    case "number":
      return NUMBER.test(value);
  }
}

/**
 * `value` read as a parameter of `kind` (a year or a number as a number),
 * else undefined: the one reader behind requireParam, also used where a
 * malformed value must not throw (the HTTP fast paths hand it to the route).
 */
export function readParam(value: string | undefined, kind: "year" | "number"): number | undefined;
export function readParam(value: string | undefined, kind: "uuid" | "code"): string | undefined;
export function readParam(value: string | undefined, kind: ParamKind): string | number | undefined;
export function readParam(value: string | undefined, kind: ParamKind): string | number | undefined {
  if (!isParam(value, kind)) return undefined;
  return kind === "year" || kind === "number" ? Number(value) : value;
}

/**
 * The path parameter `name` checked as `kind`; a malformed one throws the 404
 * page with `message` (a malformed id names nothing that exists), so bad input
 * never reaches the database.
 */
export function requireParam(params: Readonly<Record<string, string | undefined>>, name: string, kind: "year" | "number", message: string): number;
export function requireParam(params: Readonly<Record<string, string | undefined>>, name: string, kind: "uuid" | "code", message: string): string;
export function requireParam(params: Readonly<Record<string, string | undefined>>, name: string, kind: ParamKind, message: string): string | number {
  const value = readParam(params[name], kind);
  if (value === undefined) throw pageNotFound(message);
  return value;
}
