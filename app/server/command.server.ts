import { can, type PermissionRequest, type Subject } from "~/domain/permissions";
import { recordAudit, systemContext, type AuditContext, type AuditInput } from "./audit/audit.server";
import type { Executor, Trx } from "./db.server";
import { DomainError, forbidden, notFound } from "./errors.server";

/**
 * The one shape of a command (a use case that changes data), ADR 034:
 *
 *     export async function updateOrganisation(db: Db, actor: Actor, id: string, input: …) {
 *       return run(db, actor, "update:organisation", async (trx, command) => {
 *         …                                   // read, check, write
 *         command.require("update:organisation", row.id);   // owner known only now
 *         await command.audit({ action: "organisation.updated", … });
 *       });
 *     }
 *
 * A command cannot be called without an actor, and checks the actor's
 * authority itself: the route's guard (app/server/auth/authorize.server.ts)
 * decides what the page shows, the command decides what may change. The CLI,
 * jobs and seeding act as `systemActor()`, which every permission allows.
 */

/** A person (or an API token) acting through the portal. */
export interface UserActor extends Subject {
  kind: "user";
  /**
   * The person acting. Through the partner API, the correspondent who created
   * the token; null for a token created from the command line (no person behind it).
   */
  id: string | null;
  displayName: string;
  email?: string;
  /** Who and from where, for the audit trail. */
  audit: AuditContext;
}

/** The portal itself: command line, jobs, seeding, migrations of data. */
export interface SystemActor {
  kind: "system";
  id: null;
  displayName: string;
  audit: AuditContext;
}

export type Actor = UserActor | SystemActor;

export function systemActor(label = "système"): SystemActor {
  return { kind: "system", id: null, displayName: label, audit: systemContext(label) };
}

export function userActor(
  user: Subject & { id: string | null; displayName: string; email?: string },
  audit: AuditContext,
): UserActor {
  return {
    kind: "user",
    id: user.id,
    displayName: user.displayName,
    email: user.email,
    role: user.role,
    organisationId: user.organisationId,
    organisationWithdrawn: user.organisationWithdrawn,
    audit,
  };
}

/** May the actor do `permission` (on something owned by `owner`)? The system may do everything. */
export function actorMay(actor: Actor, permission: PermissionRequest, owner?: string): boolean {
  return actor.kind === "system" || can(actor, permission, owner);
}

/** What the body of a command gets besides its transaction. */
export interface Command {
  readonly actor: Actor;
  readonly trx: Trx;
  /**
   * Checks the permission on a given owner, once the command has read it.
   * `hidden`: answer « introuvable » rather than « accès refusé » when the
   * actor may not even see the thing (no cross-organisation existence leak).
   */
  require(permission: PermissionRequest, owner: string, hidden?: { readPermission: PermissionRequest; what: string }): void;
  /** Appends the command's audit event in its transaction: the change and its trace commit together. */
  audit(input: AuditInput): Promise<void>;
}

class CommandScope implements Command {
  constructor(
    readonly trx: Trx,
    readonly actor: Actor,
  ) {}

  require(permission: PermissionRequest, owner: string, hidden?: { readPermission: PermissionRequest; what: string }) {
    if (actorMay(this.actor, permission, owner)) return;
    if (hidden && !actorMay(this.actor, hidden.readPermission, owner)) throw notFound(hidden.what);
    throw forbidden();
  }

  audit(input: AuditInput) {
    return recordAudit(this.trx, this.actor.audit, input);
  }
}

/**
 * Runs a command: checks that the actor holds `permission` (in any scope; use
 * `command.require` for the owner once it is known), opens the transaction
 * (or joins the caller's), and hands the body its transaction and the
 * command's audit writer. A refusal is a `DomainError("forbidden")`, which
 * routes and the API turn into a French 403.
 */
export async function run<T>(db: Executor, actor: Actor, permission: PermissionRequest, body: (trx: Trx, command: Command) => Promise<T>): Promise<T> {
  if (!actorMay(actor, permission)) {
    throw actor.kind === "user" && actor.organisationWithdrawn
      ? new DomainError("forbidden", "Accès refusé : votre organisme s'est retiré de la convention (art. 7).")
      : forbidden();
  }
  if (db.isTransaction) return body(db as Trx, new CommandScope(db as Trx, actor));
  return db.transaction().execute((trx) => body(trx, new CommandScope(trx, actor)));
}
