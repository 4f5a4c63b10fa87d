import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { baseUrl, demoEmail, downloadTemplate, expectAccessible, login, logout, openBrowser } from "./browser";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW } from "~/domain/template-layout";
import { fillConsistently } from "../support/workbook";

let browser: BrowserContext;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const YEAR = 2025;
const ORG = "CAF42";
const dossier = () => `${baseUrl()}/collection/${YEAR}/${ORG}`;

/** Valid values everywhere (breakdowns summing to totals); `spoil` then breaks the first total and the cell after it. */
const fill = (template: Buffer, spoil: boolean) =>
  fillConsistently(template, 10, (wb) => {
    if (!spoil) return;
    const ws = wb.getWorksheet(DATA_SHEET)!;
    ws.getCell(`${COLUMNS.value}${FIRST_DATA_ROW}`).value = "beaucoup";
    ws.getCell(`${COLUMNS.value}${FIRST_DATA_ROW + 1}`).value = -4;
  });

async function uploadFile(page: Page, bytes: Buffer) {
  await page.locator("#workbook-file").setInputFiles({ name: `ODPE_${YEAR}_${ORG}.xlsx`, mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: bytes });
  await page.getByRole("status").or(page.getByRole("alert")).first().waitFor();
}

describe("yearly collection in the browser (Art. 4)", () => {
  it("a correspondent uploads a faulty file, sees every error, downloads the annotated copy, fixes and submits; the validator validates; the referent returns then accepts", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("correspondant.caf"));
    await page.goto(dossier());
    await page.getByRole("heading", { name: `Indicateurs ${YEAR} — Caisse d'allocations familiales de la Loire` }).waitFor();
    await expectAccessible(page);

    const template = await downloadTemplate(page);

    await uploadFile(page, await fill(template, true));
    await page.getByText(/Version 1 enregistrée avec 2 erreur/).waitFor();
    await page.getByRole("cell", { name: /n'est pas un nombre/ }).first().waitFor();
    await page.getByRole("cell", { name: /Valeur négative/ }).first().waitFor();
    await expectAccessible(page);

    const annotated = page.waitForEvent("download");
    await page.getByRole("link", { name: /Télécharger mon classeur annoté \(cellules/ }).click();
    const annotatedFile = await annotated;
    expect(annotatedFile.suggestedFilename()).toMatch(/_annote\.xlsx$/);

    await uploadFile(page, await fill(template, false));
    await page.getByText(/Version 2 enregistrée sans erreur/).waitFor();
    // values far from last year's raise variation warnings: a comment explains them
    await page.getByLabel(/Commentaire de transmission/).fill("Valeurs de démonstration, très différentes de l'an dernier.");
    await page.getByRole("button", { name: "Transmettre pour validation interne" }).click();
    await page.getByText(/Transmettre pour validation interne : c'est fait/).waitFor();
    await expectAccessible(page);
    await logout(page);

    await login(page, demoEmail("validateur.caf"));
    await page.goto(dossier());
    await page.getByRole("button", { name: "Valider au nom de mon institution" }).click();
    await page.getByText(/c'est fait/).waitFor();
    await logout(page);

    await login(page, demoEmail("referent"));
    await page.goto(dossier());
    await page.getByLabel(/Motif du retour/).fill("Merci de vérifier le nombre d'allocataires du RSA.");
    await page.getByRole("button", { name: "Retourner au partenaire" }).click();
    await page.getByText(/Retourner au partenaire : c'est fait/).waitFor();
    await page.getByText("Merci de vérifier le nombre d'allocataires du RSA.").first().waitFor();
    await expectAccessible(page);
    await logout(page);

    // the partner fixes (a new version), submits, validates again; the referent accepts
    await login(page, demoEmail("correspondant.caf"));
    await page.goto(dossier());
    await uploadFile(page, await fill(template, false));
    await page.getByText(/Version 3 enregistrée sans erreur/).waitFor();
    await page.getByLabel(/Commentaire de transmission/).fill("Valeurs vérifiées.");
    await page.getByRole("button", { name: "Transmettre pour validation interne" }).click();
    await page.getByText(/c'est fait/).waitFor();
    await logout(page);
    await login(page, demoEmail("validateur.caf"));
    await page.goto(dossier());
    await page.getByRole("button", { name: "Valider au nom de mon institution" }).click();
    await page.getByText(/c'est fait/).waitFor();
    await logout(page);
    await login(page, demoEmail("referent"));
    await page.goto(dossier());
    await page.getByRole("button", { name: "Accepter les données" }).click();
    await page.getByText(/Accepter les données : c'est fait/).waitFor();
    await page.goto(`${baseUrl()}/completeness/${YEAR}`);
    await expect(page.getByRole("row", { name: new RegExp(ORG) }).getByText(/^Accepté, v\d+$/).count()).resolves.toBe(1);
    await expectAccessible(page);
    await logout(page);
    await page.close();
  });

  it("partner A never opens partner B's dossier", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("correspondant.tj"));
    const response = await page.goto(dossier());
    expect([403, 404]).toContain(response?.status());
    await logout(page);
    await page.close();
  });
});
