import type { Db, Executor } from "../db.server";
import { run, type Actor } from "../command.server";
import { DomainError, notFound } from "../errors.server";
import { getFile, getFileMeta, putFile } from "../storage/files.server";
import { checkPdf, type Upload } from "../http/uploads.server";
import { todayIso, type IsoDate } from "~/domain/dates";
import { agreementInForce, DEFAULT_USAGE_RIGHTS, type AgreementIndicatorInput } from "~/domain/agreements";
import type { AgreementFormInput } from "~/domain/agreement-forms";
import { membershipStatus } from "~/domain/organisations";
import { formatDate } from "~/domain/format";

const agreementColumns = [
  "g.id",
  "g.organisation_id",
  "g.reference",
  "g.signed_on",
  "g.starts_on",
  "g.ends_on",
  "g.format",
  "g.statistical_level",
  "g.due_month_day",
  "g.same_person_may_validate",
  "g.document_file_id",
  "g.note",
  "g.updated_at",
  "o.code as organisation_code",
  "o.name as organisation_name",
  "o.member_since",
  "o.withdrawal_notice_date",
  "o.withdrawal_effective_date",
] as const;

/** Every agreement, with its organisation's status and what it covers; plus providers lacking one in force. */
export async function listAgreements(db: Executor, today: IsoDate = todayIso()) {
  const rows = await db
    .selectFrom("agreement as g")
    .innerJoin("organisation as o", "o.id", "g.organisation_id")
    .select(agreementColumns)
    .orderBy("o.code")
    .orderBy("g.starts_on", "desc")
    .execute();
  const rights = rows.length
    ? await db
        .selectFrom("agreement_indicator")
        .select(["agreement_id", "usage_rights"])
        .where("agreement_id", "in", rows.map((r) => r.id))
        .execute()
    : [];
  const agreements = rows.map((r) => {
    const own = rights.filter((x) => x.agreement_id === r.id);
    return {
      ...r,
      organisationStatus: membershipStatus(r, today),
      inForce: agreementInForce(r, today),
      indicatorCount: own.length,
      rightsCount: {
        internal: own.filter((x) => x.usage_rights === "internal").length,
        with_approval: own.filter((x) => x.usage_rights === "with_approval").length,
        open: own.filter((x) => x.usage_rights === "open").length,
      },
    };
  });
  const providers = await db
    .selectFrom("indicator_provider as p")
    .innerJoin("organisation as o", "o.id", "p.organisation_id")
    .select(["o.id", "o.code", "o.name", "o.member_since", "o.withdrawal_notice_date", "o.withdrawal_effective_date"])
    .distinct()
    .orderBy("o.code")
    .execute();
  const providersWithoutAgreement = providers
    .filter((p) => membershipStatus(p, today) !== "withdrawn")
    .filter((p) => !agreements.some((a) => a.organisation_id === p.id && a.inForce))
    .map(({ id, code, name }) => ({ id, code, name }));
  return { agreements, providersWithoutAgreement };
}

/** One agreement with its indicators (current label) and usage rights. */
export async function getAgreement(db: Executor, id: string, today: IsoDate = todayIso()) {
  const row = await db
    .selectFrom("agreement as g")
    .innerJoin("organisation as o", "o.id", "g.organisation_id")
    .select(agreementColumns)
    .where("g.id", "=", id)
    .executeTakeFirst();
  if (!row) throw notFound("Cette convention d'application");
  const [indicators, document] = await Promise.all([agreementIndicators(db, [id]), row.document_file_id ? getFileMeta(db, row.document_file_id) : null]);
  return { ...row, organisationStatus: membershipStatus(row, today), inForce: agreementInForce(row, today), indicators, document };
}

/** The indicators of the given agreements with their current label and domain. */
async function agreementIndicators(db: Executor, agreementIds: string[]) {
  if (agreementIds.length === 0) return [];
  return db
    .selectFrom("agreement_indicator as ai")
    .innerJoin("indicator as i", "i.id", "ai.indicator_id")
    .innerJoin("indicator_domain as d", "d.code", "i.domain_code")
    .innerJoin("indicator_version as v", (join) =>
      join.onRef("v.indicator_id", "=", "i.id").on((eb) =>
        eb(
          "v.version",
          "=",
          eb.selectFrom("indicator_version as v2").select((e) => e.fn.max("v2.version").as("m")).whereRef("v2.indicator_id", "=", "i.id"),
        ),
      ),
    )
    .select(["ai.agreement_id", "ai.indicator_id", "ai.usage_rights", "ai.not_available_allowed", "i.code", "v.label", "v.unit", "d.label as domain_label", "d.position as domain_position"])
    .where("ai.agreement_id", "in", agreementIds)
    .orderBy("d.position")
    .orderBy("i.code")
    .execute();
}

/** "Ma convention": an organisation's agreements (most recent first) with everything they fix. */
export async function agreementsForOrganisation(db: Executor, organisationId: string, today: IsoDate = todayIso()) {
  const rows = await db
    .selectFrom("agreement as g")
    .innerJoin("organisation as o", "o.id", "g.organisation_id")
    .select(agreementColumns)
    .where("g.organisation_id", "=", organisationId)
    .orderBy("g.starts_on", "desc")
    .execute();
  const indicators = await agreementIndicators(db, rows.map((r) => r.id));
  const files = await Promise.all(rows.map((r) => (r.document_file_id ? getFileMeta(db, r.document_file_id) : null)));
  return rows.map((r, i) => ({
    ...r,
    inForce: agreementInForce(r, today),
    indicators: indicators.filter((x) => x.agreement_id === r.id),
    document: files[i] ?? null,
  }));
}

async function assertNoOverlap(trx: Executor, organisationId: string, startsOn: IsoDate, endsOn: IsoDate | null, exceptId?: string) {
  let query = trx
    .selectFrom("agreement")
    .select(["id", "starts_on", "ends_on", "reference"])
    .where("organisation_id", "=", organisationId)
    .where("starts_on", "<=", endsOn ?? "9999-12-31")
    .where((eb) => eb.or([eb("ends_on", "is", null), eb("ends_on", ">=", startsOn)]));
  if (exceptId) query = query.where("id", "!=", exceptId);
  const overlap = await query.executeTakeFirst();
  if (overlap) {
    const message = `Une autre convention d'application de cet organisme couvre déjà cette période (depuis le ${formatDate(overlap.starts_on)}${overlap.ends_on ? ` jusqu'au ${formatDate(overlap.ends_on)}` : ""}) : terminez-la d'abord.`;
    throw new DomainError("conflict", message, { startsOn: [message] });
  }
}

/** The agreement's columns as its form gives them (creation and update alike). */
function agreementRow(input: AgreementFormInput) {
  return {
    reference: input.reference,
    signed_on: input.signedOn,
    starts_on: input.startsOn,
    ends_on: input.endsOn,
    format: input.format,
    statistical_level: input.statisticalLevel,
    due_month_day: input.dueMonthDay,
    same_person_may_validate: input.samePersonMayValidate,
    note: input.note,
  };
}

/**
 * Art. 4: records an organisation's agreement. It starts with the
 * indicators the catalogue lists the organisation as providing, each with
 * the default usage rights (external diffusion on approval, Art. 5).
 */
export async function createAgreement(db: Db, actor: Actor, organisationId: string, input: AgreementFormInput) {
  return run(db, actor, "manage:agreement", async (trx, command) => {
    const org = await trx
      .selectFrom("organisation")
      .select(["id", "code", "is_observatory_team", "member_since", "withdrawal_notice_date", "withdrawal_effective_date"])
      .where("id", "=", organisationId)
      .forUpdate()
      .executeTakeFirst();
    if (!org) throw new DomainError("validation", "Organisme inconnu.", { organisationId: ["Choisissez un organisme dans la liste."] });
    if (org.is_observatory_team) {
      throw new DomainError("validation", "L'équipe de l'observatoire ne transmet pas de données par convention d'application.", {
        organisationId: ["Choisissez un organisme producteur de données."],
      });
    }
    await assertNoOverlap(trx, org.id, input.startsOn, input.endsOn);
    const created = await trx
      .insertInto("agreement")
      .values({ organisation_id: org.id, ...agreementRow(input) })
      .returning("id")
      .executeTakeFirstOrThrow();
    const provided = await trx.selectFrom("indicator_provider").select("indicator_id").where("organisation_id", "=", org.id).execute();
    if (provided.length) {
      await trx
        .insertInto("agreement_indicator")
        .values(provided.map((p) => ({ agreement_id: created.id, indicator_id: p.indicator_id, usage_rights: DEFAULT_USAGE_RIGHTS })))
        .execute();
    }
    await command.audit({
      action: "agreement.created",
      entityType: "agreement",
      entityId: created.id,
      organisationId: org.id,
      summary: `Convention d'application de ${org.code} enregistrée (à partir du ${formatDate(input.startsOn)}, ${provided.length} indicateur(s)).`,
      details: { ...input, indicators: provided.length },
    });
    return created.id;
  });
}

export async function updateAgreement(db: Db, actor: Actor, id: string, input: AgreementFormInput) {
  await run(db, actor, "manage:agreement", async (trx, command) => {
    const before = await trx.selectFrom("agreement").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
    if (!before) throw notFound("Cette convention d'application");
    await assertNoOverlap(trx, before.organisation_id, input.startsOn, input.endsOn, id);
    await trx
      .updateTable("agreement")
      .set({ ...agreementRow(input), updated_at: new Date() })
      .where("id", "=", id)
      .execute();
    await command.audit({
      action: "agreement.updated",
      entityType: "agreement",
      entityId: id,
      organisationId: before.organisation_id,
      summary: `Convention d'application modifiée.`,
      details: {
        before: {
          reference: before.reference,
          signedOn: before.signed_on,
          startsOn: before.starts_on,
          endsOn: before.ends_on,
          format: before.format,
          statisticalLevel: before.statistical_level,
          dueMonthDay: before.due_month_day,
          samePersonMayValidate: before.same_person_may_validate,
          note: before.note,
        },
        after: input,
      },
    });
  });
}

/**
 * Replaces the indicators an agreement covers, their usage rights (Art. 4, 5)
 * and whether each may be declared « non disponible » (ND/NC, ADR 026).
 */
export async function setAgreementIndicators(
  db: Db,
  actor: Actor,
  id: string,
  indicators: AgreementIndicatorInput[],
) {
  await run(db, actor, "manage:agreement", async (trx, command) => {
    const agreement = await trx.selectFrom("agreement").select(["id", "organisation_id"]).where("id", "=", id).forUpdate().executeTakeFirst();
    if (!agreement) throw notFound("Cette convention d'application");
    const ids = [...new Set(indicators.map((i) => i.indicatorId))];
    const known = ids.length ? await trx.selectFrom("indicator").select(["id", "code"]).where("id", "in", ids).execute() : [];
    if (known.length !== ids.length) throw new DomainError("validation", "Indicateur inconnu : rechargez la page et réessayez.");
    const before = await trx
      .selectFrom("agreement_indicator as ai")
      .innerJoin("indicator as i", "i.id", "ai.indicator_id")
      .select(["i.code", "ai.usage_rights", "ai.not_available_allowed"])
      .where("ai.agreement_id", "=", id)
      .execute();
    await trx.deleteFrom("agreement_indicator").where("agreement_id", "=", id).execute();
    if (ids.length) {
      await trx
        .insertInto("agreement_indicator")
        .values(
          ids.map((indicatorId) => {
            const input = indicators.find((i) => i.indicatorId === indicatorId)!;
            return { agreement_id: id, indicator_id: indicatorId, usage_rights: input.usageRights, not_available_allowed: input.notAvailableAllowed ?? false };
          }),
        )
        .execute();
    }
    const codeOf = (indicatorId: string) => known.find((k) => k.id === indicatorId)!.code;
    const ndBefore = before.filter((b) => b.not_available_allowed).map((b) => b.code).sort();
    const ndAfter = ids.filter((i) => indicators.find((x) => x.indicatorId === i)!.notAvailableAllowed).map(codeOf).sort();
    await command.audit({
      action: "agreement.indicators_set",
      entityType: "agreement",
      entityId: id,
      organisationId: agreement.organisation_id,
      summary: `Indicateurs et droits d'usage de la convention d'application mis à jour (${ids.length} indicateur(s), dont ${ndAfter.length} avec « non disponible » autorisé).`,
      details: {
        notAvailableBefore: ndBefore,
        notAvailableAfter: ndAfter,
        before: Object.fromEntries(before.map((b) => [b.code, b.usage_rights])),
        after: Object.fromEntries(ids.map((i) => [codeOf(i), indicators.find((x) => x.indicatorId === i)!.usageRights])),
      },
    });
  });
}

/** Attaches the signed agreement (PDF). */
export async function setAgreementDocument(db: Db, actor: Actor, id: string, upload: Upload) {
  const { contentType } = checkPdf(upload);
  await run(db, actor, "manage:agreement", async (trx, command) => {
    const agreement = await trx.selectFrom("agreement").select(["id", "organisation_id", "document_file_id"]).where("id", "=", id).forUpdate().executeTakeFirst();
    if (!agreement) throw notFound("Cette convention d'application");
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    await trx.updateTable("agreement").set({ document_file_id: file.id, updated_at: new Date() }).where("id", "=", id).execute();
    await command.audit({
      action: "agreement.document_set",
      entityType: "agreement",
      entityId: id,
      organisationId: agreement.organisation_id,
      summary: `Convention d'application signée jointe (${file.filename}).`,
      details: { fileId: file.id, sha256: file.sha256, previousFileId: agreement.document_file_id },
    });
  });
}

export async function getAgreementDocument(db: Executor, id: string) {
  const row = await db.selectFrom("agreement").select(["organisation_id", "document_file_id"]).where("id", "=", id).executeTakeFirst();
  if (!row) return null;
  return { organisationId: row.organisation_id, file: row.document_file_id ? await getFile(db, row.document_file_id) : null };
}

/** The owner organisation of an agreement (for the authorization guard), or null. */
export async function agreementOwner(db: Executor, id: string): Promise<string | null> {
  const row = await db.selectFrom("agreement").select("organisation_id").where("id", "=", id).executeTakeFirst();
  return row?.organisation_id ?? null;
}
