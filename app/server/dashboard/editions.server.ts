import { createHash } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { Database, DashboardEditionFileKind } from "#db/schema";
import type { Db, Executor } from "../db.server";
import { DomainError, notFound } from "../errors.server";
import { run, type Actor } from "../command.server";
import { transitionTo } from "../workflow.server";
import { fileResponse, getFile, getFileMeta, putFiles, type StoredFileContent } from "../storage/files.server";
import { todayIso, type IsoDate } from "~/domain/dates";
import { editionTable } from "~/domain/workflow";
import {
  editionFileSlugs,
  editionStatusLabels,
  editionTransitions,
  FOREWORD_MIN,
  type DashboardEdition,
  type EditionAction,
  type EditionFileKind,
  type EditionMeta,
  type EditionStatus,
  type EditionTextsInput,
  type EditionVariant,
  type KeyFigure,
  type NewEditionInput,
  type TransmissionInput,
} from "~/domain/dashboard";
import { formatDate } from "~/domain/format";
import { toPublicEdition } from "~/domain/edition-assembly";
import { assembleFromDb, yearsWithValues } from "./load.server";
import type { PdfLogo } from "./pdf.server";
import { runHeavy } from "../heavy/pool.server";
import { buildOnpePackage, packageBaseName } from "./package.server";
import { createAuditAnchor, type AuditAnchorDocument } from "../audit/anchor.server";
import { protectEdition, type EarlierEdition } from "../disclosure/release.server";
import { copyRelease, recordRelease, withdrawRelease } from "../disclosure/ledger.server";
import { invalidateReportArtefacts } from "./report-scope.server";
import { heldModel } from "../artefacts/artefact-cache.server";
import { timedStep } from "../start-timing.server";

/**
 * Editions of the annual dashboard (Art. 3 and 5). The referent prepares an
 * edition of a reference year, writes the foreword and per-domain comments,
 * previews and validates it; publishing freezes it: the values (internal
 * and public snapshots), the texts and the generated files. A correction is
 * a new edition of the same year; the former ones stay readable with their
 * date. Recording the transmission to ONPE keeps the package's checksum.
 * Every use case runs in one transaction with its audit event.
 */

export interface EditionRow {
  id: string;
  reference_year: number;
  number: number;
  status: EditionStatus;
  foreword: string;
  correction_note: string | null;
  created_at: Date;
  validated_at: Date | null;
  published_at: Date | null;
  superseded_at: Date | null;
  snapshot_sha256: string | null;
  transmitted_on: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function editionColumns(db: Executor) {
  return db
    .selectFrom("dashboard_edition as e")
    .leftJoin("onpe_transmission as t", "t.edition_id", "e.id")
    .select([
      "e.id",
      "e.reference_year",
      "e.number",
      "e.status",
      "e.foreword",
      "e.correction_note",
      "e.created_at",
      "e.validated_at",
      "e.published_at",
      "e.superseded_at",
      "e.snapshot_sha256",
      "t.transmitted_on",
    ]);
}

/** Every edition, latest year and number first. */
export async function listEditions(db: Executor): Promise<EditionRow[]> {
  return editionColumns(db).orderBy("e.reference_year", "desc").orderBy("e.number", "desc").execute();
}

async function commentsOf(db: Executor, editionId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom("dashboard_edition_comment").select(["domain_code", "body"]).where("edition_id", "=", editionId).execute();
  return Object.fromEntries(rows.map((r) => [r.domain_code, r.body]));
}

function metaOf(row: EditionRow, comments: Record<string, string>): EditionMeta {
  return {
    id: row.id,
    year: row.reference_year,
    number: row.number,
    status: row.status,
    foreword: row.foreword,
    comments,
    correctionNote: row.correction_note,
    publishedAt: iso(row.published_at),
    supersededAt: iso(row.superseded_at),
    transmittedOn: row.transmitted_on,
  };
}

/** One edition with its texts, files and transmission record. */
export async function getEdition(db: Executor, id: string) {
  const row = await editionColumns(db).where("e.id", "=", id).executeTakeFirst();
  if (!row) throw notFound("Cette édition du tableau de bord");
  const [comments, files, transmission] = await Promise.all([
    commentsOf(db, id),
    db
      .selectFrom("dashboard_edition_file as f")
      .innerJoin("stored_file as s", "s.id", "f.file_id")
      .select(["f.kind", "s.id", "s.size_bytes", "s.sha256", "s.filename"])
      .where("f.edition_id", "=", id)
      .execute(),
    db
      .selectFrom("onpe_transmission")
      .select(["transmitted_on", "recorded_by_label", "recorded_at", "package_sha256", "note"])
      .where("edition_id", "=", id)
      .executeTakeFirst(),
  ]);
  return { row, meta: metaOf(row, comments), files, transmission: transmission ?? null };
}

// ── Preparing, writing, validating ──────────────────────────────────────

async function lockEdition(trx: Transaction<Database>, id: string) {
  const row = await trx
    .selectFrom("dashboard_edition")
    .select(["id", "reference_year", "number", "status", "foreword", "published_at"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound("Cette édition du tableau de bord");
  return row;
}

/** Applies `action` of `editionTable` to an edition in `status`: its transition, or the refusal naming the rule. */
function requireTransition(action: EditionAction, status: EditionStatus) {
  const to = transitionTo(editionTable, action, status, {}, editionStatusLabels, { status: `Action impossible : l'édition est « ${editionStatusLabels[status]} »` });
  return { ...editionTransitions[action], to };
}

/** Prepares a new edition of `year`; after a publication it is a correction and says why. */
export async function createEdition(db: Db, actor: Actor, input: NewEditionInput): Promise<string> {
  return run(db, actor, "manage:dashboard", async (trx, command) => {
    await sql`select pg_advisory_xact_lock(4242006, ${input.year})`.execute(trx);
    const years = await yearsWithValues(trx);
    if (!years.includes(input.year)) {
      throw new DomainError("validation", "Aucune donnée acceptée pour cette année.", {
        year: [`Aucune valeur n'a été acceptée pour ${input.year} : le tableau de bord se construit sur les données acceptées.`],
      });
    }
    const campaign = await trx.selectFrom("campaign").select("status").where("reference_year", "=", input.year).executeTakeFirst();
    if (campaign && campaign.status !== "closed") {
      throw new DomainError("conflict", `La campagne ${input.year} n'est pas clôturée : clôturez-la avant de préparer son tableau de bord.`, {
        year: ["Les données de cette année peuvent encore changer."],
      });
    }
    const editions = await trx
      .selectFrom("dashboard_edition")
      .select(["id", "number", "status", "foreword", "published_at"])
      .where("reference_year", "=", input.year)
      .orderBy("number", "desc")
      .execute();
    if (editions.some((e) => e.status === "draft" || e.status === "validated")) {
      throw new DomainError("conflict", `Une édition ${input.year} est déjà en préparation : ouvrez-la depuis la liste.`);
    }
    const previous = editions.find((e) => e.published_at !== null);
    if (previous && !input.correctionNote) {
      throw new DomainError("validation", "Le formulaire contient des erreurs : corrigez les champs signalés.", {
        correctionNote: [`L'édition n° ${previous.number} est publiée : expliquez ce que corrige la nouvelle édition.`],
      });
    }
    const number = (editions[0]?.number ?? 0) + 1;
    const created = await trx
      .insertInto("dashboard_edition")
      .values({
        reference_year: input.year,
        number,
        foreword: previous?.foreword ?? "",
        correction_note: previous ? input.correctionNote : null,
        previous_edition_id: previous?.id ?? null,
        created_by: actor.audit.actorUserId,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (previous) {
      const comments = await commentsOf(trx, previous.id);
      const rows = Object.entries(comments).map(([domain_code, body]) => ({ edition_id: created.id, domain_code, body, updated_by: actor.audit.actorUserId }));
      if (rows.length) await trx.insertInto("dashboard_edition_comment").values(rows).execute();
    }
    await command.audit({
      action: "dashboard.edition_created",
      entityType: "dashboard_edition",
      entityId: created.id,
      summary: previous
        ? `Édition corrective n° ${number} du tableau de bord ${input.year} préparée (corrige l'édition n° ${previous.number}).`
        : `Édition n° ${number} du tableau de bord ${input.year} préparée.`,
      details: { year: input.year, number, correctionNote: input.correctionNote, previousEditionId: previous?.id ?? null },
    });
    return created.id;
  });
}

/** The foreword and per-domain comments, while the edition is in draft. An empty comment is removed. */
export async function saveEditionTexts(db: Db, actor: Actor, id: string, input: EditionTextsInput) {
  await run(db, actor, "manage:dashboard", async (trx, command) => {
    const edition = await lockEdition(trx, id);
    if (edition.status !== "draft") {
      throw new DomainError(
        "conflict",
        edition.published_at ? "Une édition publiée est figée : préparez une nouvelle édition pour la corriger." : "L'édition est validée : reprenez la rédaction pour modifier les textes.",
      );
    }
    const domains = new Set((await trx.selectFrom("indicator_domain").select("code").execute()).map((d) => d.code));
    const unknown = Object.keys(input.comments).filter((c) => !domains.has(c));
    if (unknown.length) throw new DomainError("validation", `Domaine inconnu : ${unknown.join(", ")}. Rechargez la page.`);
    await trx.updateTable("dashboard_edition").set({ foreword: input.foreword, updated_at: new Date() }).where("id", "=", id).execute();
    const before = await commentsOf(trx, id);
    for (const [domain, body] of Object.entries(input.comments)) {
      if (!body) {
        if (before[domain] !== undefined) await trx.deleteFrom("dashboard_edition_comment").where("edition_id", "=", id).where("domain_code", "=", domain).execute();
        continue;
      }
      await trx
        .insertInto("dashboard_edition_comment")
        .values({ edition_id: id, domain_code: domain, body, updated_by: actor.audit.actorUserId })
        .onConflict((oc) => oc.columns(["edition_id", "domain_code"]).doUpdateSet({ body, updated_at: new Date(), updated_by: actor.audit.actorUserId }))
        .execute();
    }
    await command.audit({
      action: "dashboard.texts_saved",
      entityType: "dashboard_edition",
      entityId: id,
      summary: `Textes de l'édition n° ${edition.number} du tableau de bord ${edition.reference_year} enregistrés (avant-propos et ${Object.values(input.comments).filter(Boolean).length} commentaire(s)).`,
      details: { forewordLength: input.foreword.length, comments: Object.fromEntries(Object.entries(input.comments).map(([k, v]) => [k, v.length])) },
    });
  });
}

/** Validate (draft → validated) or reopen (validated → draft). */
export async function transitionEdition(db: Db, actor: Actor, id: string, action: "validate" | "reopen") {
  await run(db, actor, editionTransitions[action].permission, async (trx, command) => {
    const edition = await lockEdition(trx, id);
    const transition = requireTransition(action, edition.status);
    if (action === "validate" && edition.foreword.trim().length < FOREWORD_MIN) {
      throw new DomainError("validation", "Rédigez l'avant-propos avant de valider l'édition.", {
        foreword: [`L'avant-propos présente l'édition aux lecteurs : ${FOREWORD_MIN} caractères au moins.`],
      });
    }
    await trx
      .updateTable("dashboard_edition")
      .set(
        action === "validate"
          ? { status: transition.to, validated_at: new Date(), validated_by: actor.audit.actorUserId, updated_at: new Date() }
          : { status: transition.to, validated_at: null, validated_by: null, updated_at: new Date() },
      )
      .where("id", "=", id)
      .execute();
    await command.audit({
      action: transition.audit,
      entityType: "dashboard_edition",
      entityId: id,
      summary:
        action === "validate"
          ? `Édition n° ${edition.number} du tableau de bord ${edition.reference_year} validée.`
          : `Rédaction de l'édition n° ${edition.number} du tableau de bord ${edition.reference_year} reprise.`,
    });
  });
}

/** sha256 of the edition as canonical JSON (sorted keys): verifiable from the stored jsonb. */
export function editionHash(edition: DashboardEdition): string {
  const canonical = JSON.stringify(edition, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
  return createHash("sha256").update(canonical).digest("hex");
}

async function logosOf(db: Executor, edition: DashboardEdition): Promise<PdfLogo[]> {
  const ids = [...new Set(edition.contributors.map((c) => c.logoFileId).filter((id): id is string => !!id))];
  const files = await Promise.all(ids.map((id) => getFile(db, id)));
  const logos = await Promise.all(
    files
      .filter((f): f is StoredFileContent => !!f && ["image/png", "image/jpeg", "image/webp"].includes(f.contentType))
      .map(async (f) => ({ fileId: f.id, bytes: f.contentType === "image/webp" ? await webpAsPng(f.content) : f.content })),
  );
  return logos.filter((l): l is PdfLogo => l.bytes !== null);
}

/**
 * pdfkit draws PNG and JPEG only: a WebP logo is decoded and written again as
 * PNG (sharp/libvips). An undecodable one is left out (the name stands alone).
 */
async function webpAsPng(bytes: Buffer): Promise<Buffer | null> {
  try {
    // Loaded on first use, not with the server bundle (ADR 036): libvips is ~18 MiB.
    const { default: sharp } = await import("sharp");
    return await sharp(bytes, { limitInputPixels: 4096 * 4096 }).png().toBuffer();
  } catch {
    return null;
  }
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The edition as PDF, drawn in a worker thread (pdf.server.ts, ADR 016). */
async function renderEditionPdf(edition: DashboardEdition, meta: EditionMeta | null, logos: PdfLogo[]): Promise<Buffer> {
  return asBuffer(await runHeavy("renderPdf", { edition, meta, logos }));
}

/** The edition as XLSX, written in a worker thread (xlsx.server.ts, ADR 016). */
async function renderEditionXlsx(edition: DashboardEdition, meta: EditionMeta | null): Promise<Buffer> {
  return asBuffer(await runHeavy("renderXlsx", { edition, meta }));
}

/** The PDF and XLSX of both variants and the ONPE package of an edition. */
export async function generateEditionFiles(
  db: Executor,
  internal: DashboardEdition,
  publicEdition: DashboardEdition,
  meta: EditionMeta,
  generatedAt: Date,
  auditAnchor?: AuditAnchorDocument,
) {
  const logos = await logosOf(db, internal);
  const [pdfInternal, pdfPublic, xlsxInternal, xlsxPublic] = await Promise.all([
    renderEditionPdf(internal, meta, logos),
    renderEditionPdf(publicEdition, meta, logos),
    renderEditionXlsx(internal, meta),
    renderEditionXlsx(publicEdition, meta),
  ]);
  const onpe = await buildOnpePackage({ edition: publicEdition, meta, pdf: pdfPublic, xlsx: xlsxPublic, generatedAt, auditAnchor });
  return { pdfInternal, pdfPublic, xlsxInternal, xlsxPublic, onpe };
}

const contentTypes: Record<EditionFileKind, string> = {
  pdf_internal: "application/pdf",
  pdf_public: "application/pdf",
  xlsx_internal: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  xlsx_public: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  onpe_package: "application/zip",
};

function fileName(edition: DashboardEdition, number: number, kind: EditionFileKind) {
  const base = packageBaseName(edition, number);
  return kind === "onpe_package" ? `${base}-onpe.zip` : `${base}-${editionFileSlugs[kind]}`;
}

/**
 * Publishes a validated edition: assembles it from the accepted values,
 * derives the public edition, generates the files, and freezes all of it.
 * Former published editions of the year are marked as superseded.
 */
export async function publishEdition(db: Db, actor: Actor, id: string, now: Date = new Date()) {
  return run(db, actor, editionTransitions.publish.permission, async (trx, command) => {
    const edition = await lockEdition(trx, id);
    const transition = requireTransition("publish", edition.status);
    // ODPE_DEBUG_START=1 times each part of a publication (the demo publishes two at start, ADR 045).
    const part = `publish ${edition.reference_year}`;
    const internal = await timedStep(`${part}: assemble`, () => assembleFromDb(trx, edition.reference_year, now));
    // Protected against the disclosure ledger and the editions it supersedes (ADR 015).
    const releaseLabel = `Tableau de bord ${edition.reference_year}, édition n° ${edition.number}`;
    const { publicEdition, ledgerCells, withdraw, meta, auditAnchor } = await timedStep(`${part}: protect`, async () => {
      const { publicEdition, ledgerCells, withdraw } = await protectEdition(trx, internal, releaseLabel, await earlierEditions(trx, edition.reference_year, id));
      const row = await editionColumns(trx).where("e.id", "=", id).executeTakeFirstOrThrow();
      const meta: EditionMeta = { ...metaOf(row, await commentsOf(trx, id)), status: "published", publishedAt: now.toISOString() };
      // ADR 024: the package carries a signed anchor of the audit chain as it stands before this publication.
      const auditAnchor = await createAuditAnchor(trx, "onpe_package");
      return { publicEdition, ledgerCells, withdraw, meta, auditAnchor };
    });
    const files = await timedStep(`${part}: files`, () => generateEditionFiles(trx, internal, publicEdition, meta, now, auditAnchor));
    const { sha256, stored, superseded, releaseId } = await timedStep(`${part}: store`, async () => {
      const sha256 = editionHash(internal);
      await trx
        .updateTable("dashboard_edition")
        .set({
          status: transition.to,
          snapshot: JSON.stringify(internal),
          public_snapshot: JSON.stringify(publicEdition),
          snapshot_sha256: sha256,
          published_at: now,
          published_by: actor.audit.actorUserId,
          updated_at: now,
        })
        .where("id", "=", id)
        .execute();
      const superseded = await trx
        .updateTable("dashboard_edition")
        .set({ superseded_at: now, superseded_by_edition_id: id })
        .where("reference_year", "=", edition.reference_year)
        .where("id", "<>", id)
        .where("published_at", "is not", null)
        .where("superseded_at", "is", null)
        .returning("number")
        .execute();
      const buffers: Record<EditionFileKind, Buffer> = {
        pdf_internal: files.pdfInternal,
        pdf_public: files.pdfPublic,
        xlsx_internal: files.xlsxInternal,
        xlsx_public: files.xlsxPublic,
        onpe_package: files.onpe.bytes,
      };
      const kinds = Object.keys(buffers) as EditionFileKind[];
      const metas = await putFiles(
        trx,
        kinds.map((kind) => ({ filename: fileName(internal, edition.number, kind), contentType: contentTypes[kind], bytes: buffers[kind], createdBy: actor.audit.actorUserId })),
      );
      await trx
        .insertInto("dashboard_edition_file")
        .values(kinds.map((kind, i) => ({ edition_id: id, kind, file_id: metas[i]!.id })))
        .execute();
      const stored = Object.fromEntries(kinds.map((kind, i) => [kind, { id: metas[i]!.id, sha256: metas[i]!.sha256 }])) as Record<EditionFileKind, { id: string; sha256: string }>;
      const releaseId = await recordRelease(trx, actor, { kind: "dashboard_edition", subjectId: id, label: releaseLabel, releasedAt: now, cells: ledgerCells });
      for (const w of withdraw) {
        await withdrawRelease(
          trx,
          actor,
          w.releaseId,
          w.label,
          `Avec sa correction (édition n° ${edition.number}), elle permettrait de retrouver une valeur secrète : retirée du site public (secret statistique, CASF D226-3-4).`,
        );
      }
      return { sha256, stored, superseded, releaseId };
    });
    await command.audit({
      action: transition.audit,
      entityType: "dashboard_edition",
      entityId: id,
      summary:
        `Édition n° ${edition.number} du tableau de bord ${edition.reference_year} publiée et figée : ${internal.contributors.length} contributeur(s), ` +
        `${publicEdition.maskedCount} valeur(s) masquée(s) et ${publicEdition.excludedInternalCount} indicateur(s) à usage interne exclus de l'édition publique` +
        (superseded.length ? ` ; remplace l'édition n° ${superseded.map((s) => s.number).join(", ")}.` : "."),
      details: {
        year: edition.reference_year,
        number: edition.number,
        snapshotSha256: sha256,
        packageSha256: stored.onpe_package.sha256,
        contributors: internal.contributors.map((c) => c.code),
        superseded: superseded.map((s) => s.number),
        disclosureReleaseId: releaseId,
        withdrawn: withdraw.map((w) => w.label),
      },
    });
    // The year's stored pages list its editions and which one is current (ADR 021).
    await invalidateReportArtefacts(trx, edition.reference_year);
    return { sha256, packageSha256: stored.onpe_package.sha256, year: edition.reference_year };
  });
}

/** The published editions of `year` other than `id` still on the public site, with their ledger release and frozen internal values. */
async function earlierEditions(trx: Transaction<Database>, year: number, id: string): Promise<EarlierEdition[]> {
  const rows = await trx
    .selectFrom("dashboard_edition as e")
    .innerJoin("disclosure_release as r", (j) => j.onRef("r.subject_id", "=", "e.id").on("r.kind", "=", "dashboard_edition"))
    .leftJoin("disclosure_withdrawal as w", "w.release_id", "r.id")
    .select(["e.id", "r.id as release_id", "r.label"])
    .where("e.reference_year", "=", year)
    .where("e.id", "<>", id)
    .where("e.published_at", "is not", null)
    .where("w.id", "is", null)
    .execute();
  return Promise.all(rows.map(async (r) => ({ releaseId: r.release_id, label: r.label, internal: await loadSnapshot(trx, r.id, "internal") })));
}

/** Art. 5: records that the edition's package was sent to ONPE (date, by whom, checksum of the package). */
export async function recordOnpeTransmission(db: Db, actor: Actor, id: string, input: TransmissionInput, today: IsoDate = todayIso()) {
  await run(db, actor, editionTransitions.transmit.permission, async (trx, command) => {
    const edition = await lockEdition(trx, id);
    const transition = requireTransition("transmit", edition.status);
    const publishedOn = todayIso(new Date(edition.published_at!));
    if (input.transmittedOn > today || input.transmittedOn < publishedOn) {
      throw new DomainError("validation", "Le formulaire contient des erreurs : corrigez les champs signalés.", {
        transmittedOn: [`La date de transmission se situe entre la publication (${formatDate(publishedOn)}) et aujourd'hui.`],
      });
    }
    const pkg = await trx.selectFrom("dashboard_edition_file").select("file_id").where("edition_id", "=", id).where("kind", "=", "onpe_package").executeTakeFirst();
    const meta = pkg ? await getFileMeta(trx, pkg.file_id) : null;
    if (!meta) throw new DomainError("conflict", "Le paquet ONPE de cette édition est introuvable.");
    await trx
      .insertInto("onpe_transmission")
      .values({
        edition_id: id,
        transmitted_on: input.transmittedOn,
        recorded_by: actor.audit.actorUserId,
        recorded_by_label: actor.audit.actorLabel,
        package_file_id: meta.id,
        package_sha256: meta.sha256,
        note: input.note,
      })
      .execute();
    await trx.updateTable("dashboard_edition").set({ status: transition.to, updated_at: new Date() }).where("id", "=", id).execute();
    // ADR 015: the package carries the public edition: its cells go to the ledger as a release of their own.
    await copyRelease(trx, actor, { fromKind: "dashboard_edition", subjectId: id, kind: "onpe_package", label: `Paquet ONPE du tableau de bord ${edition.reference_year}, édition n° ${edition.number}`, releasedAt: new Date() });
    await command.audit({
      action: transition.audit,
      entityType: "dashboard_edition",
      entityId: id,
      summary: `Édition n° ${edition.number} du tableau de bord ${edition.reference_year} transmise à l'ONPE le ${formatDate(input.transmittedOn)} (paquet sha256 ${meta.sha256.slice(0, 12)}…).`,
      details: { transmittedOn: input.transmittedOn, packageSha256: meta.sha256, packageFileId: meta.id, note: input.note },
    });
    // The report shows the transmission date (ADR 021).
    await invalidateReportArtefacts(trx, edition.reference_year);
  });
}

// ── Reading editions ─────────────────────────────────────────────────────

/** Frozen snapshots never change: parsed once per process. */
const snapshots = new Map<string, DashboardEdition>();
const SNAPSHOT_CACHE = 24;

/** The frozen values of a published edition, in the variant asked for. */
export async function loadSnapshot(db: Executor, id: string, variant: EditionVariant): Promise<DashboardEdition> {
  const key = `${id}:${variant}`;
  const hit = snapshots.get(key);
  if (hit) return hit;
  const row = await db
    .selectFrom("dashboard_edition")
    .select(variant === "internal" ? "snapshot as data" : "public_snapshot as data")
    .where("id", "=", id)
    .where("published_at", "is not", null)
    .executeTakeFirst();
  if (!row?.data) throw notFound("Cette édition du tableau de bord");
  const edition = (typeof row.data === "string" ? JSON.parse(row.data) : row.data) as DashboardEdition;
  snapshots.set(key, edition);
  if (snapshots.size > SNAPSHOT_CACHE) snapshots.delete(snapshots.keys().next().value!);
  return edition;
}

/** The edition to show: frozen values once published, a live assembly before (preview). */
export async function editionForDisplay(db: Executor, id: string, variant: EditionVariant) {
  const { row, meta } = await getEdition(db, id);
  if (row.published_at) return { row, meta, edition: await loadSnapshot(db, id, variant), frozen: true };
  const internal = await assembleFromDb(db, row.reference_year);
  return { row, meta, edition: variant === "internal" ? internal : toPublicEdition(internal), frozen: false };
}

/** A published edition of `year`: the one numbered `number`, else the latest. */
export async function findPublishedEdition(db: Executor, year: number, number?: number) {
  let query = editionColumns(db).where("e.reference_year", "=", year).where("e.published_at", "is not", null);
  if (number !== undefined) query = query.where("e.number", "=", number);
  const row = await query.orderBy("e.number", "desc").executeTakeFirst();
  if (!row) return null;
  const others = await db
    .selectFrom("dashboard_edition")
    .select(["number", "published_at", "superseded_at"])
    .where("reference_year", "=", year)
    .where("published_at", "is not", null)
    .orderBy("number", "desc")
    .execute();
  return { row, meta: metaOf(row, await commentsOf(db, row.id)), editionsOfYear: others.map((o) => ({ number: o.number, publishedAt: iso(o.published_at)! })) };
}

export interface PublishedEditionSummary {
  id: string;
  year: number;
  number: number;
  publishedAt: string;
  transmittedOn: string | null;
  supersededAt: string | null;
  /** Withdrawn from the public site (ADR 015): the extranet lists it no more. */
  withdrawn: boolean;
  /** The public page of the edition (extranet, no login). */
  url: string;
  pdfUrl: string;
  xlsxUrl: string;
  contributors: { code: string; name: string; logoUrl: string | null }[];
}

export const EXTRANET_BASE = "/extranet/tableau-de-bord";

/**
 * Every published edition for the extranet (ADR 011) and readers: public
 * edition links, date, contributors with their logos. Latest first.
 */
export function listPublishedEditions(db: Executor): Promise<PublishedEditionSummary[]> {
  // The same for everyone: held by the process until an edition is published, corrected, withdrawn or transmitted (ADR 040).
  return heldModel(db, "published-editions", () => loadPublishedEditions(db));
}

async function loadPublishedEditions(db: Executor): Promise<PublishedEditionSummary[]> {
  const rows = await db
    .selectFrom("dashboard_edition as e")
    .leftJoin("onpe_transmission as t", "t.edition_id", "e.id")
    .select(["e.id", "e.reference_year", "e.number", "e.published_at", "e.superseded_at", "t.transmitted_on", sql<unknown>`e.public_snapshot -> 'contributors'`.as("contributors")])
    // ADR 015: withdrawn from the public site (a superseded edition failing the audit with its correction).
    .select(sql<boolean>`exists (select 1 from disclosure_withdrawal w join disclosure_release r on r.id = w.release_id where r.kind = 'dashboard_edition' and r.subject_id = e.id)`.as("withdrawn"))
    .where("e.published_at", "is not", null)
    .orderBy("e.reference_year", "desc")
    .orderBy("e.number", "desc")
    .execute();
  return rows.map((r) => {
    const contributors = (typeof r.contributors === "string" ? JSON.parse(r.contributors) : (r.contributors ?? [])) as DashboardEdition["contributors"];
    const page = `${EXTRANET_BASE}/${r.reference_year}`;
    const q = r.superseded_at ? `?edition=${r.number}` : "";
    return {
      id: r.id,
      year: r.reference_year,
      number: r.number,
      publishedAt: iso(r.published_at)!,
      transmittedOn: r.transmitted_on,
      supersededAt: iso(r.superseded_at),
      withdrawn: !!r.withdrawn,
      url: `${page}${q}`,
      pdfUrl: `${page}/${r.number}/${editionFileSlugs.pdf_public}`,
      xlsxUrl: `${page}/${r.number}/${editionFileSlugs.xlsx_public}`,
      contributors: contributors.map((c) => ({ code: c.code, name: c.name, logoUrl: c.logoFileId ? `${EXTRANET_BASE}/logos/${c.logoFileId}` : null })),
    };
  });
}

export interface ComparisonRow {
  code: string;
  label: string;
  unit: string;
  decimals: number;
  byYear: Record<number, KeyFigure["current"]>;
}

/** Year-over-year comparison of the key figures, as published in each year's current edition (up to 5 years). */
export async function keyFigureComparison(db: Executor, variant: EditionVariant, limit = 5): Promise<{ years: number[]; rows: ComparisonRow[] }> {
  const current = (await listPublishedEditions(db)).filter((e) => !e.supersededAt).slice(0, limit);
  const years = current.map((e) => e.year).sort((a, b) => a - b);
  const rows = new Map<string, ComparisonRow>();
  for (const e of current) {
    const edition = await loadSnapshot(db, e.id, variant);
    for (const k of edition.keyFigures) {
      const row = rows.get(k.code) ?? { code: k.code, label: k.label, unit: k.unit, decimals: k.decimals, byYear: {} };
      row.byYear[e.year] = k.current;
      rows.set(k.code, row);
    }
  }
  return { years, rows: [...rows.values()] };
}

// ── Files ────────────────────────────────────────────────────────────────

/**
 * A file of an edition: the frozen one once published; before, generated on
 * the fly from the live assembly (preview; no ONPE package before publication).
 */
export async function editionFileResponse(db: Executor, id: string, kind: EditionFileKind, options: { download: boolean }): Promise<Response> {
  const { row, meta } = await getEdition(db, id);
  if (row.published_at) {
    const link = await db.selectFrom("dashboard_edition_file").select("file_id").where("edition_id", "=", id).where("kind", "=", kind as DashboardEditionFileKind).executeTakeFirst();
    const file = link ? await getFile(db, link.file_id) : null;
    if (!file) throw notFound("Ce fichier");
    return fileResponse(file, { download: options.download, maxAgeSeconds: 3600 });
  }
  if (kind === "onpe_package") throw new DomainError("conflict", "Le paquet ONPE est constitué à la publication de l'édition.");
  const internal = await assembleFromDb(db, row.reference_year);
  const edition = kind.endsWith("_internal") ? internal : toPublicEdition(internal);
  const bytes = kind.startsWith("pdf") ? await renderEditionPdf(edition, meta, await logosOf(db, internal)) : await renderEditionXlsx(edition, meta);
  const filename = `apercu-${fileName(internal, row.number, kind)}`;
  return new Response(new Uint8Array(bytes), {
    headers: {
      "Content-Type": contentTypes[kind],
      "Content-Length": String(bytes.byteLength),
      "Content-Disposition": `${options.download ? "attachment" : "inline"}; filename="${filename}"`,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
    },
  });
}

/** May this stored file be shown as a contributor's logo? (a current organisation logo, or one frozen in an edition) */
export async function isContributorLogo(db: Executor, fileId: string, scope: "members" | "public"): Promise<boolean> {
  const probe = JSON.stringify([{ logoFileId: fileId }]);
  if (scope === "public") {
    const row = await db
      .selectFrom("dashboard_edition")
      .select("id")
      .where("published_at", "is not", null)
      .where(sql<boolean>`public_snapshot -> 'contributors' @> ${probe}::jsonb`)
      .limit(1)
      .executeTakeFirst();
    return !!row;
  }
  const org = await db.selectFrom("organisation").select("id").where("logo_file_id", "=", fileId).limit(1).executeTakeFirst();
  if (org) return true;
  const row = await db
    .selectFrom("dashboard_edition")
    .select("id")
    .where(sql<boolean>`snapshot -> 'contributors' @> ${probe}::jsonb`)
    .limit(1)
    .executeTakeFirst();
  return !!row;
}

/** Figures about an edition for the referent's page: from the frozen snapshots once published, else a live assembly. */
export async function editionOverview(db: Executor, id: string) {
  const { row } = await getEdition(db, id);
  let internal: DashboardEdition;
  let publicEdition: DashboardEdition;
  if (row.published_at) {
    [internal, publicEdition] = await Promise.all([loadSnapshot(db, id, "internal"), loadSnapshot(db, id, "public")]);
  } else {
    internal = await assembleFromDb(db, row.reference_year);
    publicEdition = toPublicEdition(internal);
  }
  const count = (e: DashboardEdition) => e.sections.reduce((n, s) => n + s.blocks.length, 0);
  return {
    assembledAt: internal.assembledAt,
    indicators: count(internal),
    publicIndicators: count(publicEdition),
    contributors: internal.contributors.length,
    masked: publicEdition.maskedCount,
    internalIndicators: internal.internalIndicators.map((i) => `${i.label} (${i.code})`),
    missing: internal.quality.missing.length,
    late: internal.quality.transmissions.filter((t) => t.timing === "late").length,
    notTransmitted: internal.quality.transmissions.filter((t) => t.timing === "missing").length,
    domains: internal.sections.map((s) => ({ code: s.domainCode, label: s.domainLabel })),
  };
}
