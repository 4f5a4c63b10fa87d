import { randomBytes } from "node:crypto";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import type { Db } from "~/server/db.server";
import { systemContext } from "~/server/audit/audit.server";
import { system } from "../support/actors";
import { createIndicator } from "~/server/indicators/indicators.server";
import { createAgreement } from "~/server/agreements/agreements.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import type { AgreementFormInput } from "~/domain/agreement-forms";
import type { IndicatorCreateInput } from "~/domain/indicators";
import { makeOrganisation, testContext } from "./index";

const suffix = () => randomBytes(3).toString("hex").toUpperCase();
export const ctx = systemContext("test");

/** The referential's fixed data every test needs: the convention, the eight domains, two code lists. */
export async function seedReferentialBase(db: Db, signatureDate = "2019-01-28") {
  await db
    .insertInto("convention")
    .values({ id: 1, title: "Convention de test", signature_date: signatureDate })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
  const domains = ["CONTEXTE", "PREVENTION", "DANGER", "PROT_ADMIN", "MNA", "PROT_JUD", "ACCUEIL", "FINANCES"];
  await db
    .insertInto("indicator_domain")
    .values(domains.map((code, i) => ({ code, label: `Domaine ${code}`, position: i + 1 })))
    .onConflict((oc) => oc.column("code").doNothing())
    .execute();
  await db
    .insertInto("codelist")
    .values([
      { code: "SEXE", label: "Sexe" },
      { code: "AGE_BAND", label: "Tranche d'âge" },
    ])
    .onConflict((oc) => oc.column("code").doNothing())
    .execute();
  await db
    .insertInto("codelist_item")
    .values([
      { codelist_code: "SEXE", code: "F", label: "Féminin", position: 0 },
      { codelist_code: "SEXE", code: "M", label: "Masculin", position: 1 },
      { codelist_code: "AGE_BAND", code: "0-2", label: "Moins de 3 ans", position: 0 },
    ])
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** An organisation that is a member since `memberSince` (by the framework convention). */
export async function makeMember(db: Db, memberSince = "2019-01-28", overrides: Parameters<typeof makeOrganisation>[1] = {}) {
  const org = await makeOrganisation(db, overrides);
  await db.updateTable("organisation").set({ member_since: memberSince }).where("id", "=", org.id).execute();
  return org;
}

export function indicatorInput(overrides: Partial<IndicatorCreateInput> = {}): IndicatorCreateInput {
  return {
    code: `IND_${suffix()}`,
    domain: "DANGER",
    label: "Informations préoccupantes reçues",
    definition: "Nombre d'informations préoccupantes reçues par la CRIP au cours de l'année.",
    unit: "nombre",
    valueType: "integer",
    measure: "flow",
    breakdowns: ["SEXE"],
    nonNegative: true,
    minValue: null,
    maxValue: null,
    sumEqualsTotal: true,
    secrecyThreshold: 5,
    providerIds: [],
    validFromYear: null,
    introducedBy: "convention",
    ...overrides,
  };
}

export async function makeIndicator(db: Db, overrides: Partial<IndicatorCreateInput> = {}) {
  const input = indicatorInput(overrides);
  const id = await createIndicator(db, system(ctx), input);
  return { id, code: input.code };
}

export function agreementInput(overrides: Partial<AgreementFormInput> = {}): AgreementFormInput {
  return {
    reference: null,
    signedOn: null,
    startsOn: "2019-01-28",
    endsOn: null,
    format: "excel",
    statisticalLevel: "departement",
    dueMonthDay: null,
    samePersonMayValidate: false,
    note: null,
    ...overrides,
  };
}

/** A member providing one indicator under an agreement: what a campaign expects a submission from. */
export async function makeProvider(db: Db, options: { memberSince?: string; agreement?: Partial<AgreementFormInput> } = {}) {
  const org = await makeMember(db, options.memberSince);
  const indicator = await makeIndicator(db, { providerIds: [org.id] });
  const agreementId = await createAgreement(db, system(ctx), org.id, agreementInput(options.agreement));
  return { org, indicator, agreementId };
}

export async function makeCampaign(db: Db, year: number, dates: { opensOn?: string; deadline?: string } = {}) {
  return createCampaign(db, system(ctx), {
    referenceYear: year,
    opensOn: dates.opensOn ?? `${year + 1}-01-15`,
    deadline: dates.deadline ?? `${year + 1}-03-31`,
    reminderDaysBefore: [14, 3],
    reminderDaysAfter: [1],
    note: null,
  });
}

type Loader = (args: LoaderFunctionArgs) => Promise<unknown>;
type Action = (args: ActionFunctionArgs) => Promise<unknown>;

/** Runs a loader or action as Remix does; returns the status and the Response or data produced (or thrown). */
export async function runRoute(
  fn: Loader | Action,
  request: Request,
  params: Record<string, string> = {},
): Promise<{ status: number; response?: Response; data?: unknown }> {
  try {
    const result = await fn({ request, params, context: testContext() } as never);
    if (result instanceof Response) return { status: result.status, response: result };
    if (result && typeof result === "object" && "type" in result && (result as { type: string }).type === "DataWithResponseInit") {
      const d = result as unknown as { data: unknown; init: ResponseInit | null };
      return { status: d.init?.status ?? 200, data: d.data };
    }
    return { status: 200, data: result };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, response: thrown };
    throw thrown;
  }
}

/** A same-origin multipart POST, as a browser sends a form with a file. */
export function multipartRequest(path: string, cookie: string, fields: Record<string, string | { filename: string; type: string; bytes: Uint8Array }>) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "string") form.append(key, value);
    else form.append(key, new Blob([new Uint8Array(value.bytes)], { type: value.type }), value.filename);
  }
  return new Request(`http://localhost${path}`, { method: "POST", body: form, headers: { Origin: "http://localhost", Cookie: cookie } });
}

/** A tiny valid PNG (1×1), JPEG and WebP header, and an SVG, for upload tests. */
export const samplePng = () =>
  Uint8Array.from(
    Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"),
  );
export const sampleSvg = () => new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>');
export const samplePdf = () => new TextEncoder().encode("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
