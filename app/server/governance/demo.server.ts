import type { Db } from "../db.server";
import type { SystemActor } from "../command.server";
import type { PermissionRequest } from "~/domain/permissions";
import { addDecision, addMember, createMeeting } from "./governance.server";
import { createProposal, recordOpinion } from "./proposals.server";
import { answerDataRequest, createDataRequest } from "./data-requests.server";
import { addDays, todayIso } from "~/domain/dates";
import { demoUserActor, refuseDemoSeedingOutsideDemo } from "../observatory/demo-seeding.server";

/**
 * Demo governance (Art. 2–3), written through the real use cases: members of
 * both bodies, a comité de suivi meeting whose decision adopts the latest
 * published dashboard edition, and an indicator proposal awaiting the CAF's
 * agreement (the Département has agreed). Runs once; refused in production.
 * The seeding system acts through demo users (who propose, agree, answer),
 * audited under the system's label.
 */
export async function seedDemoGovernance(db: Db, system: SystemActor, appMode: "demo" | "production") {
  refuseDemoSeedingOutsideDemo(appMode);
  if (await db.selectFrom("governance_meeting").select("id").limit(1).executeTakeFirst()) return { seeded: false as const };

  const actor = (permission: PermissionRequest, organisationCode: string | null) => demoUserActor(db, system, permission, organisationCode);
  const referent = await actor("manage:governance", null);
  const committee = await actor("create:indicator_proposal", "PREF42");
  const depValidator = await actor("decide:indicator_proposal", "DEP42");
  const organisations = await db.selectFrom("organisation").select(["id", "code"]).where("code", "in", ["DEP42", "CAF42", "PREF42", "TJ-STE"]).execute();
  const org = (code: string) => organisations.find((o) => o.code === code)?.id;
  if (!referent || !committee || !depValidator || !org("DEP42") || !org("CAF42") || !org("PREF42") || !org("TJ-STE")) return { seeded: false as const };

  const members: [("conference_strategique" | "comite_de_suivi"), string, string, string][] = [
    ["conference_strategique", "DEP42", "Présidence du conseil départemental (démo)", "Président"],
    ["conference_strategique", "PREF42", "Préfecture (démo)", "Représentant de l'État"],
    ["conference_strategique", "TJ-STE", "Présidence du tribunal judiciaire (démo)", "Président du tribunal"],
    ["comite_de_suivi", "DEP42", "Direction enfance-famille (démo)", "Directrice"],
    ["comite_de_suivi", "CAF42", "Service études de la CAF (démo)", "Responsable"],
    ["comite_de_suivi", "PREF42", "DDETS (démo)", "Chargé de mission"],
  ];
  for (const [bodyCode, code, personName, position] of members) {
    await addMember(db, referent, { bodyCode, organisationId: org(code)!, personName, position, since: "2024-01-01", until: null });
  }

  const edition = await db
    .selectFrom("dashboard_edition")
    .select(["id", "reference_year", "number"])
    .where("status", "=", "published")
    .orderBy("reference_year", "desc")
    .orderBy("number", "desc")
    .executeTakeFirst();
  const meeting = await createMeeting(db, referent, {
    bodyCode: "comite_de_suivi",
    heldOn: "2026-06-16",
    title: "Comité de suivi de juin (démonstration)",
    agenda: "1. Tableau de bord annuel\n2. Propositions d'indicateurs\n3. Calendrier de la prochaine campagne",
  });
  if (edition) {
    await addDecision(db, referent, meeting, {
      text: `Tableau de bord ${edition.reference_year} adopté ; transmission à l'ONPE approuvée.`,
      subjectType: "dashboard_edition",
      subjectId: edition.id,
    });
  }
  await addDecision(db, referent, meeting, { text: "Proposition d'un indicateur sur les mineurs non accompagnés soumise à la CAF et au Département.", subjectType: null, subjectId: null });

  const proposal = await createProposal(db, committee, {
    kind: "new",
    indicatorId: null,
    title: "Jeunes majeurs bénéficiant d'un contrat jeune majeur au 31/12 (démonstration)",
    definition: "Nombre de jeunes de 18 à 20 ans bénéficiant d'une aide éducative ou financière au titre d'un contrat jeune majeur au 31 décembre, par sexe.",
    rationale: "Suivre l'accompagnement vers l'autonomie prévu par la loi du 7 février 2022.",
    organisationIds: [org("DEP42")!, org("CAF42")!],
  });
  await recordOpinion(db, depValidator, proposal, { position: "agree", comment: "Donnée disponible dans le logiciel métier." });

  // Art. 3: an ad-hoc request, answered by the Département, awaiting the CAF.
  const dataRequest = await createDataRequest(db, referent, {
    title: "Mineurs non accompagnés au 30 juin (démonstration)",
    question: "Nombre de mineurs non accompagnés suivis au 30 juin, par sexe, et nombre de familles allocataires concernées.",
    answerFormat: "figures",
    dueOn: addDays(todayIso(), 21),
    organisationIds: [org("DEP42")!, org("CAF42")!],
  });
  const depCorrespondent = await actor("submit:data_request", "DEP42");
  if (depCorrespondent) {
    await answerDataRequest(db, depCorrespondent, dataRequest, { comment: "Chiffres fictifs de la démonstration.", figures: "Garçons ; 212\nFilles ; 19", file: null });
  }
  return { seeded: true as const, meeting, proposal, dataRequest };
}
