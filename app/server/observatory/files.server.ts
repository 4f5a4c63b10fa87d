import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import {
  codelistsFile,
  conventionFile,
  domainsFile,
  indicatorsFile,
  observatoryFile,
  organisationsFile,
} from "~/domain/observatory-files";
import { ratesFile, type RateDefinition } from "~/domain/rates";
import { DomainError } from "../errors.server";
import { checkLogo } from "../http/uploads.server";

/** Everything an observatory is, as read from `partners/` and `conventions/`. */
export interface ObservatoryData {
  observatory: z.infer<typeof observatoryFile>;
  organisations: z.infer<typeof organisationsFile>["organisations"];
  convention: z.infer<typeof conventionFile>;
  domains: z.infer<typeof domainsFile>["domains"];
  codelists: z.infer<typeof codelistsFile>["codelists"];
  indicators: z.infer<typeof indicatorsFile>["indicators"];
  /** Rates of the catalogue (conventions/rates.json, optional file): numerator over an Insee population of the same universe. */
  rates: RateDefinition[];
  /** Logo files named in partners/organisations.json, read and checked (PNG/JPEG/WebP, 1 Mo at most). */
  logos: Map<string, { filename: string; bytes: Uint8Array; contentType: string }>;
}

export class ObservatoryFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`Fichier ${file} invalide : ${detail} / Invalid file ${file}: ${detail}`);
    this.name = "ObservatoryFileError";
  }
}

function readJson<T>(file: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ObservatoryFileError(file, (error as Error).message);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ObservatoryFileError(file, `${issue.path.join(".") || "(racine)"} — ${issue.message}`);
  }
  return parsed.data;
}

/** Reads and validates the observatory files under `baseDir`, and cross-checks them. */
export function loadObservatoryFiles(baseDir: string): ObservatoryData {
  const conv = (name: string) => path.join(baseDir, "conventions", name);
  const data: ObservatoryData = {
    observatory: readJson(conv("observatory.json"), observatoryFile),
    organisations: readJson(path.join(baseDir, "partners", "organisations.json"), organisationsFile).organisations,
    convention: readJson(conv("convention.json"), conventionFile),
    domains: readJson(conv("domains.json"), domainsFile).domains,
    codelists: readJson(conv("codelists.json"), codelistsFile).codelists,
    indicators: readJson(conv("indicators.json"), indicatorsFile).indicators,
    rates: fs.existsSync(conv("rates.json")) ? readJson(conv("rates.json"), ratesFile).rates : [],
    logos: new Map(),
  };
  for (const org of data.organisations) {
    if (!org.logo) continue;
    const where = `partners/organisations.json (${org.code})`;
    const file = path.resolve(baseDir, "partners", org.logo);
    if (!file.startsWith(path.resolve(baseDir, "partners") + path.sep)) throw new ObservatoryFileError(where, "le logo doit être sous partners/");
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(fs.readFileSync(file));
    } catch {
      throw new ObservatoryFileError(where, `logo introuvable ${org.logo}`);
    }
    try {
      const { contentType } = checkLogo({ field: "logo", filename: path.basename(file), bytes });
      data.logos.set(org.code, { filename: path.basename(file), bytes, contentType });
    } catch (error) {
      if (error instanceof DomainError) throw new ObservatoryFileError(where, error.message);
      throw error;
    }
  }
  const orgCodes = new Set([...data.organisations.map((o) => o.code), data.observatory.team.code]);
  const domainCodes = new Set(data.domains.map((d) => d.code));
  const listCodes = new Set(data.codelists.map((c) => c.code));
  for (const indicator of data.indicators) {
    const where = `conventions/indicators.json (${indicator.code})`;
    if (!domainCodes.has(indicator.domain)) throw new ObservatoryFileError(where, `domaine inconnu ${indicator.domain}`);
    for (const list of [...indicator.breakdowns, ...indicator.versions.flatMap((v) => v.breakdowns ?? [])]) {
      if (!listCodes.has(list)) throw new ObservatoryFileError(where, `liste de codes inconnue ${list}`);
    }
    const first = indicator.versions[0];
    if (first && indicator.validFrom !== undefined && first.validFrom <= indicator.validFrom) {
      throw new ObservatoryFileError(where, `la version de ${first.validFrom} doit suivre la première définition (${indicator.validFrom})`);
    }
    for (const provider of indicator.providers) {
      if (!orgCodes.has(provider)) throw new ObservatoryFileError(where, `organisme fournisseur inconnu ${provider}`);
    }
  }
  const indicatorCodes = new Set(data.indicators.map((i) => i.code));
  const rateCodes = new Set<string>();
  for (const rate of data.rates) {
    const where = `conventions/rates.json (${rate.code})`;
    if (rateCodes.has(rate.code) || indicatorCodes.has(rate.code)) throw new ObservatoryFileError(where, `code ${rate.code} déjà utilisé`);
    rateCodes.add(rate.code);
    if (!domainCodes.has(rate.domain)) throw new ObservatoryFileError(where, `domaine inconnu ${rate.domain}`);
    if (!indicatorCodes.has(rate.numerator)) throw new ObservatoryFileError(where, `indicateur numérateur inconnu ${rate.numerator}`);
  }
  for (const amendment of data.convention.amendments) {
    const where = `conventions/convention.json (avenant ${amendment.number})`;
    if (amendment.date < data.convention.signatureDate) throw new ObservatoryFileError(where, "un avenant ne peut pas précéder la convention");
    for (const code of amendment.organisations) {
      if (!orgCodes.has(code)) throw new ObservatoryFileError(where, `organisme inconnu ${code}`);
    }
    for (const code of amendment.indicators) {
      if (!indicatorCodes.has(code)) throw new ObservatoryFileError(where, `indicateur inconnu ${code}`);
    }
    if (amendment.organisations.length && amendment.kind !== "new_partner") throw new ObservatoryFileError(where, "seul un avenant new_partner fait adhérer des organismes");
    if (amendment.indicators.length && amendment.kind !== "new_data") throw new ObservatoryFileError(where, "seul un avenant new_data ajoute des indicateurs");
  }
  return data;
}
