import { sql } from "kysely";
import type { Db, Trx } from "../db.server";
import { run, type Actor } from "../command.server";
import { hashPassword } from "../auth/password.server";
import type { Role } from "~/domain/permissions";
import type { IndicatorFileEntry } from "~/domain/observatory-files";
import type { ObservatoryData } from "./files.server";
import { putFile } from "../storage/files.server";
import { refuseDemoSeedingOutsideDemo } from "./demo-seeding.server";

/**
 * Loads the observatory's identity and signatories into the database.
 * Idempotent: existing organisations (matched by code) are updated, new ones
 * added, none removed (withdrawal is a lifecycle event, not a deletion).
 */
export async function importObservatory(db: Db, actor: Actor, data: ObservatoryData, options: { isDemo: boolean }) {
  return run(db, actor, "manage:indicator", async (trx, command) => {
    const { observatory } = data;
    await trx
      .insertInto("observatory")
      .values({
        id: 1,
        code: observatory.code,
        name: observatory.name,
        label: observatory.label,
        departement_code: observatory.departement.code,
        departement_name: observatory.departement.name,
        contact_email: observatory.contactEmail ?? null,
        is_demo: options.isDemo,
      })
      .onConflict((oc) =>
        oc.column("id").doUpdateSet((eb) => ({
          code: eb.ref("excluded.code"),
          name: eb.ref("excluded.name"),
          label: eb.ref("excluded.label"),
          departement_code: eb.ref("excluded.departement_code"),
          departement_name: eb.ref("excluded.departement_name"),
          contact_email: eb.ref("excluded.contact_email"),
          is_demo: eb.ref("excluded.is_demo"),
          updated_at: sql`now()`,
        })),
      )
      .execute();

    const rows = [
      { code: observatory.team.code, name: observatory.team.name, kind: "observatory", note: null, is_observatory_team: true },
      ...data.organisations.map((o) => ({ code: o.code, name: o.name, kind: o.kind, note: o.note ?? null, is_observatory_team: false })),
    ];
    const before = await trx.selectFrom("organisation").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    await trx
      .insertInto("organisation")
      .values(rows)
      .onConflict((oc) =>
        oc.column("code").doUpdateSet((eb) => ({
          name: eb.ref("excluded.name"),
          kind: eb.ref("excluded.kind"),
          note: eb.ref("excluded.note"),
          is_observatory_team: eb.ref("excluded.is_observatory_team"),
          updated_at: sql`now()`,
        })),
      )
      .execute();
    const after = await trx.selectFrom("organisation").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    const referential = await importReferential(trx, data);
    await command.audit({
      action: "observatory.imported",
      entityType: "observatory",
      entityId: observatory.code,
      summary:
        `Référentiel de l'observatoire importé : ${rows.length} organismes (${after.n - before.n} nouveaux), ` +
        `${referential.amendments} avenant(s), ${referential.indicators} indicateurs (${referential.indicatorsAdded} nouveaux, ${referential.versionsAdded} version(s) ajoutée(s)).`,
      details: { organisations: rows.length, added: after.n - before.n, ...referential },
    });
    return { organisations: rows.length, added: after.n - before.n, ...referential };
  });
}

/** A definition as stored in indicator_version, expanded from the file's first definition and later changes. */
export interface ExpandedVersion {
  version: number;
  validFrom: number | null;
  changeNote: string | null;
  label: string;
  definition: string | null;
  unit: string;
  valueType: "integer" | "decimal";
  kind: "stock" | "flow";
  breakdowns: string[];
  nonNegative: boolean;
  min: number | null;
  max: number | null;
  sumEqualsTotal: boolean;
}

/** The file's indicator as its list of versions: each later entry repeats only what changes. */
export function expandIndicatorVersions(entry: IndicatorFileEntry): ExpandedVersion[] {
  const rules = (r: IndicatorFileEntry["rules"], base?: ExpandedVersion) => ({
    nonNegative: r?.nonNegative ?? base?.nonNegative ?? true,
    min: r ? (r.min ?? null) : (base?.min ?? null),
    max: r ? (r.max ?? null) : (base?.max ?? null),
    sumEqualsTotal: r?.breakdownSumEqualsTotal ?? base?.sumEqualsTotal ?? true,
  });
  const first: ExpandedVersion = {
    version: 1,
    validFrom: entry.validFrom ?? null,
    changeNote: null,
    label: entry.label,
    definition: entry.definition ?? null,
    unit: entry.unit,
    valueType: entry.valueType,
    kind: entry.kind,
    breakdowns: entry.breakdowns,
    ...rules(entry.rules),
  };
  const versions = [first];
  for (const change of entry.versions) {
    const previous = versions[versions.length - 1]!;
    versions.push({
      version: previous.version + 1,
      validFrom: change.validFrom,
      changeNote: change.changeNote,
      label: change.label ?? previous.label,
      definition: change.definition ?? previous.definition,
      unit: change.unit ?? previous.unit,
      valueType: change.valueType ?? previous.valueType,
      kind: change.kind ?? previous.kind,
      breakdowns: change.breakdowns ?? previous.breakdowns,
      ...rules(change.rules, previous),
    });
  }
  return versions;
}

/**
 * The convention and the catalogue, from the files. The files create; the
 * portal then evolves what they created: existing amendments, indicator
 * settings and membership dates are not overwritten, indicator versions
 * are only ever added (never changed), code list items never removed.
 */
async function importReferential(trx: Trx, data: ObservatoryData) {
  const { convention } = data;
  await trx
    .insertInto("convention")
    .values({ id: 1, title: convention.title, signature_date: convention.signatureDate, note: convention.note ?? null })
    .onConflict((oc) =>
      oc.column("id").doUpdateSet((eb) => ({
        title: eb.ref("excluded.title"),
        signature_date: eb.ref("excluded.signature_date"),
        note: eb.ref("excluded.note"),
        updated_at: sql`now()`,
      })),
    )
    .execute();

  // Amendments: added by number when missing.
  for (const a of convention.amendments) {
    await trx
      .insertInto("amendment")
      .values({ number: a.number, signed_on: a.date, kind: a.kind, title: a.title, description: a.description ?? null })
      .onConflict((oc) => oc.column("number").doNothing())
      .execute();
  }
  const amendments = await trx.selectFrom("amendment").select(["id", "number", "signed_on"]).execute();
  const amendmentByNumber = new Map(amendments.map((a) => [a.number, a]));

  // Membership (Art. 7): organisations without a date get the file's, the amendment's that admitted them, or the convention's.
  const joinedBy = new Map<string, number>();
  for (const a of convention.amendments) for (const code of a.organisations) joinedBy.set(code, a.number);
  const fileOrgs = [
    { code: data.observatory.team.code, memberSince: undefined as string | undefined },
    ...data.organisations.map((o) => ({ code: o.code, memberSince: o.memberSince })),
  ];
  for (const o of fileOrgs) {
    const amendment = joinedBy.has(o.code) ? amendmentByNumber.get(joinedBy.get(o.code)!) : undefined;
    await trx
      .updateTable("organisation")
      .set({
        member_since: o.memberSince ?? amendment?.signed_on ?? convention.signatureDate,
        joined_amendment_id: amendment?.id ?? null,
      })
      .where("code", "=", o.code)
      .where("member_since", "is", null)
      .execute();
  }

  // Contacts from the file, for organisations that have none yet.
  const orgs = await trx.selectFrom("organisation").select(["id", "code"]).execute();
  const orgId = new Map(orgs.map((o) => [o.code, o.id]));
  const withContacts = new Set(
    (await trx.selectFrom("organisation_contact").select("organisation_id").distinct().execute()).map((r) => r.organisation_id),
  );
  const contacts = data.organisations.flatMap((o) =>
    withContacts.has(orgId.get(o.code)!)
      ? []
      : o.contacts.map((c) => ({
          organisation_id: orgId.get(o.code)!,
          name: c.name,
          job_title: c.jobTitle ?? null,
          email: c.email?.toLowerCase() ?? null,
          phone: c.phone ?? null,
        })),
  );
  if (contacts.length) await trx.insertInto("organisation_contact").values(contacts).execute();

  // Logos from partners/, for organisations that have none yet.
  for (const [code, logo] of data.logos) {
    const id = orgId.get(code);
    if (!id) continue;
    const current = await trx.selectFrom("organisation").select("logo_file_id").where("id", "=", id).executeTakeFirstOrThrow();
    if (current.logo_file_id) continue;
    const file = await putFile(trx, { filename: logo.filename, contentType: logo.contentType, bytes: logo.bytes, createdBy: null });
    await trx.updateTable("organisation").set({ logo_file_id: file.id }).where("id", "=", id).execute();
  }

  // Domains and code lists.
  await trx
    .insertInto("indicator_domain")
    .values(data.domains.map((d) => ({ code: d.code, label: d.label, position: d.position })))
    .onConflict((oc) => oc.column("code").doUpdateSet((eb) => ({ label: eb.ref("excluded.label"), position: eb.ref("excluded.position") })))
    .execute();
  if (data.codelists.length) {
    await trx
      .insertInto("codelist")
      .values(data.codelists.map((c) => ({ code: c.code, label: c.label ?? c.code })))
      .onConflict((oc) => oc.column("code").doUpdateSet((eb) => ({ label: eb.ref("excluded.label") })))
      .execute();
    const items = data.codelists.flatMap((c) => c.items.map((item, position) => ({ codelist_code: c.code, code: item.code, label: item.label, position })));
    await trx
      .insertInto("codelist_item")
      .values(items)
      // A label the referent changed in the portal (version > 1) is kept: the file never overwrites it silently.
      .onConflict((oc) =>
        oc
          .columns(["codelist_code", "code"])
          .doUpdateSet((eb) => ({
            label: eb.case().when("codelist_item.version", "=", 1).then(eb.ref("excluded.label")).else(eb.ref("codelist_item.label")).end(),
            position: eb.ref("excluded.position"),
          })),
      )
      .execute();
  }

  // Indicators: created when missing; later versions from the file added when newer than the latest stored.
  const introducedBy = new Map<string, string>();
  for (const a of convention.amendments) for (const code of a.indicators) introducedBy.set(code, amendmentByNumber.get(a.number)!.id);
  const existing = await trx.selectFrom("indicator").select(["id", "code"]).execute();
  const existingId = new Map(existing.map((i) => [i.code, i.id]));
  const fresh = data.indicators.filter((i) => !existingId.has(i.code));
  if (fresh.length) {
    const created = await trx
      .insertInto("indicator")
      .values(
        fresh.map((i) => ({
          code: i.code,
          domain_code: i.domain,
          secrecy_threshold: i.secrecyThreshold ?? 5,
          introduced_by_amendment_id: introducedBy.get(i.code) ?? null,
          evidence: i.evidence ?? null,
          aggregation: i.aggregation ? JSON.stringify(i.aggregation) : null,
        })),
      )
      .returning(["id", "code"])
      .execute();
    for (const c of created) existingId.set(c.code, c.id);
    const providers = fresh.flatMap((i) => i.providers.map((code) => ({ indicator_id: existingId.get(i.code)!, organisation_id: orgId.get(code)! })));
    if (providers.length) await trx.insertInto("indicator_provider").values(providers).onConflict((oc) => oc.doNothing()).execute();
  }
  // Aggregations declared in the file, for indicators that have none yet (the portal's declaration stays).
  for (const entry of data.indicators) {
    if (!entry.aggregation || fresh.includes(entry)) continue;
    await trx
      .updateTable("indicator")
      .set({ aggregation: JSON.stringify(entry.aggregation) })
      .where("code", "=", entry.code)
      .where("aggregation", "is", null)
      .execute();
  }
  // Amendments listing existing indicators that no amendment introduced yet.
  for (const [code, amendmentId] of introducedBy) {
    await trx
      .updateTable("indicator")
      .set({ introduced_by_amendment_id: amendmentId })
      .where("code", "=", code)
      .where("introduced_by_amendment_id", "is", null)
      .execute();
  }

  const latest = await trx
    .selectFrom("indicator_version")
    .select(["indicator_id", sql<number>`max(version)::int`.as("version"), sql<number | null>`max(valid_from_year)`.as("valid_from_year")])
    .groupBy("indicator_id")
    .execute();
  const latestOf = new Map(latest.map((l) => [l.indicator_id, l]));
  const toInsert: { indicatorId: string; v: ExpandedVersion; number: number }[] = [];
  let versionsAdded = 0;
  for (const entry of data.indicators) {
    const indicatorId = existingId.get(entry.code)!;
    const stored = latestOf.get(indicatorId);
    const versions = expandIndicatorVersions(entry);
    if (!stored) {
      versions.forEach((v) => toInsert.push({ indicatorId, v, number: v.version }));
      continue;
    }
    let number = stored.version;
    for (const v of versions) {
      if (v.validFrom !== null && (stored.valid_from_year === null || v.validFrom > stored.valid_from_year) && v.version > 1) {
        toInsert.push({ indicatorId, v, number: ++number });
        versionsAdded++;
      }
    }
  }
  if (toInsert.length) {
    const inserted = await trx
      .insertInto("indicator_version")
      .values(
        toInsert.map(({ indicatorId, v, number }) => ({
          indicator_id: indicatorId,
          version: number,
          valid_from_year: v.validFrom,
          label: v.label,
          definition: v.definition,
          unit: v.unit,
          value_type: v.valueType,
          measure: v.kind,
          non_negative: v.nonNegative,
          min_value: v.min,
          max_value: v.max,
          breakdown_sum_equals_total: v.sumEqualsTotal,
          change_note: v.changeNote,
        })),
      )
      .returning(["id", "indicator_id", "version"])
      .execute();
    const breakdowns = inserted.flatMap((row) => {
      const source = toInsert.find((t) => t.indicatorId === row.indicator_id && t.number === row.version)!;
      return source.v.breakdowns.map((codelist_code, position) => ({ indicator_version_id: row.id, position, codelist_code }));
    });
    if (breakdowns.length) await trx.insertInto("indicator_version_breakdown").values(breakdowns).execute();
  }
  // Rates (ADR 019): the file creates, the portal keeps what exists (matched by code).
  let ratesAdded = 0;
  if (data.rates.length) {
    const inserted = await trx
      .insertInto("rate_definition")
      .values(
        data.rates.map((r, position) => ({
          code: r.code,
          domain_code: r.domain,
          position,
          label: r.label,
          definition: r.definition ?? null,
          numerator_code: r.numerator,
          numerator_universe: JSON.stringify(r.numeratorUniverse),
          population_universe: JSON.stringify(r.populationUniverse),
          multiplier: r.multiplier,
          unit: r.unit,
          decimals: r.decimals,
          breakdown_rules: JSON.stringify(r.breakdowns),
          source_convention: r.sourceConvention,
        })),
      )
      .onConflict((oc) => oc.column("code").doNothing())
      .returning("id")
      .execute();
    ratesAdded = inserted.length;
  }
  return {
    amendments: convention.amendments.length,
    indicators: data.indicators.length,
    indicatorsAdded: fresh.length,
    versionsAdded,
    rates: data.rates.length,
    ratesAdded,
  };
}

export interface DemoLogin {
  email: string;
  role: Role;
  organisationCode: string;
  displayName: string;
}

/** The demo password of every demo account (printed at start, in the README). */
export const DEMO_PASSWORD = "Protection-Enfance-2026";

/** Demo accounts: every role, plus a correspondent and a validator for the CAF, the Saint-Étienne court and the Département. */
export function demoAccounts(teamCode: string): DemoLogin[] {
  const domain = "demo.odpe.example";
  return [
    { email: `admin@${domain}`, role: "admin", organisationCode: teamCode, displayName: "Alex Administrateur" },
    { email: `referent@${domain}`, role: "odpe_referent", organisationCode: teamCode, displayName: "Camille Référente" },
    { email: `comite@${domain}`, role: "committee_member", organisationCode: "PREF42", displayName: "Dominique Comité" },
    { email: `elu@${domain}`, role: "reader", organisationCode: "DEP42", displayName: "Élise Élue" },
    { email: `correspondant.caf@${domain}`, role: "partner_correspondent", organisationCode: "CAF42", displayName: "Chloé Correspondante CAF" },
    { email: `validateur.caf@${domain}`, role: "partner_validator", organisationCode: "CAF42", displayName: "Victor Validateur CAF" },
    { email: `correspondant.tj@${domain}`, role: "partner_correspondent", organisationCode: "TJ-STE", displayName: "Théo Correspondant Tribunal" },
    { email: `validateur.tj@${domain}`, role: "partner_validator", organisationCode: "TJ-STE", displayName: "Valérie Validatrice Tribunal" },
    { email: `correspondant.dep@${domain}`, role: "partner_correspondent", organisationCode: "DEP42", displayName: "Denis Correspondant Département" },
    { email: `validateur.dep@${domain}`, role: "partner_validator", organisationCode: "DEP42", displayName: "Delphine Validatrice Département" },
  ];
}

/** Seeds the demo accounts. Refused outside demo mode. Does nothing if accounts exist. */
export async function seedDemoUsers(db: Db, actor: Actor, teamCode: string, appMode: "demo" | "production") {
  refuseDemoSeedingOutsideDemo(appMode);
  const accounts = demoAccounts(teamCode);
  const existing = await db.selectFrom("app_user").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
  if (existing.n > 0) return accounts;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const orgs = await db.selectFrom("organisation").select(["id", "code"]).execute();
  const orgId = new Map(orgs.map((o) => [o.code, o.id]));
  await run(db, actor, "create:user", async (trx, command) => {
    for (const account of accounts) {
      const organisationId = orgId.get(account.organisationCode);
      if (!organisationId) throw new Error(`Demo organisation ${account.organisationCode} is missing`);
      await trx
        .insertInto("app_user")
        .values({
          email: account.email,
          display_name: account.displayName,
          role: account.role,
          organisation_id: organisationId,
          password_hash: passwordHash,
        })
        .execute();
    }
    await command.audit({
      action: "demo.seeded",
      entityType: "observatory",
      summary: `Comptes de démonstration créés (${accounts.length}).`,
    });
  });
  return accounts;
}
