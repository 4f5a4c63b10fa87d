import type { Db } from "../db.server";

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

/** Name and contact printed on templates and reports. */
export async function getObservatoryContact(db: Db): Promise<{ observatoryName: string; contactEmail: string | null }> {
  const row = await db.selectFrom("observatory").select(["name", "contact_email"]).executeTakeFirst();
  return { observatoryName: row?.name ?? "Observatoire départemental de la protection de l'enfance", contactEmail: row?.contact_email ?? null };
}
