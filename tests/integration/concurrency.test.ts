import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql, type Transaction } from "kysely";
import type { Database } from "#db/schema";
import { driverName, useTestDb } from "../support/db";
import { fillTemplate } from "../support/workbook";
import { makeOrganisation, makeUser } from "../factories";
import { acceptValues, ensureCodelist, makeAgreement, makeIndicator } from "../factories/collection";
import { setupCampaign } from "../factories/campaign-setup";
import { createDb, type Db, type DbHandle } from "~/server/db.server";
import { systemContext } from "~/server/audit/audit.server";
import { userActor, systemActor, type UserActor } from "~/server/command.server";

/** A person acting in these tests. */
type Actor = UserActor & { id: string };
import { DomainError } from "~/server/errors.server";
import { buildCollectionPlan } from "~/server/collection/plan.server";
import { buildTemplate } from "~/server/collection/template.server";
import { addComment, receiveUpload, transitionVersion } from "~/server/collection/submissions.server";
import { addFrozenItem, createPublication, decideApproval, submitPublication, updatePublicationText, validatePublication } from "~/server/publications/publication-commands.server";
import type { Role } from "~/domain/permissions";
import type { ExplorerQuery } from "~/domain/explorer";

/**
 * ADR 013 — concurrency. The same object is acted upon in parallel
 * (Promise.all, each operation in its own transaction and, on PostgreSQL, on
 * its own pooled connection — PGlite serialises them, which must give the same
 * results): every transition happens once, version numbers stay monotonic,
 * nothing is lost, and the losers get a clear conflict (never a deadlock or a
 * unique-violation leaking as a server error).
 */

const t = useTestDb();
const ctx = systemContext("test");
const ctxActor = systemActor("test");
const PARALLEL = 8;

/**
 * On PostgreSQL the file's database with a pool wide enough for every
 * parallel operation to hold its own connection (the shared test handle keeps 5).
 */
let wide: DbHandle | null = null;
let db: Db;
beforeAll(async () => {
  const schema = (t.handle as DbHandle & { schema?: string }).schema;
  if (process.env.DATABASE_URL && schema) {
    wide = await createDb({ databaseUrl: process.env.DATABASE_URL, schema, poolMax: PARALLEL + 4 });
    db = wide.db;
  } else {
    db = t.db;
  }
});
afterAll(async () => {
  await wide?.close();
});

/** Runs the operations together; every failure must be a DomainError (a clear message), never a database error. */
async function race<T>(operations: (() => Promise<T>)[]) {
  const settled = await Promise.allSettled(operations.map((op) => op()));
  const fulfilled = settled.filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === "fulfilled").map((s) => s.value);
  const errors = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected").map((s) => s.reason as unknown);
  for (const error of errors) {
    expect(error, String(error)).toBeInstanceOf(DomainError);
  }
  return { fulfilled, errors: errors as DomainError[] };
}

const collectionActor = (user: { id: string; role: string; organisation_id: string }): Actor => ({ ...userActor({ id: user.id, displayName: ctx.actorLabel, role: user.role as Role, organisationId: user.organisation_id }, ctx), id: user.id });

const countAudit = async (action: string, entityId: string) =>
  Number(
    (await t.db.selectFrom("audit_event").select(sql<string>`count(*)`.as("n")).where("action", "=", action).where("entity_id", "=", entityId).executeTakeFirstOrThrow()).n,
  );

// ── Collection (Art. 4) ─────────────────────────────────────────────────────

async function collectionWorld(year: number) {
  const setup = await setupCampaign(t.db, { year, indicators: [{ breakdowns: [{ code: "SEXE", items: ["F", "M"] }] }] });
  const plan = await buildCollectionPlan(t.db, year, setup.org.id);
  const template = await buildTemplate(plan, { observatoryName: "ODPE test", contactEmail: null });
  const filled = (total: number) => fillTemplate(template, { [plan.lines[0]!.key]: total, [plan.lines[1]!.key]: total - 10, [plan.lines[2]!.key]: 10 });
  const correspondent = await makeUser(t.db, "partner_correspondent", setup.org.id);
  const validators = [await makeUser(t.db, "partner_validator", setup.org.id), await makeUser(t.db, "partner_validator", setup.org.id)];
  const team = await makeOrganisation(t.db, { isTeam: true, kind: "observatory" });
  const referents = [await makeUser(t.db, "odpe_referent", team.id), await makeUser(t.db, "odpe_referent", team.id)];
  const upload = (bytes: Uint8Array, via: Db = db) =>
    receiveUpload(via, ctxActor, { year, organisationId: setup.org.id, uploadedBy: correspondent.id, via: "web", filename: "tableau.xlsx", bytes });
  return { setup, plan, filled, correspondent, validators, referents, upload };
}

async function storedVersion(result: Awaited<ReturnType<typeof receiveUpload>>) {
  if (result.kind !== "stored") throw new Error(`expected a stored version, got ${result.kind}`);
  return result;
}

describe("Art. 4: parallel uploads of the same organisation × campaign", () => {
  it("Art. 4: N parallel uploads are versions 1..N — no gap, no duplicate, one draft left, the submission pointing at the last", async () => {
    const w = await collectionWorld(2031);
    const files = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => w.filled(100 + i)));
    const { fulfilled } = await race(files.map((f) => () => w.upload(f)));
    expect(fulfilled).toHaveLength(PARALLEL);
    const stored = await Promise.all(fulfilled.map(storedVersion));
    expect(stored.map((r) => r.number).sort((a, b) => a - b)).toEqual(Array.from({ length: PARALLEL }, (_, i) => i + 1));

    const submissionId = stored[0]!.submissionId;
    const versions = await t.db
      .selectFrom("submission_version as v")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .select(["v.id", "v.number", "v.status", "f.sha256"])
      .where("v.submission_id", "=", submissionId)
      .orderBy("v.number")
      .execute();
    expect(versions.map((v) => v.number)).toEqual(Array.from({ length: PARALLEL }, (_, i) => i + 1));
    expect(new Set(versions.map((v) => v.sha256)).size).toBe(PARALLEL);
    // Each upload superseded the drafts before it: whatever the commit order, only the highest number stays a draft.
    expect(versions.map((v) => v.status)).toEqual([...Array.from({ length: PARALLEL - 1 }, () => "superseded"), "draft"]);
    const submission = await t.db.selectFrom("submission").select(["version_count", "current_version_id", "status"]).where("id", "=", submissionId).executeTakeFirstOrThrow();
    expect(submission).toEqual({ version_count: PARALLEL, current_version_id: versions[PARALLEL - 1]!.id, status: "draft" });
    const values = await t.db
      .selectFrom("submission_value as sv")
      .innerJoin("submission_version as v", "v.id", "sv.version_id")
      .select(sql<string>`count(*)`.as("n"))
      .where("v.submission_id", "=", submissionId)
      .executeTakeFirstOrThrow();
    expect(Number(values.n)).toBe(PARALLEL * w.plan.lines.length);
    const events = await t.db.selectFrom("audit_event").select("entity_id").where("action", "=", "submission.version_uploaded").where("organisation_id", "=", w.setup.org.id).execute();
    expect(events.map((e) => e.entity_id).sort()).toEqual(versions.map((v) => v.id).sort());
  });

  it("Art. 4: uploads racing the submission of the previous version neither deadlock nor lose the submission", async () => {
    const w = await collectionWorld(2032);
    for (let round = 0; round < 4; round++) {
      const previous = await storedVersion(await w.upload(await w.filled(200 + round)));
      const [a, b] = [await w.filled(300 + round), await w.filled(400 + round)];
      const { fulfilled, errors } = await race<unknown>([
        () => transitionVersion(db, collectionActor(w.correspondent), { versionId: previous.versionId, action: "submit" }),
        () => w.upload(a),
        () => w.upload(b),
      ]);
      // The submission either went first, or lost to a newer upload (which superseded the draft) with a clear conflict.
      for (const error of errors) {
        expect(error.code).toBe("conflict");
        expect(error.message).toMatch(/plus récente|« Remplacé par une version plus récente »/);
      }
      expect(fulfilled.length + errors.length).toBe(3);
      const versions = await t.db
        .selectFrom("submission_version")
        .select(["id", "number", "status"])
        .where("submission_id", "=", previous.submissionId)
        .orderBy("number")
        .execute();
      expect(versions.map((v) => v.number)).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
      const row = await t.db.selectFrom("submission").select(["status", "current_version_id", "version_count"]).where("id", "=", previous.submissionId).executeTakeFirstOrThrow();
      // The dossier shows its most recent version still in play.
      const inPlay = versions.filter((v) => v.status !== "superseded").at(-1)!;
      expect(row).toEqual({ status: inPlay.status, current_version_id: inPlay.id, version_count: versions.length });
      const submitted = versions.find((v) => v.id === previous.versionId)!;
      expect(submitted.status).toBe(errors.length ? "superseded" : "submitted");
      // Clear the way for the next round: the submitted version is sent back to draft by its validator.
      if (!errors.length) {
        await transitionVersion(db, collectionActor(w.validators[0]!), { versionId: previous.versionId, action: "send_back", comment: "Nouvelle version déposée entre-temps." });
      }
    }
  });
  it("Art. 4: lock order — a submission waits for an upload holding the dossier, instead of deadlocking with it", async () => {
    const w = await collectionWorld(2036);
    const previous = await storedVersion(await w.upload(await w.filled(150)));
    let submitted: Promise<unknown> = Promise.resolve(null);
    // What receiveUpload does, step by step: lock the dossier, (store the new version), supersede the older drafts.
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom("submission").select("id").where("id", "=", previous.submissionId).forUpdate().execute();
      submitted = transitionVersion(db, collectionActor(w.correspondent), { versionId: previous.versionId, action: "submit" }).then(
        () => null,
        (error: unknown) => error,
      );
      // On PostgreSQL, wait until the submission is blocked behind this transaction (PGlite runs it afterwards anyway).
      if (driverName() === "pg") await waitForWaiterOn(trx);
      await trx.updateTable("submission_version").set({ status: "superseded" }).where("id", "=", previous.versionId).where("status", "=", "draft").execute();
    });
    const error = await submitted;
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe("conflict");
    const row = await t.db.selectFrom("submission_version").select("status").where("id", "=", previous.versionId).executeTakeFirstOrThrow();
    expect(row.status).toBe("superseded");
  });
});

/** Polls (outside `trx`) until another transaction waits for one of `trx`'s locks. */
async function waitForWaiterOn(trx: Transaction<Database>) {
  const { xid } = await sql<{ xid: string }>`select pg_current_xact_id()::text as xid`.execute(trx).then((r) => r.rows[0]!);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const waiting = await sql<{ n: string }>`select count(*) as n from pg_locks where locktype = 'transactionid' and not granted and transactionid::text = ${xid}`.execute(db);
    if (Number(waiting.rows[0]!.n) > 0) return;
    if (Date.now() > deadline) throw new Error("the submission never waited for the upload's transaction");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("Art. 4: the same transition attempted in parallel happens once", () => {
  async function submittedVersion(year: number) {
    const w = await collectionWorld(year);
    const version = await storedVersion(await w.upload(await w.filled(120)));
    return { w, version };
  }

  it("Art. 4: parallel submissions of one version — exactly one succeeds, the others get a conflict; one audit event, one notification and one mail per validator", async () => {
    const { w, version } = await submittedVersion(2033);
    const { fulfilled, errors } = await race(
      Array.from({ length: PARALLEL }, () => () => transitionVersion(db, collectionActor(w.correspondent), { versionId: version.versionId, action: "submit" })),
    );
    expect(fulfilled).toHaveLength(1);
    expect(errors).toHaveLength(PARALLEL - 1);
    for (const error of errors) {
      expect(error.code).toBe("conflict");
      expect(error.status).toBe(409);
      expect(error.message).toMatch(/version 1 est à l.état « Transmis pour validation interne »/);
    }
    expect(await countAudit("submission.submit", version.versionId)).toBe(1);
    for (const validator of w.validators) {
      const notes = await t.db.selectFrom("notification").select("id").where("user_id", "=", validator.id).where("kind", "=", "submission.submit").execute();
      expect(notes).toHaveLength(1);
      const mails = await t.db.selectFrom("outbox_mail").select("to_addresses").where("kind", "=", "submission.submit").where("organisation_id", "=", w.setup.org.id).execute();
      expect(mails.filter((m) => m.to_addresses.includes(validator.email))).toHaveLength(1);
    }
    const row = await t.db.selectFrom("submission").select(["status", "first_transmitted_at"]).where("id", "=", version.submissionId).executeTakeFirstOrThrow();
    expect(row.status).toBe("submitted");
    // Art. 4: submitting for the institution's validation is not yet a transmission (ADR 018).
    expect(row.first_transmitted_at).toBeNull();
  });

  it("Art. 4: parallel institution validations, then parallel ODPE acceptances of one version — each once; official values written once", async () => {
    const { w, version } = await submittedVersion(2034);
    await transitionVersion(db, collectionActor(w.correspondent), { versionId: version.versionId, action: "submit" });

    const validations = await race(
      w.validators.flatMap((v) => [v, v, v].map((validator) => () => transitionVersion(db, collectionActor(validator), { versionId: version.versionId, action: "validate" }))),
    );
    expect(validations.fulfilled).toHaveLength(1);
    for (const error of validations.errors) expect(error.code).toBe("conflict");
    expect(await countAudit("submission.validate", version.versionId)).toBe(1);
    const validated = await t.db.selectFrom("submission_version").select(["status", "validated_by"]).where("id", "=", version.versionId).executeTakeFirstOrThrow();
    expect(validated.status).toBe("institution_validated");
    expect(w.validators.map((v) => v.id)).toContain(validated.validated_by);

    const acceptances = await race(
      w.referents.flatMap((r) => [r, r, r].map((referent) => () => transitionVersion(db, collectionActor(referent), { versionId: version.versionId, action: "accept" }))),
    );
    expect(acceptances.fulfilled).toHaveLength(1);
    for (const error of acceptances.errors) expect(error.code).toBe("conflict");
    expect(await countAudit("submission.accept", version.versionId)).toBe(1);
    const official = await t.db
      .selectFrom("accepted_value")
      .select(["breakdown_key", "value", "source_version_id"])
      .where("organisation_id", "=", w.setup.org.id)
      .where("reference_year", "=", 2034)
      .orderBy("breakdown_key")
      .execute();
    expect(official).toEqual([
      { breakdown_key: "", value: 120, source_version_id: version.versionId },
      { breakdown_key: "SEXE=F", value: 110, source_version_id: version.versionId },
      { breakdown_key: "SEXE=M", value: 10, source_version_id: version.versionId },
    ]);
    const notes = await t.db.selectFrom("notification").select("id").where("user_id", "=", w.correspondent.id).where("kind", "=", "submission.accept").execute();
    expect(notes).toHaveLength(1);
  });

  it("Art. 4: parallel messages on one dossier are all kept", async () => {
    const { w, version } = await submittedVersion(2035);
    const authors = [w.correspondent, w.validators[0]!, w.referents[0]!, w.referents[1]!];
    const bodies = Array.from({ length: PARALLEL }, (_, i) => `Message ${i + 1} sur le dossier.`);
    const { fulfilled } = await race(bodies.map((body, i) => () => addComment(db, collectionActor(authors[i % authors.length]!), version.submissionId, body)));
    expect(fulfilled).toHaveLength(PARALLEL);
    const thread = await t.db.selectFrom("submission_comment").select("body").where("submission_id", "=", version.submissionId).execute();
    expect(thread.map((c) => c.body).sort()).toEqual([...bodies].sort());
    expect(await countAudit("submission.comment_added", version.submissionId)).toBe(PARALLEL);
  });
});

// ── Diffusion (Art. 5) ──────────────────────────────────────────────────────

interface DiffusionWorld {
  author: Actor;
  referents: Actor[];
  cafValidators: Actor[];
  depValidators: Actor[];
  caf: { id: string };
  dep: { id: string };
  indicatorCode: string;
}
let d: DiffusionWorld;

async function diffusionActor(role: Role, organisationId: string, name: string): Promise<Actor> {
  const u = await makeUser(t.db, role, organisationId, { displayName: name });
  return { ...userActor({ id: u.id, role, organisationId, displayName: name }, ctx), id: u.id };
}

beforeAll(async () => {
  const team = await makeOrganisation(t.db, { isTeam: true, kind: "observatory" });
  const caf = await makeOrganisation(t.db, { name: "CAF de la Loire" });
  const dep = await makeOrganisation(t.db, { name: "Département de la Loire" });
  const asso = await makeOrganisation(t.db, { name: "Association de protection" });
  await ensureCodelist(t.db, "SEXE", [
    ["F", "Fille"],
    ["M", "Garçon"],
  ]);
  const indicator = await makeIndicator(t.db, { label: "Enfants suivis", breakdowns: ["SEXE"], providers: [caf.id, dep.id] });
  await acceptValues(t.db, { organisationId: caf.id, year: 2023, indicator, values: { "": 120, "SEXE=F": 60, "SEXE=M": 60 } });
  await acceptValues(t.db, { organisationId: dep.id, year: 2023, indicator, values: { "": 200, "SEXE=F": 90, "SEXE=M": 110 } });
  await makeAgreement(t.db, caf.id, [{ indicator, usageRights: "with_approval" }]);
  await makeAgreement(t.db, dep.id, [{ indicator, usageRights: "with_approval" }]);
  d = {
    author: await diffusionActor("partner_correspondent", asso.id, "Alex Auteur"),
    referents: [await diffusionActor("odpe_referent", team.id, "Camille Référente"), await diffusionActor("odpe_referent", team.id, "Claude Référent")],
    cafValidators: [await diffusionActor("partner_validator", caf.id, "Valérie CAF"), await diffusionActor("partner_validator", caf.id, "Vincent CAF")],
    depValidators: [await diffusionActor("partner_validator", dep.id, "Victor Département")],
    caf,
    dep,
    indicatorCode: indicator.code,
  };
}, 60_000);

const series = (indicator: string): ExplorerQuery => ({ indicator, from: null, to: null, organisations: [], view: "series", year: null, rate: null });

/** A publication using both sources' data, submitted: one pending approval request per source. */
async function awaitingSources() {
  const id = await createPublication(t.db, d.author, { title: "Étude sur les enfants suivis", audience: "extranet", body: "Premiers résultats." });
  await addFrozenItem(t.db, d.author, id, { query: series(d.indicatorCode), title: "Tableau 1", kind: "table" });
  await submitPublication(t.db, d.author, id);
  const approvals = await t.db.selectFrom("publication_approval").select(["id", "organisation_id", "content_hash"]).where("publication_id", "=", id).where("status", "=", "pending").execute();
  const of = (orgId: string) => approvals.find((a) => a.organisation_id === orgId)!;
  return { id, caf: of(d.caf.id), dep: of(d.dep.id) };
}

const events = async (publicationId: string) =>
  (await t.db.selectFrom("publication_event").select("transition").where("publication_id", "=", publicationId).orderBy("id").execute()).map((e) => e.transition);

describe("Art. 5: approvals and the referent's validation in parallel", () => {
  it("Art. 5: parallel decisions on the same approval request — decided once (one decision, one audit event, one notice to the author)", async () => {
    const pub = await awaitingSources();
    const { fulfilled, errors } = await race(
      d.cafValidators.flatMap((validator) =>
        [0, 1, 2].map((i) => () =>
          decideApproval(db, validator, pub.caf.id, i === 2 ? { decision: "refuse", contentHash: pub.caf.content_hash, reason: "Chiffres provisoires, à ne pas diffuser." } : { decision: "approve", contentHash: pub.caf.content_hash }),
        ),
      ),
    );
    expect(fulfilled).toHaveLength(1);
    for (const error of errors) expect(error.code).toBe("conflict");
    const approval = await t.db.selectFrom("publication_approval").select(["status", "decided_by"]).where("id", "=", pub.caf.id).executeTakeFirstOrThrow();
    expect(["approved", "refused"]).toContain(approval.status);
    expect(d.cafValidators.map((v) => v.id)).toContain(approval.decided_by);
    const decisions = await t.db
      .selectFrom("audit_event")
      .select("action")
      .where("entity_id", "=", pub.id)
      .where("action", "in", ["publication.approval_given", "publication.approval_refused"])
      .execute();
    expect(decisions).toEqual([{ action: approval.status === "approved" ? "publication.approval_given" : "publication.approval_refused" }]);
    const notes = await t.db
      .selectFrom("notification")
      .select("kind")
      .where("user_id", "=", d.author.id)
      .where("kind", "in", ["publication.approved", "publication.refused"])
      .where("link", "=", `/publications/${pub.id}`)
      .execute();
    expect(notes).toHaveLength(1);
    // A refusal sends the publication back to draft once; an approval leaves it waiting for the other source.
    expect(await events(pub.id)).toEqual(["created", "submit", ...(approval.status === "refused" ? ["source_refused"] : [])]);
  });

  it("Art. 5: the two sources approving at the same time — no approval lost, the publication reaches the referent exactly once", async () => {
    const pub = await awaitingSources();
    const { fulfilled } = await race([
      () => decideApproval(db, d.cafValidators[0]!, pub.caf.id, { decision: "approve", contentHash: pub.caf.content_hash }),
      () => decideApproval(db, d.depValidators[0]!, pub.dep.id, { decision: "approve", contentHash: pub.dep.content_hash }),
    ]);
    expect(fulfilled).toHaveLength(2);
    const row = await t.db.selectFrom("publication").select("status").where("id", "=", pub.id).executeTakeFirstOrThrow();
    expect(row.status).toBe("awaiting_referent");
    expect(await events(pub.id)).toEqual(["created", "submit", "sources_approved"]);
    const approvals = await t.db.selectFrom("publication_approval").select("status").where("publication_id", "=", pub.id).execute();
    expect(approvals.map((a) => a.status)).toEqual(["approved", "approved"]);
  });

  it("Art. 5: an approval racing a change of the content never approves the new content", async () => {
    for (let round = 0; round < 3; round++) {
      const pub = await awaitingSources();
      await race<unknown>([
        () => decideApproval(db, d.cafValidators[0]!, pub.caf.id, { decision: "approve", contentHash: pub.caf.content_hash }),
        () => updatePublicationText(db, d.author, pub.id, { title: "Étude sur les enfants suivis", audience: "extranet", body: `Texte corrigé ${round}.` }),
      ]);
      const row = await t.db.selectFrom("publication").select(["status", "content_hash"]).where("id", "=", pub.id).executeTakeFirstOrThrow();
      expect(row.status).toBe("draft");
      expect(row.content_hash).not.toBe(pub.caf.content_hash);
      // Whichever went first, no request stays open or approved: the change closed them all.
      const approvals = await t.db.selectFrom("publication_approval").select(["status", "content_hash"]).where("publication_id", "=", pub.id).execute();
      expect(approvals.filter((a) => a.status === "pending" || a.status === "approved")).toEqual([]);
    }
  });

  it("Art. 5: parallel referent validations — published once (one event, one audit event)", async () => {
    const pub = await awaitingSources();
    await decideApproval(t.db, d.cafValidators[0]!, pub.caf.id, { decision: "approve", contentHash: pub.caf.content_hash });
    await decideApproval(t.db, d.depValidators[0]!, pub.dep.id, { decision: "approve", contentHash: pub.dep.content_hash });
    const { fulfilled, errors } = await race(d.referents.flatMap((r) => [r, r, r].map((referent) => () => validatePublication(db, referent, pub.id))));
    expect(fulfilled).toHaveLength(1);
    for (const error of errors) expect(error.code).toBe("conflict");
    expect(await events(pub.id)).toEqual(["created", "submit", "sources_approved", "validate"]);
    expect(await countAudit("publication.published", pub.id)).toBe(1);
    const row = await t.db.selectFrom("publication").select(["status", "published_by"]).where("id", "=", pub.id).executeTakeFirstOrThrow();
    expect(row.status).toBe("published");
    expect(d.referents.map((r) => r.id)).toContain(row.published_by);
  });
});
