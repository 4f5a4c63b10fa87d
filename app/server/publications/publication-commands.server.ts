import type { PermissionRequest } from "~/domain/permissions";
import { sql } from "kysely";
import type { Db, Trx } from "../db.server";
import { DomainError, forbidden, notFound } from "../errors.server";
import { run, type Actor, type Command } from "../command.server";
import { statusesLeftBy, transitionTo } from "../workflow.server";
import { runQuery } from "../explorer/explorer.server";
import { computeStoredHash, contentHash, getPublicationRow, loadContent, type PublicationRow } from "./content.server";
import { computeLineage } from "./lineage.server";
import { invalidateLocally } from "../artefacts/artefacts.server";
import { protectPublication } from "../disclosure/release.server";
import { recordRelease } from "../disclosure/ledger.server";
import { tellHolders, tellOrganisations, tellUsers } from "./notices.server";
import { announceRelease } from "./released.server";
import { approvalsOf, asApprovals, clearanceMessage } from "./publication-queries.server";
import {
  approvalStatusLabels,
  blockingExplanation,
  diffusionClearance,
  isEditable,
  publicationStatusLabels,
  publicationWorkflow,
  shortHash,
  type ApprovalStatus,
  type ItemKind,
  type LineageSource,
  type PublicationStatus,
  type PublicationTransition,
} from "~/domain/publications";
import type { PublicationFormInput } from "~/domain/publication-forms";
import { approvalTable, publicationTable } from "~/domain/workflow";
import type { ExplorerQuery } from "~/domain/explorer";

/**
 * The commands of publications and their diffusion governance (convention
 * Art. 5), in the one command shape (`run`, app/server/command.server.ts):
 * each runs in one transaction with its audit event. The read models are in
 * publication-queries.server.ts. The rules:
 * - lineage is computed from the frozen values and attached documents' owners;
 * - one approval request per source organisation, for one exact content (hash),
 *   decided by that organisation's validators (also after its withdrawal);
 * - `open` indicators need no approval, `internal` ones block diffusion;
 * - any content change invalidates every approval and says so;
 * - publishing needs every approval of the current content and the referent;
 * - unpublishing keeps the history (events, published content).
 */

/**
 * The permission each publication command runs under (ADR 034), declared once:
 * each command passes its own to `run`, and the publication page reads them to
 * refuse with a 403 before it reads a form.
 */
export const publicationCommandPermissions = {
  createPublication: "create:publication",
  updatePublicationText: "update:publication",
  removeItem: "update:publication",
  attachDocument: "update:publication",
  detachDocument: "update:publication",
  submitPublication: "update:publication",
  withdrawSubmission: "update:publication",
  decideApproval: "decide:approval",
  validatePublication: "validate:publication",
  rejectPublication: "validate:publication",
  unpublishPublication: "validate:publication",
} as const satisfies Record<string, PermissionRequest>;

const label = (actor: Actor | null) => (actor ? actor.displayName : "portail");

/** The actor may make this transition of this publication (its permission in `publicationTable`). */
function requireTransition(command: Command, row: Pick<PublicationRow, "organisation_id">, transition: PublicationTransition) {
  const by = publicationWorkflow[transition].by;
  if (by !== "system") command.require(by, row.organisation_id);
}

/**
 * Applies a transition of `publicationTable` to the publication's status:
 * the status it moves to, or the refusal naming the rule (« statut de
 * départ », « motif obligatoire »).
 */
function checkTransition(row: Pick<PublicationRow, "status">, transition: PublicationTransition, what: string, note?: string | null): PublicationStatus {
  return transitionTo(publicationTable, transition, row.status, { comment: note ?? null }, publicationStatusLabels, {
    status: `${what} impossible : la publication est « ${publicationStatusLabels[row.status]} »`,
    guards: { "motif obligatoire": { message: "Indiquez le motif : il sera communiqué à l'auteur.", fields: { reason: ["Motif obligatoire."] } } },
  });
}

/** Moves a publication along the transition table and writes the history event. */
async function moveTo(
  trx: Trx,
  row: PublicationRow,
  transition: PublicationTransition,
  actor: Actor | null,
  extra: { note?: string | null; content?: unknown } = {},
): Promise<void> {
  const rule = publicationWorkflow[transition];
  const to = checkTransition(row, transition, rule.label, extra.note);
  const now = new Date();
  const set: Record<string, unknown> = { status: to, updated_at: now };
  if (transition === "submit") set.submitted_at = now;
  if (transition === "validate") Object.assign(set, { published_at: now, published_by: actor?.id ?? null, unpublished_at: null, unpublished_by: null, unpublish_reason: null });
  if (transition === "reject") Object.assign(set, { rejected_at: now, rejected_by: actor?.id ?? null, rejection_reason: extra.note ?? null });
  if (transition === "unpublish") Object.assign(set, { unpublished_at: now, unpublished_by: actor?.id ?? null, unpublish_reason: extra.note ?? null });
  await trx.updateTable("publication").set(set).where("id", "=", row.id).execute();
  // The extranet's list (ADR 040): the other instances hear the trigger's NOTIFY at commit; this process forgets it now.
  invalidateLocally("publication");
  await trx
    .insertInto("publication_event")
    .values({
      publication_id: row.id,
      actor_user_id: actor?.id ?? null,
      actor_label: label(actor),
      transition,
      from_status: row.status,
      to_status: to,
      content_hash: row.content_hash,
      note: extra.note ?? null,
      content: extra.content === undefined ? null : JSON.stringify(extra.content),
    })
    .execute();
  row.status = to;
}

/**
 * After any content change: a new hash; every pending or given approval is
 * invalidated (with the reason) and its organisation's validators told; a
 * publication under review returns to draft. Returns the organisations whose
 * approval was invalidated, so the author is told.
 */
async function afterContentChange(trx: Trx, command: Command, row: PublicationRow, what: string) {
  const actor = command.actor;
  const { hash } = await computeStoredHash(trx, await getPublicationRow(trx, row.id));
  if (hash === row.content_hash) return { invalidated: [] as string[] };
  row.content_hash = hash;
  await trx.updateTable("publication").set({ content_hash: hash, content_changed_at: sql`now()`, updated_at: sql`now()` }).where("id", "=", row.id).execute();
  const reason = `Le contenu a été modifié (${what}) par ${actor.displayName} après la demande : l'accord ne vaut que pour le contenu approuvé.`;
  const invalidated = await trx
    .updateTable("publication_approval")
    .set({ status: "invalidated", closed_at: sql`now()`, close_reason: reason })
    .where("publication_id", "=", row.id)
    .where("status", "in", statusesLeftBy(approvalTable, "invalidate"))
    .returning(["organisation_id"])
    .execute();
  if (row.status !== "draft") await moveTo(trx, row, "content_changed", actor, { note: what });
  const orgIds = [...new Set(invalidated.map((i) => i.organisation_id))];
  const names = orgIds.length ? (await trx.selectFrom("organisation").select("name").where("id", "in", orgIds).orderBy("name").execute()).map((o) => o.name) : [];
  if (orgIds.length) {
    await trx
      .insertInto("publication_event")
      .values({
        publication_id: row.id,
        actor_user_id: actor.id,
        actor_label: actor.displayName,
        transition: "approvals_invalidated",
        from_status: row.status,
        to_status: row.status,
        content_hash: hash,
        note: `Accords invalidés par la modification (${what}) : ${names.join(", ")}.`,
      })
      .execute();
    const pub = await getPublicationRow(trx, row.id);
    for (const orgId of orgIds) {
      await tellOrganisations(trx, [orgId], "decide:approval", {
        kind: "publication.approval_invalidated",
        title: `Accord invalidé : « ${pub.title} » a été modifiée`,
        body: `Le contenu de la publication « ${pub.title} » a changé après votre demande d'accord : votre accord ne vaut plus. Une nouvelle demande vous parviendra si l'auteur la soumet de nouveau.`,
        link: `/publications/${row.id}`,
        dedupeKey: `approval-invalidated:${row.id}:${hash}:${orgId}`,
      });
    }
    await command.audit({
      action: "publication.approvals_invalidated",
      entityType: "publication",
      entityId: row.id,
      summary: `Accords de diffusion invalidés par une modification du contenu : ${names.join(", ")}.`,
      details: { organisations: orgIds, contentHash: hash, change: what },
    });
  }
  return { invalidated: names };
}

/** Art. 5 mutual information: the correspondents of every other source organisation are told, once per publication. */
async function informSources(trx: Trx, row: PublicationRow, lineage: readonly LineageSource[]) {
  const others = lineage.filter((s) => s.organisationId !== row.organisation_id && !s.isObservatoryTeam).map((s) => s.organisationId);
  if (others.length === 0) return [];
  const already = await trx
    .selectFrom("mutual_information_notice")
    .select("organisation_id")
    .where("subject_type", "=", "publication")
    .where("subject_id", "=", row.id)
    .execute();
  const fresh = others.filter((id) => !already.some((a) => a.organisation_id === id));
  if (fresh.length === 0) return [];
  await trx
    .insertInto("mutual_information_notice")
    .values(fresh.map((organisation_id) => ({ subject_type: "publication" as const, subject_id: row.id, organisation_id })))
    .execute();
  const author = await trx.selectFrom("organisation").select("name").where("id", "=", row.organisation_id).executeTakeFirstOrThrow();
  const title = (await getPublicationRow(trx, row.id)).title;
  for (const orgId of fresh) {
    await tellOrganisations(trx, [orgId], "read:mutual_information", {
      kind: "mutual_information",
      title: `Vos données sont utilisées : « ${title} »`,
      body: `${author.name} prépare une publication qui utilise des données de votre organisme (convention, art. 5 : information mutuelle). Le brouillon est consultable dans le portail.`,
      link: `/publications/${row.id}`,
      dedupeKey: `mutual-information:publication:${row.id}:${orgId}`,
    });
  }
  return fresh;
}

async function assertEditable(trx: Trx, command: Command, id: string): Promise<PublicationRow> {
  const row = await getPublicationRow(trx, id, true);
  command.require("update:publication", row.organisation_id);
  if (!isEditable(row.status)) {
    throw new DomainError("conflict", "Une publication en ligne ne se modifie pas : retirez-la d'abord de la diffusion (référent), l'historique est conservé.");
  }
  return row;
}

const emptyHash = (input: PublicationFormInput) => contentHash({ title: input.title, audience: input.audience, body: input.body, items: [], attachments: [] });

async function insertPublication(trx: Trx, actor: Actor, input: PublicationFormInput) {
  // A publication has a person of an organisation as its author (Art. 5).
  if (actor.kind !== "user" || !actor.id) throw forbidden();
  const row = await trx
    .insertInto("publication")
    .values({
      title: input.title,
      audience: input.audience,
      body_markdown: input.body,
      author_id: actor.id,
      organisation_id: actor.organisationId,
      content_hash: emptyHash(input),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await trx
    .insertInto("publication_event")
    .values({ publication_id: row.id, actor_user_id: actor.id, actor_label: actor.displayName, transition: "created", from_status: null, to_status: "draft", content_hash: emptyHash(input) })
    .execute();
  return row.id;
}

/** A new draft publication of the actor's organisation. */
export async function createPublication(db: Db, actor: Actor, input: PublicationFormInput): Promise<string> {
  return run(db, actor, publicationCommandPermissions.createPublication, async (trx, command) => {
    const id = await insertPublication(trx, actor, input);
    await command.audit({
      action: "publication.created",
      entityType: "publication",
      entityId: id,
      summary: `Publication « ${input.title} » créée (brouillon).`,
      details: { audience: input.audience },
    });
    return id;
  });
}

/** Title, audience and Markdown body. */
export async function updatePublicationText(db: Db, actor: Actor, id: string, input: PublicationFormInput) {
  return run(db, actor, publicationCommandPermissions.updatePublicationText, async (trx, command) => {
    const row = await assertEditable(trx, command, id);
    await trx.updateTable("publication").set({ title: input.title, audience: input.audience, body_markdown: input.body }).where("id", "=", id).execute();
    const result = await afterContentChange(trx, command, row, "texte");
    await command.audit({
      action: "publication.text_updated",
      entityType: "publication",
      entityId: id,
      summary: `Texte de la publication « ${input.title} » modifié.`,
      details: { audience: input.audience, contentHash: row.content_hash },
    });
    return result;
  });
}

/**
 * Freezes an explorer query into a publication (a new draft when `target` is
 * "new"): the query is run again on the server and its values stored with
 * their lineage — nothing the browser sends is taken as a value.
 */
export async function addFrozenItem(db: Db, actor: Actor, target: string, input: { query: ExplorerQuery; title: string; kind: ItemKind }) {
  return run(db, actor, target === "new" ? "create:publication" : "update:publication", async (trx, command) => {
    let id = target;
    if (target === "new") id = await insertPublication(trx, actor, { title: input.title, audience: "extranet", body: "" });
    const row = await assertEditable(trx, command, id);
    const { query, snapshot } = await runQuery(trx, input.query);
    if (!snapshot.values.some((v) => v.value !== null)) {
      throw new DomainError("validation", "Ce tableau ne contient aucune valeur : changez les critères avant de le figer.");
    }
    const last = await trx.selectFrom("publication_item").select((eb) => eb.fn.max("position").as("p")).where("publication_id", "=", id).executeTakeFirst();
    const item = await trx
      .insertInto("publication_item")
      .values({
        publication_id: id,
        position: (last?.p ?? -1) + 1,
        kind: input.kind,
        title: input.title,
        query: JSON.stringify(query),
        snapshot: JSON.stringify(snapshot),
        created_by: actor.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const result = await afterContentChange(trx, command, row, `${input.kind === "chart" ? "graphique" : "tableau"} « ${input.title} » ajouté`);
    const lineage = await computeLineage(trx, await loadContent(trx, await getPublicationRow(trx, id)));
    const informed = await informSources(trx, row, lineage);
    await command.audit({
      action: "publication.item_frozen",
      entityType: "publication",
      entityId: id,
      summary: `${input.kind === "chart" ? "Graphique" : "Tableau"} « ${input.title} » figé dans la publication (${snapshot.values.length} valeur(s) de ${snapshot.indicator.code}).`,
      details: { itemId: item.id, query, values: snapshot.values.length, informed },
    });
    return { publicationId: id, itemId: item.id, ...result };
  });
}

export async function removeItem(db: Db, actor: Actor, id: string, itemId: string) {
  return run(db, actor, publicationCommandPermissions.removeItem, async (trx, command) => {
    const row = await assertEditable(trx, command, id);
    const removed = await trx.deleteFrom("publication_item").where("id", "=", itemId).where("publication_id", "=", id).returning("title").executeTakeFirst();
    if (!removed) throw notFound("Ce tableau");
    const result = await afterContentChange(trx, command, row, `« ${removed.title} » retiré`);
    await command.audit({ action: "publication.item_removed", entityType: "publication", entityId: id, summary: `« ${removed.title} » retiré de la publication.`, details: { itemId } });
    return result;
  });
}

/** Attaches a workspace document, frozen at its current version. */
export async function attachDocument(db: Db, actor: Actor, id: string, documentId: string) {
  return run(db, actor, publicationCommandPermissions.attachDocument, async (trx, command) => {
    const row = await assertEditable(trx, command, id);
    const doc = await trx.selectFrom("workspace_document").select(["id", "title", "current_version_id"]).where("id", "=", documentId).executeTakeFirst();
    if (!doc || !doc.current_version_id) throw new DomainError("validation", "Document introuvable dans l'espace de travail.", { documentId: ["Choisissez un document."] });
    const exists = await trx.selectFrom("publication_attachment").select("document_id").where("publication_id", "=", id).where("document_id", "=", documentId).executeTakeFirst();
    if (exists) throw new DomainError("validation", "Ce document est déjà joint.", { documentId: ["Ce document est déjà joint."] });
    const last = await trx.selectFrom("publication_attachment").select((eb) => eb.fn.max("position").as("p")).where("publication_id", "=", id).executeTakeFirst();
    await trx
      .insertInto("publication_attachment")
      .values({ publication_id: id, document_id: documentId, document_version_id: doc.current_version_id, position: (last?.p ?? -1) + 1, attached_by: actor.id })
      .execute();
    const result = await afterContentChange(trx, command, row, `document « ${doc.title} » joint`);
    const lineage = await computeLineage(trx, await loadContent(trx, await getPublicationRow(trx, id)));
    const informed = await informSources(trx, row, lineage);
    await command.audit({
      action: "publication.document_attached",
      entityType: "publication",
      entityId: id,
      summary: `Document « ${doc.title} » joint à la publication.`,
      details: { documentId, versionId: doc.current_version_id, informed },
    });
    return result;
  });
}

export async function detachDocument(db: Db, actor: Actor, id: string, documentId: string) {
  return run(db, actor, publicationCommandPermissions.detachDocument, async (trx, command) => {
    const row = await assertEditable(trx, command, id);
    const removed = await trx.deleteFrom("publication_attachment").where("publication_id", "=", id).where("document_id", "=", documentId).returning("document_id").executeTakeFirst();
    if (!removed) throw notFound("Ce document joint");
    const result = await afterContentChange(trx, command, row, "document retiré");
    await command.audit({ action: "publication.document_detached", entityType: "publication", entityId: id, summary: "Document retiré de la publication.", details: { documentId } });
    return result;
  });
}

async function notifyReferents(trx: Trx, row: PublicationRow) {
  const title = (await getPublicationRow(trx, row.id)).title;
  await tellHolders(trx, "validate:publication", {
    kind: "publication.awaiting_referent",
    title: `À valider : « ${title} »`,
    body: `Tous les accords nécessaires des organismes sources sont réunis pour « ${title} ». Sa mise en ligne attend votre validation (convention, art. 5).`,
    link: `/publications/${row.id}`,
    dedupeKey: `publication-awaiting-referent:${row.id}:${row.content_hash}`,
  });
}

/**
 * Asks every source organisation that must approve this content (one request
 * each, reusing an approval already given to this exact content). Internal
 * indicators block with an explanation. Without any approval to wait for,
 * the publication goes straight to the referent.
 */
export async function submitPublication(db: Db, actor: Actor, id: string) {
  return run(db, actor, publicationCommandPermissions.submitPublication, async (trx, command) => {
    const row = await getPublicationRow(trx, id, true);
    requireTransition(command, row, "submit");
    checkTransition(row, "submit", "La demande d'accord");
    const { content, hash } = await computeStoredHash(trx, row);
    if (hash !== row.content_hash) throw new DomainError("conflict", "Le contenu a changé pendant l'opération : rechargez la page.");
    if (content.items.length === 0 && content.attachments.length === 0 && content.body.trim() === "") {
      throw new DomainError("validation", "La publication est vide : ajoutez un texte, un tableau, un graphique ou un document.");
    }
    const lineage = await computeLineage(trx, content);
    const blocked = blockingExplanation(lineage);
    if (blocked) throw new DomainError("validation", blocked);
    const existing = await approvalsOf(trx, id);
    const needing = lineage.filter((s) => s.requirement === "approval");
    const reused = needing.filter((s) => existing.some((a) => a.organisation_id === s.organisationId && a.content_hash === hash && a.status === "approved"));
    const toAsk = needing.filter((s) => !reused.includes(s));
    if (toAsk.length) {
      await trx
        .insertInto("publication_approval")
        .values(toAsk.map((s) => ({ publication_id: id, organisation_id: s.organisationId, content_hash: hash, requested_by: actor.id })))
        .execute();
    }
    await moveTo(trx, row, "submit", actor, { note: toAsk.length ? `Accords demandés : ${toAsk.map((s) => s.name).join(", ")}.` : "Aucun accord à demander." });
    for (const s of toAsk) {
      await tellOrganisations(trx, [s.organisationId], "decide:approval", {
        kind: "publication.approval_requested",
        title: `Accord de diffusion demandé : « ${content.title} »`,
        body: `La publication « ${content.title} » utilise des données ou documents de ${s.name}. Toute diffusion hors de l'observatoire requiert votre accord préalable (convention, art. 5) : consultez exactement le contenu proposé et donnez ou refusez votre accord.`,
        link: "/approvals",
        dedupeKey: `approval-requested:${id}:${hash}:${s.organisationId}`,
      });
    }
    if (toAsk.length === 0) {
      await moveTo(trx, row, "sources_approved", null, { note: reused.length ? "Accords déjà donnés à ce contenu." : "Aucune source ne demande d'accord (diffusion pré-autorisée)." });
      await notifyReferents(trx, row);
    }
    await command.audit({
      action: "publication.submitted",
      entityType: "publication",
      entityId: id,
      summary: `Publication « ${content.title} » soumise : ${toAsk.length} accord(s) demandé(s)${reused.length ? `, ${reused.length} déjà donné(s)` : ""}.`,
      details: {
        contentHash: hash,
        asked: toAsk.map((s) => s.code),
        reused: reused.map((s) => s.code),
        open: lineage.filter((s) => s.requirement === "open").map((s) => s.code),
      },
    });
    return { asked: toAsk.map((s) => s.name), status: row.status as PublicationStatus };
  });
}

/** The author takes a submission back to draft; pending requests are closed. */
export async function withdrawSubmission(db: Db, actor: Actor, id: string) {
  return run(db, actor, publicationCommandPermissions.withdrawSubmission, async (trx, command) => {
    const row = await getPublicationRow(trx, id, true);
    requireTransition(command, row, "withdraw");
    await moveTo(trx, row, "withdraw", actor);
    await trx
      .updateTable("publication_approval")
      .set({ status: "cancelled", closed_at: sql`now()`, close_reason: "L'auteur a retiré sa demande." })
      .where("publication_id", "=", id)
      .where("status", "in", statusesLeftBy(approvalTable, "cancel"))
      .execute();
    await command.audit({ action: "publication.withdrawn", entityType: "publication", entityId: id, summary: `Demande de diffusion de « ${row.title} » retirée par l'auteur.` });
  });
}

export type Decision = { decision: "approve"; contentHash: string } | { decision: "refuse"; contentHash: string; reason: string };

/**
 * A source organisation's validator approves or refuses the diffusion of
 * exactly the content shown (its hash). A refusal carries a reason for the
 * author and returns the publication to draft. The last approval needed
 * passes the publication to the referent.
 */
export async function decideApproval(db: Db, actor: Actor, approvalId: string, decision: Decision) {
  if (decision.decision === "refuse" && decision.reason.trim().length < 5) {
    throw new DomainError("validation", "Indiquez le motif du refus : il sera communiqué à l'auteur.", { reason: ["Indiquez le motif du refus (5 caractères au moins)."] });
  }
  return run(db, actor, publicationCommandPermissions.decideApproval, async (trx, command) => {
    const found = await trx.selectFrom("publication_approval").select(["publication_id", "organisation_id"]).where("id", "=", approvalId).executeTakeFirst();
    if (!found) throw notFound("Cette demande d'accord");
    command.require("decide:approval", found.organisation_id);
    const row = await getPublicationRow(trx, found.publication_id, true);
    const approval = await trx.selectFrom("publication_approval").selectAll().where("id", "=", approvalId).forUpdate().executeTakeFirstOrThrow();
    const decided = transitionTo(approvalTable, decision.decision, approval.status as ApprovalStatus, { comment: decision.decision === "refuse" ? decision.reason : null }, approvalStatusLabels, {
      status: `Cette demande n'attend plus de décision : son état est « ${approvalStatusLabels[approval.status as ApprovalStatus]} »`,
    });
    // The publication itself leaves « en attente des accords » through the system transitions of its table.
    checkTransition(row, decision.decision === "approve" ? "sources_approved" : "source_refused", "La décision");
    if (decision.contentHash !== approval.content_hash || approval.content_hash !== row.content_hash) {
      throw new DomainError("conflict", "Le contenu a changé depuis que vous l'avez affiché : relisez-le avant de décider.");
    }
    const org = await trx.selectFrom("organisation").select(["name", "code"]).where("id", "=", approval.organisation_id).executeTakeFirstOrThrow();
    const author = row.author_id;
    if (decision.decision === "approve") {
      await trx
        .updateTable("publication_approval")
        .set({ status: decided, decided_at: sql`now()`, decided_by: actor.id, decided_by_label: actor.displayName })
        .where("id", "=", approvalId)
        .execute();
      const { content } = await computeStoredHash(trx, row);
      const lineage = await computeLineage(trx, content);
      const clearance = diffusionClearance(lineage, asApprovals(await approvalsOf(trx, row.id)), row.content_hash);
      if (clearance.ok) {
        await moveTo(trx, row, "sources_approved", null, { note: "Tous les accords nécessaires sont donnés." });
        await notifyReferents(trx, row);
      }
      await tellUsers(trx, [author], {
        kind: "publication.approved",
        title: `Accord de ${org.name} pour « ${row.title} »`,
        body: clearance.ok
          ? `${org.name} a donné son accord. Tous les accords sont réunis : la publication attend la validation du référent.`
          : `${org.name} a donné son accord. D'autres accords sont encore attendus.`,
        link: `/publications/${row.id}`,
        dedupeKey: `approval-decided:${approvalId}`,
      });
      await command.audit({
        action: "publication.approval_given",
        entityType: "publication",
        entityId: row.id,
        summary: `${org.name} donne son accord à la diffusion de « ${row.title} » (contenu ${shortHash(row.content_hash)}).`,
        details: { approvalId, contentHash: row.content_hash, complete: clearance.ok },
        organisationId: approval.organisation_id,
      });
      return { status: row.status as PublicationStatus };
    }
    await trx
      .updateTable("publication_approval")
      .set({ status: decided, decided_at: sql`now()`, decided_by: actor.id, decided_by_label: actor.displayName, reason: decision.reason })
      .where("id", "=", approvalId)
      .execute();
    await trx
      .updateTable("publication_approval")
      .set({ status: "cancelled", closed_at: sql`now()`, close_reason: `Demande close : ${org.name} a refusé la diffusion ; la publication est revenue en brouillon.` })
      .where("publication_id", "=", row.id)
      .where("status", "in", statusesLeftBy(approvalTable, "cancel"))
      .execute();
    await moveTo(trx, row, "source_refused", null, { note: `${org.name} : ${decision.reason}` });
    await tellUsers(trx, [author], {
      kind: "publication.refused",
      title: `Refus de ${org.name} pour « ${row.title} »`,
      body: `${org.name} refuse la diffusion de « ${row.title} ». Motif : ${decision.reason}`,
      link: `/publications/${row.id}`,
      dedupeKey: `approval-decided:${approvalId}`,
    });
    await command.audit({
      action: "publication.approval_refused",
      entityType: "publication",
      entityId: row.id,
      summary: `${org.name} refuse la diffusion de « ${row.title} » : ${decision.reason}`,
      details: { approvalId, contentHash: row.content_hash, reason: decision.reason },
      organisationId: approval.organisation_id,
    });
    return { status: row.status as PublicationStatus };
  });
}

/**
 * The referent puts the publication online (Art. 5). Checked again here, on
 * the content as it is now: no `internal` data, and every source requiring
 * approval has approved this exact content. The published content is kept
 * with the event, so unpublishing never loses what went out.
 */
export async function validatePublication(db: Db, actor: Actor, id: string) {
  return run(db, actor, publicationCommandPermissions.validatePublication, async (trx, command) => {
    const row = await getPublicationRow(trx, id, true);
    requireTransition(command, row, "validate");
    checkTransition(row, "validate", "La mise en ligne");
    const { content, hash } = await computeStoredHash(trx, row);
    if (hash !== row.content_hash) throw new DomainError("conflict", "Le contenu ne correspond plus à celui approuvé : il doit être soumis de nouveau aux sources.");
    const lineage = await computeLineage(trx, content);
    const approvals = await approvalsOf(trx, id);
    const clearance = diffusionClearance(lineage, asApprovals(approvals), hash);
    if (!clearance.ok) throw new DomainError("conflict", clearanceMessage(clearance, lineage));
    // Every table protected together, against the disclosure ledger (ADR 015); refused if it cannot be.
    const ledgerCells = await protectPublication(trx, row.title, content.items);
    await moveTo(trx, row, "validate", actor, { content: { content, lineage } });
    await recordRelease(trx, actor, { kind: "publication", subjectId: id, label: row.title, releasedAt: new Date(), cells: ledgerCells });
    await tellUsers(trx, [row.author_id], {
      kind: "publication.published",
      title: `Publiée : « ${row.title} »`,
      body: `Le référent de l'ODPE a validé la mise en ligne de « ${row.title} ».`,
      link: `/publications/${id}`,
      dedupeKey: `publication-published:${id}:${hash}`,
    });
    // Art. 5: every signatory is told of the release, and the readers of what is addressed to them.
    await announceRelease(trx, { id, title: row.title, audience: row.audience, contentHash: hash });
    await command.audit({
      action: "publication.published",
      entityType: "publication",
      entityId: id,
      summary: `Publication « ${row.title} » validée et mise en ligne (contenu ${shortHash(hash)}).`,
      details: { contentHash: hash, sources: lineage.map((s) => ({ code: s.code, requirement: s.requirement })) },
    });
  });
}


export async function rejectPublication(db: Db, actor: Actor, id: string, reason: string) {
  return run(db, actor, publicationCommandPermissions.rejectPublication, async (trx, command) => {
    const row = await getPublicationRow(trx, id, true);
    requireTransition(command, row, "reject");
    await moveTo(trx, row, "reject", actor, { note: reason });
    await tellUsers(trx, [row.author_id], {
      kind: "publication.rejected",
      title: `Mise en ligne refusée : « ${row.title} »`,
      body: `Le référent de l'ODPE refuse la mise en ligne de « ${row.title} ». Motif : ${reason}`,
      link: `/publications/${id}`,
      dedupeKey: `publication-rejected:${id}:${row.content_hash}`,
    });
    await command.audit({ action: "publication.rejected", entityType: "publication", entityId: id, summary: `Mise en ligne de « ${row.title} » refusée : ${reason}`, details: { reason } });
  });
}

/** Off the extranet; the history (events, published content, approvals) stays. */
export async function unpublishPublication(db: Db, actor: Actor, id: string, reason: string) {
  return run(db, actor, publicationCommandPermissions.unpublishPublication, async (trx, command) => {
    const row = await getPublicationRow(trx, id, true);
    requireTransition(command, row, "unpublish");
    await moveTo(trx, row, "unpublish", actor, { note: reason });
    await tellUsers(trx, [row.author_id], {
      kind: "publication.unpublished",
      title: `Retirée de la diffusion : « ${row.title} »`,
      body: `Le référent de l'ODPE a retiré « ${row.title} » de la diffusion. Motif : ${reason}`,
      link: `/publications/${id}`,
      dedupeKey: `publication-unpublished:${id}:${Date.now()}`,
    });
    await command.audit({ action: "publication.unpublished", entityType: "publication", entityId: id, summary: `« ${row.title} » retirée de la diffusion : ${reason}`, details: { reason } });
  });
}
