import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { createStaticHandler, createStaticRouter, StaticRouterProvider } from "react-router-dom/server";
import { MantineProvider } from "@mantine/core";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie } from "../factories";
import { ErrorBoundary } from "~/root";
import * as meeting from "~/routes/governance.meetings.$id";
import * as approval from "~/routes/approvals.$id";

const t = useTestDb();

/**
 * A route's 404 reaches the user in its own French words: the route throws
 * pageNotFound("… introuvable") and the root error boundary shows that body,
 * with the request id, as Remix renders it (the loader runs through a static
 * router, the thrown Response becomes the route error).
 */
async function renderPage(path: string, pattern: string, loader: (args: LoaderFunctionArgs) => unknown, cookie: string) {
  const requestId = "req-boundary-42";
  const routes = [
    {
      id: "root",
      path: "/",
      loader: () => ({ requestId }),
      ErrorBoundary,
      children: [{ id: "page", path: pattern, Component: () => null, loader: (args: LoaderFunctionArgs) => loader({ ...args, context: { requestId } } as LoaderFunctionArgs) }],
    },
  ];
  const handler = createStaticHandler(routes as never);
  const context = await handler.query(makeRequest(path, { cookie }));
  if (context instanceof Response) throw new Error(`unexpected redirect ${context.status}`);
  const router = createStaticRouter(handler.dataRoutes, context);
  const html = renderToStaticMarkup(createElement(MantineProvider, null, createElement(StaticRouterProvider, { router, context, hydrate: false })));
  return { status: context.statusCode, html, requestId };
}

describe("error pages carry the route's French message and the request id", () => {
  it("a malformed meeting id: 404 « Réunion introuvable »", async () => {
    const org = await makeOrganisation(t.db);
    const cookie = await sessionCookie((await makeUser(t.db, "reader", org.id)).id);
    const page = await renderPage("/governance/meetings/pas-un-uuid", "governance/meetings/:id", meeting.loader as never, cookie);
    expect(page.status).toBe(404);
    expect(page.html).toContain("Page introuvable");
    expect(page.html).toContain("Réunion introuvable");
    expect(page.html).toContain(page.requestId);
  });

  it("a well-formed id that names no meeting: 404 with the domain's French message", async () => {
    const org = await makeOrganisation(t.db);
    const cookie = await sessionCookie((await makeUser(t.db, "reader", org.id)).id);
    const page = await renderPage(`/governance/meetings/${crypto.randomUUID()}`, "governance/meetings/:id", meeting.loader as never, cookie);
    expect(page.status).toBe(404);
    expect(page.html).toMatch(/n&#x27;existe pas ou plus|n'existe pas ou plus/);
    expect(page.html).toContain(page.requestId);
  });

  it("a malformed approval id: 404 « Demande introuvable »", async () => {
    const org = await makeOrganisation(t.db);
    const cookie = await sessionCookie((await makeUser(t.db, "partner_validator", org.id)).id);
    const page = await renderPage("/approvals/123", "approvals/:id", approval.loader as never, cookie);
    expect(page.status).toBe(404);
    expect(page.html).toContain("Demande introuvable");
  });
});
