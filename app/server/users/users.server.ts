import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db.server";
import { recordAudit, type AuditContext } from "../audit/audit.server";
import { run, type Actor } from "../command.server";
import { DomainError, forbidden, notFound } from "../errors.server";
import { hashPassword, passwordProblems, verifyPassword } from "../auth/password.server";
import { roleLabels } from "~/domain/permissions";
import { RESET_LINK_HOURS, type UserFormInput } from "~/domain/users";


const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export async function listUsers(db: Db, filter: { q?: string; organisationId?: string; status?: string } = {}) {
  let query = db
    .selectFrom("app_user as u")
    .innerJoin("organisation as o", "o.id", "u.organisation_id")
    .select([
      "u.id",
      "u.email",
      "u.display_name",
      "u.role",
      "u.status",
      "u.last_login_at",
      "o.id as organisation_id",
      "o.code as organisation_code",
      "o.name as organisation_name",
    ])
    .orderBy("o.code")
    .orderBy("u.display_name");
  if (filter.q) {
    const like = `%${filter.q.toLowerCase()}%`;
    query = query.where((eb) => eb.or([eb("u.email", "like", like), eb(eb.fn("lower", ["u.display_name"]), "like", like)]));
  }
  if (filter.organisationId) query = query.where("u.organisation_id", "=", filter.organisationId);
  if (filter.status === "active" || filter.status === "disabled") query = query.where("u.status", "=", filter.status);
  return query.execute();
}

export async function getUser(db: Db, id: string) {
  const user = await db
    .selectFrom("app_user")
    .select(["id", "email", "display_name", "role", "status", "organisation_id", "last_login_at", "created_at", "erased_at"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!user) throw notFound("Ce compte");
  return user;
}

/** An erased account (GDPR) stays a pseudonym: it is never edited, re-enabled or given a password again. */
function assertNotErased(user: { erased_at: Date | null }) {
  if (user.erased_at) {
    throw new DomainError("conflict", "Ce compte a été effacé (RGPD) : il ne peut plus être modifié ni réactivé. Créez un nouveau compte si besoin.");
  }
}

async function assertOrganisation(db: Db, organisationId: string) {
  const org = await db.selectFrom("organisation").select(["id", "code"]).where("id", "=", organisationId).executeTakeFirst();
  if (!org) throw new DomainError("validation", "Organisme inconnu.", { organisationId: ["Choisissez un organisme dans la liste."] });
  return org;
}

async function assertEmailFree(db: Db, email: string, exceptId?: string) {
  let query = db.selectFrom("app_user").select("id").where("email", "=", email);
  if (exceptId) query = query.where("id", "!=", exceptId);
  if (await query.executeTakeFirst()) {
    throw new DomainError("conflict", "Cette adresse e-mail est déjà utilisée.", {
      email: ["Cette adresse e-mail est déjà utilisée par un autre compte."],
    });
  }
}

/** Creates an account without a password; the admin then sends a one-time link. */
export async function createUser(db: Db, actor: Actor, input: UserFormInput) {
  return run(db, actor, "create:user", async (trx, command) => {
    await assertEmailFree(trx, input.email);
    const org = await assertOrganisation(trx, input.organisationId);
    const created = await trx
      .insertInto("app_user")
      .values({ email: input.email, display_name: input.displayName, role: input.role, organisation_id: org.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "user.created",
      entityType: "user",
      entityId: created.id,
      organisationId: org.id,
      summary: `Compte créé (${roleLabels[input.role]}, ${org.code}).`,
    });
    return created.id;
  });
}

export async function updateUser(db: Db, actor: Actor, id: string, input: UserFormInput) {
  await run(db, actor, "update:user", async (trx, command) => {
    const before = await getUser(trx, id);
    assertNotErased(before);
    await assertEmailFree(trx, input.email, id);
    const org = await assertOrganisation(trx, input.organisationId);
    await trx
      .updateTable("app_user")
      .set({ email: input.email, display_name: input.displayName, role: input.role, organisation_id: org.id, updated_at: new Date() })
      .where("id", "=", id)
      .execute();
    // A change of role or organisation ends the sessions: rights are re-read at next login.
    const rightsChanged = before.organisation_id !== org.id || String(before.role) !== String(input.role);
    if (rightsChanged) {
      await trx.deleteFrom("user_session").where("user_id", "=", id).execute();
    }
    await command.audit({
      action: "user.updated",
      entityType: "user",
      entityId: id,
      organisationId: org.id,
      summary: "Compte modifié.",
      // Which personal fields changed, not their values (ADR 012: the trail is never rewritten, so it holds no names or e-mails).
      details: {
        changed: [
          ...(before.email !== input.email ? ["email"] : []),
          ...(before.display_name !== input.displayName ? ["displayName"] : []),
        ],
        before: { role: before.role, organisationId: before.organisation_id },
        after: { role: input.role, organisationId: org.id },
      },
    });
  });
}

export async function setUserStatus(db: Db, actor: Actor, id: string, status: "active" | "disabled") {
  await run(db, actor, "update:user", async (trx, command) => {
    const user = await getUser(trx, id);
    assertNotErased(user);
    if (id === actor.id && status === "disabled") {
      throw new DomainError("validation", "Vous ne pouvez pas désactiver votre propre compte.");
    }
    if (user.status === status) return;
    await trx.updateTable("app_user").set({ status, updated_at: new Date() }).where("id", "=", id).execute();
    if (status === "disabled") await trx.deleteFrom("user_session").where("user_id", "=", id).execute();
    await command.audit({
      action: status === "disabled" ? "user.disabled" : "user.enabled",
      entityType: "user",
      entityId: id,
      organisationId: user.organisation_id,
      summary: `Compte ${status === "disabled" ? "désactivé" : "réactivé"}.`,
    });
  });
}

/** Creates a one-time password link valid 24 h; returns the raw token (shown once). */
export async function createPasswordResetLink(db: Db, actor: Actor, userId: string, now = new Date()) {
  const token = randomBytes(32).toString("base64url");
  await run(db, actor, "update:user", async (trx, command) => {
    const user = await getUser(trx, userId);
    assertNotErased(user);
    // A new link replaces any earlier unused one.
    await trx.updateTable("password_reset").set({ used_at: now }).where("user_id", "=", userId).where("used_at", "is", null).execute();
    await trx
      .insertInto("password_reset")
      .values({
        user_id: userId,
        token_hash: sha256(token),
        expires_at: new Date(now.getTime() + RESET_LINK_HOURS * 3_600_000),
        created_by: actor.id,
      })
      .execute();
    await command.audit({
      action: "user.reset_link_created",
      entityType: "user",
      entityId: userId,
      organisationId: user.organisation_id,
      summary: `Lien de (ré)initialisation du mot de passe créé (valable ${RESET_LINK_HOURS} h).`,
    });
  });
  return token;
}

async function findResetToken(db: Db, token: string, now: Date) {
  return db
    .selectFrom("password_reset as r")
    .innerJoin("app_user as u", "u.id", "r.user_id")
    .select(["r.id", "r.user_id", "r.expires_at", "r.used_at", "u.email", "u.display_name", "u.status", "u.organisation_id"])
    .where("r.token_hash", "=", sha256(token))
    .where("r.used_at", "is", null)
    .where("r.expires_at", ">", now)
    .executeTakeFirst();
}

export const RESET_INVALID_MESSAGE =
  "Ce lien n'est plus valable (déjà utilisé ou expiré après 24 h). Demandez un nouveau lien à l'administrateur.";

export async function checkResetToken(db: Db, token: string, now = new Date()) {
  const row = await findResetToken(db, token, now);
  if (!row || row.status !== "active") throw new DomainError("not_found", RESET_INVALID_MESSAGE);
  return { email: row.email, displayName: row.display_name };
}

/** Uses a one-time link to set a password; ends every session of the account. */
export async function resetPassword(db: Db, context: AuditContext, token: string, password: string, now = new Date()) {
  const row = await findResetToken(db, token, now);
  if (!row || row.status !== "active") throw new DomainError("not_found", RESET_INVALID_MESSAGE);
  const problems = passwordProblems(password, { email: row.email, displayName: row.display_name });
  if (problems.length) throw new DomainError("validation", problems[0]!, { password: problems });
  const passwordHash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    const used = await trx
      .updateTable("password_reset")
      .set({ used_at: now })
      .where("id", "=", row.id)
      .where("used_at", "is", null)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) throw new DomainError("not_found", RESET_INVALID_MESSAGE);
    await trx.updateTable("app_user").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", row.user_id).execute();
    await trx.deleteFrom("user_session").where("user_id", "=", row.user_id).execute();
    await recordAudit(
      trx,
      { ...context, actorUserId: row.user_id, actorLabel: `${row.display_name} <${row.email}>`, organisationId: row.organisation_id },
      { action: "user.password_reset", entityType: "user", entityId: row.user_id, summary: "Mot de passe défini par lien." },
    );
  });
}

/**
 * The signed-in user changes its own password; other sessions are ended.
 * No permission of the table: the authority is being that person, in that
 * session (an API token's actor has no session, so it is refused).
 */
export async function changePassword(db: Db, actor: Actor, currentSessionId: string, input: { currentPassword: string; newPassword: string }) {
  const session = actor.id
    ? await db.selectFrom("user_session").select("id").where("id", "=", currentSessionId).where("user_id", "=", actor.id).executeTakeFirst()
    : undefined;
  if (actor.kind !== "user" || !actor.id || !session) throw forbidden();
  const userId = actor.id;
  const user = await db
    .selectFrom("app_user")
    .select(["id", "email", "display_name", "password_hash"])
    .where("id", "=", userId)
    .executeTakeFirstOrThrow();
  if (!user.password_hash || !(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw new DomainError("validation", "Le mot de passe actuel est incorrect.", {
      currentPassword: ["Le mot de passe actuel est incorrect."],
    });
  }
  const problems = passwordProblems(input.newPassword, { email: user.email, displayName: user.display_name });
  if (input.newPassword === input.currentPassword) problems.push("Le nouveau mot de passe doit être différent de l'actuel.");
  if (problems.length) throw new DomainError("validation", problems[0]!, { newPassword: problems });
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("app_user").set({ password_hash: passwordHash, updated_at: new Date() }).where("id", "=", userId).execute();
    await trx.deleteFrom("user_session").where("user_id", "=", userId).where("id", "!=", currentSessionId).execute();
    await recordAudit(trx, actor.audit, {
      action: "user.password_changed",
      entityType: "user",
      entityId: userId,
      summary: "Mot de passe modifié par son titulaire.",
    });
  });
}
