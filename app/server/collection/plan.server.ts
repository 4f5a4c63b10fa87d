import { createHash } from "node:crypto";
import type { Executor } from "../db.server";
import { DomainError } from "../errors.server";
import { loadVersions } from "../indicators/indicators.server";
import { versionForYear } from "~/domain/indicators";
import { breakdownCells, breakdownKey, TOTAL_KEY } from "~/domain/breakdowns";
import { lineKey } from "~/domain/template-layout";
import type { PlanLine } from "~/domain/validation";
import { planLinePacker, type PackedLines } from "./packed-lines";

/** What one organisation is expected to send for one campaign: its lines, in template order. */
export interface CollectionPlan {
  campaign: { id: string; year: number; deadline: string; status: string };
  organisation: { id: string; code: string; name: string };
  lines: PlanLine[];
  /** sha256 over the ordered line keys and indicator versions: identifies the template's structure. */
  hash: string;
}

/**
 * Builds the plan from the referential: the indicators of the organisation's
 * agreement for the campaign (Art. 4), each in the version in force for the
 * reference year, expanded into its total and breakdown cells, with last
 * year's accepted values for reference, and whether the agreement lets each
 * indicator be declared « non disponible » (ADR 026).
 */
export async function buildCollectionPlan(db: Executor, year: number, organisationId: string): Promise<CollectionPlan> {
  const lines: PlanLine[] = [];
  // planLines hands over one object it refills for each line: each is copied.
  const plan = await planLines(db, year, organisationId, (line) => lines.push({ ...line }));
  return { ...plan, lines };
}

/**
 * The plan without its lines: they are packed as they are made (packed-lines.ts), without their key, which
 * packedPlanLines makes again from the indicator and breakdown (planLinePacker, ADR 058).
 */
export type PackedCollectionPlan = Omit<CollectionPlan, "lines"> & { packedLines: PackedLines };

/**
 * The same plan, its lines packed as they are made (ADR 050): an upload sends
 * them packed to its worker (ADR 031), and ~100,000 line objects held at
 * once on the main thread grew its heap by tens of MiB of garbage kept long
 * after the plan was posted. The keys are left out (ADR 058): 100,000
 * distinct strings that the main thread held until the plan was posted, and
 * the worker throughout its read, when each is its indicator's code and its
 * breakdown's key joined (lineKey).
 */
export async function buildPackedCollectionPlan(db: Executor, year: number, organisationId: string): Promise<PackedCollectionPlan> {
  const packer = planLinePacker();
  const plan = await planLines(db, year, organisationId, (line) => packer.add(line));
  return { ...plan, packedLines: packer.finish() };
}

/**
 * Builds the plan, handing each line to `emit` in template order; the plan's hash is computed as they go.
 * `emit` gets the same object each time, refilled: it copies what it keeps (a LinePacker copies the values).
 */
async function planLines(db: Executor, year: number, organisationId: string, emit: (line: PlanLine) => void): Promise<Omit<CollectionPlan, "lines">> {
  const expected = await db
    .selectFrom("expected_submission as e")
    .innerJoin("campaign as c", "c.id", "e.campaign_id")
    .innerJoin("organisation as o", "o.id", "e.organisation_id")
    .select([
      "c.id as campaign_id",
      "c.status",
      "e.deadline",
      "e.agreement_id",
      "o.id as organisation_id",
      "o.code",
      "o.name",
    ])
    .where("c.reference_year", "=", year)
    .where("e.organisation_id", "=", organisationId)
    .executeTakeFirst();
  if (!expected) {
    throw new DomainError("not_found", `Votre organisme n'est pas attendu dans la campagne ${year} : aucun modèle de tableau à remplir.`);
  }
  const indicatorRows = expected.agreement_id
    ? await db
        .selectFrom("agreement_indicator as ai")
        .innerJoin("indicator as i", "i.id", "ai.indicator_id")
        .innerJoin("indicator_domain as d", "d.code", "i.domain_code")
        .select(["i.id", "i.code", "d.position", "ai.not_available_allowed"])
        .where("ai.agreement_id", "=", expected.agreement_id)
        .orderBy("d.position")
        .orderBy("i.code")
        .execute()
    : [];
  const versions = await loadVersions(
    db,
    indicatorRows.map((r) => r.id),
  );
  const listCodes = [...new Set(versions.flatMap((v) => v.breakdowns))];
  const items = listCodes.length
    ? await db
        .selectFrom("codelist_item")
        .select(["codelist_code", "code", "label"])
        .where("codelist_code", "in", listCodes)
        .orderBy("codelist_code")
        .orderBy("position")
        .execute()
    : [];
  const itemsByList = new Map<string, { code: string }[]>();
  for (const item of items) {
    const list = itemsByList.get(item.codelist_code);
    if (list) list.push(item);
    else itemsByList.set(item.codelist_code, [item]);
  }
  const itemsOf = (list: string) => itemsByList.get(list) ?? [];
  const versionsByIndicator = new Map<string, typeof versions>();
  for (const v of versions) {
    const list = versionsByIndicator.get(v.indicator_id);
    if (list) list.push(v);
    else versionsByIndicator.set(v.indicator_id, [v]);
  }
  const labelOf = new Map(items.map((i) => [`${i.codelist_code}=${i.code}`, i.label]));

  const previous = await db
    .selectFrom("accepted_value")
    .select(["indicator_id", "breakdown_key", "value"])
    .where("organisation_id", "=", organisationId)
    .where("reference_year", "=", year - 1)
    .execute();
  // Last year's values by indicator, then by breakdown key: looking a line up makes no string (ADR 058).
  const previousOf = new Map<string, Map<string, number | null>>();
  for (const p of previous) {
    const values = previousOf.get(p.indicator_id);
    if (values) values.set(p.breakdown_key, p.value);
    else previousOf.set(p.indicator_id, new Map([[p.breakdown_key, p.value]]));
  }

  // The cells of each combination of breakdown lists, with their labels: computed once per combination
  // (thousands of indicators share a few), and shared by the lines.
  const cellsOf = new Map<string, { key: string; label: string }[]>();
  const cellsFor = (breakdowns: readonly string[]) => {
    const signature = breakdowns.join("\n");
    let cells = cellsOf.get(signature);
    if (!cells) {
      const lists = breakdowns.map((code) => ({ code, items: itemsOf(code) }));
      const keys = [TOTAL_KEY, ...breakdownCells(lists).map((cell) => breakdownKey(cell, breakdowns))];
      cells = keys.map((key) => ({
        key,
        label:
          key === TOTAL_KEY
            ? "Total"
            : key
                .split("|")
                .map((part) => labelOf.get(part) ?? part)
                .join(" × "),
      }));
      cellsOf.set(signature, cells);
    }
    return cells;
  };

  // sha256 of the lines' `key@indicatorVersionId`, joined by newlines.
  const hashing = createHash("sha256");
  let first = true;
  // One object refilled for each line and handed to `emit`, which copies what it keeps: ~100,000 line
  // objects made for a packer that keeps none were 13 MiB of garbage per upload on the main thread (ADR 058).
  const line: PlanLine = {
    key: "",
    indicatorCode: "",
    indicatorLabel: "",
    indicatorVersionId: "",
    breakdownKey: "",
    breakdownLabel: "",
    unit: "",
    valueType: "integer",
    nonNegative: false,
    min: null,
    max: null,
    sumEqualsTotal: false,
    previous: null,
    notAvailableAllowed: false,
  };
  for (const indicator of indicatorRows) {
    const version = versionForYear(versionsByIndicator.get(indicator.id) ?? [], year);
    if (!version) continue;
    const previousValues = previousOf.get(indicator.id);
    for (const { key, label } of cellsFor(version.breakdowns)) {
      line.key = lineKey(indicator.code, key);
      line.indicatorCode = indicator.code;
      line.indicatorLabel = version.label;
      line.indicatorVersionId = version.id;
      line.breakdownKey = key;
      line.breakdownLabel = label;
      line.unit = version.unit;
      line.valueType = version.value_type;
      line.nonNegative = version.non_negative;
      line.min = version.min_value;
      line.max = version.max_value;
      line.sumEqualsTotal = version.breakdown_sum_equals_total;
      line.previous = previousValues?.get(key) ?? null;
      line.notAvailableAllowed = indicator.not_available_allowed;
      hashing.update(`${first ? "" : "\n"}${line.key}@${line.indicatorVersionId}`);
      first = false;
      emit(line);
    }
  }
  return {
    campaign: { id: expected.campaign_id, year, deadline: expected.deadline, status: expected.status },
    organisation: { id: expected.organisation_id, code: expected.code, name: expected.name },
    hash: hashing.digest("hex"),
  };
}
