import type { AppLoadContext, ServerBuild } from "@remix-run/node";
import { DOCUMENT_MAX_BYTES, LOGO_MAX_BYTES, formatBytes } from "~/domain/files";
import { WORKSPACE_MAX_BYTES } from "~/domain/workspace";
import { DEFAULT_UPLOAD_LIMITS } from "~/domain/upload-errors";
import { boundRequestBody, MULTIPART_OVERHEAD_BYTES } from "./body.server";

/**
 * Every page action (every non-API route) reads its body through one bound:
 * forms 1 Mio as a whole, upload pages their file limit plus the multipart
 * envelope. The bound is enforced while the body streams in (body.server.ts):
 * a declared Content-Length above it is answered 413 before anything is read
 * (and before the action runs), a chunked body as soon as it passes it.
 * The API (`/api/…`) reads its bodies with its own limits (api/upload-request.server.ts).
 */
export const FORM_MAX_BYTES = 1024 * 1024;

/** Pages that receive files (multipart): their file limit. Every other page action is a form. */
export const UPLOAD_ROUTE_FILE_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  "routes/collection.$year.$org": DEFAULT_UPLOAD_LIMITS.maxFileBytes,
  "routes/collection.$year.$org.upload": DEFAULT_UPLOAD_LIMITS.maxFileBytes,
  "routes/convention._index": DOCUMENT_MAX_BYTES,
  "routes/convention.amendments.new": DOCUMENT_MAX_BYTES,
  "routes/agreements.$id": DOCUMENT_MAX_BYTES,
  "routes/organisations.$id": LOGO_MAX_BYTES,
  "routes/workspace._index": WORKSPACE_MAX_BYTES,
  "routes/workspace.$id": WORKSPACE_MAX_BYTES,
  "routes/governance.meetings.$id": DOCUMENT_MAX_BYTES,
  "routes/requests.$id": WORKSPACE_MAX_BYTES,
});

/** The whole-body limit of a route's action. */
export function bodyLimitFor(routeId: string): { kind: "form" | "upload"; maxBytes: number } {
  const file = UPLOAD_ROUTE_FILE_LIMITS[routeId];
  return file === undefined ? { kind: "form", maxBytes: FORM_MAX_BYTES } : { kind: "upload", maxBytes: file + MULTIPART_OVERHEAD_BYTES };
}

export interface TooLargeBody {
  ok: false;
  status: 413;
  message: string;
  requestId?: string;
}

/** The 413 a page answers (thrown: the root ErrorBoundary shows `message`; the drag-and-drop client too). */
export function bodyTooLargeResponse(kind: "form" | "upload", maxBytes: number, context: AppLoadContext | undefined): Response {
  const message =
    kind === "form"
      ? `Le formulaire envoyé dépasse ${formatBytes(maxBytes)}, la taille maximale d'un formulaire : raccourcissez les textes saisis puis réessayez.`
      : `L'envoi dépasse ${formatBytes(maxBytes)}, la taille maximale acceptée sur cette page : réduisez le fichier puis réessayez.`;
  const body: TooLargeBody = { ok: false, status: 413, message, ...(context?.requestId ? { requestId: context.requestId } : {}) };
  return Response.json(body, { status: 413, headers: { Connection: "close", "Cache-Control": "no-store" } });
}

type ActionFunction = (args: { request: Request; context: AppLoadContext; params: unknown }) => unknown;

/** `action`, reading its request through the route's body limit. */
export function boundAction(routeId: string, action: ActionFunction): (args: Parameters<ActionFunction>[0]) => Promise<unknown> {
  const { kind, maxBytes } = bodyLimitFor(routeId);
  return async (args) => {
    if (new URL(args.request.url).pathname.startsWith("/api/")) return action(args);
    const refuse = () => bodyTooLargeResponse(kind, maxBytes, args.context);
    let bounded: ReturnType<typeof boundRequestBody>;
    try {
      bounded = boundRequestBody(args.request, maxBytes, () => new Error("body too large"));
    } catch {
      throw refuse();
    }
    let result: unknown;
    try {
      result = await action({ ...args, request: bounded.request });
    } catch (error) {
      if (bounded.passed()) throw refuse();
      throw error;
    }
    // An action that caught the reading error itself still answers 413.
    if (bounded.passed()) throw refuse();
    return result;
  };
}

const boundedBuilds = new WeakMap<ServerBuild, ServerBuild>();

/** The same build, with every non-API route's action reading its body within its limit. */
export function withBodyLimits(build: ServerBuild): ServerBuild {
  const cached = boundedBuilds.get(build);
  if (cached) return cached;
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => {
      if (typeof route.module.action !== "function") return [id, route];
      const module = { ...route.module, action: boundAction(id, route.module.action as ActionFunction) };
      return [id, { ...route, module: module as unknown as typeof route.module }];
    }),
  );
  const boundedBuild = { ...build, routes };
  boundedBuilds.set(build, boundedBuild);
  return boundedBuild;
}
