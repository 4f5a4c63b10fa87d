import { getEnv } from "../env.server";
import type { Db } from "../db.server";
import { startedSessionCache } from "../auth/session-cache.server";

export interface ObservatoryIdentity {
  code: string;
  name: string;
  label: string;
  departementCode: string;
  departementName: string;
  isDemo: boolean;
}

const fallback: ObservatoryIdentity = {
  code: "ODPE",
  name: "Observatoire départemental de la protection de l'enfance",
  label: "ODPE",
  departementCode: "",
  departementName: "",
  isDemo: false,
};

/** The observatory's identity (data, not code); a neutral name before the first import. */
export async function getObservatory(db: Db): Promise<ObservatoryIdentity> {
  // Shown by every page: held with the process's validated sessions, read again after any change (ADR 035).
  const cache = startedSessionCache(db);
  return cache ? { ...(await cache.shared("observatory", () => readObservatory(db))) } : readObservatory(db);
}

async function readObservatory(db: Db): Promise<ObservatoryIdentity> {
  const row = await db.selectFrom("observatory").selectAll().executeTakeFirst();
  if (!row) return fallback;
  return {
    code: row.code,
    name: row.name,
    label: row.label,
    departementCode: row.departement_code,
    departementName: row.departement_name,
    isDemo: row.is_demo,
  };
}

/**
 * Name and contact printed on templates and reports. The contact is the
 * deployment's OBSERVATORY_CONTACT_EMAIL when set, else the observatory
 * file's `contactEmail`; a placeholder on the reserved `.invalid` domain is
 * never printed (the template then says « le référent de l'ODPE »).
 */
export async function getObservatoryContact(db: Db): Promise<{ observatoryName: string; contactEmail: string | null }> {
  const row = await db.selectFrom("observatory").select(["name", "contact_email"]).executeTakeFirst();
  return { observatoryName: row?.name ?? "Observatoire départemental de la protection de l'enfance", contactEmail: configuredContact(row?.contact_email ?? null) };
}

/** The contact address to show: the configured one first; never a placeholder on `.invalid`. */
export function configuredContact(fromFile: string | null, configured: string | undefined = getEnv().OBSERVATORY_CONTACT_EMAIL): string | null {
  const address = configured ?? fromFile;
  return address && !/\.invalid$/i.test(address) ? address : null;
}
