import type { PermissionRequest } from "~/domain/permissions";
import type { Db, Executor, Trx } from "../db.server";
import { DomainError, notFound } from "../errors.server";
import { actorMay, run, type Actor } from "../command.server";
import { getPublicationRow, loadContent } from "./content.server";
import { computeLineage } from "./lineage.server";
import { renderPublication } from "./render.server";
import { releasedValues } from "../disclosure/ledger.server";
import { tellHolders, tellOrganisations } from "./notices.server";
import { todayIso } from "~/domain/dates";
import { publicationAudienceLabels, type PublicationAudience, type PublicationStatus } from "~/domain/publications";

/**
 * Art. 5 and Art. 2: the productions once released.
 *
 * - The readers (elected officials, directions) have a « Publications »
 *   space: every published production addressed to them (audience
 *   « Institutions : élus, directions ») and the public ones (extranet),
 *   rendered as they went out (statistical secrecy applied).
 * - A release is told to those readers and to every signatory (the
 *   correspondents and validators of every member organisation), not only
 *   to its author.
 * - The comité de suivi comments on a production while it is prepared.
 */

/** The audiences the readers' space shows. */
export const RELEASED_AUDIENCES: readonly PublicationAudience[] = ["institution", "extranet"];

/** Published productions for the readers' space, newest first. */
export async function listReleasedPublications(db: Executor) {
  const rows = await db
    .selectFrom("publication as p")
    .innerJoin("organisation as o", "o.id", "p.organisation_id")
    .select(["p.id", "p.title", "p.audience", "p.published_at", "o.name as organisation_name"])
    .where("p.status", "=", "published")
    .where("p.audience", "in", [...RELEASED_AUDIENCES])
    .orderBy("p.published_at", "desc")
    .execute();
  return rows.map((r) => ({ ...r, audienceLabel: publicationAudienceLabels[r.audience as PublicationAudience] ?? r.audience }));
}

/** A released production as it went out; 404 for anything else (a draft never reaches the readers). */
export async function getReleasedPublication(db: Executor, id: string) {
  const row = await db
    .selectFrom("publication")
    .select(["id", "title", "audience", "body_markdown", "published_at", "status"])
    .where("id", "=", id)
    .where("status", "=", "published")
    .where("audience", "in", [...RELEASED_AUDIENCES])
    .executeTakeFirst();
  if (!row) throw notFound("Cette publication");
  const content = await loadContent(db, row);
  const lineage = await computeLineage(db, content);
  return {
    id: row.id,
    title: row.title,
    audienceLabel: publicationAudienceLabels[row.audience as PublicationAudience] ?? row.audience,
    publishedAt: row.published_at!,
    // What the disclosure ledger recorded at the release (ADR 015), never a masking recomputed here.
    rendered: renderPublication(content, lineage, { external: true, released: await releasedValues(db, "publication", row.id) }),
  };
}

/**
 * Art. 5: a production is released — every signatory is told (each member
 * organisation's correspondents and validators), and, when it is addressed to
 * them or public, the readers. Written in the release's transaction.
 */
export async function announceRelease(trx: Trx, publication: { id: string; title: string; audience: string; contentHash: string | null }) {
  const today = todayIso();
  // The signatories: member organisations whose withdrawal (Art. 7) has not taken effect.
  const members = await trx
    .selectFrom("organisation")
    .select("id")
    .where("member_since", "is not", null)
    .where((eb) => eb.or([eb("withdrawal_effective_date", "is", null), eb("withdrawal_effective_date", ">", today)]))
    .execute();
  const audience = publicationAudienceLabels[publication.audience as PublicationAudience] ?? publication.audience;
  const notice = {
    kind: "publication.released",
    title: `Production diffusée : « ${publication.title} »`,
    body: `« ${publication.title} » est validée par le référent de l'ODPE et diffusée (public : ${audience}). Convention, art. 5 : les signataires sont informés des productions de l'observatoire.`,
    link: `/publications/${publication.id}`,
    dedupeKey: `publication-released:${publication.id}:${publication.contentHash ?? ""}`,
  };
  const memberIds = members.map((m) => m.id);
  let told = await tellOrganisations(trx, memberIds, "read:mutual_information", notice);
  told += await tellOrganisations(trx, memberIds, "decide:approval", notice);
  if ((RELEASED_AUDIENCES as readonly string[]).includes(publication.audience)) {
    told += await tellHolders(trx, "read:released_publication", { ...notice, link: `/publications-diffusees/${publication.id}`, dedupeKey: `${notice.dedupeKey}:lecteurs` });
  }
  return told;
}

// ── Comité de suivi: comments on productions being prepared (Art. 2) ─────

export async function listPublicationComments(db: Executor, publicationId: string) {
  return db
    .selectFrom("publication_comment")
    .select(["id", "author_label", "body", "created_at"])
    .where("publication_id", "=", publicationId)
    .orderBy("created_at")
    .execute();
}

/** Whether comments are open: while the production is prepared (not once released or withdrawn from diffusion). */
export function commentsOpen(status: PublicationStatus): boolean {
  return (["draft", "awaiting_sources", "awaiting_referent", "rejected"] as PublicationStatus[]).includes(status);
}

/** The permission `addPublicationComment` runs under (ADR 034); the publication page reads it to refuse before reading the form. */
export const publicationCommentPermission = "comment:publication" satisfies PermissionRequest;

export async function addPublicationComment(db: Db, actor: Actor, publicationId: string, body: string) {
  const text = body.trim();
  if (!text) throw new DomainError("validation", "Le commentaire est vide.", { body: ["Écrivez votre commentaire."] });
  if (text.length > 10_000) throw new DomainError("validation", "Le commentaire dépasse 10 000 caractères.", { body: ["Raccourcissez le commentaire."] });
  return run(db, actor, publicationCommentPermission, async (trx, command) => {
    const row = await getPublicationRow(trx, publicationId, true);
    if (!actorMay(actor, "comment:publication", row.organisation_id)) throw new DomainError("forbidden", "Vous n'avez pas les droits pour commenter cette production.");
    if (!commentsOpen(row.status as PublicationStatus)) {
      throw new DomainError("conflict", "Cette production n'est plus en préparation : les commentaires sont clos.");
    }
    await trx.insertInto("publication_comment").values({ publication_id: publicationId, author_id: actor.id, author_label: actor.audit.actorLabel, body: text }).execute();
    await command.audit({
      action: "publication.comment_added",
      entityType: "publication",
      entityId: publicationId,
      organisationId: row.organisation_id,
      summary: `Commentaire ajouté sur « ${row.title} ».`,
    });
  });
}
