import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { baseUrl, demoEmail, expectAccessible, login, logout, openBrowser } from "./browser";

/**
 * Art. 5 end to end: a member builds charts from pooled data and freezes them
 * into a publication; each source organisation's validator approves exactly
 * that content; the ODPE referent validates; an anonymous visitor reads it on
 * the extranet with its sources. Every page passes axe.
 */
let browser: BrowserContext;
beforeAll(async () => {
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const title = `Allocataires et aides éducatives — e2e ${Date.now()}`;
const CAF = "Caisse d'allocations familiales de la Loire";
const DEP = "Département de la Loire";

async function freeze(page: Page, indicator: string, itemTitle: string, publication: string | "new") {
  await page.goto(`${baseUrl()}/explorer`);
  await page.getByLabel(/^Indicateur/).selectOption(indicator);
  await page.getByRole("button", { name: "Afficher" }).click();
  await page.waitForURL((url) => url.searchParams.get("indicator") === indicator);
  await page.getByRole("region", { name: /^Tableau :/ }).waitFor();
  await expectAccessible(page);
  await page.getByLabel("Titre du tableau ou du graphique").fill(itemTitle);
  await page.getByLabel("Forme", { exact: true }).selectOption("chart");
  if (publication === "new") await page.getByLabel("Publication", { exact: true }).selectOption("new");
  else await page.getByLabel("Publication", { exact: true }).selectOption({ label: `${publication} — Brouillon` });
  await page.getByRole("button", { name: "Figer dans la publication" }).click();
  await page.waitForURL(/\/publications\/[0-9a-f-]{36}/);
  await page.getByRole("heading", { name: "Sources (calculées par le portail)" }).waitFor();
}

describe("Art. 5: from pooled data to the extranet", () => {
  it("a member builds a chart, puts it in a publication, each source's validator approves, the referent validates, an anonymous visitor sees it with its sources", async () => {
    const page = await browser.newPage();
    // Writes (uploads, approvals, workflow moves) may take a few seconds on a loaded CI machine.
    page.setDefaultTimeout(30_000);

    // 1. A member (the CAF's correspondent) builds two charts from two sources' data and freezes them.
    await login(page, demoEmail("correspondant.caf"));
    await freeze(page, "ALLOC_RSA_ENF", "Foyers allocataires du RSA avec enfants", "new");
    const publicationUrl = page.url().split("?")[0]!;
    await page.getByText("Le tableau est enregistré dans la publication avec ses valeurs.").waitFor();
    await expectAccessible(page);

    await page.getByLabel(/^Titre/).fill(title);
    await page.getByRole("textbox", { name: "Texte (Markdown)" }).fill("## Ce que montrent les données\n\nLe nombre de **foyers allocataires** progresse chaque année.");
    await page.getByRole("button", { name: "Enregistrer le texte" }).click();
    await page.getByText("Le texte est enregistré.").waitFor();

    await freeze(page, "AED_MIN", "Aides éducatives à domicile (mineurs)", title);
    expect(page.url().split("?")[0]).toBe(publicationUrl);

    // The lineage is computed: both organisations, each needing its approval.
    const sources = page.getByRole("region", { name: "Organismes sources" });
    await sources.getByRole("row", { name: new RegExp(CAF) }).getByText("Accord préalable requis").waitFor();
    await sources.getByRole("row", { name: new RegExp(DEP) }).getByText("Accord préalable requis").waitFor();
    await expectAccessible(page);

    await page.getByRole("button", { name: "Demander l'accord des organismes sources" }).click();
    await page.getByText(/Accord demandé à : .*Caisse d'allocations familiales de la Loire/).waitFor();
    await page.getByText(/Statut : En attente de l'accord des sources\. En attente de : /).waitFor();
    await expectAccessible(page);
    await logout(page);

    // 2. Each source's validator sees exactly the content and approves it.
    for (const [validator, organisation] of [
      ["validateur.caf", CAF],
      ["validateur.dep", DEP],
    ] as const) {
      await login(page, demoEmail(validator));
      await page.goto(`${baseUrl()}/approvals`);
      await expectAccessible(page);
      await page.getByRole("link", { name: title }).first().click();
      await page.waitForURL(/\/approvals\/[0-9a-f-]{36}$/);
      await page.getByRole("heading", { name: "Contenu tel qu'il serait diffusé" }).waitFor();
      await page.getByRole("heading", { name: "Foyers allocataires du RSA avec enfants", level: 3 }).waitFor();
      await page.getByText("Ce que montrent les données").waitFor();
      await expectAccessible(page);
      await page.getByRole("button", { name: `Donner l'accord de ${organisation}` }).click();
      await page.getByText("Votre accord est enregistré.").waitFor();
      await expectAccessible(page);
      await logout(page);
    }

    // 3. The referent validates the publication.
    await login(page, demoEmail("referent"));
    await page.goto(`${baseUrl()}/publications`);
    await page.getByRole("region", { name: "Publications à valider" }).getByRole("link", { name: title }).click();
    await page.waitForURL(publicationUrl);
    await expectAccessible(page);
    await page.getByRole("button", { name: "Valider la mise en ligne" }).click();
    await page.getByText("La publication est en ligne.").waitFor();
    await expectAccessible(page);
    await logout(page);

    // 4. An anonymous visitor reads it on the extranet, with its sources, on a phone too.
    await page.context().clearCookies();
    // Issue 14 item 6: the extranet's home loads no chart code; a publication's page loads it to draw its charts.
    const scripts: string[] = [];
    page.on("request", (r) => {
      if (r.resourceType() === "script") scripts.push(new URL(r.url()).pathname);
    });
    await page.goto(`${baseUrl()}/extranet`, { waitUntil: "networkidle" });
    expect(scripts.filter((s) => s.includes("/chart-plot-"))).toEqual([]);
    const card = page.getByRole("article", { name: title });
    await card.getByText(/Caisse d'allocations familiales de la Loire \(données 2019 à 2024\)/).waitFor();
    await card.getByText(/Département de la Loire \(données 2019 à 2024\)/).waitFor();
    await expectAccessible(page);
    await card.getByRole("link", { name: title }).click();
    await page.waitForURL(/\/extranet\/publications\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { name: title, level: 2 }).waitFor();
    await page.getByText("Source : Caisse d'allocations familiales de la Loire, données 2019 à 2024").waitFor();
    await page.getByText("Source : Département de la Loire, données 2019 à 2024").waitFor();
    await page.getByRole("region", { name: "Tableau : Foyers allocataires du RSA avec enfants" }).waitFor();
    await page.locator("figure svg.recharts-surface").first().waitFor();
    expect(scripts.filter((s) => s.includes("/chart-plot-"))).toHaveLength(1);
    await expectAccessible(page);

    await page.setViewportSize({ width: 375, height: 740 });
    await page.reload();
    await page.getByRole("heading", { name: title, level: 2 }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible(page);
    await page.close();
  }, 240_000);

  it("the extranet needs no login, lists nothing unvalidated, and a draft's address gives a 404", async () => {
    const page = await browser.newPage();
    // Writes (uploads, approvals, workflow moves) may take a few seconds on a loaded CI machine.
    page.setDefaultTimeout(30_000);
    await page.context().clearCookies();
    const response = await page.goto(`${baseUrl()}/extranet`);
    expect(response?.status()).toBe(200);
    await expectAccessible(page);
    const missing = await page.goto(`${baseUrl()}/extranet/publications/00000000-0000-4000-8000-000000000000`);
    expect(missing?.status()).toBe(404);
    await page.close();
  });
});

describe("Art. 4: the shared workspace", () => {
  it("a member shares a study, finds it with a French search (accents and plurals ignored), and adds a version", async () => {
    const page = await browser.newPage();
    // Writes (uploads, approvals, workflow moves) may take a few seconds on a loaded CI machine.
    page.setDefaultTimeout(30_000);
    await login(page, demoEmail("correspondant.tj"));
    await page.goto(`${baseUrl()}/workspace`);
    await expectAccessible(page);
    const docTitle = `Étude des placements judiciaires ${Date.now()}`;
    await page.getByLabel(/^Titre/).fill(docTitle);
    await page.getByLabel(/^Résumé/).fill("Analyse des mesures de placement ordonnées par le juge des enfants.");
    await page.getByLabel(/^Fichier/).setInputFiles({ name: "etude.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% étude\n%%EOF") });
    // Art. 4: only anonymised data; the upload is refused without this box.
    await page.getByLabel(/Je confirme que ce document ne contient que des données anonymisées/).check();
    await page.getByRole("button", { name: "Partager" }).click();
    await page.waitForURL(/\/workspace\/[0-9a-f-]{36}\?created=1$/);
    await page.getByText("Le document est partagé avec tous les membres de l'observatoire.").waitFor();
    await expectAccessible(page);

    await page.getByLabel(/^Fichier/).setInputFiles({ name: "etude-v2.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n% v2\n%%EOF") });
    await page.getByLabel("Ce qui change (facultatif)").fill("Chiffres 2024 ajoutés");
    await page.getByLabel(/Je confirme que ce document ne contient que des données anonymisées/).check();
    await page.getByRole("button", { name: "Déposer la version" }).click();
    await page.getByText("Version 2 déposée ; les précédentes restent consultables.").waitFor();

    await page.goto(`${baseUrl()}/workspace?q=${encodeURIComponent("etude placement juge")}`);
    await page.getByRole("link", { name: docTitle }).waitFor();
    await expectAccessible(page);
    await page.close();
  });
});
