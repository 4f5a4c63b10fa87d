import type { Db } from "../db.server";
import type { Actor } from "../command.server";
import { addFrozenItem, decideApproval, submitPublication, updatePublicationText, validatePublication } from "./publication-commands.server";
import type { PermissionRequest } from "~/domain/permissions";
import type { ExplorerQuery } from "~/domain/explorer";
import { demoUserActor, refuseDemoSeedingOutsideDemo } from "../observatory/demo-seeding.server";

/**
 * Demo publications, written through the real use cases (audited, lineage
 * computed, approvals decided by the sources' demo validators): one published
 * on the extranet, one awaiting the CAF's approval. Runs once, after the demo
 * values exist; does nothing when a publication exists. Refused in production.
 */
export async function seedDemoPublications(db: Db, system: Actor, appMode: "demo" | "production") {
  refuseDemoSeedingOutsideDemo(appMode);
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

  const actor = (permission: PermissionRequest, organisationCode: string | null) => demoUserActor(db, system, permission, organisationCode);
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
