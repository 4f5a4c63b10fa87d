import { sql } from "kysely";
import { affectedRows, type Db } from "../db.server";
import { run, type Actor } from "../command.server";
import { DomainError, notFound } from "../errors.server";
import { ANY_ORGANISATION } from "~/domain/permissions";

/**
 * GDPR art. 17: an administrator erases a person's account (ADR 012).
 *
 * The `app_user` row stays — submissions, comments, versions, publications and
 * audit events keep pointing at it, because what the person submitted belongs
 * to their organisation (convention Art. 5–6) — but it becomes a pseudonym:
 * "Utilisateur supprimé n° N", an address under `.invalid`, no password,
 * disabled for good. What only served the person (sessions, reset links,
 * notifications, login attempts, API tokens they created and that never
 * carried an upload) is deleted; their outbox mails lose their address and
 * body; copied labels (comments, publication history) take the pseudonym.
 * The audit trail is not rewritten: it names user accounts by id only, and
 * the audit screen resolves that id through `app_user`, so it shows the pseudonym.
 */

export const ERASED_EMAIL_DOMAIN = "compte-efface.invalid";
export const erasedDisplayName = (n: number) => `Utilisateur supprimé n° ${n}`;
export const erasedEmail = (n: number) => `supprime-${n}@${ERASED_EMAIL_DOMAIN}`;
export const REDACTED_MAIL_BODY = "[Contenu effacé : le destinataire a fait supprimer ses données personnelles.]";

export interface ErasureResult {
  erasureNumber: number;
  pseudonym: string;
  deleted: { sessions: number; passwordResets: number; notifications: number; loginAttempts: number; apiTokens: number };
  revokedApiTokens: number;
  redactedMails: number;
}


export async function eraseAccount(db: Db, actor: Actor, userId: string, input: { confirmEmail: string }): Promise<ErasureResult> {
  return run(db, actor, "erase:account", async (trx, command) => {
    // Only an administrator erases, whichever organisation the account belongs to.
    command.require("erase:account", ANY_ORGANISATION);
    const user = await trx
      .selectFrom("app_user")
      .select(["id", "email", "display_name", "organisation_id", "erased_at"])
      .where("id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    if (!user) throw notFound("Ce compte");
    if (user.erased_at) throw new DomainError("conflict", "Ce compte a déjà été effacé : il n'y a plus rien à supprimer.");
    if (user.id === actor.id) {
      throw new DomainError("validation", "Vous ne pouvez pas effacer votre propre compte : demandez-le à un autre administrateur.");
    }
    if (input.confirmEmail.trim().toLowerCase() !== user.email) {
      throw new DomainError("validation", "La confirmation ne correspond pas : saisissez exactement l'adresse e-mail du compte à effacer.", {
        confirmEmail: ["Saisissez l'adresse e-mail du compte, telle qu'affichée dans « Informations du compte »."],
      });
    }

    const { n } = await sql<{ n: number }>`select nextval('app_user_erasure_number_seq')::int as n`.execute(trx).then((r) => r.rows[0]!);
    const pseudonym = erasedDisplayName(n);
    const email = erasedEmail(n);
    const now = new Date();

    await trx
      .updateTable("app_user")
      .set({
        email,
        display_name: pseudonym,
        status: "disabled",
        password_hash: null,
        last_login_at: null,
        erased_at: now,
        erasure_number: n,
        updated_at: now,
      })
      .where("id", "=", userId)
      .execute();

    const sessions = affectedRows(await trx.deleteFrom("user_session").where("user_id", "=", userId).executeTakeFirst());
    const passwordResets = affectedRows(await trx.deleteFrom("password_reset").where("user_id", "=", userId).executeTakeFirst());
    const notifications = affectedRows(await trx.deleteFrom("notification").where("user_id", "=", userId).executeTakeFirst());
    const loginAttempts = affectedRows(await trx.deleteFrom("login_attempt").where("email", "=", user.email).executeTakeFirst());

    // API tokens: deleted, except those that carried an upload (the version keeps its provenance): revoked.
    const usedTokenIds = trx.selectFrom("submission_version").select("api_token_id").where("api_token_id", "is not", null);
    const apiTokens = affectedRows(
      await trx
        .deleteFrom("api_token")
        .where("created_by", "=", userId)
        .where((eb) => eb("id", "not in", usedTokenIds.$narrowType<{ api_token_id: string }>()))
        .executeTakeFirst(),
    );
    const revokedApiTokens = affectedRows(
      await trx
        .updateTable("api_token")
        .set({ revoked_at: now, revoked_by: actor.id })
        .where("created_by", "=", userId)
        .where("revoked_at", "is", null)
        .executeTakeFirst(),
    );

    // Outbox: a mail only for them loses its address and body (and is never sent);
    // a mail shared with others loses their address, and their name and address in its text.
    const only = await trx
      .updateTable("outbox_mail")
      .set({
        to_addresses: [email],
        reply_to: null,
        text_body: REDACTED_MAIL_BODY,
        html_body: null,
        redacted_at: now,
        status: sql`case when status = 'pending' then 'failed' else status end`,
        last_error: sql`case when status = 'pending' then 'destinataire effacé (RGPD)' else last_error end`,
      })
      .where(sql<boolean>`to_addresses = array[${user.email}]::text[]`)
      .executeTakeFirst();
    const shared = await trx
      .updateTable("outbox_mail")
      .set({
        to_addresses: sql`case when cardinality(array_remove(to_addresses, ${user.email})) = 0 then array[${email}]::text[]
          else array_remove(to_addresses, ${user.email}) end`,
        text_body: sql`replace(replace(text_body, ${user.email}, ${email}), ${user.display_name}, ${pseudonym})`,
        html_body: sql`replace(replace(html_body, ${user.email}, ${email}), ${user.display_name}, ${pseudonym})`,
        redacted_at: now,
      })
      .where(sql<boolean>`${user.email} = any(to_addresses)`)
      .executeTakeFirst();
    await trx.updateTable("outbox_mail").set({ reply_to: null }).where("reply_to", "=", user.email).execute();

    // Labels copied next to the account id (not hash-chained) take the pseudonym.
    await trx.updateTable("submission_comment").set({ author_label: pseudonym }).where("author_id", "=", userId).execute();
    await trx.updateTable("publication_event").set({ actor_label: pseudonym }).where("actor_user_id", "=", userId).execute();
    await trx.updateTable("publication_approval").set({ decided_by_label: pseudonym }).where("decided_by", "=", userId).execute();

    const result: ErasureResult = {
      erasureNumber: n,
      pseudonym,
      deleted: { sessions, passwordResets, notifications, loginAttempts, apiTokens },
      revokedApiTokens,
      redactedMails: affectedRows(only) + affectedRows(shared),
    };
    await command.audit({
      action: "user.erased",
      entityType: "user",
      entityId: userId,
      organisationId: user.organisation_id,
      summary: `Compte effacé (RGPD) : nom et adresse remplacés par « ${pseudonym} » ; ses contributions restent à son organisme.`,
      details: { erasureNumber: n, deleted: result.deleted, revokedApiTokens, redactedMails: result.redactedMails },
    });
    return result;
  });
}
