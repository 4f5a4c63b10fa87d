import { expect } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { buildOpenApiDocument } from "~/server/api/openapi.server";
import { testContext } from "../factories";

/**
 * Partner-API test helpers: requests as a partner system sends them (bearer
 * token, no cookie, no Origin), route modules called like Remix does, and
 * every response checked against the OpenAPI document the API publishes.
 */

export const API = "http://localhost/api/v1";

export function apiRequest(
  path: string,
  options: { token?: string | null; method?: string; body?: BodyInit; headers?: Record<string, string> } = {},
): Request {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  return new Request(`${API}${path}`, { method: options.method ?? (options.body ? "POST" : "GET"), headers, body: options.body, duplex: "half" } as RequestInit);
}

type Handler = (args: { request: Request; params: Record<string, string | undefined>; context: ReturnType<typeof testContext> }) => Promise<Response>;

/** Calls an API route's loader or action (they always answer a Response). */
export async function call(handler: unknown, request: Request, params: Record<string, string> = {}): Promise<Response> {
  const response = await (handler as Handler)({ request, params, context: testContext() });
  expect(response).toBeInstanceOf(Response);
  return response;
}

// ── Contract ────────────────────────────────────────────────────────────────

export const openApiDocument = buildOpenApiDocument("http://localhost");
const ROOT = "https://odpe.test/openapi.json";
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true }));
// The document's component schemas under one root, so that their `#/components/schemas/…` references resolve.
ajv.addSchema({
  $id: ROOT,
  $defs: JSON.parse(JSON.stringify(openApiDocument.components.schemas).replaceAll("#/components/schemas/", "#/$defs/")) as Record<string, unknown>,
});

type Operation = { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> };

/**
 * Checks `response` against the document: its status is documented for the
 * operation, its content type is the documented one, and a JSON body validates
 * against the documented schema. Returns the parsed body (or the bytes).
 */
export async function expectConforms<T = Record<string, unknown>>(response: Response, method: "get" | "post", pathTemplate: string): Promise<T> {
  const operation = (openApiDocument.paths as Record<string, Record<string, Operation>>)[pathTemplate]?.[method];
  expect(operation, `${method.toUpperCase()} ${pathTemplate} is not in the OpenAPI document`).toBeDefined();
  const documented = operation!.responses[String(response.status)];
  expect(documented, `${method.toUpperCase()} ${pathTemplate} answered ${response.status}, which the document does not list`).toBeDefined();
  const type = (response.headers.get("Content-Type") ?? "").split(";")[0]!.trim();
  const contents = documented!.content ?? {};
  expect(Object.keys(contents), `${response.status} answered as ${type}`).toContain(type);
  if (!type.endsWith("json")) return new Uint8Array(await response.arrayBuffer()) as unknown as T;
  const body = (await response.json()) as T;
  const ref = contents[type]!.schema.$ref;
  if (ref) {
    const validate = ajv.getSchema(`${ROOT}${ref.replace("#/components/schemas/", "#/$defs/")}`);
    expect(validate, `schema ${ref}`).toBeDefined();
    const valid = validate!(body);
    expect(valid ? [] : validate!.errors, `${method.toUpperCase()} ${pathTemplate} ${response.status} body does not match ${ref}`).toEqual([]);
  }
  return body;
}

/** A problem+json answer of the given status and type, conforming to the document. */
export async function expectProblem(response: Response, method: "get" | "post", pathTemplate: string, status: number, type: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
  const body = await expectConforms<{ type: string; title: string; status: number; detail: string } & Record<string, unknown>>(response, method, pathTemplate);
  expect(body.type).toBe(`/api/docs#${type}`);
  expect(body.status).toBe(status);
  expect(body.detail.length).toBeGreaterThan(10);
  return body;
}
