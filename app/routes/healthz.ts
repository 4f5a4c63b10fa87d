import type { LoaderFunctionArgs } from "@remix-run/node";
import { pingDb } from "~/server/db.server";
import { openRuntimeDb } from "~/server/runtime.server";

/** Liveness and readiness: the database answers (JSON, 200 or 503). Public, no data. */
export async function loader(_args: LoaderFunctionArgs) {
  const started = performance.now();
  try {
    const handle = await openRuntimeDb();
    await pingDb(handle.db);
    return Response.json(
      { status: "ok", database: "ok", driver: handle.driver, latencyMs: Math.round(performance.now() - started) },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch {
    return Response.json(
      { status: "error", database: "unreachable", message: "Base de données injoignable." },
      { status: 503, headers: { "Cache-Control": "no-store" } },
    );
  }
}
