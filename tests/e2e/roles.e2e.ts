import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { baseUrl, demoEmail, expectAccessible, login, logout, openBrowser } from "./browser";

let browser: BrowserContext;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** What each demo role must (and must not) find in its navigation. */
const roles = [
  { email: "admin", nav: ["Accueil", "Organismes membres", "Comptes utilisateurs", "Journal d'audit", "Mon compte"], adminAllowed: true },
  { email: "referent", nav: ["Accueil", "Organismes membres", "Journal d'audit", "Mon compte"], notNav: ["Comptes utilisateurs"] },
  { email: "comite", nav: ["Accueil", "Organismes membres", "Mon compte"], notNav: ["Comptes utilisateurs", "Journal d'audit"] },
  { email: "elu", nav: ["Accueil", "Organismes membres", "Mon compte"], notNav: ["Comptes utilisateurs", "Journal d'audit"] },
  { email: "correspondant.caf", nav: ["Accueil", "Mon compte"], notNav: ["Comptes utilisateurs", "Journal d'audit"] },
  { email: "validateur.caf", nav: ["Accueil", "Mon compte"], notNav: ["Comptes utilisateurs", "Journal d'audit"] },
  { email: "correspondant.tj", nav: ["Accueil", "Mon compte"], notNav: ["Comptes utilisateurs", "Journal d'audit"] },
  { email: "validateur.tj", nav: ["Accueil", "Mon compte"], notNav: ["Comptes utilisateurs", "Journal d'audit"] },
] as const;

describe("each demo role", () => {
  it("the login page is French and accessible", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl()}/login`);
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");
    await expect(page.getByRole("heading", { name: "Connexion à l'espace sécurisé" }).isVisible()).resolves.toBe(true);
    await expectAccessible(page);
    await page.getByLabel("Adresse e-mail").fill("inconnu@example.org");
    await page.getByLabel(/^Mot de passe/).fill("mauvais mot de passe");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByText("Adresse e-mail ou mot de passe incorrect.").waitFor();
    await expectAccessible(page);
    await page.close();
  });

  for (const role of roles) {
    it(`${role.email}: logs in, sees its navigation, is refused the admin screens, pages pass axe`, async () => {
      const page = await browser.newPage();
      await login(page, demoEmail(role.email));
      const nav = page.getByRole("navigation", { name: "Navigation principale" });
      await nav.getByRole("link").first().waitFor();
      const names = (await nav.getByRole("link").allInnerTexts()).map((n) => n.trim());
      expect(names).toEqual(expect.arrayContaining([...role.nav]));
      for (const label of "notNav" in role ? role.notNav : []) expect(names).not.toContain(label);
      await expectAccessible(page);

      // every page in its navigation renders and passes axe
      for (const label of role.nav) {
        await nav.getByRole("link", { name: label }).click();
        await page.waitForLoadState("networkidle");
        await expect(page.getByRole("heading", { level: 2 }).first().isVisible()).resolves.toBe(true);
        await expectAccessible(page);
      }

      const response = await page.goto(`${baseUrl()}/admin/users`);
      if ("adminAllowed" in role) {
        expect(response?.status()).toBe(200);
        await page.getByRole("link", { name: "Camille Référente" }).click();
        await page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);
        await expectAccessible(page);
      } else {
        expect(response?.status()).toBe(403);
        await page.getByRole("heading", { name: /Accès refusé/ }).waitFor();
        await expect(page.getByText("Identifiant de la requête").isVisible()).resolves.toBe(true);
        await expectAccessible(page);
      }
      await logout(page);
      await page.close();
    });
  }

  it("Art. 3: the referent renames a code-list modality in the portal; the history keeps the old label; pages pass axe", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("referent"));
    await page.goto(`${baseUrl()}/indicators/codelists/TERRITOIRE`);
    await page.getByRole("heading", { level: 2, name: /Territoire d'action sociale/ }).waitFor();
    await expectAccessible(page);
    await page.getByRole("combobox", { name: /^Modalité/ }).selectOption("T2");
    await page.getByLabel("Nouveau libellé").fill("Territoire du Forez");
    await page.getByLabel("Raison du changement").fill("Nom adopté par le comité de suivi.");
    await page.getByRole("button", { name: "Enregistrer le libellé" }).click();
    await page.getByText(/Le libellé de la modalité T2 est enregistré \(version 2\)/).waitFor();
    const history = page.getByRole("table", { name: /Changements de libellé/ });
    await history.getByRole("cell", { name: "Territoire 2 (à paramétrer)", exact: true }).waitFor();
    await history.getByRole("cell", { name: "Territoire du Forez", exact: true }).waitFor();
    await expectAccessible(page);
    await logout(page);
    await page.close();
  });

  it("an unknown address shows the French 404 page", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("comite"));
    const response = await page.goto(`${baseUrl()}/cette-page-n-existe-pas`);
    expect(response?.status()).toBe(404);
    await page.getByRole("heading", { name: /Page introuvable/ }).waitFor();
    await expectAccessible(page);
    await logout(page);
    await page.close();
  });
});
