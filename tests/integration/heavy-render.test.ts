import { afterAll, describe, expect, it } from "vitest";
import { strFromU8, unzipSync } from "fflate";
import { assembleEdition, type AssemblyInput, type AssemblyVersion } from "~/domain/edition-assembly";
import { renderEditionPdf } from "~/server/dashboard/pdf.server";
import { renderEditionXlsx } from "~/server/dashboard/xlsx.server";
import { closeHeavyPool, runHeavy } from "~/server/heavy/pool.server";
import type { EditionMeta } from "~/domain/dashboard";
import { pdfImageCount, pdfPages } from "../support/pdf";
import { assemblyVersion } from "../support/assembly";

/**
 * ADR 016 moved the dashboard's PDF and XLSX into worker threads: what the
 * worker renders must be what the main thread rendered (same fonts, same
 * French number formats, same time zone), page for page and cell for cell.
 * PDFs differ only in their creation date and file identifier, so their
 * extracted text and images are compared; XLSX parts are compared byte for
 * byte, except the creation/modification timestamps of docProps/core.xml.
 */

const version = (id: string, over: Partial<AssemblyVersion> = {}) => assemblyVersion(id, { definition: `Définition de ${id} : « mesure » au 31 décembre`, measure: "stock", ...over });

function input(): AssemblyInput {
  const values: AssemblyInput["values"] = [];
  for (let year = 2020; year <= 2024; year++) {
    values.push({ indicatorId: "CONF", year, breakdownKey: "", value: 1200 + 37 * (year - 2020), lineageOrganisationId: "org-a" });
    values.push({ indicatorId: "CONF", year, breakdownKey: "SEXE=F", value: 600 + 17 * (year - 2020), lineageOrganisationId: "org-a" });
    values.push({ indicatorId: "CONF", year, breakdownKey: "SEXE=M", value: 600 + 20 * (year - 2020), lineageOrganisationId: "org-a" });
    values.push({ indicatorId: "TXO", year, breakdownKey: "", value: 87.5 + year - 2020, lineageOrganisationId: "org-b" });
    values.push({ indicatorId: "IP", year, breakdownKey: "", value: year === 2024 ? 3 : 950 + year, lineageOrganisationId: "org-b" });
  }
  return {
    year: 2024,
    assembledAt: new Date("2025-09-01T08:00:00Z"),
    observatory: { code: "ODPE99", name: "Observatoire départemental de la protection de l'enfance", label: "ODPE test", departementCode: "99", departementName: "Test", isDemo: true },
    domains: [
      { code: "DANGER", label: "Enfance en danger", position: 3 },
      { code: "ACCUEIL", label: "Capacités d'accueil et enfants accueillis", position: 7 },
    ],
    indicators: [
      { id: "CONF", code: "CONF", domainCode: "ACCUEIL", secrecyThreshold: 5, versions: [version("CONF", { label: "Enfants confiés", breakdowns: ["SEXE"] })] },
      { id: "TXO", code: "TXO", domainCode: "ACCUEIL", secrecyThreshold: 0, versions: [version("TXO", { label: "Taux d'occupation", unit: "pourcentage", value_type: "decimal" })] },
      { id: "IP", code: "IP", domainCode: "DANGER", secrecyThreshold: 5, versions: [version("IP", { label: "Informations préoccupantes reçues" })] },
    ],
    codelists: [{ code: "SEXE", label: "Sexe", items: [{ code: "F", label: "Féminin" }, { code: "M", label: "Masculin" }] }],
    derived: [],
    keyFigureCodes: ["CONF", "IP"],
    organisations: [
      { id: "org-a", code: "DEP", name: "Département", logoFileId: null },
      { id: "org-b", code: "TJ", name: "Tribunal judiciaire", logoFileId: null },
    ],
    values,
    usage: [],
    expectedPairs: [
      { organisationId: "org-a", indicatorId: "CONF" },
      { organisationId: "org-b", indicatorId: "TXO" },
      { organisationId: "org-b", indicatorId: "IP" },
    ],
    campaign: { deadline: "2025-03-31", status: "closed" },
    expected: [
      { organisationId: "org-a", deadline: "2025-03-31" },
      { organisationId: "org-b", deadline: "2025-03-31" },
    ],
    submissions: [
      { organisationId: "org-a", firstTransmittedAt: "2025-03-20T10:00:00Z", acceptedAt: "2025-04-01T10:00:00Z" },
      { organisationId: "org-b", firstTransmittedAt: "2025-04-02T10:00:00Z", acceptedAt: "2025-04-10T10:00:00Z" },
    ],
  };
}

const meta: EditionMeta = {
  id: "00000000-0000-4000-8000-000000000001",
  year: 2024,
  number: 1,
  status: "published",
  foreword: "Avant-propos : l'année 2024 en « quelques » chiffres ; 1 234,5 enfants.",
  comments: { DANGER: "Hausse des informations préoccupantes." },
  correctionNote: null,
  publishedAt: "2025-10-01T09:00:00Z",
  supersededAt: null,
  transmittedOn: null,
};

/** Every part of an XLSX, the timestamps of docProps/core.xml blanked. */
function xlsxParts(bytes: Uint8Array): Record<string, string> {
  const parts = unzipSync(bytes);
  return Object.fromEntries(
    Object.entries(parts).map(([name, content]) => {
      const text = strFromU8(content);
      return [name, name === "docProps/core.xml" ? text.replace(/(<dcterms:(created|modified)[^>]*>)[^<]*/g, "$1") : text];
    }),
  );
}

describe("dashboard files rendered in worker threads are the main thread's (ADR 016)", () => {
  afterAll(() => closeHeavyPool());
  const edition = assembleEdition(input());

  it("Art. 5: the PDF drawn in a worker has the main thread's pages, text and images", async () => {
    const [inWorker, inMain] = await Promise.all([runHeavy("renderPdf", { edition, meta, logos: [] }), renderEditionPdf(edition, meta, [])]);
    const [workerPages, mainPages] = await Promise.all([pdfPages(inWorker), pdfPages(inMain)]);
    expect(workerPages.length).toBeGreaterThan(1);
    expect(workerPages.join("\n")).toContain("Enfants confiés");
    expect(workerPages).toEqual(mainPages);
    expect(await pdfImageCount(inWorker)).toBe(await pdfImageCount(inMain));
    expect(Math.abs(inWorker.byteLength - inMain.byteLength)).toBeLessThan(64);
  });

  it("Art. 5: the XLSX written in a worker has the main thread's parts, byte for byte but for its timestamps", async () => {
    const [inWorker, inMain] = await Promise.all([runHeavy("renderXlsx", { edition, meta }), renderEditionXlsx(edition, meta)]);
    const worker = xlsxParts(inWorker);
    const main = xlsxParts(inMain);
    expect(Object.keys(worker).sort()).toEqual(Object.keys(main).sort());
    expect(Object.keys(worker).filter((name) => name.startsWith("xl/worksheets/")).length).toBeGreaterThan(1);
    for (const name of Object.keys(main)) expect([name, worker[name]]).toEqual([name, main[name]]);
  });
});
