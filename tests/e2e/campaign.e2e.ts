import { afterAll, beforeAll, describe, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { baseUrl, demoEmail, expectAccessible, login, logout, openBrowser } from "./browser";

let browser: BrowserContext;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("campaigns (Art. 2)", () => {
  it("the referent opens a campaign and a partner correspondent sees the new deadline on its home page", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("referent"));
    await page.goto(`${baseUrl()}/campaigns/new`);
    await page.getByLabel(/Année de référence/).fill("2026");
    await page.getByLabel(/Date d'ouverture/).fill("2026-11-23");
    await page.getByLabel(/^Date limite/).fill("2027-04-30");
    await expectAccessible(page);
    await page.getByRole("button", { name: "Créer la campagne" }).click();
    await page.waitForURL(/\/campaigns\/2026/);
    await page.getByRole("button", { name: "Ouvrir la campagne" }).click();
    await page.getByText(/Ouverte/).first().waitFor();
    await expectAccessible(page);
    await logout(page);

    await login(page, demoEmail("correspondant.tj"));
    await page.goto(`${baseUrl()}/`);
    await page.getByText(/Collecte 2026 : à transmettre au plus tard le 30 avril 2027/).waitFor();
    await expectAccessible(page);
    await logout(page);
    await page.close();
  });
});
