import type { Trx } from "../db.server";
import { getEnv } from "../env.server";
import { notify } from "../notifications/notifications.server";
import { enqueueMail } from "../mail/outbox.server";
import { can, rolesHolding, type PermissionRequest } from "~/domain/permissions";
import { isWithdrawn } from "~/domain/organisations";
import { todayIso } from "~/domain/dates";

/**
 * Telling people about diffusion events (Art. 5: mutual information,
 * approval requests, decisions): an in-app notification and a mail each,
 * written in the caller's transaction with a dedupe key so a retried use
 * case never tells anyone twice.
 */
export interface Notice {
  kind: string;
  title: string;
  body: string;
  /** A path inside the portal. */
  link: string;
  dedupeKey: string;
}

/** An absolute link for mails when the public URL is configured, else the path. */
export function portalLink(path: string): string {
  const base = getEnv().PUBLIC_URL;
  return base ? new URL(path, base).href : path;
}

/** Notifies and mails the given users. Returns how many were told. */
export async function tellUsers(trx: Trx, userIds: readonly string[], notice: Notice): Promise<number> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return 0;
  const users = await trx.selectFrom("app_user").select(["id", "email"]).where("id", "in", ids).where("status", "=", "active").execute();
  if (users.length === 0) return 0;
  await notify(trx, { userIds: users.map((u) => u.id), kind: notice.kind, title: notice.title, body: notice.body, link: notice.link, dedupeKey: notice.dedupeKey });
  for (const user of users) {
    await enqueueMail(trx, {
      to: user.email,
      subject: notice.title,
      text: `${notice.body}\n\nOuvrir dans le portail : ${portalLink(notice.link)}\n\n— Portail de l'observatoire départemental de la protection de l'enfance`,
      dedupeKey: `${notice.dedupeKey}:${user.id}`,
      kind: notice.kind,
    });
  }
  return users.length;
}

/**
 * Tells the users of `organisationIds` who hold `permission` for their own
 * organisation (e.g. `decide:approval` → its validators, `read:mutual_information`
 * → its correspondents). Recipients come from the permission table; users of
 * a withdrawn organisation are told only of what they may still do (Art. 7).
 */
export async function tellOrganisations(trx: Trx, organisationIds: readonly string[], permission: PermissionRequest, notice: Notice): Promise<number> {
  const orgIds = [...new Set(organisationIds)];
  const roles = rolesHolding(permission);
  if (orgIds.length === 0 || roles.length === 0) return 0;
  const today = todayIso();
  const users = await trx
    .selectFrom("app_user as u")
    .innerJoin("organisation as o", "o.id", "u.organisation_id")
    .select(["u.id", "u.role", "u.organisation_id", "o.withdrawal_effective_date"])
    .where("u.organisation_id", "in", orgIds)
    .where("u.role", "in", roles)
    .where("u.status", "=", "active")
    .execute();
  const recipients = users.filter((u) =>
    can({ role: u.role, organisationId: u.organisation_id, organisationWithdrawn: isWithdrawn(u, today) }, permission, u.organisation_id),
  );
  return tellUsers(
    trx,
    recipients.map((u) => u.id),
    notice,
  );
}

/** Tells every user holding `permission` for any organisation (e.g. the referents: `validate:publication`). */
export async function tellHolders(trx: Trx, permission: PermissionRequest, notice: Notice): Promise<number> {
  const roles = rolesHolding(permission);
  if (roles.length === 0) return 0;
  const users = await trx
    .selectFrom("app_user as u")
    .innerJoin("organisation as o", "o.id", "u.organisation_id")
    .select(["u.id", "u.role", "u.organisation_id", "o.withdrawal_effective_date"])
    .where("u.role", "in", roles)
    .where("u.status", "=", "active")
    .execute();
  const today = todayIso();
  return tellUsers(
    trx,
    users.filter((u) => can({ role: u.role, organisationId: u.organisation_id, organisationWithdrawn: isWithdrawn(u, today) }, permission)).map((u) => u.id),
    notice,
  );
}
