import { randomUUID } from "node:crypto";
import { deflateSync } from "node:zlib";
import { NOT_AVAILABLE_LABELS, type NotAvailableCode } from "~/domain/not-available";
import { loadExcelJS } from "~/server/excel.server";
import { sql } from "kysely";
import type { Db } from "../db.server";
import { recordAudit } from "../audit/audit.server";
import type { Actor } from "../command.server";
import { putFiles } from "../storage/files.server";
import { setOrganisationLogo } from "../organisations/organisations.server";
import { breakdownCells, breakdownKey } from "~/domain/breakdowns";
import { addDays } from "~/domain/dates";
import { isNonAdditiveUnit } from "~/domain/aggregation";
import { versionForYear, type VersionDefinition } from "~/domain/indicators";
import { setKeyFigures } from "./catalogue.server";
import { seedDemoPopulations } from "../populations/demo.server";
import { createEdition, publishEdition, saveEditionTexts, transitionEdition } from "./editions.server";
import { startStep } from "../start-timing.server";
import { warmHeavyPool } from "../heavy/pool.server";
import { refuseDemoSeedingOutsideDemo } from "../observatory/demo-seeding.server";

/**
 * Demonstration data for the annual dashboard. Deterministic (a hash of
 * indicator, organisation and year, never Math.random), with plausible
 * magnitudes for the Loire (public DREES/ONPE orders of size, a few % drift a
 * year), clearly labelled as fictitious. For each closed campaign it writes
 * what the collection would have produced — a stored workbook per
 * organisation, an accepted submission and version, the values read and the
 * accepted values (lineage) — plus demo logos, the derived indicators and
 * key figures of the catalogue, and published editions of the two years
 * before the last closed one (the last is left for the referent to publish).
 */

/** FNV-1a: a stable pseudo-random number in [0, 1) for a label. */
function unit(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x100000000;
}
const jitter = (label: string, spread: number) => 1 + (unit(label) * 2 - 1) * spread;

/** Département-level value in 2020 and yearly growth, per catalogue code (Loire orders of size). */
const MAGNITUDES: Record<string, [base: number, growth: number]> = {
  POP_0_17: [172000, -0.004],
  POP_0_20: [194700, -0.003],
  POP_18_20: [28500, 0.002],
  NAISS: [7900, -0.015],
  FAM_MONO: [24.5, 0.01],
  PAUV_MIN: [21.8, 0.005],
  ALLOC_RSA_ENF: [9800, 0.01],
  ALLOC_AEEH: [3900, 0.05],
  PMI_EPP: [3100, 0.02],
  PMI_VAD: [5200, -0.01],
  PMI_BSEM: [6900, 0],
  TISF_FAMILLES: [620, 0.01],
  TISF_HEURES: [61000, 0.01],
  AESF: [410, 0.02],
  MJAGBF: [180, 0.01],
  PARENTALITE: [95, 0.03],
  INFO_ENTR: [3300, 0.05],
  IP_NB: [2063, 0.08],
  IP_MIN: [1850, 0.06],
  IP_DANGER: [2000, 0.06],
  IP_EVAL_3MOIS: [1200, 0.04],
  IP_SUITES: [2000, 0.06],
  SIGN_PR: [540, 0.03],
  SIGN_PARQUET_RECUS: [1100, 0.03],
  OPP: [260, 0.02],
  IP_EN_EMISES: [820, 0.06],
  IP_HOP_EMISES: [310, 0.04],
  UAPED_AUDITIONS: [140, 0.08],
  VIF_MINEURS_POL: [620, 0.06],
  VIF_MINEURS_GEN: [380, 0.06],
  IP_DELAI_EVAL: [96.5, -0.03],
  AED_MIN: [888, 0.02],
  AED_JM: [40, 0.02],
  AED_ENTREES: [520, 0.02],
  AP_MIN: [100, 0.03],
  AP_JM: [349, 0.04],
  CJM_SIGNES: [430, 0.07],
  PUPILLES: [46, 0.01],
  ACC_URG: [160, 0.03],
  MERE_ENF: [22, 0],
  MNA_EVAL: [620, 0.06],
  MNA_CONFIES: [280, 0.05],
  MNA_STOCK: [420, 0.06],
  MNA_HEB: [420, 0.06],
  AEMO: [2230, 0.01],
  AEMO_RENF: [210, 0.03],
  AEMO_ATTENTE: [130, 0.08],
  AEMO_DELAI: [48, 0.03],
  MJIE: [690, 0.02],
  PLAC_JUGE: [1609, 0.02],
  TUTELLE: [127, 0.01],
  DAP: [38, 0.01],
  PD_TDC: [140, 0.02],
  PD_ETAB: [122, 0.02],
  JE_MINEURS: [4100, 0.01],
  DELAISSEMENT: [14, 0],
  CONFIES: [2269, 0.025],
  CONF_FA: [772, -0.01],
  CONF_ETAB: [805, 0.02],
  CONF_AUTO: [434, 0.03],
  CONF_HORS_DEP: [178, 0.03],
  PLACES_MECS: [720, 0.01],
  PLACES_FDE: [90, 0],
  PLACES_LVA: [45, 0],
  ASSFAM: [560, -0.02],
  ASSFAM_PLACES: [1350, -0.015],
  TX_OCCUP: [93.5, 0.002],
  DUREE_PEC: [4.6, 0.005],
  PPE_NB: [1300, 0.06],
  HANDICAP_CONFIES: [480, 0.03],
  DEP_BRUTE: [104450, 0.04],
  DEP_PLAC_FAM: [22470, 0.02],
  DEP_PLAC_ETAB: [48670, 0.05],
  DEP_AE: [10970, 0.02],
  DEP_PREV: [3750, 0.01],
  DEP_ALLOC: [2020, 0.01],
  PRIX_JOUR_MECS: [182.5, 0.02],
  ETP_ASE: [410.5, 0.01],
};

/** Shares of each code list's items (unknown items share equally). */
const SHARES: Record<string, Record<string, number>> = {
  SEXE: { F: 0.46, M: 0.54 },
  AGE_BAND: { "0-2": 0.08, "3-5": 0.1, "6-10": 0.22, "11-15": 0.32, "16-17": 0.18, "18-20": 0.1 },
  AGE_BAND_ADULT: { LT40: 0.2, "40-54": 0.45, "55P": 0.35 },
  IP_SENDER: { EN: 0.32, SANTE: 0.12, "119": 0.08, FDO: 0.15, SOCIAL: 0.18, FAMILLE: 0.1, AUTRE: 0.05 },
  DANGER_NATURE: { SANTE: 0.15, SECURITE: 0.3, MORALITE: 0.05, EDUCATION: 0.3, DEVELOPPEMENT: 0.2 },
  IP_OUTCOME: { CLASSEMENT: 0.3, ADMIN: 0.25, SIGNALEMENT: 0.22, TRANSFERT: 0.05, EN_COURS: 0.18 },
  ACCUEIL_TYPE: { MECS: 0.83, FDE: 0.093, POUP: 0.024, LVA: 0.046, AUTRE: 0.007 },
  TERRITOIRE: { T1: 0.38, T2: 0.27, T3: 0.2, T4: 0.15 },
};
/** Indicator-specific shares: minors concerned by an IP are rarely 18 or over. */
const SHARE_OVERRIDES: Record<string, Record<string, Record<string, number>>> = {
  IP_MIN: { AGE_BAND: { "0-2": 0.1, "3-5": 0.13, "6-10": 0.28, "11-15": 0.33, "16-17": 0.158, "18-20": 0.002 } },
};

/**
 * ADR 030: cells the demo's partners declared not available (ND) or not
 * concerned (NC), by reference year, organisation and indicator — so the
 * demo dashboard shows « donnée non disponible pour CH du Forez — Feurs ».
 */
/** Rows per INSERT of the demo values (well under PostgreSQL's 65,535 bind parameters: 10 columns a row). */
const DEMO_VALUES_CHUNK = 2000;

export const DEMO_NOT_AVAILABLE: readonly { year: number; organisation: string; indicator: string; code: NotAvailableCode; reason: string | null }[] = [
  { year: 2024, organisation: "CH-FEURS", indicator: "IP_HOP_EMISES", code: "ND", reason: "logiciel des urgences remplacé en cours d'année, extraction impossible" },
  { year: 2024, organisation: "CH-GIER", indicator: "IP_HOP_EMISES", code: "NC", reason: "plus de service d'urgences pédiatriques depuis 2024" },
];

/** Who did not transmit, and who was late (days after the deadline), by reference year. */
const NOT_TRANSMITTED: Record<number, string[]> = { 2022: ["CH-FEURS"], 2023: ["BRUYERES"], 2024: ["HPL", "CH-MONTBRISON"] };

/** Splits an integer total by shares, the cells summing exactly to the total (largest remainders). */
export function splitInteger(total: number, shares: number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0) || 1;
  const raw = shares.map((s) => (total * s) / sum);
  const floors = raw.map(Math.floor);
  let rest = total - floors.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    floors[i]!++;
    rest--;
  }
  return floors;
}

export interface DemoVersion extends VersionDefinition {
  id: string;
}

/** One organisation's values of one indicator for one year: total and breakdown cells. */
export function demoValues(
  code: string,
  version: DemoVersion,
  year: number,
  orgCode: string,
  providers: string[],
  lists: { code: string; items: { code: string }[] }[],
): { key: string; value: number }[] {
  const [base, growth] = MAGNITUDES[code] ?? [100, 0.02];
  let level = base * Math.pow(1 + growth, year - 2020) * jitter(`${code}|${year}`, 0.025);
  if (code === "IP_NB" && (version.valid_from_year ?? 0) >= 2022) level *= 1.22; // counted per child from 2022 (break in series)
  // Shares and averages: each organisation near the level (never divided among providers).
  const mean = isNonAdditiveUnit(version.unit);
  let value: number;
  if (mean || providers.length <= 1) {
    value = mean ? level * jitter(`${code}|${orgCode}|${year}`, 0.04) : level;
  } else {
    const weights = providers.map((p) => 0.5 + unit(`${code}|${p}`));
    const mine = weights[providers.indexOf(orgCode)] ?? 1;
    value = (level * mine) / weights.reduce((a, b) => a + b, 0);
  }
  if (version.value_type === "integer") value = Math.max(0, Math.round(value));
  else value = Math.round(value * 10) / 10;
  const out = [{ key: "", value }];
  if (lists.length && version.value_type === "integer") {
    const cells = breakdownCells(lists);
    const shares = cells.map((cell) =>
      Object.entries(cell).reduce((acc, [list, item]) => {
        const table = SHARE_OVERRIDES[code]?.[list] ?? SHARES[list];
        const share = table?.[item] ?? 1 / (lists.find((l) => l.code === list)?.items.length ?? 1);
        return acc * share * jitter(`${code}|${orgCode}|${year}|${list}=${item}`, 0.05);
      }, 1),
    );
    const split = splitInteger(value, shares);
    cells.forEach((cell, i) => out.push({ key: breakdownKey(cell, version.breakdowns), value: split[i]! }));
  }
  return out;
}

// ── Demo logos (PNG, generated) ─────────────────────────────────────────

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 192×96 abstract emblem in the organisation's colour (no text: the report prints the name beside it). */
export function demoLogoPng(code: string): Buffer {
  const w = 192;
  const h = 96;
  const hue = unit(`${code}|hue`) * 360;
  const [r, g, b] = hslToRgb(hue, 0.55, 0.38);
  const bars = [0.45, 0.7, 0.95].map((f, i) => Math.round((0.35 + unit(`${code}|bar${i}`) * 0.6) * f * (w - 96)));
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      let color: [number, number, number] = [255, 255, 255];
      const inDisc = (x - 46) ** 2 + (y - 48) ** 2 <= 34 ** 2;
      const inHole = (x - 46) ** 2 + (y - 48) ** 2 <= 14 ** 2;
      if (inDisc && !inHole) color = [r, g, b];
      for (let i = 0; i < 3; i++) {
        const top = 24 + i * 18;
        if (y >= top && y < top + 10 && x >= 92 && x < 92 + bars[i]!) color = i === 1 ? [Math.min(255, r + 60), Math.min(255, g + 60), Math.min(255, b + 60)] : [r, g, b];
      }
      raw[row + 1 + x * 3] = color[0];
      raw[row + 2 + x * 3] = color[1];
      raw[row + 3 + x * 3] = color[2];
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

// ── The generator ────────────────────────────────────────────────────────

export const DEMO_KEY_FIGURES = ["CONFIES", "TX_CONFIES", "IP_NB", "TX_IP_MIN", "AEMO", "AED_MIN", "MNA_STOCK", "DEP_BRUTE"];

const FOREWORD = (year: number) =>
  `Ce tableau de bord rassemble les données ${year} transmises par les partenaires de l'observatoire : contexte départemental, prévention, enfance en danger, mesures administratives et judiciaires, mineurs non accompagnés, accueil et engagement financier.\n\n` +
  `Démonstration : les organismes cités existent, mais toutes les valeurs sont fictives et ne doivent pas être citées.`;

async function demoWorkbook(
  orgName: string,
  year: number,
  rows: { code: string; key: string; value: number | null; notAvailable?: { code: NotAvailableCode; reason: string | null } }[],
): Promise<Buffer> {
  const wb = new (await loadExcelJS()).Workbook();
  wb.creator = "Portail ODPE (démonstration)";
  wb.created = new Date(`${year + 1}-02-01T09:00:00Z`);
  const ws = wb.addWorksheet("Données");
  ws.addRow([`Fichier de démonstration généré : valeurs fictives — ${orgName} — année ${year}`]);
  ws.addRow(["Indicateur", "Ventilation", "Valeur", "Motif (si non disponible)"]);
  for (const r of rows) ws.addRow([r.code, r.key || "Total", r.notAvailable ? `${r.notAvailable.code} — ${NOT_AVAILABLE_LABELS[r.notAvailable.code]}` : r.value, r.notAvailable?.reason ?? null]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/**
 * Key figures, when none are set yet. The rates (TX_CONFIES, TX_IP_MIN…) are
 * no longer demo-only derived indicators: they come from conventions/rates.json
 * and are computed over the Insee populations (ADR 019).
 */
export async function seedDashboardCatalogue(db: Db, actor: Actor) {
  if (await db.selectFrom("dashboard_key_figure").select("code").limit(1).executeTakeFirst()) return;
  const codes = new Set([
    ...(await db.selectFrom("indicator").select("code").execute()).map((i) => i.code),
    ...(await db.selectFrom("rate_definition").select("code").execute()).map((r) => r.code),
  ]);
  await setKeyFigures(db, actor, { codes: DEMO_KEY_FIGURES.filter((c) => codes.has(c)) });
}

export interface DemoDashboardResult {
  valuesSeeded: number;
  submissions: number;
  logos: number;
  editions: number[];
}

/**
 * Seeds the dashboard's demo data. Refused outside demo mode; each part
 * runs only when missing, so it is safe at every start.
 */
export async function seedDemoDashboard(db: Db, actor: Actor, appMode: "demo" | "production", options: { publishYears?: number } = {}): Promise<DemoDashboardResult> {
  refuseDemoSeedingOutsideDemo(appMode);
  const result: DemoDashboardResult = { valuesSeeded: 0, submissions: 0, logos: 0, editions: [] };
  const team = await db.selectFrom("organisation").select("id").where("is_observatory_team", "=", true).executeTakeFirst();
  if (!team) return result;
  await seedDashboardCatalogue(db, actor);
  await seedDemoPopulations(db, actor);

  const campaigns = await db.selectFrom("campaign").select(["id", "reference_year", "deadline"]).where("status", "=", "closed").orderBy("reference_year").execute();
  // Published editions of earlier years, so readers see history; the last closed year is left to publish.
  const publishYears = options.publishYears ?? 2;
  const hasEditions = await db.selectFrom("dashboard_edition").select("id").limit(1).executeTakeFirst();
  const publishing = !hasEditions && campaigns.length > 1 && publishYears > 0;
  // Their PDF and XLSX are rendered in the heavy-work pool (ADR 016): its threads start and load their
  // libraries on the other core while this one seeds the values and logos below (ADR 041).
  const warming = publishing ? warmHeavyPool() : Promise.resolve();
  const hasValues = await db.selectFrom("accepted_value").select(sql`1`.as("x")).limit(1).executeTakeFirst();
  if (campaigns.length && !hasValues) {
    const valuesStep = startStep("demo: dashboard values");
    const [indicators, versions, breakdowns, items, agreementIndicators] = await Promise.all([
      db.selectFrom("indicator").select(["id", "code"]).execute(),
      db
        .selectFrom("indicator_version")
        .select(["id", "indicator_id", "version", "valid_from_year", "label", "definition", "unit", "value_type", "measure", "non_negative", "min_value", "max_value", "breakdown_sum_equals_total"])
        .execute(),
      db.selectFrom("indicator_version_breakdown").select(["indicator_version_id", "codelist_code"]).orderBy("position").execute(),
      db.selectFrom("codelist_item").select(["codelist_code", "code"]).orderBy("position").execute(),
      db.selectFrom("agreement_indicator").select(["agreement_id", "indicator_id"]).execute(),
    ]);
    const versionsOf = new Map<string, DemoVersion[]>();
    for (const v of versions) {
      const list = versionsOf.get(v.indicator_id) ?? [];
      list.push({ ...v, breakdowns: breakdowns.filter((b) => b.indicator_version_id === v.id).map((b) => b.codelist_code) });
      versionsOf.set(v.indicator_id, list);
    }
    const itemsOf = (list: string) => items.filter((i) => i.codelist_code === list).map((i) => ({ code: i.code }));
    const indicatorsOfAgreement = new Map<string, string[]>();
    for (const ai of agreementIndicators) indicatorsOfAgreement.set(ai.agreement_id, [...(indicatorsOfAgreement.get(ai.agreement_id) ?? []), ai.indicator_id]);
    const orgs = await db.selectFrom("organisation").select(["id", "code", "name"]).execute();
    const orgById = new Map(orgs.map((o) => [o.id, o]));

    await db.transaction().execute(async (trx) => {
      // What the collection would have produced, planned in the order of the former per-organisation
      // loop (campaigns by year, then expected submissions), then written with a few set-based
      // statements instead of ~8 round trips per submission (ADR 045): same rows, same values.
      type Row = { indicatorId: string; versionId: string; code: string; key: string; value: number | null; notAvailable?: { code: NotAvailableCode; reason: string | null } };
      const planned: { campaignId: string; year: number; org: { id: string; code: string; name: string }; rows: Row[]; transmitted: Date; validated: Date; accepted: Date }[] = [];
      for (const campaign of campaigns) {
        const year = campaign.reference_year;
        const expected = await trx
          .selectFrom("expected_submission")
          .select(["organisation_id", "agreement_id", "deadline"])
          .where("campaign_id", "=", campaign.id)
          .execute();
        const existing = new Set((await trx.selectFrom("submission").select("organisation_id").where("campaign_id", "=", campaign.id).execute()).map((s) => s.organisation_id));
        // Providers of each indicator this year (for splitting département totals).
        const providersOf = new Map<string, string[]>();
        for (const e of expected) {
          for (const indicatorId of indicatorsOfAgreement.get(e.agreement_id ?? "") ?? []) {
            providersOf.set(indicatorId, [...(providersOf.get(indicatorId) ?? []), orgById.get(e.organisation_id)!.code]);
          }
        }
        for (const e of expected) {
          const org = orgById.get(e.organisation_id)!;
          if (existing.has(org.id) || NOT_TRANSMITTED[year]?.includes(org.code)) continue;
          const rows: Row[] = [];
          for (const indicatorId of indicatorsOfAgreement.get(e.agreement_id ?? "") ?? []) {
            const indicator = indicators.find((i) => i.id === indicatorId)!;
            const version = versionForYear(versionsOf.get(indicatorId) ?? [], year);
            if (!version) continue;
            const lists = version.breakdowns.map((code) => ({ code, items: itemsOf(code) }));
            const declared = DEMO_NOT_AVAILABLE.find((d) => d.year === year && d.organisation === org.code && d.indicator === indicator.code);
            if (declared) {
              // Declared not available: one cell without a figure, never 0 (ADR 030).
              rows.push({ indicatorId, versionId: version.id, code: indicator.code, key: "", value: null, notAvailable: { code: declared.code, reason: declared.reason } });
              continue;
            }
            for (const v of demoValues(indicator.code, version, year, org.code, providersOf.get(indicatorId) ?? [org.code], lists)) {
              rows.push({ indicatorId, versionId: version.id, code: indicator.code, key: v.key, value: v.value });
            }
          }
          if (!rows.length) continue;
          const late = unit(`${org.code}|${year}|late`) < 0.22;
          const transmitted = new Date(`${addDays(e.deadline, late ? 3 + Math.floor(unit(`${org.code}|${year}|d`) * 20) : -2 - Math.floor(unit(`${org.code}|${year}|d`) * 40))}T10:30:00+01:00`);
          const validated = new Date(transmitted.getTime() + 2 * 86_400_000);
          const accepted = new Date(transmitted.getTime() + 9 * 86_400_000);
          planned.push({ campaignId: campaign.id, year, org, rows, transmitted, validated, accepted });
        }
      }
      if (planned.length) {
        const workbooks: Buffer[] = [];
        for (const p of planned) workbooks.push(await demoWorkbook(p.org.name, p.year, p.rows));
        const files = await putFiles(
          trx,
          planned.map((p, i) => ({
            filename: `demo-${p.org.code}-${p.year}.xlsx`.toLowerCase(),
            contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes: workbooks[i]!,
            createdBy: null,
          })),
        );
        const submissionIds = planned.map(() => randomUUID());
        const versionIds = planned.map(() => randomUUID());
        await trx
          .insertInto("submission")
          .values(
            planned.map((p, i) => ({
              id: submissionIds[i]!,
              campaign_id: p.campaignId,
              organisation_id: p.org.id,
              status: "accepted" as const,
              version_count: 1,
              first_transmitted_at: p.transmitted,
              accepted_at: p.accepted,
              last_activity_at: p.accepted,
              created_at: p.transmitted,
            })),
          )
          .execute();
        await trx
          .insertInto("submission_version")
          .values(
            planned.map((p, i) => ({
              id: versionIds[i]!,
              submission_id: submissionIds[i]!,
              number: 1,
              file_id: files[i]!.id,
              uploaded_via: p.org.code === "CAF42" ? ("api" as const) : ("web" as const),
              uploaded_at: p.transmitted,
              status: "accepted" as const,
              problems: "[]",
              submitted_at: p.transmitted,
              validated_at: p.validated,
              reviewed_at: p.accepted,
            })),
          )
          .execute();
        await trx
          .updateTable("submission")
          .set((eb) => ({ current_version_id: eb.selectFrom("submission_version as v").select("v.id").whereRef("v.submission_id", "=", "submission.id").where("v.number", "=", 1) }))
          .where("id", "in", submissionIds)
          .execute();
        const cells = planned.flatMap((p, i) => p.rows.map((r, j) => ({ p, r, j, versionId: versionIds[i]! })));
        for (let i = 0; i < cells.length; i += DEMO_VALUES_CHUNK) {
          const batch = cells.slice(i, i + DEMO_VALUES_CHUNK);
          await trx
            .insertInto("submission_value")
            .values(
              batch.map(({ r, j, versionId }) => ({
                version_id: versionId,
                indicator_version_id: r.versionId,
                breakdown_key: r.key,
                value: r.value,
                cell_ref: `Données!C${j + 3}`,
                not_available_code: r.notAvailable?.code ?? null,
                not_available_reason: r.notAvailable?.reason ?? null,
              })),
            )
            .execute();
          await trx
            .insertInto("accepted_value")
            .values(
              batch.map(({ p, r, versionId }) => ({
                organisation_id: p.org.id,
                reference_year: p.year,
                indicator_id: r.indicatorId,
                indicator_version_id: r.versionId,
                breakdown_key: r.key,
                value: r.value,
                not_available_code: r.notAvailable?.code ?? null,
                not_available_reason: r.notAvailable?.reason ?? null,
                source_version_id: versionId,
                accepted_at: p.accepted,
              })),
            )
            .execute();
        }
        result.submissions = planned.length;
        result.valuesSeeded = cells.length;
      }
      await recordAudit(trx, actor.audit, {
        action: "demo.dashboard_data_seeded",
        entityType: "observatory",
        summary: `Données de démonstration du tableau de bord : ${result.submissions} transmission(s) acceptée(s), ${result.valuesSeeded} valeur(s) fictive(s) (campagnes ${campaigns[0]!.reference_year}–${campaigns.at(-1)!.reference_year}).`,
        details: { submissions: result.submissions, values: result.valuesSeeded },
      });
    });
    valuesStep();
  }

  // Demo logos for the organisations whose values appear and have none.
  const contributors = await db
    .selectFrom("organisation as o")
    .select(["o.id", "o.code"])
    .where("o.logo_file_id", "is", null)
    .where((eb) => eb.exists(eb.selectFrom("submission as s").select("s.id").whereRef("s.organisation_id", "=", "o.id")))
    .orderBy("o.code")
    .execute();
  const logosStep = startStep("demo: logos");
  for (const org of contributors) {
    await setOrganisationLogo(db, actor, org.id, { field: "logo", filename: `logo-demo-${org.code.toLowerCase()}.png`, bytes: demoLogoPng(org.code) });
    result.logos++;
  }
  logosStep();

  await warming;
  if (publishing) {
    const years = campaigns.map((c) => c.reference_year).slice(0, -1).slice(-publishYears);
    for (const year of years) {
      const editionStep = startStep(`demo: edition ${year} published`);
      const id = await createEdition(db, actor, { year, correctionNote: null });
      await saveEditionTexts(db, actor, id, { foreword: FOREWORD(year), comments: {} });
      await transitionEdition(db, actor, id, "validate");
      await publishEdition(db, actor, id, new Date(`${year + 1}-09-15T09:00:00+02:00`));
      result.editions.push(year);
      editionStep();
    }
  }
  return result;
}
