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

// A demo account no other browser test signs in with: this file erases it.
const PERSON = { email: demoEmail("correspondant.dep"), name: "Denis Correspondant Département" };

describe("personal data (GDPR): export and erasure in the browser", () => {
  it("a user downloads the personal data the portal holds about them, from « Mon compte »", async () => {
    const page = await browser.newPage();
    await login(page, PERSON.email);
    await page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "Mon compte" }).click();
    const link = page.getByRole("link", { name: "Télécharger mes données personnelles (JSON)" });
    await link.waitFor();
    await expectAccessible(page);
    const download = await page.request.get(`${baseUrl()}${await link.getAttribute("href")}`);
    expect(download.status()).toBe(200);
    expect(download.headers()["content-disposition"]).toMatch(/attachment/);
    const body = await download.text();
    expect(body).toContain(PERSON.email);
    expect(body).not.toMatch(/argon2|password_hash/i);
    await logout(page);
    await page.close();
  });

  it("the admin erases the account with the keyboard after typing its address again; the person can no longer sign in; the audit trail shows the pseudonym", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("admin"));
    await page.goto(`${baseUrl()}/admin/users`);
    await page.getByRole("link", { name: PERSON.name }).click();
    await page.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);
    // Disabling asks first (a mis-click closes nobody's sessions), and can be cancelled.
    await page.getByRole("button", { name: "Désactiver le compte…" }).click();
    await page.getByText("Désactiver ce compte ?").waitFor();
    await expectAccessible(page);
    await page.getByRole("button", { name: "Annuler" }).click();
    await page.getByRole("button", { name: "Désactiver le compte…" }).waitFor();

    const confirm = page.getByLabel("Pour confirmer, saisissez à nouveau l'adresse e-mail du compte");

    // A wrong address is refused on the field, in French, and changes nothing.
    await confirm.fill("quelqu-un.d-autre@demo.odpe.example");
    await confirm.press("Enter");
    await page.getByText("Saisissez l'adresse e-mail du compte, telle qu'affichée dans « Informations du compte ».").waitFor();
    await expect(confirm.getAttribute("aria-invalid")).resolves.toBe("true");
    await expectAccessible(page);

    await confirm.fill(PERSON.email);
    await confirm.press("Enter");
    const done = page.getByRole("status").filter({ hasText: "Compte effacé" });
    await done.waitFor();
    // The form is gone: focus goes to what happened.
    await expect(page.evaluate(() => document.activeElement?.getAttribute("role"))).resolves.toBe("status");
    const pseudonym = /Utilisateur supprimé n° \d+/.exec(await done.innerText())?.[0];
    expect(pseudonym).toBeDefined();
    await expectAccessible(page);

    await page.goto(`${baseUrl()}/audit`);
    await expect(page.getByText(pseudonym!).first().isVisible()).resolves.toBe(true);
    await expect(page.getByText(PERSON.email).count()).resolves.toBe(0);
    await logout(page);

    await page.goto(`${baseUrl()}/login`);
    await page.getByLabel("Adresse e-mail").fill(PERSON.email);
    await page.getByLabel(/^Mot de passe/).fill("Protection-Enfance-2026");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByText("Adresse e-mail ou mot de passe incorrect.").waitFor();
    await page.close();
  });
});
