import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { baseUrl, demoEmail, expectAccessible, login, openBrowser } from "./browser";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/**
 * The partner API on the production build, over real HTTP: a correspondent
 * creates a token in « Accès API » (Chromium, axe), a partner system uses it
 * without cookie nor Origin, the CSRF rule still refuses a foreign Origin,
 * and an oversized streamed upload gets its 413 instead of a reset connection.
 */
describe("partner API over HTTP", () => {
  let context: BrowserContext;
  let page: Page;
  let token = "";

  beforeAll(async () => {
    context = await openBrowser();
    page = context.pages()[0] ?? (await context.newPage());
  });
  afterAll(async () => {
    await context?.close();
  });

  it("a correspondent creates a token on « Accès API », shown once; the page and the docs pass axe", async () => {
    await login(page, demoEmail("correspondant.tj"));
    await page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "Accès API" }).click();
    await page.waitForURL(/\/api-tokens$/);
    await expectAccessible(page);
    await page.getByLabel("Nom du jeton").fill("Logiciel du greffe (e2e)");
    await page.getByRole("button", { name: "Créer le jeton" }).click();
    await page.getByText("copiez-le maintenant", { exact: false }).waitFor();
    token = (await page.getByLabel("Jeton d'accès").innerText()).trim();
    expect(token).toMatch(/^odpe_[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => page.getByRole("row", { name: /Logiciel du greffe \(e2e\)/ }).count()).toBe(1);
    await expectAccessible(page);
    await page.reload();
    expect(await page.content()).not.toContain(token);

    await page.goto(`${baseUrl()}/api/docs`);
    await page.getByRole("heading", { name: "Documentation de l'API partenaires" }).waitFor();
    await expectAccessible(page);
  });

  it("a partner system calls the API with the token alone (no cookie, no Origin)", async () => {
    const campaigns = await fetch(`${baseUrl()}/api/v1/campaigns`, { headers: { Authorization: `Bearer ${token}` } });
    expect(campaigns.status).toBe(200);
    expect(campaigns.headers.get("ratelimit-limit")).toBe("120");
    const body = (await campaigns.json()) as { organisation: { code: string }; campaigns: { year: number }[] };
    expect(body.organisation.code).toBe("TJ-STE");

    // A POST without Origin passes the CSRF rule on /api/ and reaches the upload guard (a PDF is not a workbook).
    const pdf = await fetch(`${baseUrl()}/api/v1/campaigns/${body.campaigns[0]!.year}/uploads`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": XLSX },
      body: "%PDF-1.7\n%âãÏÓ\n",
    });
    expect([pdf.status, (await pdf.json()).type]).toEqual([415, "/api/docs#unsupported-media-type"]);

    const spec = await fetch(`${baseUrl()}/api/v1/openapi.json`);
    expect((await spec.json()).openapi).toBe("3.1.0");
  });

  it("still refuses a POST carrying another site's Origin (403 problem+json)", async () => {
    const res = await fetch(`${baseUrl()}/api/v1/campaigns/2025/uploads`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, Origin: "https://evil.example", "Content-Type": XLSX },
      body: "x",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await res.json()).type).toBe("/api/docs#forbidden");
  });

  it("answers 413 to an oversized chunked upload while the client is still sending, and stays healthy", async () => {
    const campaigns = (await (await fetch(`${baseUrl()}/api/v1/campaigns`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { campaigns: { year: number }[] };
    const url = new URL(`${baseUrl()}/api/v1/campaigns/${campaigns.campaigns[0]!.year}/uploads`);
    const chunk = Buffer.alloc(256 * 1024, 7);
    const result = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": XLSX, "Transfer-Encoding": "chunked" } },
        (res) => {
          answered = true;
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body, sent }));
        },
      );
      req.on("error", (error) => (answered ? undefined : reject(error)));
      // Keep sending (up to 60 MiB) until the server answers.
      const pump = () => {
        while (!answered && sent < 60 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ type: "/api/docs#payload-too-large", code: "file_too_large" });
    expect(result.sent).toBeLessThan(60 * 1024 * 1024);
    expect((await fetch(`${baseUrl()}/healthz`)).status).toBe(200);
  });
});
