import { systemContext, type AuditContext } from "~/server/audit/audit.server";
import { systemActor, userActor, type SystemActor, type UserActor } from "~/server/command.server";
import type { Role } from "~/domain/permissions";

/**
 * The system actor (ADR 034), for tests that are not about authority: it may
 * run every command and is audited with the given context (default « test »).
 */
export function system(audit: AuditContext = systemContext("test")): SystemActor {
  return { ...systemActor(audit.actorLabel), audit };
}

/** A person acting through the portal with a role, for tests about authority. */
export function personActor(user: { id: string | null; role: Role; organisationId: string; displayName?: string; email?: string }, audit?: AuditContext): UserActor {
  const displayName = user.displayName ?? `Test ${user.role}`;
  return userActor(
    { id: user.id, displayName, email: user.email, role: user.role, organisationId: user.organisationId },
    audit ?? { ...systemContext(displayName), actorUserId: user.id, organisationId: user.organisationId },
  );
}
