import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { baseUrl, demoEmail, downloadTemplate, expectAccessible, login, logout, openBrowser } from "./browser";
import { fillConsistently } from "../support/workbook";
import { COLUMNS, DATA_SHEET, FIRST_DATA_ROW } from "~/domain/template-layout";

let browser: BrowserContext;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const YEAR = 2025;
const ORG = "CAF42";
const REASON = "Logiciel de prestations en cours de migration, extraction impossible";

describe("« non disponible » in the browser (ADR 026, ADR 030)", () => {
  it("Art. 4: where the agreement allows it, the correspondent declares a cell ND with its reason in the workbook; the version shows « ND — non disponible » with the reason, never 0; pages pass axe", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("correspondant.caf"));
    await page.goto(`${baseUrl()}/collection/${YEAR}/${ORG}`);
    const template = await downloadTemplate(page);
    let declared = 0;
    const bytes = await fillConsistently(template, 10, (wb) => {
      const ws = wb.getWorksheet(DATA_SHEET)!;
      // The first line whose reason cell the template leaves open is one the agreement allows ND for.
      for (let r = FIRST_DATA_ROW; r <= ws.rowCount && !declared; r++) {
        if (ws.getCell(`${COLUMNS.reason}${r}`).protection?.locked === false) {
          ws.getCell(`${COLUMNS.value}${r}`).value = "ND — non disponible";
          ws.getCell(`${COLUMNS.reason}${r}`).value = REASON;
          declared = r;
        }
      }
    });
    expect(declared).toBeGreaterThanOrEqual(FIRST_DATA_ROW);
    await page.locator("#workbook-file").setInputFiles({ name: `ODPE_${YEAR}_${ORG}.xlsx`, mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: bytes });
    await page.getByText(/Version \d+ enregistrée sans erreur/).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: /Valeurs de la version \d+/ }).waitFor();
    await page.getByText(new RegExp(`ND — non disponible.*${REASON.slice(0, 30)}`)).first().waitFor();
    await expectAccessible(page);
    await logout(page);
    await page.close();
  });

  it("the referent sets which indicators allow ND/NC on the agreement page; the partner reads it on « Ma convention »; pages pass axe", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("referent"));
    await page.goto(`${baseUrl()}/agreements`);
    await page.getByRole("row", { name: new RegExp(ORG) }).getByRole("link").first().click();
    const switches = page.getByRole("checkbox", { name: /Autoriser « non disponible » \(ND\/NC\) pour/ });
    await switches.first().waitFor();
    expect(await switches.count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('input[name^="notAvailable."]:checked').count()).toBe(3);
    await expectAccessible(page);
    await logout(page);

    await login(page, demoEmail("correspondant.caf"));
    await page.goto(`${baseUrl()}/my-agreement`);
    await page.getByRole("columnheader", { name: "« Non disponible » (ND/NC)" }).waitFor();
    await expectAccessible(page);
    await page.close();
  });

});
