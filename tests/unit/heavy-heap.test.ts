import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { HeapBudget, collectGarbage } from "~/server/heavy/heap.server";

/**
 * ADR 053: a heavy-work thread collects its heap on demand — during a large
 * upload's read when it has grown past its slack, and once the task is
 * answered — without `--expose-gc` on the process.
 */

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("collectGarbage", () => {
  it("collects the calling thread's heap: an object nothing refers to any more is gone", async () => {
    // A WeakRef's target is kept until the end of the job that made it: collect in a later turn.
    let ref: WeakRef<object> | undefined = (() => new WeakRef({ payload: new Array(1000).fill(1) }))();
    await nextTurn();
    expect(collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
    ref = undefined;
  });

  it("leaves no `gc` global to contexts made afterwards (the flag is cleared again)", () => {
    collectGarbage();
    expect(vm.runInNewContext("typeof gc")).toBe("undefined");
  });
});

describe("HeapBudget", () => {
  it("collects once the heap has grown past its slack, looking every `every` ticks", async () => {
    const budget = new HeapBudget(4 * 2 ** 20, 10);
    for (let round = 0; round < 5; round++) {
      // ~8 MiB of garbage per round (arrays of numbers, dropped at once).
      for (let i = 0; i < 8; i++) new Float64Array(2 ** 17).fill(i).reduce((a, b) => a + b, 0);
      for (let i = 0; i < 8; i++) Array.from({ length: 2 ** 15 }, (_, j) => ({ j }));
      for (let t = 0; t < 10; t++) budget.tick();
      await nextTurn();
    }
    expect(budget.collections).toBeGreaterThan(0);
  });

  it("does not collect while the heap stays within its slack, nor between looks", () => {
    const generous = new HeapBudget(2 ** 40, 1);
    for (let t = 0; t < 100; t++) generous.tick();
    expect(generous.collections).toBe(0);
    const rare = new HeapBudget(0, 1_000_000);
    for (let i = 0; i < 4; i++) Array.from({ length: 2 ** 16 }, (_, j) => ({ j }));
    for (let t = 0; t < 1000; t++) rare.tick();
    expect(rare.collections).toBe(0);
  });

  it("collects at the task's end (release) after a large read, or past the whole slack: a partner's file is left to V8", () => {
    const MiB = 2 ** 20;
    let used = 100 * MiB;
    const budget = (slack: number) => new HeapBudget(slack, 1024, () => used);
    const idle = budget(32 * MiB);
    idle.release();
    expect(idle.collections).toBe(0);
    // 16 MiB more than at the start: over a quarter of a 32 MiB slack, under the slack (a partner's 21 KB file, ADR 053).
    const small = budget(32 * MiB);
    used += 16 * MiB;
    small.release();
    expect(small.collections).toBe(0);
    // 40 MiB more: a large task's garbage, collected before the thread goes idle.
    const large = budget(32 * MiB);
    used += 40 * MiB;
    large.release();
    expect(large.collections).toBe(1);
    // A large read that collected on the way (ticks): its last 16 MiB are collected too (over a quarter of the slack).
    const read = new HeapBudget(32 * MiB, 1, () => used);
    used += 40 * MiB;
    read.tick();
    expect(read.collections).toBe(1);
    used += 16 * MiB;
    read.release();
    expect(read.collections).toBe(2);
  });
});
