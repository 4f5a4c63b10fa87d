import { afterEach, describe, expect, it, vi } from "vitest";
import { resetEnvForTests } from "~/server/env.server";
import { packLines } from "~/server/collection/packed-lines";
import { closeHeavyPool, heavyWorkLoad, HeavyWorkUnavailableError, RETIRE_DELAY_MS, runHeavy, warmHeavyPool } from "~/server/heavy/pool.server";

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
    setEnv({ HEAVY_WORK_CONCURRENCY: undefined, HEAVY_WORK_TIMEOUT_SECONDS: undefined, HEAVY_WORK_MAX_MEMORY_MB: undefined, HEAVY_WORK_RETIRE_HEAP_MB: undefined });
  });

  /** A small parse (a CSV, refused): a task that reports its thread's heap when it ends (ADR 057). */
  const parseCsv = () =>
    runHeavy("parseUpload", {
      bytes: new TextEncoder().encode("a;b\n1;2"),
      filename: "valeurs.csv",
      contentType: "text/csv",
      expected: { organisationCode: "X", organisationName: "X", year: 2025, planHash: "h", lines: packLines([]) },
      variationThreshold: 0.3,
      versionId: "00000000-0000-4000-8000-000000000000",
    });
  const threadOf = async () => (await runHeavy("threadInfo", {} as never)).threadId;

  it("parses an upload in a worker thread, not the main one", async () => {
    expect(await runHeavy("threadInfo", {} as never)).toMatchObject({ isMainThread: false });
    const parsed = await parseCsv();
    expect(parsed.kind).toBe("refused");
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("retires a thread whose heap ended a task above HEAVY_WORK_RETIRE_HEAP_MB once the pool has been idle RETIRE_DELAY_MS: the next task runs in a new thread (ADR 057)", async () => {
    setEnv({ HEAVY_WORK_CONCURRENCY: "1", HEAVY_WORK_RETIRE_HEAP_MB: "1" });
    const before = heavyWorkLoad().retiredPools;
    const first = await threadOf();
    // threadInfo reports nothing: the thread stays.
    expect(await threadOf()).toBe(first);
    await parseCsv();
    // A task given within the delay keeps the warm thread…
    expect(await threadOf()).toBe(first);
    expect(heavyWorkLoad().retiredPools).toBe(before);
    // …and once the pool has stayed idle, it is retired.
    await vi.waitFor(() => expect(heavyWorkLoad().retiredPools).toBe(before + 1), { timeout: RETIRE_DELAY_MS + 5_000 });
    expect(heavyWorkLoad().threads).toBe(0);
    const second = await threadOf();
    expect(second).not.toBe(first);
  });

  it("keeps a thread whose heap ended its task below HEAVY_WORK_RETIRE_HEAP_MB (ADR 057)", async () => {
    setEnv({ HEAVY_WORK_CONCURRENCY: "1", HEAVY_WORK_RETIRE_HEAP_MB: "16384" });
    const before = heavyWorkLoad().retiredPools;
    const first = await threadOf();
    await parseCsv();
    await sleep(RETIRE_DELAY_MS + 500);
    expect(heavyWorkLoad().retiredPools).toBe(before);
    expect(await threadOf()).toBe(first);
  });

  it("retires only once no task is running: a task in flight when the report comes ends normally, in its thread (ADR 057)", async () => {
    setEnv({ HEAVY_WORK_CONCURRENCY: "2", HEAVY_WORK_RETIRE_HEAP_MB: "1" });
    const before = heavyWorkLoad().retiredPools;
    let spun = false;
    const spinning = runHeavy("spin", { ms: RETIRE_DELAY_MS * 4 }).finally(() => (spun = true));
    await parseCsv();
    await sleep(RETIRE_DELAY_MS + 500);
    // The report came more than the delay ago; the spin still runs: nothing retired yet.
    expect(spun).toBe(false);
    expect(heavyWorkLoad().retiredPools).toBe(before);
    await expect(spinning).resolves.toBeGreaterThan(0);
    await vi.waitFor(() => expect(heavyWorkLoad().retiredPools).toBe(before + 1), { timeout: RETIRE_DELAY_MS + 5_000 });
  });

  it("warming retires a pool waiting to be retired at once, and keeps the new warm threads (ADR 057, ADR 041)", async () => {
    setEnv({ HEAVY_WORK_CONCURRENCY: "1", HEAVY_WORK_RETIRE_HEAP_MB: "1" });
    const before = heavyWorkLoad().retiredPools;
    await parseCsv();
    // The heap report travels on its own port: give it time to arrive.
    await sleep(300);
    await warmHeavyPool();
    expect(heavyWorkLoad().retiredPools).toBe(before + 1);
    const warm = await threadOf();
    await sleep(RETIRE_DELAY_MS + 500);
    expect(heavyWorkLoad().retiredPools).toBe(before + 1);
    expect(await threadOf()).toBe(warm);
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
