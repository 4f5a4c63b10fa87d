import type { Db } from "../db.server";
import { userActor, type Actor, type UserActor } from "../command.server";
import { addFrozenItem, decideApproval, submitPublication, updatePublicationText, validatePublication } from "./publication-commands.server";
import { rolesHolding, type PermissionRequest } from "~/domain/permissions";
import type { ExplorerQuery } from "~/domain/explorer";

/**
 * Demo publications, written through the real use cases (audited, lineage
 * computed, approvals decided by the sources' demo validators): one published
 * on the extranet, one awaiting the CAF's approval. Runs once, after the demo
 * values exist; does nothing when a publication exists. Refused in production.
 */
export async function seedDemoPublications(db: Db, system: Actor, appMode: "demo" | "production") {
  if (appMode !== "demo") {
    throw new Error("Les données de démonstration sont refusées en mode production. / Demo seeding is refused when APP_MODE=production.");
  }
  if (await db.selectFrom("publication").select("id").limit(1).executeTakeFirst()) return { seeded: false as const };
  const has = async (code: string) =>
    !!(await db
      .selectFrom("accepted_value as a")
      .innerJoin("indicator as i", "i.id", "a.indicator_id")
      .select("a.reference_year")
      .where("i.code", "=", code)
      .limit(1)
      .executeTakeFirst());
  if (!(await has("CONFIES")) || !(await has("ALLOC_RSA_ENF"))) return { seeded: false as const };

  /** The first active user of `organisationCode` (or of the observatory team) holding `permission`, acting under the seeding's audit trail. */
  const actor = async (permission: PermissionRequest, organisationCode: string | null): Promise<UserActor | null> => {
    let q = db
      .selectFrom("app_user as u")
      .innerJoin("organisation as o", "o.id", "u.organisation_id")
      .select(["u.id", "u.role", "u.organisation_id", "u.display_name"])
      .where("u.role", "in", rolesHolding(permission))
      .where("u.status", "=", "active");
    q = organisationCode ? q.where("o.code", "=", organisationCode) : q.where("o.is_observatory_team", "=", true);
    const u = await q.orderBy("u.email").executeTakeFirst();
    return u ? userActor({ id: u.id, role: u.role, organisationId: u.organisation_id, displayName: u.display_name }, system.audit) : null;
  };
  const referent = await actor("validate:publication", null);
  const depValidator = await actor("decide:approval", "DEP42");
  const committee = await actor("create:publication", "PREF42");
  if (!referent || !depValidator || !committee) return { seeded: false as const };

  const series = (indicator: string, rate: string | null = null): ExplorerQuery => ({ indicator, from: null, to: null, organisations: [], view: "series", year: null, rate });

  // 1. Published on the extranet: the Département's data, approved by its validator, validated by the referent.
  const first = await addFrozenItem(db, referent, "new", { query: series("CONFIES", "POP_0_20"), title: "Enfants confiés à l'ASE pour 1 000 jeunes de 0 à 20 ans", kind: "chart" });
  await addFrozenItem(db, referent, first.publicationId, { query: { ...series("CONFIES"), view: "breakdown" }, title: "Enfants confiés à l'ASE : répartition de la dernière année", kind: "table" });
  await updatePublicationText(db, referent, first.publicationId, {
    title: "Les enfants confiés à l'aide sociale à l'enfance (démonstration)",
    audience: "extranet",
    body:
      "Publication **fictive** de la démonstration : les chiffres sont générés et ne décrivent pas la Loire.\n\n" +
      "## Une hausse continue\n\nLe nombre d'enfants confiés à l'aide sociale à l'enfance augmente plus vite que la population des jeunes de 0 à 20 ans.\n\n" +
      "Les petits effectifs sont masqués (secret statistique).",
  });
  await submitPublication(db, referent, first.publicationId);
  const request = await db
    .selectFrom("publication_approval")
    .select(["id", "content_hash"])
    .where("publication_id", "=", first.publicationId)
    .where("organisation_id", "=", depValidator.organisationId)
    .where("status", "=", "pending")
    .executeTakeFirst();
  if (request) await decideApproval(db, depValidator, request.id, { decision: "approve", contentHash: request.content_hash });
  await validatePublication(db, referent, first.publicationId);

  // 2. A committee member's draft using the CAF's data, awaiting the CAF's approval.
  const second = await addFrozenItem(db, committee, "new", { query: series("ALLOC_RSA_ENF"), title: "Foyers allocataires du RSA avec enfants", kind: "chart" });
  await updatePublicationText(db, committee, second.publicationId, {
    title: "La précarité des familles avec enfants (démonstration)",
    audience: "institution",
    body: "Note **fictive** de la démonstration pour le comité de suivi et les élus.",
  });
  await submitPublication(db, committee, second.publicationId);
  return { seeded: true as const, published: first.publicationId, awaitingApproval: second.publicationId };
}
