import fs from "node:fs";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { unzipSync, strFromU8 } from "fflate";
import { baseUrl, demoEmail, expectAccessible, login, logout, openBrowser } from "./browser";
import { pdfPages } from "../support/pdf";

/**
 * The annual dashboard end to end (Art. 3 and 5): the referent prepares,
 * writes, previews, validates and publishes the 2024 edition from the UI; an
 * elected official reads it (also on a phone, and in print) and downloads the
 * PDF; the referent records the transmission to ONPE; anyone reads the
 * public edition on the extranet. Every page passes axe.
 */
let browser: BrowserContext;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function download(page: Page, click: () => Promise<void>): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent("download"), click()]);
  return fs.readFileSync((await file.path())!);
}

let editionUrl = "";

describe("annual dashboard", () => {
  it("the referent prepares, writes, previews, validates and publishes the 2024 edition", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("referent"));
    await page.goto(`${baseUrl()}/dashboard`);
    await page.getByRole("heading", { name: "Tableau de bord annuel", level: 2 }).waitFor();
    await expectAccessible(page);
    await page.getByRole("link", { name: "Gérer les éditions" }).click();
    await page.getByRole("heading", { name: "Éditions du tableau de bord" }).waitFor();
    await expectAccessible(page);

    await page.getByLabel("Année de référence").selectOption("2024");
    await page.getByRole("button", { name: "Préparer l'édition" }).click();
    await page.waitForURL(/\/dashboard\/editions\/[0-9a-f-]{36}\?preparee=1$/);
    editionUrl = page.url().replace(/\?.*$/, "");
    await page.getByRole("heading", { name: "Tableau de bord 2024 — édition n° 1" }).waitFor();
    await expectAccessible(page);

    await page.getByLabel("Avant-propos").fill("Ce tableau de bord 2024 présente les données de nos partenaires.\n\nDonnées de démonstration.");
    await page.getByLabel("Commentaire : Enfance en danger").fill("Les informations préoccupantes continuent de progresser.");
    await page.getByRole("button", { name: "Enregistrer les textes" }).click();
    await page.getByText("Les textes sont enregistrés.").waitFor();

    await page.getByRole("link", { name: "Prévisualiser l'édition publique" }).click();
    await page.getByRole("heading", { name: "Tableau de bord annuel de la protection de l'enfance 2024" }).waitFor();
    await expect(page.getByText("Les informations préoccupantes continuent de progresser.").isVisible()).resolves.toBe(true);
    await expect(page.getByText("rien n'est encore publié").isVisible()).resolves.toBe(true);
    await expectAccessible(page);
    await page.goto(editionUrl);

    await page.getByRole("button", { name: "Valider l'édition" }).click();
    await page.getByText("L'édition est validée").waitFor();
    await page.getByRole("button", { name: "Publier et figer l'édition" }).click();
    await page.getByText("L'édition est publiée et figée", { exact: false }).waitFor({ timeout: 60_000 });
    await page.getByText("Publiée", { exact: true }).first().waitFor();
    await expectAccessible(page);

    // The ONPE package: its manifest's checksums match the files it carries.
    const zip = await download(page, () => page.getByRole("link", { name: /Paquet ONPE/ }).click());
    const entries = unzipSync(new Uint8Array(zip));
    const manifest = JSON.parse(strFromU8(entries["manifest.json"]!)) as { referenceYear: number; files: { name: string; sha256: string }[] };
    expect(manifest.referenceYear).toBe(2024);
    for (const f of manifest.files) expect(sha256(entries[f.name]!)).toBe(f.sha256);
    await logout(page);
    await page.close();
  }, 180_000);

  it("an elected official opens the report, reads it on a phone and in print, and downloads the PDF", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("elu"));
    await page.getByRole("link", { name: "Lire le tableau de bord 2024" }).click();
    await page.getByRole("heading", { name: "Tableau de bord annuel de la protection de l'enfance 2024" }).waitFor();
    await page.goto(`${baseUrl()}/dashboard`);
    await page.getByRole("heading", { name: "Dernier tableau de bord : année 2024" }).waitFor();
    await expect(page.getByRole("heading", { name: "Comparaison d'une année sur l'autre" }).isVisible()).resolves.toBe(true);
    await expectAccessible(page);
    await page.getByRole("link", { name: "Lire le rapport 2024" }).click();
    await page.getByRole("heading", { name: "Tableau de bord annuel de la protection de l'enfance 2024" }).waitFor();
    await expect(page.getByText("édition publique").first().isVisible()).resolves.toBe(true);
    await expect(page.getByRole("heading", { name: "Contributeurs" }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole("img", { name: /^Logo : / }).first().isVisible()).resolves.toBe(true);
    await expectAccessible(page);

    // Readers never reach raw submissions nor the editions' management.
    expect((await page.request.get(`${baseUrl()}/dashboard/editions`)).status()).toBe(403);

    const pdf = await download(page, () => page.getByRole("link", { name: "Télécharger : PDF (édition publique)" }).click());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const text = (await pdfPages(pdf)).join(" ").replace(/\s+/g, " ");
    expect(text).toContain("Tableau de bord annuel de la protection de l'enfance");
    expect(text).toContain("Chiffres clés 2024");

    // On a phone: nothing wider than the screen but the scrollable tables.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByRole("heading", { name: "Tableau de bord annuel de la protection de l'enfance 2024" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectAccessible(page);

    // In print: no banner, links or toolbar; the report itself stays.
    await expect(page.getByRole("button", { name: "Imprimer" }).isVisible()).resolves.toBe(true);
    await page.emulateMedia({ media: "print" });
    await expect(page.getByRole("button", { name: "Imprimer" }).isVisible()).resolves.toBe(false);
    await expect(page.getByRole("banner").isVisible()).resolves.toBe(false);
    await expect(page.getByRole("heading", { name: "Chiffres clés 2024" }).isVisible()).resolves.toBe(true);
    await page.emulateMedia({ media: "screen" });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(await page.getByRole("link", { name: "← Tableau de bord annuel" }).getAttribute("href")).toBe("/dashboard");
    await page.goto(`${baseUrl()}/dashboard`);
    await page.getByRole("heading", { name: "Tableau de bord annuel", level: 2 }).waitFor();
    await logout(page);
    await page.close();
  }, 180_000);

  it("the referent records the transmission to ONPE", async () => {
    const page = await browser.newPage();
    await login(page, demoEmail("referent"));
    await page.goto(editionUrl);
    await page.getByLabel("Note", { exact: true }).fill("Dépôt sur la plateforme de l'ONPE");
    await page.getByRole("button", { name: "Enregistrer la transmission à l'ONPE" }).click();
    await page.getByText("La transmission à l'ONPE est enregistrée.").waitFor();
    await page.getByText("Transmise à l'ONPE", { exact: true }).first().waitFor();
    await page.getByText(/Paquet transmis :/).waitFor();
    await expectAccessible(page);
    await logout(page);
    await page.close();
  });

  it("anyone reads the public edition on the extranet, without login", async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    const response = await page.goto(`${baseUrl()}/extranet/tableau-de-bord/2024`);
    expect(response?.status()).toBe(200);
    await page.getByRole("heading", { name: "Tableau de bord annuel de la protection de l'enfance 2024" }).waitFor();
    await expect(page.getByText(/transmise à l'ONPE le/).first().isVisible()).resolves.toBe(true);
    await expectAccessible(page);
    await page.close();
  });

  it("ADR 044: the extranet's list gives each edition's number of contributors; its link reaches each of them with its logo", async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await page.goto(`${baseUrl()}/extranet`);
    const card = page.getByRole("article", { name: /^Tableau de bord \d{4}$/ }).first();
    const link = card.getByRole("link", { name: /^\d+ organismes? contributeurs?$/ });
    const count = Number((await link.textContent())!.match(/\d+/)![0]);
    expect(count).toBeGreaterThan(0);
    // The list no longer repeats every contributor's logo on each card.
    expect(await card.locator("img").count()).toBe(0);
    await expectAccessible(page);
    await link.click();
    await page.waitForURL(/\/extranet\/tableau-de-bord\/\d{4}(\?edition=\d+)?#contributeurs$/);
    const section = page.locator("#contributeurs");
    await section.getByRole("heading", { name: "Contributeurs" }).waitFor();
    expect(await section.locator("li").count()).toBe(count);
    expect(await section.locator("li img").count()).toBeGreaterThan(0);
    await page.close();
  });
});
