import type { Db, Executor } from "../db.server";
import { run, type Actor } from "../command.server";
import { DomainError, notFound } from "../errors.server";
import type { DerivedIndicatorInput, KeyFiguresInput } from "~/domain/dashboard";

/**
 * The dashboard's part of the catalogue: derived indicators (rates such as
 * "children in care per 1,000 aged 0–20": numerator / denominator ×
 * multiplier) and the ordered key figures that open every edition.
 */
export async function listDerivedIndicators(db: Executor) {
  return db
    .selectFrom("derived_indicator as d")
    .innerJoin("indicator as n", "n.id", "d.numerator_indicator_id")
    .innerJoin("indicator as q", "q.id", "d.denominator_indicator_id")
    .innerJoin("indicator_domain as dom", "dom.code", "d.domain_code")
    .select([
      "d.id",
      "d.code",
      "d.domain_code",
      "dom.label as domain_label",
      "d.label",
      "d.definition",
      "n.code as numerator",
      "q.code as denominator",
      "d.multiplier",
      "d.unit",
      "d.decimals",
      "d.created_at",
    ])
    .orderBy("dom.position")
    .orderBy("d.code")
    .execute();
}

export async function listKeyFigureCodes(db: Executor): Promise<string[]> {
  return (await db.selectFrom("dashboard_key_figure").select("code").orderBy("position").execute()).map((r) => r.code);
}

async function indicatorIdByCode(trx: Executor, code: string, field: string) {
  const row = await trx.selectFrom("indicator").select("id").where("code", "=", code).executeTakeFirst();
  if (!row) throw new DomainError("validation", "Le formulaire contient des erreurs : corrigez les champs signalés.", { [field]: [`L'indicateur ${code} n'existe pas dans le catalogue.`] });
  return row.id;
}

export async function createDerivedIndicator(db: Db, actor: Actor, input: DerivedIndicatorInput) {
  return run(db, actor, "manage:dashboard", async (trx, command) => {
    const clash =
      (await trx.selectFrom("indicator").select("id").where("code", "=", input.code).executeTakeFirst()) ??
      (await trx.selectFrom("derived_indicator").select("id").where("code", "=", input.code).executeTakeFirst()) ??
      (await trx.selectFrom("rate_definition").select("id").where("code", "=", input.code).executeTakeFirst());
    if (clash) throw new DomainError("conflict", "Ce code est déjà utilisé.", { code: [`Le code ${input.code} désigne déjà un indicateur : choisissez-en un autre.`] });
    const domain = await trx.selectFrom("indicator_domain").select("code").where("code", "=", input.domain).executeTakeFirst();
    if (!domain) throw new DomainError("validation", "Choisissez un domaine du catalogue.", { domain: ["Domaine inconnu."] });
    const numerator = await indicatorIdByCode(trx, input.numerator, "numerator");
    const denominator = await indicatorIdByCode(trx, input.denominator, "denominator");
    const created = await trx
      .insertInto("derived_indicator")
      .values({
        code: input.code,
        domain_code: input.domain,
        label: input.label,
        definition: input.definition,
        numerator_indicator_id: numerator,
        denominator_indicator_id: denominator,
        multiplier: input.multiplier,
        unit: input.unit,
        decimals: input.decimals,
        created_by: actor.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await command.audit({
      action: "dashboard.derived_indicator_created",
      entityType: "derived_indicator",
      entityId: created.id,
      summary: `Indicateur calculé ${input.code} ajouté au catalogue : ${input.numerator} / ${input.denominator} × ${input.multiplier.toLocaleString("fr-FR")}.`,
      details: input,
    });
    return created.id;
  });
}

/** Removes a derived indicator from the catalogue (and from the key figures). Published editions keep their frozen values. */
export async function deleteDerivedIndicator(db: Db, actor: Actor, code: string) {
  await run(db, actor, "manage:dashboard", async (trx, command) => {
    const row = await trx.selectFrom("derived_indicator").selectAll().where("code", "=", code).forUpdate().executeTakeFirst();
    if (!row) throw notFound("Cet indicateur calculé");
    await trx.deleteFrom("dashboard_key_figure").where("code", "=", code).execute();
    await trx.deleteFrom("derived_indicator").where("id", "=", row.id).execute();
    await command.audit({
      action: "dashboard.derived_indicator_deleted",
      entityType: "derived_indicator",
      entityId: row.id,
      summary: `Indicateur calculé ${code} retiré du catalogue (les éditions publiées restent inchangées).`,
      details: { code, label: row.label },
    });
  });
}

/** Replaces the ordered list of key figures; every code must be an indicator, a derived indicator or a rate (ADR 019). */
export async function setKeyFigures(db: Db, actor: Actor, input: KeyFiguresInput) {
  await run(db, actor, "manage:dashboard", async (trx, command) => {
    if (input.codes.length) {
      const known = new Set([
        ...(await trx.selectFrom("indicator").select("code").where("code", "in", input.codes).execute()).map((r) => r.code),
        ...(await trx.selectFrom("derived_indicator").select("code").where("code", "in", input.codes).execute()).map((r) => r.code),
        ...(await trx.selectFrom("rate_definition").select("code").where("code", "in", input.codes).execute()).map((r) => r.code),
      ]);
      const unknown = input.codes.filter((c) => !known.has(c));
      if (unknown.length) throw new DomainError("validation", "Le formulaire contient des erreurs : corrigez les champs signalés.", { codes: [`Codes inconnus : ${unknown.join(", ")}.`] });
    }
    const before = await listKeyFigureCodes(trx);
    await trx.deleteFrom("dashboard_key_figure").execute();
    if (input.codes.length) {
      await trx
        .insertInto("dashboard_key_figure")
        .values(input.codes.map((code, i) => ({ position: i + 1, code })))
        .execute();
    }
    await command.audit({
      action: "dashboard.key_figures_set",
      entityType: "dashboard",
      summary: `Chiffres clés du tableau de bord : ${input.codes.length ? input.codes.join(", ") : "aucun"}.`,
      details: { before, after: input.codes },
    });
  });
}
