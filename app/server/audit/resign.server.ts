import { sql } from "kysely";
import type { Executor } from "../db.server";
import { ANCHOR_FORMAT, listAnchors, signAnchor, type AnchorRecord, type AuditAnchorDocument } from "./anchor.server";
import { GENESIS_HASH, computeAuditHmac, readStoredEvents } from "./audit.server";
import type { AuditKeyring } from "./keys.server";

/** A file whose bytes changed with its anchor's signature: later events name it by its digest. */
export interface DigestChange {
  from: string;
  to: string;
}

/**
 * Called for each anchor of the copied chain once it is re-signed. An anchor
 * copied outside the database (the ONPE package's `audit-anchor.json`) is
 * rewritten by the callback, which returns the digests of the files it changed.
 */
export type ReanchorCallback = (anchor: AuditAnchorDocument, previous: AuditAnchorDocument) => Promise<DigestChange[]>;

export interface ResignedChain {
  events: number;
  anchors: number;
  digestsChanged: number;
}

const BATCH = 2_000;

function documentOf(a: AnchorRecord): AuditAnchorDocument {
  return {
    format: ANCHOR_FORMAT,
    anchorId: a.anchorId,
    reason: a.reason,
    createdAt: a.createdAt,
    eventCount: a.eventCount,
    headEventId: a.headEventId,
    headHash: a.headHash,
    keyId: a.keyId ?? "",
    signature: a.signature ?? "",
  };
}

/**
 * Re-signs, with this folder's own key, an audit chain copied from the
 * prepared demo template (ADR 052) before the folder is first opened for use.
 * The template's events were signed by a key drawn for the template's making
 * and never written anywhere; a new folder must not share a secret with any
 * other, so each event's keyed hash, each anchor's signature, the anchors
 * copied into ONPE packages (through `reanchor`) and the package digests that
 * later events carry are all made again, in chain order, as if the folder had
 * been seeded itself. Call it in the transaction that copies the template,
 * with the append-only triggers off (`session_replication_role = replica`).
 *
 * Refuses a chain that is not a template's: an unkeyed (sealed) event, more
 * than one key, a broken link, an anchor not on an event of the chain, and a
 * chain signed with a key of this folder's keyring — a folder's own trail put
 * in the template's place would otherwise be signed again as it stands,
 * whatever was changed in it (the template's own signatures cannot be checked:
 * its key is gone).
 * The seal of migration 2026120411 (no event, no key) is left as it is.
 */
export async function resignCopiedChain(trx: Executor, keyring: AuditKeyring, reanchor: ReanchorCallback): Promise<ResignedChain> {
  const key = keyring.current;
  const anchors = (await listAnchors(trx)).filter((a) => a.kind === "anchor");
  const byHead = new Map<string, AnchorRecord[]>();
  for (const a of anchors) {
    if (a.headEventId === null) throw new Error(`copied chain: anchor ${a.anchorId} has no head event`);
    byHead.set(a.headEventId, [...(byHead.get(a.headEventId) ?? []), a]);
  }
  const digests = new Map<string, string>();
  const rewrite = (details: string | null) => {
    if (details === null || digests.size === 0) return details;
    let out = details;
    for (const [from, to] of digests) out = out.split(from).join(to);
    return out;
  };
  let templateKeyId: string | null | undefined;
  let oldPrev = GENESIS_HASH;
  let newPrev = GENESIS_HASH;
  let count = 0;
  let resignedAnchors = 0;
  let lastId = "0";
  for (;;) {
    const rows = await readStoredEvents(trx, lastId, BATCH);
    if (rows.length === 0) break;
    const updates: { id: string; prev: string; hash: string; details: string | null }[] = [];
    for (const row of rows) {
      if (row.key_id === null) throw new Error(`copied chain: event ${row.id} is unkeyed; only a template's chain is re-signed`);
      if (templateKeyId === undefined) {
        if (keyring.byId.has(row.key_id)) throw new Error("copied chain: signed with a key of this folder's keyring, not a template's");
        templateKeyId = row.key_id;
      }
      if (row.key_id !== templateKeyId) throw new Error(`copied chain: event ${row.id} has another key than the template's`);
      if (row.prev_hash !== oldPrev) throw new Error(`copied chain: event ${row.id} does not follow the previous one`);
      const details = rewrite(row.fields.details);
      const hash = computeAuditHmac(key, newPrev, { ...row.fields, details });
      updates.push({ id: row.id, prev: newPrev, hash, details: details === row.fields.details ? null : details });
      oldPrev = row.hash;
      newPrev = hash;
      lastId = row.id;
      count++;
      for (const a of byHead.get(row.id) ?? []) {
        if (a.headHash !== row.hash || a.eventCount !== count) throw new Error(`copied chain: anchor ${a.anchorId} does not match event ${row.id}`);
        if (a.keyId !== templateKeyId) throw new Error(`copied chain: anchor ${a.anchorId} has another key than the template's`);
        const signed = { ...a, headHash: hash, keyId: key.id };
        const signature = signAnchor(key, signed);
        await trx
          .updateTable("audit_anchor")
          .set({ head_hash: hash, key_id: key.id, signature })
          .where("id", "=", a.anchorId!)
          .execute();
        for (const change of await reanchor(documentOf({ ...signed, signature }), documentOf(a))) digests.set(change.from, change.to);
        byHead.delete(row.id);
        resignedAnchors++;
      }
    }
    // Flushed before the next anchor's callback reads anything: each batch ends with its updates written.
    await sql`
      update audit_event e
         set prev_hash = v.prev_hash, hash = v.hash, key_id = ${key.id}, details = coalesce(v.details::jsonb, e.details)
        from unnest(${updates.map((u) => u.id)}::bigint[], ${updates.map((u) => u.prev)}::text[], ${updates.map((u) => u.hash)}::text[], ${updates.map((u) => u.details)}::text[])
             as v(id, prev_hash, hash, details)
       where e.id = v.id`.execute(trx);
  }
  if (byHead.size) throw new Error(`copied chain: anchor(s) on missing events ${[...byHead.keys()].join(", ")}`);
  return { events: count, anchors: resignedAnchors, digestsChanged: digests.size };
}
