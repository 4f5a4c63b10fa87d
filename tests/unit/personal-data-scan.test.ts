import { describe, expect, it } from "vitest";
import ExcelJS from "exceljs";
import { strToU8, zipSync } from "fflate";
import { findValuePatterns, isValidNir, maskValue, normaliseLabel, PersonalDataDetector, personalHeader } from "~/domain/personal-data-scan";
import { scanWorkspaceFile } from "~/server/workspace/personal-data-scan.server";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const ODS = "application/vnd.oasis.opendocument.spreadsheet";

async function workbook(sheets: Record<string, unknown[][]>): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name);
    for (const row of rows) ws.addRow(row);
  }
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

describe("Art. 4 — only anonymised data: the personal-data detector", () => {
  it("a NIR is recognised only with a valid key (mod 97), spaces allowed, Corsica included", () => {
    expect(isValidNir("185057800608491")).toBe(true);
    expect(isValidNir("1 85 05 78 006 084 91")).toBe(true);
    expect(isValidNir("299027512345665")).toBe(true);
    expect(isValidNir("285072A12345642")).toBe(true);
    expect(isValidNir("185057800608492")).toBe(false); // wrong key
    expect(isValidNir("1850578006084")).toBe(false); // no key
    expect(isValidNir("585057800608491")).toBe(false); // impossible first digit
    expect(findValuePatterns("Assuré : 1 85 05 78 006 084 91").map((f) => f.kind)).toEqual(["nir"]);
    expect(findValuePatterns("Référence 185057800608492")).toEqual([]);
  });

  it("e-mail addresses and French phone numbers are found in text", () => {
    expect(findValuePatterns("Contact : jean.dupont@exemple.fr").map((f) => f.kind)).toEqual(["email"]);
    for (const phone of ["06 12 34 56 78", "0612345678", "01.23.45.67.89", "+33 6 12 34 56 78", "+33612345678"]) {
      expect(findValuePatterns(`Tél. ${phone}`).map((f) => f.kind), phone).toEqual(["phone"]);
    }
    expect(findValuePatterns("Année 2023 : 1 234 mesures, code 42218, taux 12,5 %")).toEqual([]);
  });

  it("column headers naming identity are recognised whatever the case and accents; ordinary headers are not", () => {
    for (const [label, kind] of [
      ["Nom", "nom"],
      ["PRÉNOM", "prénom"],
      ["prenom", "prénom"],
      ["Nom de naissance", "nom de naissance"],
      ["Date de naissance", "date de naissance"],
      ["DDN", "date de naissance"],
      ["N° sécu", "NIR"],
      ["NIR", "NIR"],
      ["Adresse", "adresse"],
      ["Téléphone", "téléphone"],
      ["Courriel", "courriel"],
      ["E-mail", "courriel"],
    ] as const) {
      expect(personalHeader(label), label).toBe(kind);
    }
    for (const label of ["Nombre de mesures", "Nom de l'indicateur", "Année", "Code INSEE", "Naissances", "Taux pour 1 000", "Domaine"]) {
      expect(personalHeader(label), label).toBeNull();
    }
    expect(normaliseLabel("  Date  de Naissance : ")).toBe("date de naissance");
  });

  it("values are masked in explanations, never echoed whole", () => {
    expect(maskValue("jean.dupont@exemple.fr")).toBe("je••.••••••@•••••••.••");
    const detector = new PersonalDataDetector();
    detector.cell("feuille « Suivi »", 0, 2, { type: "text", text: "Courriel" });
    detector.cell("feuille « Suivi »", 1, 2, { type: "text", text: "jean.dupont@exemple.fr" });
    const result = detector.result();
    expect(result.status).toBe("held");
    const text = result.findings.map((f) => f.explanation).join("\n");
    expect(text).toContain("Feuille « Suivi », colonne C (C1) : l'intitulé « Courriel » désigne une donnée personnelle (courriel).");
    expect(text).toContain("C2");
    expect(text).not.toContain("dupont");
  });

  it("an xlsx with « Nom » and « Date de naissance » columns is held, naming sheet, column and cells", async () => {
    const bytes = await workbook({
      Enfants: [
        ["Nom", "Prénom", "Date de naissance", "Mesure"],
        ["Dupont", "Léa", new Date("2012-03-04"), "AEMO"],
        ["Martin", "Noé", "05/06/2013", "Placement"],
      ],
    });
    const result = scanWorkspaceFile(XLSX, bytes)!;
    expect(result.status).toBe("held");
    expect(result.complete).toBe(true);
    const text = result.findings.map((f) => f.explanation).join("\n");
    expect(text).toContain("Feuille « Enfants », colonne A (A1) : l'intitulé « Nom » désigne une donnée personnelle (nom).");
    expect(text).toContain("Feuille « Enfants », colonne C (C1)");
    expect(text).toMatch(/Feuille « Enfants », colonne C : 2 valeurs ressemblent à une date de naissance, par exemple en C2/);
    expect(text).not.toContain("Dupont");
  });

  it("no false positive on an ordinary indicator sheet (numbers, years, codes, rates)", async () => {
    const bytes = await workbook({
      Données: [
        ["Code", "Nom de l'indicateur", "Domaine", "2022", "2023", "Taux pour 1 000"],
        ["ACC-01", "Nombre de places en MECS", "Capacités d'accueil", 1234, 1301, 4.5],
        ["PREV-03", "Visites à domicile de la PMI", "Prévention", 18342, 19011, 12.25],
        ["JUD-07", "Mesures d'AEMO", "Protection judiciaire", 2150, 2207, 3.1],
        ["CTX-01", "Population 0-20 ans (INSEE 42218)", "Contexte", 181234, 180977, 0],
        ["CTX-02", "Naissances", "Contexte", 8123, 7988, 1],
      ],
      Métadonnées: [
        ["Organisme", "Conseil départemental"],
        ["Année", 2023],
        ["Référence", "185057800608492"],
      ],
    });
    const result = scanWorkspaceFile(XLSX, bytes)!;
    expect(result.findings).toEqual([]);
    expect(result.status).toBe("clean");
  });

  it("a NIR typed as a number in a cell, and an e-mail in a docx paragraph, are found", async () => {
    expect(scanWorkspaceFile(XLSX, await workbook({ S: [["Réf."], [185057800608491]] }))!.findings.map((f) => f.kind)).toEqual(["nir"]);
    const docx = zipSync({
      "[Content_Types].xml": strToU8("<Types/>"),
      "word/document.xml": strToU8(
        `<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Étude sur les placements</w:t></w:r></w:p><w:p><w:r><w:t xml:space="preserve">Contact : </w:t></w:r><w:r><w:t>lea.martin@exemple.fr</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>Prénom</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Léa</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>`,
      ),
    });
    const result = scanWorkspaceFile(DOCX, docx)!;
    expect(result.findings.map((f) => f.explanation)).toEqual([
      "Document (paragraphe 2) : une valeur ressemble à une adresse électronique (le•.••••••@•••••••.••).",
      "Tableau 1, colonne A (A1) : l'intitulé « Prénom » désigne une donnée personnelle (prénom).",
    ]);
  });

  it("an ods sheet is read cell by cell, with its repeated columns and typed dates", () => {
    const content = `<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="Suivi"><table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string"><text:p>DDN</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="float" office:value="3"/><table:table-cell/><table:table-cell office:value-type="date" office:date-value="2011-02-03"><text:p>03/02/2011</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`;
    const ods = zipSync({ mimetype: [strToU8(ODS), { level: 0 }], "content.xml": strToU8(content) });
    expect(scanWorkspaceFile(ODS, ods)!.findings.map((f) => [f.kind, f.location])).toEqual([
      ["header", "feuille « Suivi », colonne C"],
      ["birth_date", "feuille « Suivi », colonne C"],
    ]);
  });

  it("beyond the bounds the analysis is incomplete, and that alone holds the file (« analyse incomplète »)", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i, i * 2, i * 3]);
    const bytes = await workbook({ Données: rows });
    const cells = scanWorkspaceFile(XLSX, bytes, { maxInflatedBytes: 32 * 1024 * 1024, maxCells: 100, maxTextBytes: 1000 })!;
    expect(cells.status).toBe("held");
    expect(cells.complete).toBe(false);
    expect(cells.findings[0]!.explanation).toMatch(/^Analyse incomplète : plus de 100 cellules/);
    const inflated = scanWorkspaceFile(XLSX, bytes, { maxInflatedBytes: 1000, maxCells: 500_000, maxTextBytes: 1000 })!;
    expect(inflated.complete).toBe(false);
    expect(inflated.findings[0]!.explanation).toMatch(/^Analyse incomplète : le contenu décompressé dépasse/);
    const broken = scanWorkspaceFile(XLSX, new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]))!;
    expect(broken.status).toBe("held");
    expect(scanWorkspaceFile("application/pdf", new Uint8Array([1]))).toBeNull();
  });

  it("a CSV's header fields are checked as column names, its lines for patterns", () => {
    const csv = strToU8("commune;nom;mesures\n42218;x;12\n42219;y;13 (appeler le 06 12 34 56 78)\n");
    expect(scanWorkspaceFile("text/csv", csv)!.findings.map((f) => [f.kind, f.location])).toEqual([
      ["header", "texte, colonne B"],
      ["phone", "texte"],
    ]);
  });
});
