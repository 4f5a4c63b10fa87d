import type { Transaction } from "kysely";
import type { Database } from "#db/schema";
import type { Db } from "../db.server";
import { DomainError, notFound } from "../errors.server";
import { run, type Actor } from "../command.server";
import { tellHolders, tellOrganisations, tellUsers } from "../publications/notices.server";
import {
  adoptionRefusal,
  proposalKindLabels,
  type AdoptionFormInput,
  type OpinionFormInput,
  type ProposalFormInput,
  type ProposalStatus,
} from "~/domain/governance";
import { partnerOrganisations, personActing } from "./governance.server";

/**
 * Indicator proposals (Art. 2–3: the list of data shared is agreed
 * beforehand; Art. 7: it changes by amendment). A member proposes a new
 * indicator or a change and names the signatories concerned (those who would
 * produce the data); each records its institution's agreement or objection;
 * the referent adopts the proposal into the catalogue by an amendment only
 * when every signatory concerned agrees, or closes it as not retained.
 * Commands check their actor's permission themselves.
 */

export async function listProposals(db: Db) {
  const proposals = await db
    .selectFrom("indicator_proposal as p")
    .innerJoin("organisation as o", "o.id", "p.proposer_organisation_id")
    .leftJoin("indicator as i", "i.id", "p.indicator_id")
    .select(["p.id", "p.kind", "p.title", "p.status", "p.created_at", "o.code as proposer_code", "o.name as proposer_name", "i.code as indicator_code"])
    .orderBy("p.created_at", "desc")
    .execute();
  const opinions = proposals.length
    ? await db
        .selectFrom("indicator_proposal_opinion")
        .select(["proposal_id", "position"])
        .where(
          "proposal_id",
          "in",
          proposals.map((p) => p.id),
        )
        .execute()
    : [];
  return proposals.map((p) => {
    const own = opinions.filter((o) => o.proposal_id === p.id);
    return {
      ...p,
      concerned: own.length,
      agreed: own.filter((o) => o.position === "agree").length,
      objected: own.filter((o) => o.position === "object").length,
    };
  });
}

export async function getProposal(db: Db, id: string) {
  const proposal = await db
    .selectFrom("indicator_proposal as p")
    .innerJoin("organisation as o", "o.id", "p.proposer_organisation_id")
    .innerJoin("app_user as u", "u.id", "p.proposed_by")
    .leftJoin("indicator as i", "i.id", "p.indicator_id")
    .leftJoin("indicator as ai", "ai.id", "p.adopted_indicator_id")
    .leftJoin("amendment as a", "a.id", "p.adopted_amendment_id")
    .select([
      "p.id",
      "p.kind",
      "p.title",
      "p.definition",
      "p.rationale",
      "p.status",
      "p.created_at",
      "p.closed_at",
      "p.closing_reason",
      "p.indicator_id",
      "o.id as proposer_organisation_id",
      "o.code as proposer_code",
      "o.name as proposer_name",
      "u.display_name as proposer_person",
      "i.code as indicator_code",
      "ai.code as adopted_indicator_code",
      "a.number as amendment_number",
      "a.title as amendment_title",
      "a.signed_on as amendment_signed_on",
    ])
    .where("p.id", "=", id)
    .executeTakeFirst();
  if (!proposal) throw notFound("Cette proposition");
  const opinions = await db
    .selectFrom("indicator_proposal_opinion as op")
    .innerJoin("organisation as o", "o.id", "op.organisation_id")
    .leftJoin("app_user as u", "u.id", "op.decided_by")
    .select(["op.organisation_id", "o.code as organisation_code", "o.name as organisation_name", "op.position", "op.comment", "op.decided_at", "u.display_name as decided_by_name"])
    .where("op.proposal_id", "=", id)
    .orderBy("o.name")
    .execute();
  return { ...proposal, opinions, refusal: adoptionRefusal(proposal.status, opinions.map((o) => ({ position: o.position, organisationName: o.organisation_name }))) };
}

/** Proposals adopted into (or proposing a change of) an indicator: shown on the indicator's page. */
export async function proposalsForIndicator(db: Db, indicatorId: string) {
  return db
    .selectFrom("indicator_proposal as p")
    .leftJoin("amendment as a", "a.id", "p.adopted_amendment_id")
    .select(["p.id", "p.kind", "p.title", "p.status", "p.created_at", "a.number as amendment_number", "a.signed_on as amendment_signed_on"])
    .where((eb) => eb.or([eb("p.adopted_indicator_id", "=", indicatorId), eb("p.indicator_id", "=", indicatorId)]))
    .orderBy("p.created_at", "desc")
    .execute();
}

export async function createProposal(db: Db, actor: Actor, input: ProposalFormInput) {
  return run(db, actor, "create:indicator_proposal", async (trx, command) => {
    const person = personActing(actor);
    if (input.indicatorId && !(await trx.selectFrom("indicator").select("id").where("id", "=", input.indicatorId).executeTakeFirst())) {
      throw new DomainError("validation", "Cet indicateur n'existe pas.", { indicatorId: ["Choisissez un indicateur du catalogue."] });
    }
    const organisations = await partnerOrganisations(trx, input.organisationIds);
    const created = await trx
      .insertInto("indicator_proposal")
      .values({
        kind: input.kind,
        indicator_id: input.kind === "change" ? input.indicatorId : null,
        title: input.title,
        definition: input.definition,
        rationale: input.rationale,
        proposed_by: person.id,
        proposer_organisation_id: person.organisationId,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("indicator_proposal_opinion")
      .values(organisations.map((o) => ({ proposal_id: created.id, organisation_id: o.id })))
      .execute();
    await tellOrganisations(
      trx,
      organisations.map((o) => o.id),
      "decide:indicator_proposal",
      {
      kind: "indicator_proposal.opened",
      title: "Proposition d'indicateur : votre accord est demandé",
      body: `« ${input.title} » (${proposalKindLabels[input.kind].toLowerCase()}) concerne votre organisme. Art. 2–3 : la liste des données est convenue avec vous au préalable ; indiquez votre accord ou votre objection.`,
      link: `/proposals/${created.id}`,
      dedupeKey: `indicator-proposal-opened:${created.id}`,
      },
    );
    await command.audit({
      action: "indicator_proposal.created",
      entityType: "indicator_proposal",
      entityId: created.id,
      summary: `Proposition d'indicateur « ${input.title} » (${proposalKindLabels[input.kind].toLowerCase()}) soumise à ${organisations.map((o) => o.code).join(", ")}.`,
      details: input,
    });
    return created.id;
  });
}

async function lockOpenProposal(trx: Transaction<Database>, id: string) {
  const proposal = await trx.selectFrom("indicator_proposal").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  if (!proposal) throw notFound("Cette proposition");
  if (proposal.status !== "open") throw new DomainError("conflict", "Cette proposition est close : elle ne reçoit plus d'avis.");
  return proposal;
}

/** Art. 2–3: the actor's institution agrees or objects (one opinion per organisation; it may change it while the proposal is open). */
export async function recordOpinion(db: Db, actor: Actor, proposalId: string, input: OpinionFormInput) {
  return run(db, actor, "decide:indicator_proposal", async (trx, command) => {
    const person = personActing(actor);
    command.require("decide:indicator_proposal", person.organisationId);
    const proposal = await lockOpenProposal(trx, proposalId);
    const opinion = await trx
      .selectFrom("indicator_proposal_opinion")
      .select("position")
      .where("proposal_id", "=", proposalId)
      .where("organisation_id", "=", person.organisationId)
      .executeTakeFirst();
    if (!opinion) throw new DomainError("forbidden", "Votre organisme n'est pas concerné par cette proposition : seuls les signataires concernés donnent leur avis.");
    await trx
      .updateTable("indicator_proposal_opinion")
      .set({ position: input.position, comment: input.comment, decided_by: person.id, decided_at: new Date() })
      .where("proposal_id", "=", proposalId)
      .where("organisation_id", "=", person.organisationId)
      .execute();
    const opinionNotice = {
      kind: "indicator_proposal.opinion",
      title: input.position === "agree" ? "Accord sur une proposition d'indicateur" : "Objection à une proposition d'indicateur",
      body: `« ${proposal.title} » : ${input.position === "agree" ? "accord" : "objection"} d'un signataire concerné${input.comment ? ` (« ${input.comment.slice(0, 300)} »)` : ""}.`,
      link: `/proposals/${proposalId}`,
      dedupeKey: `indicator-proposal-opinion:${proposalId}:${person.organisationId}:${input.position}:${Date.now()}`,
    };
    await tellHolders(trx, "manage:indicator_proposal", opinionNotice);
    await tellUsers(trx, [proposal.proposed_by], { ...opinionNotice, dedupeKey: `${opinionNotice.dedupeKey}:author` });
    await command.audit({
      action: input.position === "agree" ? "indicator_proposal.agreed" : "indicator_proposal.objected",
      entityType: "indicator_proposal",
      entityId: proposalId,
      summary: `${input.position === "agree" ? "Accord" : "Objection"} sur la proposition « ${proposal.title} »${opinion.position ? " (avis modifié)" : ""}.`,
      details: input,
    });
  });
}

/**
 * Art. 7: the referent adopts the proposal by an amendment already recorded
 * in the register, naming the catalogue indicator that results (for a change,
 * the indicator the proposal was about). Refused while a signatory concerned
 * has not agreed (Art. 2–3).
 */
export async function adoptProposal(db: Db, actor: Actor, proposalId: string, input: AdoptionFormInput) {
  return run(db, actor, "manage:indicator_proposal", async (trx, command) => {
    const proposal = await lockOpenProposal(trx, proposalId);
    const opinions = await trx
      .selectFrom("indicator_proposal_opinion as op")
      .innerJoin("organisation as o", "o.id", "op.organisation_id")
      .select(["op.position", "o.name as organisationName"])
      .where("op.proposal_id", "=", proposalId)
      .execute();
    const refusal = adoptionRefusal(proposal.status as ProposalStatus, opinions);
    if (refusal) throw new DomainError("conflict", refusal);
    const amendment = await trx.selectFrom("amendment").select(["id", "number"]).where("id", "=", input.amendmentId).executeTakeFirst();
    if (!amendment) throw new DomainError("validation", "Cet avenant n'existe pas.", { amendmentId: ["Enregistrez d'abord l'avenant dans le registre de la convention."] });
    const indicator = await trx.selectFrom("indicator").select(["id", "code"]).where("id", "=", input.indicatorId).executeTakeFirst();
    if (!indicator) throw new DomainError("validation", "Cet indicateur n'existe pas.", { indicatorId: ["Créez d'abord l'indicateur dans le catalogue."] });
    if (proposal.kind === "change" && proposal.indicator_id !== indicator.id) {
      throw new DomainError("validation", "Une proposition de modification s'applique à l'indicateur qu'elle vise.", {
        indicatorId: ["Choisissez l'indicateur visé par la proposition."],
      });
    }
    await trx
      .updateTable("indicator_proposal")
      .set({ status: "adopted", closed_at: new Date(), closed_by: actor.id, adopted_amendment_id: amendment.id, adopted_indicator_id: indicator.id })
      .where("id", "=", proposalId)
      .execute();
    await tellUsers(trx, [proposal.proposed_by], {
      kind: "indicator_proposal.adopted",
      title: "Proposition d'indicateur adoptée",
      body: `« ${proposal.title} » est adoptée par l'avenant n° ${amendment.number} (indicateur ${indicator.code}).`,
      link: `/proposals/${proposalId}`,
      dedupeKey: `indicator-proposal-closed:${proposalId}`,
    });
    await command.audit({
      action: "indicator_proposal.adopted",
      entityType: "indicator_proposal",
      entityId: proposalId,
      summary: `Proposition « ${proposal.title} » adoptée par l'avenant n° ${amendment.number} (indicateur ${indicator.code}).`,
      details: input,
    });
  });
}

export async function rejectProposal(db: Db, actor: Actor, proposalId: string, reason: string) {
  return run(db, actor, "manage:indicator_proposal", async (trx, command) => {
    const proposal = await lockOpenProposal(trx, proposalId);
    await trx
      .updateTable("indicator_proposal")
      .set({ status: "rejected", closed_at: new Date(), closed_by: actor.id, closing_reason: reason })
      .where("id", "=", proposalId)
      .execute();
    await tellUsers(trx, [proposal.proposed_by], {
      kind: "indicator_proposal.rejected",
      title: "Proposition d'indicateur non retenue",
      body: `« ${proposal.title} » n'est pas retenue : ${reason.slice(0, 500)}`,
      link: `/proposals/${proposalId}`,
      dedupeKey: `indicator-proposal-closed:${proposalId}`,
    });
    await command.audit({
      action: "indicator_proposal.rejected",
      entityType: "indicator_proposal",
      entityId: proposalId,
      summary: `Proposition « ${proposal.title} » non retenue : ${reason}`,
    });
  });
}
