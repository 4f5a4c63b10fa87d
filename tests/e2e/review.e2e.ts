import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { baseUrl, demoEmail, downloadTemplate, expectAccessible, login, logout, openBrowser } from "./browser";
import { fillConsistently } from "../support/workbook";

let browser: BrowserContext;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const YEAR = 2025;
const ORG = "TJ-STE";
const dossier = () => `${baseUrl()}/collection/${YEAR}/${ORG}`;
const shots = path.resolve(__dirname, "../../docs/screenshots");

async function upload(page: Page, bytes: Buffer) {
  await page.locator("#workbook-file").setInputFiles({ name: `ODPE_${YEAR}_${ORG}.xlsx`, mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: bytes });
  await page.getByRole("status").or(page.getByRole("alert")).first().waitFor();
}

describe("review with the values on screen (Art. 4)", () => {
  it("Art. 4 : the correspondent, then the referent, read the version's values grouped by domain, with the changes since the previous version; wording per role; axe clean", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("correspondant.tj"));
    await page.goto(dossier());
    const template = await downloadTemplate(page);
    await upload(page, await fillConsistently(template, 10));
    await page.reload();
    await upload(page, await fillConsistently(template, 12));
    await page.reload();
    await page.getByRole("heading", { name: /Valeurs de la version \d+/ }).waitFor();
    await page.getByText(/modifiée\(s\) depuis la version \d+/).first().waitFor();
    // one table per domain, each with its caption and header cells
    expect(await page.locator("table.review-table caption").count()).toBeGreaterThan(0);
    expect(await page.locator("table.review-table tr.review-changed").count()).toBeGreaterThan(0);
    await page.getByRole("link", { name: "← Mes dépôts" }).waitFor();
    await expectAccessible(page);
    await page.screenshot({ path: path.join(shots, "review-correspondent.png"), fullPage: true });
    // Art. 4: the institution validates (transmits) with the values on screen; the ODPE sees transmitted versions only.
    await page.getByLabel(/Commentaire de transmission/).fill("Valeurs de démonstration.");
    await page.getByRole("button", { name: "Transmettre pour validation interne" }).click();
    await page.getByText(/Transmettre pour validation interne : c'est fait/).waitFor();
    await logout(page);

    await login(page, demoEmail("validateur.tj"));
    await page.goto(dossier());
    await page.getByRole("heading", { name: /Valeurs de la version \d+/ }).waitFor();
    await expectAccessible(page);
    await page.getByRole("button", { name: "Valider au nom de mon institution" }).click();
    await page.getByText(/c'est fait/).waitFor();
    await logout(page);

    await login(page, demoEmail("referent"));
    await page.goto(dossier());
    await page.getByRole("heading", { name: /Valeurs de la version \d+/ }).waitFor();
    await page.getByRole("link", { name: `← Complétude de la campagne ${YEAR}` }).waitFor();
    expect(await page.getByText("Mes dépôts").count()).toBe(0);
    expect(await page.getByText(/mon classeur annoté/).count()).toBe(0);
    await expectAccessible(page);
    await page.screenshot({ path: path.join(shots, "review-referent.png"), fullPage: true });

    // a phone: the completeness board's wide table says it scrolls
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${baseUrl()}/completeness/${YEAR}`);
    await page.getByText(/Tableau large : faites-le défiler/).first().waitFor({ state: "visible" });
    await expectAccessible(page);
    await page.close();
  });

  it("« Ma convention » hydrates without React errors #418/#423 for a partner", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await login(page, demoEmail("validateur.tj"));
    await page.goto(`${baseUrl()}/my-agreement`);
    await page.getByRole("heading", { name: "Ma convention" }).waitFor();
    await page.waitForLoadState("networkidle");
    expect(errors.filter((e) => /#418|#423|hydrat/i.test(e))).toEqual([]);
    await expectAccessible(page);
    await page.close();
  });
});
