import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { expect, inject } from "vitest";

export const baseUrl = () => inject("baseUrl");
export const DEMO_PASSWORD = "Protection-Enfance-2026";
export const demoEmail = (local: string) => `${local}@demo.odpe.example`;

/** Signs a demo account in through the login form of the server at `base` (HTTP only); returns its session cookie (`name=value`). */
export async function signInCookie(base: string, account: string): Promise<string> {
  const login = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: base },
    body: new URLSearchParams({ email: demoEmail(account), password: DEMO_PASSWORD }),
  });
  const cookie = login.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error(`${account}: no session after login (HTTP ${login.status})`);
  return cookie;
}

/** Debian's Chromium, headless, with a fresh profile (never a downloaded browser). */
export async function openBrowser(): Promise<BrowserContext> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    locale: "fr-FR",
    timezoneId: "Europe/Paris",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.setDefaultTimeout(10_000);
  return context;
}

export async function login(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.context().clearCookies();
  await page.goto(`${baseUrl()}/login`);
  await page.getByLabel("Adresse e-mail").fill(email);
  await page.getByLabel(/^Mot de passe/).fill(password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

export async function logout(page: Page) {
  await page.getByRole("button", { name: "Se déconnecter" }).click();
  await page.waitForURL((url) => url.pathname.startsWith("/login"));
}

/** axe-core on the current page: no serious or critical violation. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const blocking = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${page.url()} — ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(" | ")}`);
  expect(blocking).toEqual([]);
}

/** Clicks the page's « Télécharger le modèle » link and returns the downloaded workbook, as a partner gets it. */
export async function downloadTemplate(page: Page): Promise<Buffer> {
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: /Télécharger le modèle/ }).click();
  const stream = await (await download).createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
