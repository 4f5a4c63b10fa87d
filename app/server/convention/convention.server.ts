import { sql } from "kysely";
import type { Db } from "../db.server";
import { run, type Actor } from "../command.server";
import { DomainError, notFound } from "../errors.server";
import { getFile, getFileMeta, putFile } from "../storage/files.server";
import { checkPdf, type Upload } from "../http/uploads.server";
import { todayIso, type IsoDate } from "~/domain/dates";
import { amendmentKindLabels, type AmendmentFormInput, type ConventionFormInput } from "~/domain/convention";
import { formatDate } from "~/domain/format";

/** The framework convention (one per deployment), or null before the first import. */
export async function getConvention(db: Db) {
  const row = await db.selectFrom("convention").selectAll().executeTakeFirst();
  if (!row) return null;
  return { ...row, document: row.document_file_id ? await getFileMeta(db, row.document_file_id) : null };
}

/** Amendments in number order, with their effects: organisations joined, indicators added (Art. 7). */
export async function listAmendments(db: Db) {
  const amendments = await db.selectFrom("amendment").selectAll().orderBy("number").execute();
  if (amendments.length === 0) return [];
  const ids = amendments.map((a) => a.id);
  const fileIds = amendments.map((a) => a.document_file_id).filter((x): x is string => !!x);
  const [organisations, indicators, files] = await Promise.all([
    db
      .selectFrom("organisation")
      .select(["id", "code", "name", "joined_amendment_id"])
      .where("joined_amendment_id", "in", ids)
      .orderBy("code")
      .execute(),
    db
      .selectFrom("indicator")
      .select(["id", "code", "introduced_by_amendment_id"])
      .where("introduced_by_amendment_id", "in", ids)
      .orderBy("code")
      .execute(),
    fileIds.length ? db.selectFrom("stored_file").select(["id", "filename", "size_bytes"]).where("id", "in", fileIds).execute() : Promise.resolve([]),
  ]);
  return amendments.map((a) => ({
    ...a,
    kindLabel: amendmentKindLabels[a.kind],
    organisations: organisations.filter((o) => o.joined_amendment_id === a.id).map(({ id, code, name }) => ({ id, code, name })),
    indicators: indicators.filter((i) => i.introduced_by_amendment_id === a.id).map(({ id, code }) => ({ id, code })),
    document: files.find((f) => f.id === a.document_file_id) ?? null,
  }));
}

export async function updateConvention(db: Db, actor: Actor, input: ConventionFormInput) {
  await run(db, actor, "manage:convention", async (trx, command) => {
    const before = await trx.selectFrom("convention").selectAll().forUpdate().executeTakeFirst();
    await trx
      .insertInto("convention")
      .values({ id: 1, title: input.title, signature_date: input.signatureDate, note: input.note })
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({ title: input.title, signature_date: input.signatureDate, note: input.note, updated_at: new Date() }),
      )
      .execute();
    await command.audit({
      action: "convention.updated",
      entityType: "convention",
      entityId: "1",
      summary: `Convention-cadre modifiée (signée le ${formatDate(input.signatureDate)}).`,
      details: { before: before ? { title: before.title, signatureDate: before.signature_date, note: before.note } : null, after: input },
    });
  });
}

/** Attaches the signed framework convention (PDF). */
export async function setConventionDocument(db: Db, actor: Actor, upload: Upload) {
  const { contentType } = checkPdf(upload);
  await run(db, actor, "manage:convention", async (trx, command) => {
    const convention = await trx.selectFrom("convention").select(["id", "document_file_id"]).forUpdate().executeTakeFirst();
    if (!convention) throw new DomainError("validation", "Enregistrez d'abord le titre et la date de la convention-cadre.");
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    await trx.updateTable("convention").set({ document_file_id: file.id, updated_at: new Date() }).execute();
    await command.audit({
      action: "convention.document_set",
      entityType: "convention",
      entityId: "1",
      summary: `Convention-cadre signée jointe (${file.filename}).`,
      details: { fileId: file.id, sha256: file.sha256, previousFileId: convention.document_file_id },
    });
  });
}

export async function getConventionDocument(db: Db) {
  const row = await db.selectFrom("convention").select("document_file_id").executeTakeFirst();
  return row?.document_file_id ? getFile(db, row.document_file_id) : null;
}

export async function getAmendmentDocument(db: Db, number: number) {
  const row = await db.selectFrom("amendment").select("document_file_id").where("number", "=", number).executeTakeFirst();
  return row?.document_file_id ? getFile(db, row.document_file_id) : null;
}

export async function nextAmendmentNumber(db: Db): Promise<number> {
  const row = await db.selectFrom("amendment").select(sql<number>`coalesce(max(number), 0)::int`.as("n")).executeTakeFirstOrThrow();
  return row.n + 1;
}

/**
 * Art. 7: records the next numbered, dated amendment and applies its effects
 * in the same transaction: organisations joined (members from the
 * amendment's date) or indicators added to the catalogue.
 */
export async function recordAmendment(
  db: Db,
  actor: Actor,
  input: AmendmentFormInput,
  document: Upload | null,
  today: IsoDate = todayIso(),
) {
  if (document) checkPdf(document);
  return run(db, actor, "manage:convention", async (trx, command) => {
    // One numbering: concurrent recordings wait for each other.
    await sql`select pg_advisory_xact_lock(4242003)`.execute(trx);
    const convention = await trx.selectFrom("convention").select(["signature_date"]).executeTakeFirst();
    if (!convention) throw new DomainError("validation", "Enregistrez d'abord la convention-cadre.");
    if (input.signedOn < convention.signature_date) {
      throw new DomainError("validation", "Un avenant ne peut pas précéder la convention-cadre.", {
        signedOn: [`La convention-cadre est signée le ${formatDate(convention.signature_date)}.`],
      });
    }
    const last = await trx.selectFrom("amendment").select(["number", "signed_on"]).orderBy("number", "desc").limit(1).executeTakeFirst();
    if (last && input.signedOn < last.signed_on) {
      throw new DomainError("validation", "Les avenants sont numérotés dans l'ordre de leurs dates.", {
        signedOn: [`L'avenant n° ${last.number} est daté du ${formatDate(last.signed_on)} : celui-ci ne peut pas être antérieur.`],
      });
    }
    const number = (last?.number ?? 0) + 1;

    const organisations = input.organisationIds.length
      ? await trx
          .selectFrom("organisation")
          .select(["id", "code", "is_observatory_team", "member_since", "withdrawal_effective_date"])
          .where("id", "in", input.organisationIds)
          .forUpdate()
          .execute()
      : [];
    if (organisations.length !== input.organisationIds.length) {
      throw new DomainError("validation", "Organisme inconnu.", { organisationIds: ["Rechargez la page et sélectionnez de nouveau les organismes."] });
    }
    for (const org of organisations) {
      // Eligible: never a member, or a member whose withdrawal took effect by the amendment's date.
      const eligible = !org.is_observatory_team && (org.member_since === null || (org.withdrawal_effective_date !== null && org.withdrawal_effective_date <= input.signedOn));
      if (!eligible) {
        const message = org.withdrawal_effective_date
          ? `${org.code} ne peut adhérer de nouveau qu'après la prise d'effet de son retrait (le ${formatDate(org.withdrawal_effective_date)}).`
          : `${org.code} est déjà membre : un avenant d'adhésion ne concerne que des organismes non membres ou retirés.`;
        throw new DomainError("validation", message, { organisationIds: [message] });
      }
    }

    const indicators = input.indicatorIds.length
      ? await trx.selectFrom("indicator").select(["id", "code", "introduced_by_amendment_id"]).where("id", "in", input.indicatorIds).forUpdate().execute()
      : [];
    if (indicators.length !== input.indicatorIds.length) {
      throw new DomainError("validation", "Indicateur inconnu.", { indicatorIds: ["Rechargez la page et sélectionnez de nouveau les indicateurs."] });
    }
    const alreadyAdded = indicators.filter((i) => i.introduced_by_amendment_id !== null);
    if (alreadyAdded.length) {
      throw new DomainError("validation", "Indicateur déjà ajouté par un autre avenant.", {
        indicatorIds: [`${alreadyAdded.map((i) => i.code).join(", ")} : déjà ajouté par un autre avenant.`],
      });
    }

    let documentFileId: string | null = null;
    if (document) {
      const file = await putFile(trx, { filename: document.filename, contentType: "application/pdf", bytes: document.bytes, createdBy: actor.id });
      documentFileId = file.id;
    }
    const created = await trx
      .insertInto("amendment")
      .values({
        number,
        signed_on: input.signedOn,
        kind: input.kind,
        title: input.title,
        description: input.description,
        document_file_id: documentFileId,
        created_by: actor.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (organisations.length) {
      await trx
        .updateTable("organisation")
        .set({
          member_since: input.signedOn,
          joined_amendment_id: created.id,
          withdrawal_notice_date: null,
          withdrawal_effective_date: null,
          withdrawal_note: null,
          updated_at: new Date(),
        })
        .where("id", "in", organisations.map((o) => o.id))
        .execute();
    }
    if (indicators.length) {
      await trx
        .updateTable("indicator")
        .set({ introduced_by_amendment_id: created.id, updated_at: new Date() })
        .where("id", "in", indicators.map((i) => i.id))
        .execute();
    }
    await command.audit({
      action: "convention.amendment_recorded",
      entityType: "amendment",
      entityId: created.id,
      summary: `Avenant n° ${number} du ${formatDate(input.signedOn)} enregistré (${amendmentKindLabels[input.kind]}) : ${input.title}.`,
      details: {
        number,
        kind: input.kind,
        organisations: organisations.map((o) => o.code),
        indicators: indicators.map((i) => i.code),
        documentFileId,
        recordedOn: today,
      },
    });
    return { id: created.id, number };
  });
}

/** Attaches (or replaces) an amendment's signed PDF. */
export async function setAmendmentDocument(db: Db, actor: Actor, number: number, upload: Upload) {
  const { contentType } = checkPdf(upload);
  await run(db, actor, "manage:convention", async (trx, command) => {
    const amendment = await trx.selectFrom("amendment").select(["id", "document_file_id"]).where("number", "=", number).forUpdate().executeTakeFirst();
    if (!amendment) throw notFound("Cet avenant");
    const file = await putFile(trx, { filename: upload.filename, contentType, bytes: upload.bytes, createdBy: actor.id });
    await trx.updateTable("amendment").set({ document_file_id: file.id }).where("id", "=", amendment.id).execute();
    await command.audit({
      action: "convention.amendment_document_set",
      entityType: "amendment",
      entityId: amendment.id,
      summary: `Avenant n° ${number} signé joint (${file.filename}).`,
      details: { fileId: file.id, sha256: file.sha256, previousFileId: amendment.document_file_id },
    });
  });
}
