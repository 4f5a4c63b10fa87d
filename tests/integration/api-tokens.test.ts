import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { useTestDb } from "../support/db";
import { makeOrganisation, makeRequest, makeUser, sessionCookie, testContext } from "../factories";
import { makeApiToken, withdrawOrganisation } from "../factories/collection";
import * as tokensPage from "~/routes/api-tokens";
import * as docsPage from "~/routes/api.docs";
import * as openapiRoute from "~/routes/api.v1.openapi[.]json";
import { hashApiToken } from "~/server/api/tokens.server";
import { createDb, migrateToLatest } from "~/server/db.server";
import { navigationFor } from "~/ui/navigation";
import { API_TOKEN_PATTERN } from "~/domain/api-tokens";
import type { Role } from "~/domain/permissions";

const t = useTestDb();
const root = path.resolve(__dirname, "../..");

type Loader = (args: LoaderFunctionArgs) => Promise<unknown>;
type Action = (args: ActionFunctionArgs) => Promise<unknown>;

/** Runs a page loader/action like Remix does: the Response it produced or threw, or its data and status. */
async function run(fn: Loader | Action, request: Request) {
  try {
    const result = await fn({ request, params: {}, context: testContext() } as never);
    if (result instanceof Response) return { status: result.status, response: result, data: undefined, headers: result.headers };
    if (result && typeof result === "object" && "type" in result && (result as { type: string }).type === "DataWithResponseInit") {
      const d = result as unknown as { data: Record<string, unknown>; init: ResponseInit | null };
      return { status: d.init?.status ?? 200, data: d.data, headers: new Headers(d.init?.headers) };
    }
    return { status: 200, data: result as Record<string, unknown>, headers: new Headers() };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, response: thrown, data: undefined, headers: thrown.headers };
    throw thrown;
  }
}

async function signedIn(role: Role, organisationId?: string) {
  const orgId = organisationId ?? (await makeOrganisation(t.db)).id;
  const user = await makeUser(t.db, role, orgId);
  return { user, orgId, cookie: await sessionCookie(user.id) };
}

describe("« Accès API » page: a correspondent manages its own organisation's tokens", () => {
  it("creates a token shown once (never cached), stored as its sha256, audited, then listed by prefix only", async () => {
    const { user, orgId, cookie } = await signedIn("partner_correspondent");
    const created = await run(tokensPage.action, makeRequest("/api-tokens?intent=create", { cookie, form: { name: "  ERP Solis  " } }));
    expect(created.status).toBe(200);
    expect(created.headers.get("Cache-Control")).toBe("no-store");
    const secret = (created.data!.token as { secret: string; name: string }).secret;
    expect(secret).toMatch(API_TOKEN_PATTERN);

    const row = await t.db.selectFrom("api_token").selectAll().where("organisation_id", "=", orgId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: "ERP Solis", token_hash: hashApiToken(secret), created_by: user.id, revoked_at: null });
    expect(secret.startsWith(row.token_prefix)).toBe(true);
    const audit = await t.db.selectFrom("audit_event").select(["action", "actor_user_id", "summary"]).where("entity_id", "=", row.id).execute();
    expect(audit).toEqual([{ action: "api_token.created", actor_user_id: user.id, summary: expect.stringContaining(row.token_prefix) }]);

    const page = await run(tokensPage.loader, makeRequest("/api-tokens", { cookie }));
    expect(page.status).toBe(200);
    expect(JSON.stringify(page.data)).not.toContain(secret);
    expect(page.data!.tokens).toEqual([expect.objectContaining({ id: row.id, name: "ERP Solis", token_prefix: row.token_prefix, last_used_at: null, revoked_at: null })]);
  });

  it("asks for a name (422, French field message)", async () => {
    const { cookie } = await signedIn("partner_correspondent");
    const result = await run(tokensPage.action, makeRequest("/api-tokens?intent=create", { cookie, form: { name: "   " } }));
    expect(result.status).toBe(422);
    expect((result.data!.fieldErrors as Record<string, string[]>).name?.[0]).toMatch(/Donnez un nom au jeton/);
  });

  it("revokes its own token (audited), refuses a second revocation (409) and another organisation's token (404)", async () => {
    const { orgId, cookie } = await signedIn("partner_correspondent");
    const own = await makeApiToken(t.db, orgId, { name: "Ancien ERP" });
    const foreign = await makeApiToken(t.db, (await makeOrganisation(t.db)).id, { name: "Autre organisme" });

    const revoked = await run(tokensPage.action, makeRequest("/api-tokens?intent=revoke", { cookie, form: { tokenId: own.id } }));
    expect(revoked.status).toBe(200);
    const row = await t.db.selectFrom("api_token").select(["revoked_at", "revoked_by"]).where("id", "=", own.id).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    const events = await t.db.selectFrom("audit_event").select("action").where("entity_id", "=", own.id).orderBy("id").execute();
    expect(events.map((e) => e.action)).toEqual(["api_token.created", "api_token.revoked"]);

    expect((await run(tokensPage.action, makeRequest("/api-tokens?intent=revoke", { cookie, form: { tokenId: own.id } }))).status).toBe(409);
    expect((await run(tokensPage.action, makeRequest("/api-tokens?intent=revoke", { cookie, form: { tokenId: foreign.id } }))).status).toBe(404);
    const untouched = await t.db.selectFrom("api_token").select("revoked_at").where("id", "=", foreign.id).executeTakeFirstOrThrow();
    expect(untouched.revoked_at).toBeNull();
  });

  it("is open to correspondents only (manage:api_token): 403 for the other roles, and in their navigation only", async () => {
    for (const role of ["partner_validator", "odpe_referent", "committee_member", "reader", "admin"] as const) {
      const { cookie } = await signedIn(role);
      expect([role, (await run(tokensPage.loader, makeRequest("/api-tokens", { cookie }))).status]).toEqual([role, 403]);
      expect([role, (await run(tokensPage.action, makeRequest("/api-tokens?intent=create", { cookie, form: { name: "x" } }))).status]).toEqual([role, 403]);
    }
    const orgId = (await makeOrganisation(t.db)).id;
    expect(navigationFor({ role: "partner_correspondent", organisationId: orgId }).map((i) => i.to)).toContain("/api-tokens");
    expect(navigationFor({ role: "partner_validator", organisationId: orgId }).map((i) => i.to)).not.toContain("/api-tokens");
    expect(navigationFor({ role: "partner_correspondent", organisationId: orgId, organisationWithdrawn: true }).map((i) => i.to)).not.toContain("/api-tokens");
  });

  it("Art. 7: no token for a withdrawn organisation, from the page or the use case", async () => {
    const { orgId, cookie } = await signedIn("partner_correspondent");
    await withdrawOrganisation(t.db, orgId);
    const page = await run(tokensPage.action, makeRequest("/api-tokens?intent=create", { cookie, form: { name: "ERP" } }));
    expect(page.status).toBe(403);
    await expect(makeApiToken(t.db, orgId)).rejects.toThrow(/retiré de la convention/);
  });
});

describe("documentation", () => {
  it("serves the OpenAPI 3.1 document publicly, with every reference resolvable", async () => {
    const response = (await openapiRoute.loader({ request: new Request("http://localhost/api/v1/openapi.json"), params: {}, context: testContext() } as never)) as Response;
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/v1/campaigns", "/api/v1/campaigns/{year}/template", "/api/v1/campaigns/{year}/uploads", "/api/v1/uploads/{id}", "/api/v1/uploads/{id}/submit"]),
    );
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
  });

  it("renders a public French documentation page listing every operation and every problem type", async () => {
    const page = await run(docsPage.loader, new Request("http://localhost/api/docs"));
    expect(page.status).toBe(200);
    const data = page.data as { operations: { path: string; responses: { status: number }[] }[]; problems: { type: string }[] };
    expect(data.operations.find((o) => o.path === "/api/v1/campaigns/{year}/uploads" && o.responses.some((r) => r.status === 201))).toBeDefined();
    expect(data.problems.map((p) => p.type)).toEqual(expect.arrayContaining(["unauthenticated", "rate-limited", "workbook-errors", "workbook-refused", "payload-too-large"]));
  });
});

function runCliProcess(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["scripts/token-create.ts", ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_ENV: "test", APP_MODE: "demo", LOG_LEVEL: "silent", JOBS_ENABLED: "false", ...env } as NodeJS.ProcessEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// Each case starts the CLI as a real process (tsx compiles it first): slow on a busy machine.
describe("npm run token:create -- --org <CODE> --name <label>", { timeout: 180_000 }, () => {
  it("prints the token alone on its last line and stores only its hash", async () => {
    let env: Record<string, string>;
    let db = t.db;
    let close = async () => {};
    const org = { code: `CLI${Date.now() % 100000}` };
    if (process.env.DATABASE_URL) {
      // The CLI connects to this test file's own schema.
      const schema = (t.handle as { schema?: string }).schema!;
      const url = new URL(process.env.DATABASE_URL);
      url.searchParams.set("options", `-c search_path=${schema}`);
      env = { DATABASE_URL: url.toString() };
    } else {
      // The embedded database in a data folder of its own, prepared then released.
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-cli-"));
      const handle = await createDb({ dataDir });
      await migrateToLatest(handle.db);
      db = handle.db;
      close = () => handle.close();
      env = { DATA_DIR: dataDir };
    }
    await db.insertInto("organisation").values({ code: org.code, name: "Conseil départemental (CLI)", kind: "departement" }).execute();
    await close();

    const result = await runCliProcess(["--org", org.code, "--name", "ERP Solis"], env);
    expect(result.code).toBe(0);
    // The CLI itself writes nothing to stderr on success. (One full parallel run on PostgreSQL
    // once showed a stray "schema …_jobs does not exist" line from another file's teardown; see the closing note.)
    expect(result.stderr).not.toMatch(/Organisme inconnu|Paramètre invalide|déjà ouverte|Invalid configuration|Error:/);
    const lines = result.stdout.trimEnd().split("\n");
    const token = lines[lines.length - 1]!;
    expect(token).toMatch(API_TOKEN_PATTERN);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(0, -1).join("\n")).not.toContain(token);

    if (!process.env.DATABASE_URL) {
      const handle = await createDb({ dataDir: env.DATA_DIR! });
      db = handle.db;
      close = () => handle.close();
    }
    const row = await db
      .selectFrom("api_token as t")
      .innerJoin("organisation as o", "o.id", "t.organisation_id")
      .select(["t.name", "t.token_hash", "t.created_by"])
      .where("o.code", "=", org.code)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: "ERP Solis", token_hash: hashApiToken(token), created_by: null });
    const audit = await db.selectFrom("audit_event").select(["action", "actor_label"]).where("action", "=", "api_token.created").execute();
    expect(audit).toContainEqual({ action: "api_token.created", actor_label: "ligne de commande" });
    await close();

    const unknown = await runCliProcess(["--org", "INCONNU", "--name", "x"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Organisme inconnu : INCONNU/);
  });

  it("says clearly that the embedded database is held by another process (a running portal) instead of failing obscurely", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-cli-lock-"));
    const holder = await createDb({ dataDir });
    try {
      const result = await runCliProcess(["--org", "X", "--name", "y"], { DATA_DIR: dataDir });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`La base embarquée ${dataDir} est déjà ouverte par un autre processus (pid ${process.pid})`);
      expect(lines[0]).toMatch(/arrêtez le portail ou utilisez DATABASE_URL/);
    } finally {
      await holder.close();
    }
  });
});
