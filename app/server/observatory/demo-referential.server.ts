import type { Db } from "../db.server";
import type { Actor } from "../command.server";
import { addContact, createOrganisation, recordWithdrawal } from "../organisations/organisations.server";
import { recordAmendment } from "../convention/convention.server";
import { addIndicatorVersion, createIndicator, getIndicator } from "../indicators/indicators.server";
import { createAgreement, getAgreement, setAgreementIndicators } from "../agreements/agreements.server";
import { createCampaign, transitionCampaign } from "../campaigns/campaigns.server";
import { addDays, todayIso } from "~/domain/dates";
import { DEFAULT_REMINDER_DAYS_AFTER, DEFAULT_REMINDER_DAYS_BEFORE } from "~/domain/campaigns";
import type { UsageRights } from "~/domain/agreements";
import { refuseDemoSeedingOutsideDemo } from "./demo-seeding.server";

/** The reference years of the demo's closed campaigns; the year after is open. */
export const DEMO_CLOSED_YEARS = [2019, 2020, 2021, 2022, 2023, 2024] as const;
export const DEMO_OPEN_YEAR = 2025;

/** Paris time 09:00 on a date (winter offset is close enough for a demo timestamp). */
const morning = (date: string) => new Date(`${date}T09:00:00+01:00`);

/** Demo agreements: which organisations transmit otherwise than by the Excel template, or later than the campaign. */
const MECS = ["ADSEA42", "AGASEF", "ANEF", "JBALLARD", "ADAEAR", "CCE", "APEF", "FOGIERES", "BRUYERES", "FEF", "FDLV"];
const HOSPITALS = ["CHU-STE", "CH-ROANNE", "CH-FIRMINY", "CH-GIER", "CH-FEURS", "CH-MONTBRISON", "HPL"];

/**
 * The demo observatory's history, written through the same use cases the
 * referent uses (so every step is audited): an amendment admitting a
 * partner, one adding an indicator, a definition change (break in series),
 * an agreement for every provider organisation, a withdrawal, campaigns
 * 2019–2024 closed and 2025 open with a deadline after the seeding date
 * (`seedDemoReferentialHistory`, then `seedDemoOpenCampaign`). Each part does
 * nothing when its campaigns already exist. Refused outside demo mode.
 */
export async function seedDemoReferential(db: Db, actor: Actor, appMode: "demo" | "production", now: Date = new Date()) {
  const history = await seedDemoReferentialHistory(db, actor, appMode, now);
  const open = await seedDemoOpenCampaign(db, actor, appMode, now);
  if (!history.seeded && !open.seeded) return { seeded: false as const };
  return { seeded: true as const, agreements: history.seeded ? history.agreements : 0, campaigns: (history.seeded ? history.campaigns : 0) + (open.seeded ? 1 : 0) };
}

/** `seedDemoReferential` but the open campaign: what the prepared demo template holds (ADR 052). */
export async function seedDemoReferentialHistory(db: Db, actor: Actor, appMode: "demo" | "production", now: Date = new Date()) {
  refuseDemoSeedingOutsideDemo(appMode);
  if (await db.selectFrom("campaign").select("id").limit(1).executeTakeFirst()) return { seeded: false as const };
  const today = todayIso(now);
  const team = await db.selectFrom("organisation").select("id").where("is_observatory_team", "=", true).executeTakeFirst();
  const convention = await db.selectFrom("convention").select("signature_date").executeTakeFirst();
  if (!team || !convention) throw new Error("Import the observatory files before seeding the demo referential.");
  const orgs = await db.selectFrom("organisation").select(["id", "code"]).execute();
  const orgId = (code: string) => orgs.find((o) => o.code === code)?.id;

  // Art. 7: a partner admitted by amendment n° 1.
  const amendments = await db.selectFrom("amendment").select("number").execute();
  if (amendments.length === 0) {
    const parents = await createOrganisation(db, actor, {
      code: "REAAP42",
      name: "Réseau d'écoute, d'appui et d'accompagnement des parents (organisme de démonstration)",
      kind: "network",
      note: "Organisme fictif de la démonstration, admis par avenant.",
    });
    await recordAmendment(
      db,
      actor,
      {
        signedOn: "2021-03-15",
        kind: "new_partner",
        title: "Adhésion du réseau de soutien à la parentalité (démonstration)",
        description: "Avenant fictif de la démonstration : un nouveau partenaire rejoint l'observatoire.",
        organisationIds: [parents],
        indicatorIds: [],
      },
      null,
      today,
    );

    // Art. 7: new data take an amendment (n° 2), from reference year 2023.
    const dep = orgId("DEP42");
    const delay = await createIndicator(db, actor, {
      code: "IP_DELAI_EVAL",
      domain: "DANGER",
      label: "Délai moyen d'évaluation des informations préoccupantes",
      definition:
        "Délai moyen, en jours, entre la réception d'une information préoccupante par la CRIP et la fin de son évaluation, pour les évaluations terminées dans l'année.",
      unit: "jours",
      valueType: "decimal",
      measure: "flow",
      breakdowns: [],
      nonNegative: true,
      minValue: null,
      maxValue: null,
      sumEqualsTotal: true,
      secrecyThreshold: 0,
      providerIds: dep ? [dep] : [],
      validFromYear: 2023,
      introducedBy: "convention",
    });
    await recordAmendment(
      db,
      actor,
      {
        signedOn: "2023-06-12",
        kind: "new_data",
        title: "Ajout du délai d'évaluation des informations préoccupantes (démonstration)",
        description: "Avenant fictif de la démonstration : un indicateur est ajouté au catalogue à partir de l'année 2023.",
        organisationIds: [],
        indicatorIds: [delay],
      },
      null,
      today,
    );
  }

  // A definition change from 2022: values before and after are not comparable.
  const ip = await getIndicator(db, "IP_NB").catch(() => null);
  if (ip && ip.versions.length === 1) {
    const v = ip.current;
    await addIndicatorVersion(db, actor, "IP_NB", {
      label: v.label,
      definition:
        "Nombre d'informations préoccupantes reçues par la CRIP au cours de l'année, comptées par enfant concerné (une information visant une fratrie de trois enfants compte pour trois), ventilé par émetteur.",
      unit: v.unit,
      valueType: v.value_type,
      measure: v.measure,
      breakdowns: v.breakdowns,
      nonNegative: v.non_negative,
      minValue: v.min_value,
      maxValue: v.max_value,
      sumEqualsTotal: v.breakdown_sum_equals_total,
      validFromYear: 2022,
      changeNote: "Démonstration : comptage par enfant et non plus par famille à partir de 2022.",
    });
  }

  // Art. 4: an agreement for every provider organisation in the catalogue.
  const providers = await db
    .selectFrom("indicator_provider as p")
    .innerJoin("organisation as o", "o.id", "p.organisation_id")
    .select(["o.id", "o.code"])
    .distinct()
    .orderBy("o.code")
    .execute();
  for (const provider of providers) {
    const agreementId = await createAgreement(db, actor, provider.id, {
      reference: `CA-${provider.code}-2019`,
      signedOn: convention.signature_date,
      startsOn: convention.signature_date,
      endsOn: null,
      format: provider.code === "CAF42" ? "api" : "excel",
      statisticalLevel: provider.code === "DEP42" ? "territory" : "departement",
      dueMonthDay: MECS.includes(provider.code) ? "04-30" : HOSPITALS.includes(provider.code) ? "05-31" : null,
      samePersonMayValidate: MECS.includes(provider.code),
      note: "Convention d'application fictive de la démonstration.",
    });
    // Usage rights: the default (external diffusion on approval) except a few demo choices.
    const special: Record<string, UsageRights> =
      provider.code === "DEP42"
        ? { POP_0_17: "open", POP_0_20: "open", POP_18_20: "open", NAISS: "open" }
        : provider.code.startsWith("TJ-") || provider.code.startsWith("PR-")
          ? { OPP: "internal", DELAISSEMENT: "internal" }
          : provider.code === "DDSP42" || provider.code === "GGD42"
            ? { VIF_MINEURS_POL: "internal", VIF_MINEURS_GEN: "internal" }
            : {};
    // « Non disponible » (ND/NC, ADR 026): allowed for the first indicators of the CAF and the hospitals, so the demo shows it.
    const notAvailableCount = provider.code === "CAF42" || HOSPITALS.includes(provider.code) ? 3 : 0;
    if (Object.keys(special).length || notAvailableCount) {
      const agreement = await getAgreement(db, agreementId, today);
      await setAgreementIndicators(
        db,
        actor,
        agreementId,
        agreement.indicators.map((i, index) => ({ indicatorId: i.indicator_id, usageRights: special[i.code] ?? i.usage_rights, notAvailableAllowed: index < notAvailableCount })),
      );
    }
  }

  // Contacts of the demo accounts' organisations.
  const contacts: [string, string, string, string][] = [
    ["CAF42", "Chloé Correspondante CAF", "Chargée d'études statistiques", "correspondant.caf@demo.odpe.example"],
    ["TJ-STE", "Théo Correspondant Tribunal", "Greffier en chef", "correspondant.tj@demo.odpe.example"],
    ["DEP42", "Denis Correspondant Département", "Observatoire, direction enfance-famille", "correspondant.dep@demo.odpe.example"],
  ];
  for (const [code, name, jobTitle, email] of contacts) {
    const id = orgId(code);
    if (id) await addContact(db, actor, id, { name, jobTitle, email, phone: null });
  }

  // Art. 7: a provider withdrew in 2025 (registered letter of 2 June, effective 2 September).
  const fdlv = orgId("FDLV");
  if (fdlv && today >= "2025-06-02") {
    await recordWithdrawal(db, actor, fdlv, { noticeDate: "2025-06-02", note: "Démonstration : retrait notifié par lettre recommandée." }, today);
  }

  // Campaigns: 2019–2024 opened in January and closed in June of the next year; 2025 open.
  const reminders = { reminderDaysBefore: [...DEFAULT_REMINDER_DAYS_BEFORE], reminderDaysAfter: [...DEFAULT_REMINDER_DAYS_AFTER] };
  for (const year of DEMO_CLOSED_YEARS) {
    const opensOn = `${year + 1}-01-15`;
    await createCampaign(db, actor, { referenceYear: year, opensOn, deadline: `${year + 1}-03-31`, note: null, ...reminders });
    await transitionCampaign(db, actor, year, "open", morning(opensOn));
    await transitionCampaign(db, actor, year, "closed", morning(`${year + 1}-06-30`));
  }
  return { seeded: true as const, agreements: providers.length, campaigns: DEMO_CLOSED_YEARS.length };
}

/**
 * The demo's open campaign (DEMO_OPEN_YEAR), dated from the day it is seeded:
 * opened two weeks before when its planned opening is still to come, with a
 * deadline at least 45 days ahead. Kept apart from the rest of the
 * referential because it is the one step that depends on the day: the
 * prepared demo template (ADR 052) holds the history, and each new folder
 * opens its campaign at its own start. Does nothing when the campaign exists.
 */
export async function seedDemoOpenCampaign(db: Db, actor: Actor, appMode: "demo" | "production", now: Date = new Date()) {
  refuseDemoSeedingOutsideDemo(appMode);
  if (await db.selectFrom("campaign").select("id").where("reference_year", "=", DEMO_OPEN_YEAR).executeTakeFirst()) return { seeded: false as const };
  const today = todayIso(now);
  const reminders = { reminderDaysBefore: [...DEFAULT_REMINDER_DAYS_BEFORE], reminderDaysAfter: [...DEFAULT_REMINDER_DAYS_AFTER] };
  const plannedOpening = `${DEMO_OPEN_YEAR + 1}-01-15`;
  const opensOn = plannedOpening < today ? plannedOpening : addDays(today, -14);
  const plannedDeadline = `${DEMO_OPEN_YEAR + 1}-03-31`;
  const deadline = plannedDeadline > addDays(today, 45) ? plannedDeadline : addDays(today, 45);
  await createCampaign(db, actor, {
    referenceYear: DEMO_OPEN_YEAR,
    opensOn,
    deadline,
    note: "Démonstration : la date limite est fixée après la date d'installation.",
    ...reminders,
  });
  await transitionCampaign(db, actor, DEMO_OPEN_YEAR, "open", morning(opensOn));
  return { seeded: true as const, year: DEMO_OPEN_YEAR, opensOn, deadline };
}
