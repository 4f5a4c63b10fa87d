import { randomBytes } from "node:crypto";
import type { Db } from "~/server/db.server";
import type { Role } from "~/domain/permissions";
import { hashPassword } from "~/server/auth/password.server";
import { getSessionManager } from "~/server/auth/authorize.server";

const suffix = () => randomBytes(3).toString("hex").toUpperCase();

export async function makeOrganisation(db: Db, overrides: Partial<{ code: string; name: string; kind: string; isTeam: boolean }> = {}) {
  const code = overrides.code ?? `ORG${suffix()}`;
  return db
    .insertInto("organisation")
    .values({
      code,
      name: overrides.name ?? `Organisme ${code}`,
      kind: overrides.kind ?? "association",
      is_observatory_team: overrides.isTeam ?? false,
    })
    .returning(["id", "code", "name"])
    .executeTakeFirstOrThrow();
}

export const TEST_PASSWORD = "Un-mot-de-passe-solide-42";
let cachedHash: Promise<string> | undefined;

export async function makeUser(
  db: Db,
  role: Role,
  organisationId: string,
  overrides: Partial<{ email: string; displayName: string; status: "active" | "disabled" }> = {},
) {
  cachedHash ??= hashPassword(TEST_PASSWORD);
  const email = overrides.email ?? `${role}.${suffix().toLowerCase()}@test.odpe.example`;
  return db
    .insertInto("app_user")
    .values({
      email,
      display_name: overrides.displayName ?? `Test ${role}`,
      role,
      organisation_id: organisationId,
      password_hash: await cachedHash,
      status: overrides.status ?? "active",
    })
    .returning(["id", "email", "display_name", "role", "organisation_id"])
    .executeTakeFirstOrThrow();
}

/** A real session for `userId`; returns the Cookie header to send with requests. */
export async function sessionCookie(userId: string): Promise<string> {
  const sessions = await getSessionManager();
  const { setCookie } = await sessions.create(userId, { ip: "127.0.0.1", userAgent: "vitest" });
  return setCookie.split(";")[0]!;
}

export const testContext = () => ({ requestId: `test-${suffix()}`, ip: "127.0.0.1", cspNonce: "test-nonce" });

/** Builds a Request as the browser would send it (same-origin, optional cookie and form body). */
export function makeRequest(path: string, options: { cookie?: string; form?: Record<string, string>; method?: string } = {}) {
  const headers = new Headers({ Origin: "http://localhost", "User-Agent": "vitest" });
  if (options.cookie) headers.set("Cookie", options.cookie);
  const init: RequestInit = { method: options.method ?? (options.form ? "POST" : "GET"), headers };
  if (options.form) init.body = new URLSearchParams(options.form);
  return new Request(`http://localhost${path}`, init);
}
