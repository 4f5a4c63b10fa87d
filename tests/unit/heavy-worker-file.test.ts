import path from "node:path";
import { describe, expect, it } from "vitest";
import { heavyWorkerCandidates, heavyWorkerFile } from "~/server/heavy/pool.server";

// ADR 049: the production server bundle is split into build/server/index.js and build/server/assets/*.js; its
// heavy-work threads must load the worker bundle build/server/heavy-tasks.mjs, never the TypeScript sources
// through tsx (which they did while the bundle was looked for only beside the chunk).
describe("heavy-work pool: which worker file its threads load", () => {
  it("from a server chunk in build/server/assets, the worker bundle one level up and never the sources", () => {
    const candidates = heavyWorkerCandidates("/srv/portal/build/server/assets");
    expect(candidates).toContain(path.join("/srv/portal/build/server", "heavy-tasks.mjs"));
    expect(candidates.every((file) => file.endsWith("heavy-tasks.mjs"))).toBe(true);
  });

  it("from build/server itself, the worker bundle beside it", () => {
    expect(heavyWorkerCandidates("/srv/portal/build/server")[0]).toBe(path.join("/srv/portal/build/server", "heavy-tasks.mjs"));
  });

  it("from the source tree, the source worker (tsx)", () => {
    expect(heavyWorkerCandidates("/work/app/server/heavy")).toEqual([path.join("/work/app/server/heavy", "heavy-work.worker.mjs")]);
    expect(heavyWorkerFile()).toBe(path.resolve("app/server/heavy/heavy-work.worker.mjs"));
  });
});
