import type { Registry } from "prom-client";
import { getEnv } from "../env.server";
import { carriesOperatorToken } from "../auth/authorize.server";
import { heldPageCounts, heldPagesNow } from "./held-pages.server";

/**
 * Runtime metrics for operators (ADR 043), in Prometheus's text format, from
 * prom-client's default Node.js metrics: the event loop's delay (p50, p90,
 * p99, max… since the previous scrape: prom-client resets its histogram at
 * each collection), heap and GC, CPU, open handles. Off unless METRICS_TOKEN
 * is set; then served at /metrics only to `Authorization: Bearer
 * <METRICS_TOKEN>` (a monitoring agent or `bench:load`, never a browser
 * session). Started with the platform, so that the event-loop histogram
 * covers the whole process; prom-client is loaded only when enabled.
 */
let registry: Promise<Registry> | undefined;

/** Starts collecting when METRICS_TOKEN is set (idempotent); otherwise does nothing. */
export function startMetrics(): Promise<Registry> | undefined {
  if (!getEnv().METRICS_TOKEN) return undefined;
  registry ??= import("prom-client").then((loaded) => {
    // CommonJS: its exports are `default` under Node's ESM loader.
    const { Registry: MetricsRegistry, collectDefaultMetrics, Counter, Gauge } = loaded.default ?? loaded;
    const created = new MetricsRegistry();
    collectDefaultMetrics({ register: created, eventLoopMonitoringPrecision: 10 });
    // The held pages (ADR 055): how often a page is served from a copy rather than rendered.
    const total = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [created],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    total("odpe_held_pages_served_total", "Pages served from the copy this process holds (ADR 055).", () => heldPageCounts.served);
    total("odpe_held_pages_stored_total", "Rendered pages this process kept to serve again (ADR 055).", () => heldPageCounts.stored);
    new Gauge({
      name: "odpe_held_pages",
      help: "Pages this process holds now (ADR 055).",
      registers: [created],
      collect() {
        this.set(heldPagesNow());
      },
    });
    return created;
  });
  return registry;
}

const plain = (body: string, status: number, extra: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...extra } });

/** GET /metrics: 404 when metrics are off, 401 without the right bearer token, else the metrics. */
export async function metricsResponse(request: Request): Promise<Response> {
  const token = getEnv().METRICS_TOKEN;
  if (!token) return plain("Page introuvable.", 404);
  if (!carriesOperatorToken(request, token)) {
    return plain("Jeton de supervision manquant ou invalide : envoyez l'en-tête Authorization: Bearer <METRICS_TOKEN>.", 401, { "WWW-Authenticate": 'Bearer realm="metrics"' });
  }
  const metrics = await startMetrics()!;
  return new Response(await metrics.metrics(), { headers: { "Content-Type": metrics.contentType, "Cache-Control": "no-store" } });
}
