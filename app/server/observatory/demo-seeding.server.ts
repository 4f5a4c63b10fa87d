import type { Db } from "../db.server";
import { userActor, type Actor, type UserActor } from "../command.server";
import { rolesHolding, type PermissionRequest } from "~/domain/permissions";

/**
 * What every demo seeder (users, referential, dashboard, governance,
 * publications) shares: the refusal outside demo mode, and the demo users
 * through whom the seeding acts when a use case needs a person.
 */

/** Throws unless `appMode` is demo: demo data never enters a production database. */
export function refuseDemoSeedingOutsideDemo(appMode: "demo" | "production"): void {
  if (appMode !== "demo") {
    throw new Error("Les données de démonstration sont refusées en mode production. / Demo seeding is refused when APP_MODE=production.");
  }
}

/**
 * The first active user (by e-mail) of `organisationCode` — or of the
 * observatory team when null — holding `permission`, acting under the
 * seeding actor's audit context; null when there is none.
 */
export async function demoUserActor(db: Db, seeding: Actor, permission: PermissionRequest, organisationCode: string | null): Promise<UserActor | null> {
  let q = db
    .selectFrom("app_user as u")
    .innerJoin("organisation as o", "o.id", "u.organisation_id")
    .select(["u.id", "u.role", "u.organisation_id", "u.display_name"])
    .where("u.role", "in", rolesHolding(permission))
    .where("u.status", "=", "active");
  q = organisationCode ? q.where("o.code", "=", organisationCode) : q.where("o.is_observatory_team", "=", true);
  const u = await q.orderBy("u.email").executeTakeFirst();
  return u ? userActor({ id: u.id, role: u.role, organisationId: u.organisation_id, displayName: u.display_name }, seeding.audit) : null;
}
