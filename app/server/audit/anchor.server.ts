import fs from "node:fs";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import type { Executor } from "../db.server";
import { z } from "zod";
import type { Database } from "#db/schema";
import { can, rolesHolding } from "~/domain/permissions";
import { isWithdrawn } from "~/domain/organisations";
import { todayIso } from "~/domain/dates";
import { enqueueMail } from "../mail/outbox.server";
import { getAuditKeyring, hmacHex, sameDigest, type AuditKey, type AuditKeyring } from "./keys.server";

/**
 * Anchors of the audit chain (ADR 024): the chain's head at a moment — how
 * many events, the last one's id and hash — signed with the HMAC key, kept in
 * `audit_anchor` (append-only) and, above all, copied outside the database:
 * mailed daily to the holders of `read:audit` (referents, administrators),
 * put into each ONPE package and written beside each backup. Deleting the
 * tail of the chain, or recomputing it, then disagrees with an anchor.
 */
export const ANCHOR_FORMAT = "odpe-audit-anchor/1";
export const ANCHOR_FILE_NAME = "audit-anchor.json";
export const AUDIT_ANCHOR_JOB = "audit.anchor";

export type AnchorReason = "daily" | "backup" | "onpe_package" | "manual";

export const anchorDocumentSchema = z.object({
  format: z.literal(ANCHOR_FORMAT),
  anchorId: z.string().regex(/^\d+$/).nullable(),
  reason: z.string().max(40),
  createdAt: z.iso.datetime(),
  eventCount: z.number().int().min(0),
  headEventId: z.string().regex(/^\d+$/).nullable(),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  signature: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The anchor as written outside the database (mail, ONPE package, beside a backup). */
export type AuditAnchorDocument = z.infer<typeof anchorDocumentSchema>;

/** An anchor or the seal, as the verification reads it. */
export interface AnchorRecord {
  source: "database" | "file";
  kind: "seal" | "anchor";
  anchorId: string | null;
  reason: string;
  createdAt: string;
  eventCount: number;
  headEventId: string | null;
  headHash: string;
  keyId: string | null;
  signature: string | null;
}

/** What the signature covers: the count, the head's id and hash, and the time. */
function anchorMessage(a: Pick<AnchorRecord, "eventCount" | "headEventId" | "headHash" | "createdAt">): string {
  return JSON.stringify([ANCHOR_FORMAT, a.eventCount, a.headEventId, a.headHash, a.createdAt]);
}

/** The signature of an anchor's head with `key` (its writing, and a copied chain's re-signing, ADR 052). */
export function signAnchor(key: AuditKey, a: Pick<AnchorRecord, "eventCount" | "headEventId" | "headHash" | "createdAt">): string {
  return hmacHex(key, anchorMessage(a));
}

/** null when the signature holds; otherwise why not (English, for the report). */
export function anchorSignatureProblem(anchor: AnchorRecord, keyring: AuditKeyring): string | null {
  if (anchor.kind === "seal") return null;
  const key = anchor.keyId ? keyring.byId.get(anchor.keyId) : undefined;
  if (!key) return `signed with an unknown key (${anchor.keyId ?? "none"}): set it in AUDIT_HMAC_PREVIOUS_KEYS to check it`;
  if (!anchor.signature || !sameDigest(hmacHex(key, anchorMessage(anchor)), anchor.signature)) return "signature does not match: the anchor was altered";
  return null;
}

const ISO_MS = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Every anchor of the database (and the seal), oldest first. */
export async function listAnchors(db: Executor): Promise<AnchorRecord[]> {
  const rows = await db
    .selectFrom("audit_anchor")
    .select([
      sql<string>`id::text`.as("id"),
      "kind",
      "reason",
      ISO_MS.as("created_at_iso"),
      sql<string>`event_count::text`.as("event_count"),
      sql<string | null>`head_event_id::text`.as("head_event_id"),
      "head_hash",
      "key_id",
      "signature",
    ])
    .orderBy("audit_anchor.id")
    .execute();
  return rows.map((r) => ({
    source: "database",
    kind: r.kind,
    anchorId: r.id,
    reason: r.reason,
    createdAt: r.created_at_iso,
    eventCount: Number(r.event_count),
    headEventId: r.head_event_id,
    headHash: r.head_hash,
    keyId: r.key_id,
    signature: r.signature,
  }));
}

export function anchorRecordOf(doc: AuditAnchorDocument, source: AnchorRecord["source"] = "file"): AnchorRecord {
  return { source, kind: "anchor", ...doc };
}

/** Reads an anchor kept outside the database (`npm run audit:verify -- --anchor <file>`). */
export function readAnchorFile(file: string): AuditAnchorDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`Ancre illisible : ${file} (${error instanceof Error ? error.message : String(error)}). / Unreadable anchor file.`);
  }
  const result = anchorDocumentSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`Ancre invalide : ${file}, champ « ${issue?.path.join(".") || "?"} » (${issue?.message}). / Invalid anchor file.`);
  }
  return result.data;
}

/**
 * Writes a signed anchor of the chain as it is now and returns it. The head
 * is read in one statement without the writers' lock: writers insert and
 * commit in id order under that lock, so a snapshot always sees a prefix of
 * the chain, and the anchor is true of that prefix.
 */
export async function createAuditAnchor(db: Executor, reason: AnchorReason, keyring: AuditKeyring = getAuditKeyring()): Promise<AuditAnchorDocument> {
  const head = await sql<{ n: string; head_id: string | null; head_hash: string | null }>`
    with h as (select id, hash from audit_event order by id desc limit 1)
    select (select count(*) from audit_event)::text as n, (select id::text from h) as head_id, (select hash from h) as head_hash`.execute(db);
  const row = head.rows[0]!;
  const key = keyring.current;
  const unsigned = {
    createdAt: new Date().toISOString(),
    eventCount: Number(row.n),
    headEventId: row.head_id,
    headHash: row.head_hash ?? "0".repeat(64),
  };
  const signature = signAnchor(key, unsigned);
  const inserted = await db
    .insertInto("audit_anchor")
    .values({
      kind: "anchor",
      reason,
      created_at: unsigned.createdAt,
      event_count: String(unsigned.eventCount),
      head_event_id: unsigned.headEventId,
      head_hash: unsigned.headHash,
      key_id: key.id,
      signature,
    })
    .returning(sql<string>`id::text`.as("id"))
    .executeTakeFirstOrThrow();
  return { format: ANCHOR_FORMAT, anchorId: inserted.id, reason, ...unsigned, keyId: key.id, signature };
}

export function anchorJson(doc: AuditAnchorDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The daily anchor (job `audit.anchor`, AUDIT_ANCHOR_CRON): written and
 * mailed, in one transaction, to every active holder of `read:audit`
 * (the ODPE referents and the administrators), who keep it outside the portal.
 */
export async function sendDailyAuditAnchor(db: Kysely<Database>): Promise<{ anchorId: string; eventCount: number; recipients: number }> {
  return db.transaction().execute(async (trx) => {
    const anchor = await createAuditAnchor(trx, "daily");
    const roles = rolesHolding("read:audit");
    const today = todayIso();
    const users = roles.length
      ? await trx
          .selectFrom("app_user as u")
          .innerJoin("organisation as o", "o.id", "u.organisation_id")
          .select(["u.id", "u.email", "u.role", "u.organisation_id", "o.withdrawal_effective_date"])
          .where("u.role", "in", roles)
          .where("u.status", "=", "active")
          .orderBy("u.id")
          .execute()
      : [];
    const recipients = users.filter((u) => can({ role: u.role, organisationId: u.organisation_id, organisationWithdrawn: isWithdrawn(u, today) }, "read:audit"));
    const date = anchor.createdAt.slice(0, 10);
    for (const user of recipients) {
      await enqueueMail(trx, {
        to: user.email,
        subject: `Ancre du journal d'audit du ${date} : ${anchor.eventCount} événement(s)`,
        text:
          `Voici l'ancre signée du journal d'audit du portail au ${anchor.createdAt} : ${anchor.eventCount} événement(s), ` +
          `le dernier portant le n° ${anchor.headEventId ?? "—"}.\n\n` +
          `Conservez ce message hors du portail (il ne contient aucune donnée personnelle). Il permet de vérifier plus tard ` +
          `qu'aucun événement n'a été supprimé ni réécrit : enregistrez le bloc ci-dessous dans un fichier ${ANCHOR_FILE_NAME} ` +
          `et lancez « npm run audit:verify -- --anchor ${ANCHOR_FILE_NAME} » (docs/operations.md).\n\n` +
          `${anchorJson(anchor)}\n— Portail de l'observatoire départemental de la protection de l'enfance`,
        dedupeKey: `audit-anchor:${anchor.anchorId}:${user.id}`,
        kind: "audit.anchor",
      });
    }
    return { anchorId: anchor.anchorId!, eventCount: anchor.eventCount, recipients: recipients.length };
  });
}

/** Before a backup: an anchor in the database (so in the backup) and the same beside it, `<backup>.audit-anchor.json`. */
export async function writeBackupAnchor(db: Executor, backupFile: string): Promise<{ file: string; anchor: AuditAnchorDocument }> {
  const anchor = await createAuditAnchor(db, "backup");
  const file = `${backupFile}.${ANCHOR_FILE_NAME}`;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, anchorJson(anchor));
  return { file, anchor };
}
