import { matchRoutes } from "@remix-run/react";

/**
 * Where the portal may send a browser after signing in (`redirectTo`), with
 * no open redirect (docs/security.md, « Redirections »):
 *
 * 1. the raw value must be a path-absolute reference (`/…`, not `//…`), at
 *    most 2,048 characters, with no control character (tab, CR, LF, NUL…) and
 *    no backslash — browsers drop the first and read the second as `/`, which
 *    is how `/%09/evil.example/` or `/\evil` reach another host;
 * 2. it is parsed with the URL API against the portal's own origin and
 *    accepted only if the result has that same origin;
 * 3. every path segment, percent-decoded, must be a plain segment (no `/`,
 *    `\`, control character, `.` or `..`) and the whole path must match a route
 *    of the app (the flat-routes file names of app/routes, the same
 *    convention app/routes.ts uses), the catch-all 404 route and the API excepted.
 *
 * Anything else sends the user home. The value returned is the URL API's
 * serialisation (path, query, fragment), which is ASCII: a non-ASCII target
 * is percent-encoded rather than breaking the `Location` header.
 */
export const HOME = "/";
const MAX_LENGTH = 2048;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const FORBIDDEN_RAW = /[\u0000-\u001f\u007f\\]/;

/** The URL pattern (`admin/users/:id/export`, `*` for a splat) of a flat-routes file name. */
export function flatRouteFilePattern(file: string): string {
  const name = file.replace(/^.*\//, "").replace(/\.[jt]sx?$/, "");
  // Dots separate segments, except inside [brackets] (escapes, e.g. openapi[.]json).
  const segments: string[] = [];
  let current = "";
  let escaped = false;
  for (const ch of name) {
    if (ch === "[") escaped = true;
    else if (ch === "]") escaped = false;
    else if (ch === "." && !escaped) {
      segments.push(current);
      current = "";
    } else current += ch;
  }
  segments.push(current);
  const parts: string[] = [];
  for (let segment of segments) {
    if (segment.startsWith("_")) continue; // _index, or a pathless layout
    if (segment.endsWith("_")) segment = segment.slice(0, -1); // not nested in its parent's layout: same URL
    parts.push(segment === "$" ? "*" : segment.startsWith("$") ? `:${segment.slice(1)}` : segment);
  }
  return parts.join("/");
}

let table: { path: string }[] | undefined;

/** Every route a signed-in user may be sent to, as a react-router route table. */
function routeTable() {
  if (table) return table;
  const files = Object.keys(import.meta.glob("../../routes/*.{ts,tsx}"));
  table = files
    .map(flatRouteFilePattern)
    .filter((p) => p !== "*" && p !== "api" && !p.startsWith("api/"))
    .map((p) => ({ path: `/${p}` }));
  return table;
}

/** True when `pathname` (as the URL API serialises it) is the URL of a known page or download. */
export function isKnownRoutePath(pathname: string): boolean {
  const segments = pathname.split("/").slice(1);
  for (const segment of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false; // invalid percent-encoding or UTF-8
    }
    // eslint-disable-next-line no-control-regex -- see FORBIDDEN_RAW
    if (/[/\\\u0000-\u001f\u007f]/.test(decoded) || decoded === "." || decoded === "..") return false;
  }
  if (pathname !== "/" && segments.some((s) => s === "")) return false; // `//` inside or a trailing slash
  return (matchRoutes(routeTable(), pathname) ?? []).length > 0;
}

/**
 * The local target to redirect to after signing in, or "/" when `value` is
 * missing, foreign, malformed or not a route of the portal. `origin` is the
 * portal's own origin (PUBLIC_URL, or the request's).
 */
export function safeRedirectTarget(value: unknown, origin: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_LENGTH) return HOME;
  if (!value.startsWith("/") || value.startsWith("//") || FORBIDDEN_RAW.test(value)) return HOME;
  let base: URL;
  let target: URL;
  try {
    base = new URL(origin);
    target = new URL(value, base);
  } catch {
    return HOME;
  }
  if (target.origin !== base.origin || target.username || target.password) return HOME;
  if (!isKnownRoutePath(target.pathname)) return HOME;
  return `${target.pathname}${target.search}${target.hash}`;
}
