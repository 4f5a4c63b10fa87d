import { userActor, type UserActor } from "~/server/command.server";
import { systemContext, type AuditContext } from "~/server/audit/audit.server";
import type { Role } from "~/domain/permissions";

/**
 * A user row (as `makeUser` returns it) as the actor of a command (ADR 034),
 * audited with `audit` (the test's system context unless given).
 */
export function actorFor(
  user: { id: string; role: Role; organisation_id: string; display_name?: string; email?: string },
  audit: AuditContext = systemContext("test"),
): UserActor & { id: string } {
  return { ...userActor({ id: user.id, displayName: user.display_name ?? `Test ${user.role}`, email: user.email, role: user.role, organisationId: user.organisation_id }, audit), id: user.id };
}
