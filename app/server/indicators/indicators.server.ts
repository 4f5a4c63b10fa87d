import { aggregationOf } from "~/domain/aggregation";
import type { Transaction } from "kysely";
import type { Database } from "#db/schema";
import type { Db, Executor } from "../db.server";
import { run, type Actor } from "../command.server";
import { DomainError, notFound } from "../errors.server";
import {
  seriesBreaks,
  versionEndYear,
  versionForYear,
  type CodelistLabelInput,
  type IndicatorCreateInput,
  type IndicatorSettingsInput,
  type IndicatorVersionInput,
  type VersionDefinition,
} from "~/domain/indicators";

/** The eight domains of Art. 4, in their order. */
export async function listDomains(db: Executor) {
  return db.selectFrom("indicator_domain").selectAll().orderBy("position").execute();
}

/** Code lists with their items, in order. */
export async function listCodelists(db: Executor) {
  const [lists, items] = await Promise.all([
    db.selectFrom("codelist").selectAll().orderBy("code").execute(),
    db.selectFrom("codelist_item").selectAll().orderBy("codelist_code").orderBy("position").execute(),
  ]);
  return lists.map((l) => ({ ...l, items: items.filter((i) => i.codelist_code === l.code).map(({ code, label }) => ({ code, label })) }));
}

/** One code list with its items and every label change made in the portal, newest first. */
export async function getCodelist(db: Executor, code: string) {
  const list = await db.selectFrom("codelist").selectAll().where("code", "=", code).executeTakeFirst();
  if (!list) throw notFound("Cette liste de codes");
  const [items, history] = await Promise.all([
    db.selectFrom("codelist_item").select(["code", "label", "position", "version"]).where("codelist_code", "=", code).orderBy("position").execute(),
    db
      .selectFrom("codelist_item_version as v")
      .leftJoin("app_user as u", "u.id", "v.created_by")
      .select(["v.code", "v.version", "v.label", "v.previous_label", "v.change_note", "v.created_at", "u.display_name as author"])
      .where("v.codelist_code", "=", code)
      .orderBy("v.created_at", "desc")
      .orderBy("v.version", "desc")
      .execute(),
  ]);
  return { ...list, items, history };
}

/**
 * Changes the label of one code-list item (the referent, in the portal): the
 * new label applies everywhere the code is shown from now on (templates,
 * explorer, dashboards being prepared); published editions keep the bytes
 * they were published with. The previous label stays in the history.
 */
export async function relabelCodelistItem(db: Db, actor: Actor, input: CodelistLabelInput) {
  return run(db, actor, "manage:indicator", async (trx, command) => {
    const item = await trx
      .selectFrom("codelist_item")
      .select(["label", "version"])
      .where("codelist_code", "=", input.codelist)
      .where("code", "=", input.code)
      .forUpdate()
      .executeTakeFirst();
    if (!item) throw notFound("Cette modalité");
    if (item.label === input.label) {
      throw new DomainError("validation", "Le libellé est identique au libellé en vigueur : rien à changer.", { label: ["Saisissez un libellé différent."] });
    }
    const version = item.version + 1;
    await trx
      .insertInto("codelist_item_version")
      .values({ codelist_code: input.codelist, code: input.code, version, label: input.label, previous_label: item.label, change_note: input.changeNote, created_by: actor.id })
      .execute();
    await trx.updateTable("codelist_item").set({ label: input.label, version }).where("codelist_code", "=", input.codelist).where("code", "=", input.code).execute();
    await command.audit({
      action: "codelist.item_relabelled",
      entityType: "codelist",
      entityId: input.codelist,
      summary: `Liste ${input.codelist}, modalité ${input.code} : « ${item.label} » devient « ${input.label} » (version ${version}). ${input.changeNote}`,
      details: { code: input.code, version, previousLabel: item.label, label: input.label, changeNote: input.changeNote },
    });
    return { version };
  });
}

export type IndicatorVersionRow = VersionDefinition & {
  id: string;
  indicator_id: string;
  change_note: string | null;
  created_at: Date;
};

/**
 * Versions (with their breakdowns) of the given indicators — or of the whole
 * catalogue with "all" — ordered by indicator and version number.
 */
export async function loadVersions(db: Executor, indicatorIds: string[] | "all"): Promise<IndicatorVersionRow[]> {
  if (indicatorIds !== "all" && indicatorIds.length === 0) return [];
  const [versions, breakdowns] = await Promise.all([
    db
      .selectFrom("indicator_version")
      .select([
        "id",
        "indicator_id",
        "version",
        "valid_from_year",
        "label",
        "definition",
        "unit",
        "value_type",
        "measure",
        "non_negative",
        "min_value",
        "max_value",
        "breakdown_sum_equals_total",
        "change_note",
        "created_at",
      ])
      .$if(indicatorIds !== "all", (q) => q.where("indicator_id", "in", indicatorIds as string[]))
      .orderBy("indicator_id")
      .orderBy("version")
      .execute(),
    db
      .selectFrom("indicator_version_breakdown as b")
      .innerJoin("indicator_version as v", "v.id", "b.indicator_version_id")
      .select(["b.indicator_version_id", "b.codelist_code"])
      .$if(indicatorIds !== "all", (q) => q.where("v.indicator_id", "in", indicatorIds as string[]))
      .orderBy("b.indicator_version_id")
      .orderBy("b.position")
      .execute(),
  ]);
  const byVersion = new Map<string, string[]>();
  for (const b of breakdowns) {
    const list = byVersion.get(b.indicator_version_id) ?? [];
    list.push(b.codelist_code);
    byVersion.set(b.indicator_version_id, list);
  }
  return versions.map((v) => ({ ...v, breakdowns: byVersion.get(v.id) ?? [] }));
}

/** The catalogue: every indicator with its current definition, providers and breaks in series. */
export async function listCatalogue(db: Executor) {
  const indicators = await db
    .selectFrom("indicator as i")
    .innerJoin("indicator_domain as d", "d.code", "i.domain_code")
    .leftJoin("amendment as a", "a.id", "i.introduced_by_amendment_id")
    .select(["i.id", "i.code", "i.domain_code", "d.label as domain_label", "d.position as domain_position", "i.secrecy_threshold", "a.number as amendment_number"])
    .orderBy("d.position")
    .orderBy("i.code")
    .execute();
  const ids = indicators.map((i) => i.id);
  const [versions, providers] = await Promise.all([
    loadVersions(db, ids),
    ids.length
      ? db
          .selectFrom("indicator_provider as p")
          .innerJoin("organisation as o", "o.id", "p.organisation_id")
          .select(["p.indicator_id", "o.id", "o.code"])
          .where("p.indicator_id", "in", ids)
          .orderBy("o.code")
          .execute()
      : Promise.resolve([]),
  ]);
  return indicators.map((indicator) => {
    const own = versions.filter((v) => v.indicator_id === indicator.id);
    const current = own[own.length - 1]!;
    return {
      ...indicator,
      current,
      versionCount: own.length,
      breaks: seriesBreaks(own),
      providers: providers.filter((p) => p.indicator_id === indicator.id).map(({ id, code }) => ({ id, code })),
    };
  });
}

/** One indicator with its whole version history. */
export async function getIndicator(db: Executor, code: string) {
  const indicator = await db
    .selectFrom("indicator as i")
    .innerJoin("indicator_domain as d", "d.code", "i.domain_code")
    .leftJoin("amendment as a", "a.id", "i.introduced_by_amendment_id")
    .select(["i.id", "i.code", "i.domain_code", "d.label as domain_label", "i.secrecy_threshold", "i.evidence", "i.aggregation as declared_aggregation", "a.number as amendment_number"])
    .where("i.code", "=", code)
    .executeTakeFirst();
  if (!indicator) throw notFound("Cet indicateur");
  const [versions, providers] = await Promise.all([
    loadVersions(db, [indicator.id]),
    db
      .selectFrom("indicator_provider as p")
      .innerJoin("organisation as o", "o.id", "p.organisation_id")
      .select(["o.id", "o.code", "o.name"])
      .where("p.indicator_id", "=", indicator.id)
      .orderBy("o.code")
      .execute(),
  ]);
  return {
    ...indicator,
    versions: versions.map((v) => ({ ...v, endYear: versionEndYear(versions, v.version) })),
    current: versions[versions.length - 1]!,
    breaks: seriesBreaks(versions),
    providers,
    /** How organisations' values make one figure: declared, else the default of the current unit (app/domain/aggregation.ts). */
    aggregation: aggregationOf(indicator.declared_aggregation, versions[versions.length - 1]!.unit),
  };
}

/**
 * The version of indicator `code` in force for reference year `year`: the
 * one a value collected for that year is recorded under (and keeps).
 */
export async function indicatorVersionForYear(db: Executor, code: string, year: number): Promise<IndicatorVersionRow | null> {
  const indicator = await db.selectFrom("indicator").select("id").where("code", "=", code).executeTakeFirst();
  if (!indicator) return null;
  return versionForYear(await loadVersions(db, [indicator.id]), year);
}

async function assertCodelists(trx: Executor, codes: string[]) {
  if (codes.length === 0) return;
  const found = await trx.selectFrom("codelist").select("code").where("code", "in", codes).execute();
  const missing = codes.filter((c) => !found.some((f) => f.code === c));
  if (missing.length) throw new DomainError("validation", "Liste de codes inconnue.", { breakdowns: [`Listes inconnues : ${missing.join(", ")}.`] });
}

async function assertOrganisations(trx: Executor, ids: string[]) {
  if (ids.length === 0) return [];
  const found = await trx.selectFrom("organisation").select(["id", "code"]).where("id", "in", ids).execute();
  if (found.length !== ids.length) throw new DomainError("validation", "Organisme inconnu.", { providerIds: ["Rechargez la page et sélectionnez de nouveau les fournisseurs."] });
  return found;
}

async function insertVersion(
  trx: Transaction<Database>,
  indicatorId: string,
  version: number,
  validFromYear: number | null,
  input: Omit<IndicatorVersionInput, "validFromYear" | "changeNote"> & { changeNote: string | null },
  createdBy: string | null,
) {
  const row = await trx
    .insertInto("indicator_version")
    .values({
      indicator_id: indicatorId,
      version,
      valid_from_year: validFromYear,
      label: input.label,
      definition: input.definition,
      unit: input.unit,
      value_type: input.valueType,
      measure: input.measure,
      non_negative: input.nonNegative,
      min_value: input.minValue,
      max_value: input.maxValue,
      breakdown_sum_equals_total: input.sumEqualsTotal,
      change_note: input.changeNote,
      created_by: createdBy,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (input.breakdowns.length) {
    await trx
      .insertInto("indicator_version_breakdown")
      .values(input.breakdowns.map((codelist_code, position) => ({ indicator_version_id: row.id, position, codelist_code })))
      .execute();
  }
  return row.id;
}

/** Adds an indicator to the catalogue (Art. 3), by the framework convention or an amendment (Art. 7). */
export async function createIndicator(db: Db, actor: Actor, input: IndicatorCreateInput) {
  return run(db, actor, "manage:indicator", async (trx, command) => {
    if (await trx.selectFrom("indicator").select("id").where("code", "=", input.code).executeTakeFirst()) {
      throw new DomainError("conflict", "Ce code est déjà utilisé.", { code: [`Le code ${input.code} existe déjà : un code d'indicateur est stable et unique.`] });
    }
    if (!(await trx.selectFrom("indicator_domain").select("code").where("code", "=", input.domain).executeTakeFirst())) {
      throw new DomainError("validation", "Domaine inconnu.", { domain: ["Choisissez un des huit domaines."] });
    }
    await assertCodelists(trx, input.breakdowns);
    const providers = await assertOrganisations(trx, input.providerIds);
    let amendmentId: string | null = null;
    if (input.introducedBy !== "convention") {
      const amendment = await trx.selectFrom("amendment").select(["id", "number", "kind"]).where("id", "=", input.introducedBy).executeTakeFirst();
      if (!amendment || amendment.kind !== "new_data") {
        throw new DomainError("validation", "Choisissez un avenant « nouvelles données ».", { introducedBy: ["Seul un avenant « nouvelles données » ajoute des indicateurs."] });
      }
      amendmentId = amendment.id;
    }
    const indicator = await trx
      .insertInto("indicator")
      .values({ code: input.code, domain_code: input.domain, secrecy_threshold: input.secrecyThreshold, introduced_by_amendment_id: amendmentId })
      .returning("id")
      .executeTakeFirstOrThrow();
    await insertVersion(trx, indicator.id, 1, input.validFromYear, { ...input, changeNote: null }, actor.id);
    if (providers.length) {
      await trx
        .insertInto("indicator_provider")
        .values(providers.map((p) => ({ indicator_id: indicator.id, organisation_id: p.id })))
        .execute();
    }
    await command.audit({
      action: "indicator.created",
      entityType: "indicator",
      entityId: input.code,
      summary: `Indicateur ${input.code} ajouté au catalogue : ${input.label}.`,
      details: { domain: input.domain, providers: providers.map((p) => p.code), validFromYear: input.validFromYear },
    });
    return indicator.id;
  });
}

const definitionOf = (v: Omit<IndicatorVersionInput, "validFromYear" | "changeNote">) => ({
  label: v.label,
  definition: v.definition,
  unit: v.unit,
  value_type: v.valueType,
  measure: v.measure,
  non_negative: v.nonNegative,
  min_value: v.minValue,
  max_value: v.maxValue,
  breakdown_sum_equals_total: v.sumEqualsTotal,
  breakdowns: v.breakdowns,
});

/**
 * A definition change makes a new version, in force from `validFromYear`;
 * earlier versions stay untouched, and so do the values recorded under them.
 */
export async function addIndicatorVersion(db: Db, actor: Actor, code: string, input: IndicatorVersionInput) {
  return run(db, actor, "manage:indicator", async (trx, command) => {
    const indicator = await trx.selectFrom("indicator").select(["id", "code"]).where("code", "=", code).forUpdate().executeTakeFirst();
    if (!indicator) throw notFound("Cet indicateur");
    const versions = await loadVersions(trx, [indicator.id]);
    const latest = versions[versions.length - 1]!;
    if (latest.valid_from_year !== null && input.validFromYear <= latest.valid_from_year) {
      throw new DomainError("validation", "Une nouvelle version s'applique après la version en vigueur.", {
        validFromYear: [`La version ${latest.version} s'applique depuis ${latest.valid_from_year} : indiquez une année postérieure.`],
      });
    }
    await assertCodelists(trx, input.breakdowns);
    const next = definitionOf(input);
    const unchanged = (Object.keys(next) as (keyof typeof next)[]).every((k) => JSON.stringify(next[k]) === JSON.stringify(latest[k]));
    if (unchanged) throw new DomainError("validation", "La définition est identique à la version en vigueur : rien à versionner.");
    const version = latest.version + 1;
    const id = await insertVersion(trx, indicator.id, version, input.validFromYear, input, actor.id);
    await trx.updateTable("indicator").set({ updated_at: new Date() }).where("id", "=", indicator.id).execute();
    await command.audit({
      action: "indicator.version_added",
      entityType: "indicator",
      entityId: code,
      summary: `Indicateur ${code} : version ${version} à partir de ${input.validFromYear} (rupture de série). ${input.changeNote}`,
      details: {
        version,
        validFromYear: input.validFromYear,
        changeNote: input.changeNote,
        before: { version: latest.version, ...Object.fromEntries((Object.keys(next) as (keyof typeof next)[]).map((k) => [k, latest[k]])) },
        after: next,
      },
    });
    return { id, version };
  });
}

/** Settings that do not change the definition: secrecy threshold and providers. */
export async function updateIndicatorSettings(db: Db, actor: Actor, code: string, input: IndicatorSettingsInput) {
  await run(db, actor, "manage:indicator", async (trx, command) => {
    const indicator = await trx.selectFrom("indicator").select(["id", "secrecy_threshold"]).where("code", "=", code).forUpdate().executeTakeFirst();
    if (!indicator) throw notFound("Cet indicateur");
    const providers = await assertOrganisations(trx, input.providerIds);
    const before = await trx
      .selectFrom("indicator_provider as p")
      .innerJoin("organisation as o", "o.id", "p.organisation_id")
      .select("o.code")
      .where("p.indicator_id", "=", indicator.id)
      .orderBy("o.code")
      .execute();
    await trx.updateTable("indicator").set({ secrecy_threshold: input.secrecyThreshold, updated_at: new Date() }).where("id", "=", indicator.id).execute();
    await trx.deleteFrom("indicator_provider").where("indicator_id", "=", indicator.id).execute();
    if (providers.length) {
      await trx
        .insertInto("indicator_provider")
        .values(providers.map((p) => ({ indicator_id: indicator.id, organisation_id: p.id })))
        .execute();
    }
    await command.audit({
      action: "indicator.settings_updated",
      entityType: "indicator",
      entityId: code,
      summary: `Indicateur ${code} : seuil de secret ${input.secrecyThreshold}, fournisseurs ${providers.map((p) => p.code).sort().join(", ") || "aucun"}.`,
      details: {
        before: { secrecyThreshold: indicator.secrecy_threshold, providers: before.map((b) => b.code) },
        after: { secrecyThreshold: input.secrecyThreshold, providers: providers.map((p) => p.code).sort() },
      },
    });
  });
}

/** Indicator options for pickers (code — current label), in catalogue order. */
export async function listIndicatorOptions(db: Executor) {
  const catalogue = await listCatalogue(db);
  return catalogue.map((i) => ({
    id: i.id,
    code: i.code,
    label: i.current.label,
    domain: i.domain_label,
    amendmentNumber: i.amendment_number,
    providerIds: i.providers.map((p) => p.id),
  }));
}
