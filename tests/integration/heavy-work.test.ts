import { afterEach, describe, expect, it } from "vitest";
import { resetEnvForTests } from "~/server/env.server";
import { packLines } from "~/server/collection/packed-lines";
import { closeHeavyPool, heavyWorkLoad, HeavyWorkUnavailableError, runHeavy, warmHeavyPool } from "~/server/heavy/pool.server";

const setEnv = (vars: Record<string, string | undefined>) => {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvForTests();
};

describe("heavy work in worker threads (ADR 016)", () => {
  afterEach(async () => {
    await closeHeavyPool();
    setEnv({ HEAVY_WORK_CONCURRENCY: undefined, HEAVY_WORK_TIMEOUT_SECONDS: undefined, HEAVY_WORK_MAX_MEMORY_MB: undefined });
  });

  it("parses an upload in a worker thread, not the main one", async () => {
    expect(await runHeavy("threadInfo", {} as never)).toMatchObject({ isMainThread: false });
    const parsed = await runHeavy("parseUpload", {
      bytes: new TextEncoder().encode("a;b\n1;2"),
      filename: "valeurs.csv",
      contentType: "text/csv",
      expected: { organisationCode: "X", organisationName: "X", year: 2025, planHash: "h", lines: packLines([]) },
      variationThreshold: 0.3,
      versionId: "00000000-0000-4000-8000-000000000000",
    });
    expect(parsed.kind).toBe("refused");
  });

  it("warms the pool ahead of work: its threads are started and loaded, and warming never throws (ADR 041)", async () => {
    setEnv({ HEAVY_WORK_CONCURRENCY: "2" });
    expect(heavyWorkLoad().threads).toBe(0);
    await warmHeavyPool();
    expect(heavyWorkLoad().threads).toBeGreaterThanOrEqual(1);
    expect(heavyWorkLoad().queued).toBe(0);
    // What the warm-up runs in each thread: the renderers' libraries, which the tasks module loads on first use (ADR 047).
    await expect(runHeavy("loadRenderers", {} as never)).resolves.toBeUndefined();
  });

  it("runs at most HEAVY_WORK_CONCURRENCY tasks at once, the rest queued", async () => {
    setEnv({ HEAVY_WORK_CONCURRENCY: "2" });
    const started = Date.now();
    const runs = Array.from({ length: 4 }, () => runHeavy("spin", { ms: 400 }));
    await new Promise((r) => setTimeout(r, 100));
    const load = heavyWorkLoad();
    expect(load.threads).toBeLessThanOrEqual(2);
    await Promise.all(runs);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });

  it("abandons a task past HEAVY_WORK_TIMEOUT_SECONDS: 503, Retry-After, French message", async () => {
    setEnv({ HEAVY_WORK_TIMEOUT_SECONDS: "0.3" });
    const error = await runHeavy("spin", { ms: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeavyWorkUnavailableError);
    expect(error).toMatchObject({ status: 503, headers: { "Retry-After": "30" } });
    expect((error as Error).message).toMatch(/temps permis.*rien n'a été enregistré/);
  });

  it("abandons a task whose worker runs out of memory: 503", async () => {
    setEnv({ HEAVY_WORK_MAX_MEMORY_MB: "64" });
    const error = await runHeavy("exhaustMemory", {} as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, reason: "out_of_memory" });
    expect((error as Error).message).toMatch(/mémoire/);
    // The pool replaced the worker: the next task runs.
    expect(await runHeavy("threadInfo", {} as never)).toMatchObject({ isMainThread: false });
  }, 60_000);
});
