import { sql } from "kysely";
import type { Db, Executor } from "../db.server";
import { run, type Actor } from "../command.server";
import { notFound } from "../errors.server";
import { ANY_ORGANISATION, roleLabels } from "~/domain/permissions";
import { auditActionLabel } from "~/domain/audit-actions";
import { jsonDownload } from "../http/results.server";

/** Read by the person who downloads the file: what it holds and how to read it. */
export const EXPORT_NOTICE =
  "Ce fichier rassemble les données personnelles que le portail de l'observatoire conserve sur votre compte (RGPD, articles 15 et 20) : " +
  "compte, sessions, tentatives de connexion, liens de réinitialisation, notifications, courriels, jetons API, actions tracées dans le journal d'audit, " +
  "messages et fichiers déposés. Les dates et heures sont en temps universel (UTC, suffixe « Z ») : ajoutez 1 heure en hiver, 2 heures en été pour l'heure de Paris. " +
  "Les codes techniques (rôle, état, action) sont accompagnés de leur libellé lorsque le portail en a un. Aucun mot de passe ni secret n'y figure. " +
  "Pour une question ou une demande de rectification ou d'effacement, adressez-vous au référent de l'observatoire.";

/**
 * GDPR art. 15 and 20: everything the portal holds about one person, as one
 * JSON document. Secrets never leave the database: no password hash, no
 * session id, no token hash, no reset-link hash. Mails sent to several people
 * show only this person's address; audit events keep their summary, not their
 * details (which may name other accounts in events written before ADR 012).
 */
export interface AccountExport {
  format: "odpe-account-export/1";
  /** What the file is and how to read it, in French (for the person, not a program). */
  notice: string;
  exportedAt: string;
  account: {
    id: string;
    email: string;
    displayName: string;
    role: string;
    roleLabel: string;
    status: string;
    createdAt: string;
    updatedAt: string;
    lastLoginAt: string | null;
    erasedAt: string | null;
    organisation: { id: string; code: string; name: string };
  };
  sessions: Array<{ createdAt: string; expiresAt: string; ip: string | null; userAgent: string | null }>;
  loginAttempts: Array<{ attemptedAt: string; ip: string; succeeded: boolean }>;
  passwordResetLinks: Array<{ createdAt: string; expiresAt: string; usedAt: string | null }>;
  notifications: Array<{ kind: string; title: string; body: string; link: string | null; createdAt: string; readAt: string | null }>;
  mails: Array<{ to: string; kind: string; subject: string; textBody: string; status: string; createdAt: string; sentAt: string | null; redactedAt: string | null }>;
  apiTokens: Array<{ name: string; prefix: string; organisationCode: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }>;
  auditEvents: Array<{ id: string; occurredAt: string; action: string; actionLabel: string; entityType: string; entityId: string | null; summary: string; organisationCode: string | null; ip: string | null }>;
  comments: Array<{ organisationCode: string; referenceYear: number; versionNumber: number | null; kind: string; body: string; createdAt: string }>;
  uploads: {
    submissionVersions: Array<{ organisationCode: string; referenceYear: number; number: number; filename: string; sizeBytes: number; sha256: string; uploadedVia: string; uploadedAt: string; status: string }>;
    workspaceDocumentVersions: Array<{ documentTitle: string; number: number; filename: string; sizeBytes: number; sha256: string; note: string | null; uploadedAt: string }>;
  };
}

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

/** Reads the export of `userId` (no audit: see `exportAccount`). */
export async function buildAccountExport(db: Executor, userId: string, now = new Date()): Promise<AccountExport> {
  const user = await db
    .selectFrom("app_user as u")
    .innerJoin("organisation as o", "o.id", "u.organisation_id")
    .select([
      "u.id",
      "u.email",
      "u.display_name",
      "u.role",
      "u.status",
      "u.created_at",
      "u.updated_at",
      "u.last_login_at",
      "u.erased_at",
      "o.id as organisation_id",
      "o.code as organisation_code",
      "o.name as organisation_name",
    ])
    .where("u.id", "=", userId)
    .executeTakeFirst();
  if (!user) throw notFound("Ce compte");

  const [sessions, loginAttempts, resets, notifications, mails, tokens, events, comments, versions, documents] = await Promise.all([
    db.selectFrom("user_session").select(["created_at", "expires_at", "ip", "user_agent"]).where("user_id", "=", userId).orderBy("created_at").execute(),
    db.selectFrom("login_attempt").select(["attempted_at", "ip", "succeeded"]).where("email", "=", user.email).orderBy("attempted_at").execute(),
    db.selectFrom("password_reset").select(["created_at", "expires_at", "used_at"]).where("user_id", "=", userId).orderBy("created_at").execute(),
    db
      .selectFrom("notification")
      .select(["kind", "title", "body", "link", "created_at", "read_at"])
      .where("user_id", "=", userId)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("outbox_mail")
      .select(["kind", "subject", "text_body", "status", "created_at", "sent_at", "redacted_at"])
      .where(sql<boolean>`${user.email} = any(to_addresses)`)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("api_token as t")
      .innerJoin("organisation as o", "o.id", "t.organisation_id")
      .select(["t.name", "t.token_prefix", "o.code", "t.created_at", "t.last_used_at", "t.revoked_at"])
      .where("t.created_by", "=", userId)
      .orderBy("t.created_at")
      .execute(),
    db
      .selectFrom("audit_event as a")
      .leftJoin("organisation as o", "o.id", "a.organisation_id")
      .select([sql<string>`a.id::text`.as("id"), "a.occurred_at", "a.action", "a.entity_type", "a.entity_id", "a.summary", "o.code", "a.ip"])
      .where("a.actor_user_id", "=", userId)
      .orderBy("a.id")
      .execute(),
    db
      .selectFrom("submission_comment as c")
      .innerJoin("submission as s", "s.id", "c.submission_id")
      .innerJoin("organisation as o", "o.id", "s.organisation_id")
      .innerJoin("campaign as k", "k.id", "s.campaign_id")
      .leftJoin("submission_version as v", "v.id", "c.version_id")
      .select(["o.code", "k.reference_year", "v.number", "c.kind", "c.body", "c.created_at"])
      .where("c.author_id", "=", userId)
      .orderBy("c.created_at")
      .execute(),
    db
      .selectFrom("submission_version as v")
      .innerJoin("submission as s", "s.id", "v.submission_id")
      .innerJoin("organisation as o", "o.id", "s.organisation_id")
      .innerJoin("campaign as k", "k.id", "s.campaign_id")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .select(["o.code", "k.reference_year", "v.number", "f.filename", "f.size_bytes", "f.sha256", "v.uploaded_via", "v.uploaded_at", "v.status"])
      .where("v.uploaded_by", "=", userId)
      .orderBy("v.uploaded_at")
      .execute(),
    db
      .selectFrom("workspace_document_version as v")
      .innerJoin("workspace_document as d", "d.id", "v.document_id")
      .innerJoin("stored_file as f", "f.id", "v.file_id")
      .select(["d.title", "v.number", "f.filename", "f.size_bytes", "f.sha256", "v.note", "v.uploaded_at"])
      .where("v.uploaded_by", "=", userId)
      .orderBy("v.uploaded_at")
      .execute(),
  ]);

  return {
    format: "odpe-account-export/1",
    notice: EXPORT_NOTICE,
    exportedAt: now.toISOString(),
    account: {
      id: user.id,
      email: user.email,
      displayName: user.display_name,
      role: user.role,
      roleLabel: roleLabels[user.role],
      status: user.status,
      createdAt: iso(user.created_at),
      updatedAt: iso(user.updated_at),
      lastLoginAt: isoOrNull(user.last_login_at),
      erasedAt: isoOrNull(user.erased_at),
      organisation: { id: user.organisation_id, code: user.organisation_code, name: user.organisation_name },
    },
    sessions: sessions.map((s) => ({ createdAt: iso(s.created_at), expiresAt: iso(s.expires_at), ip: s.ip, userAgent: s.user_agent })),
    loginAttempts: loginAttempts.map((a) => ({ attemptedAt: iso(a.attempted_at), ip: a.ip, succeeded: a.succeeded })),
    passwordResetLinks: resets.map((r) => ({ createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), usedAt: isoOrNull(r.used_at) })),
    notifications: notifications.map((n) => ({ kind: n.kind, title: n.title, body: n.body, link: n.link, createdAt: iso(n.created_at), readAt: isoOrNull(n.read_at) })),
    // Only this person's address: the other recipients of a shared mail are not theirs to see.
    mails: mails.map((m) => ({
      to: user.email,
      kind: m.kind,
      subject: m.subject,
      textBody: m.text_body,
      status: m.status,
      createdAt: iso(m.created_at),
      sentAt: isoOrNull(m.sent_at),
      redactedAt: isoOrNull(m.redacted_at),
    })),
    apiTokens: tokens.map((t) => ({ name: t.name, prefix: t.token_prefix, organisationCode: t.code, createdAt: iso(t.created_at), lastUsedAt: isoOrNull(t.last_used_at), revokedAt: isoOrNull(t.revoked_at) })),
    auditEvents: events.map((e) => ({
      id: e.id,
      occurredAt: iso(e.occurred_at),
      action: e.action,
      actionLabel: auditActionLabel(e.action),
      entityType: e.entity_type,
      entityId: e.entity_id,
      summary: e.summary,
      organisationCode: e.code,
      ip: e.ip,
    })),
    comments: comments.map((c) => ({ organisationCode: c.code, referenceYear: c.reference_year, versionNumber: c.number, kind: c.kind, body: c.body, createdAt: iso(c.created_at) })),
    uploads: {
      submissionVersions: versions.map((v) => ({
        organisationCode: v.code,
        referenceYear: v.reference_year,
        number: v.number,
        filename: v.filename,
        sizeBytes: v.size_bytes,
        sha256: v.sha256,
        uploadedVia: v.uploaded_via,
        uploadedAt: iso(v.uploaded_at),
        status: v.status,
      })),
      workspaceDocumentVersions: documents.map((d) => ({
        documentTitle: d.title,
        number: d.number,
        filename: d.filename,
        sizeBytes: d.size_bytes,
        sha256: d.sha256,
        note: d.note,
        uploadedAt: iso(d.uploaded_at),
      })),
    },
  };
}

/**
 * The export, audited: by the person themself (`/account/export`) or by an
 * administrator for them (`/admin/users/:id/export`, e.g. a request received by post).
 * The audit event is committed before the data are handed over. Another
 * person's account needs `export:account` on every organisation (GDPR, ADR 034).
 */
export async function exportAccount(db: Db, actor: Actor, userId: string): Promise<AccountExport> {
  const own = actor.id === userId;
  return run(db, actor, "export:account", async (trx, command) => {
    if (!own) command.require("export:account", ANY_ORGANISATION);
    const data = await buildAccountExport(trx, userId);
    await command.audit({
      action: "user.personal_data_exported",
      entityType: "user",
      entityId: userId,
      organisationId: data.account.organisation.id,
      summary: own ? "Export de ses données personnelles par le titulaire du compte." : "Export des données personnelles d'un compte par un administrateur.",
      details: {
        counts: {
          sessions: data.sessions.length,
          loginAttempts: data.loginAttempts.length,
          notifications: data.notifications.length,
          mails: data.mails.length,
          apiTokens: data.apiTokens.length,
          auditEvents: data.auditEvents.length,
          comments: data.comments.length,
          uploads: data.uploads.submissionVersions.length + data.uploads.workspaceDocumentVersions.length,
        },
      },
    });
    return data;
  });
}

/** The export as a JSON download (never cached). */
export function accountExportResponse(data: AccountExport): Response {
  return jsonDownload(data, `donnees-personnelles-${data.exportedAt.slice(0, 10)}.json`);
}
