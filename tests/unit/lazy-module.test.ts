import { describe, expect, it } from "vitest";
import { lazyDefault } from "~/server/lazy-module.server";

// ADR 036 / ADR 047: libraries loaded on first use (exceljs, pdfkit) go through one helper.
describe("lazyDefault: a library loaded on its first use", () => {
  it("imports nothing until called, then imports once for concurrent and later calls", async () => {
    let imports = 0;
    const load = lazyDefault<{ name: string }>(async () => {
      imports++;
      return { default: { name: "lib" } };
    });
    expect(imports).toBe(0);
    const [a, b] = await Promise.all([load(), load()]);
    const c = await load();
    expect(imports).toBe(1);
    expect(a).toEqual({ name: "lib" });
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it("gives the module itself when it has no default export (CommonJS seen from ESM)", async () => {
    const module = { Workbook: class {} };
    const load = lazyDefault<typeof module>(async () => module);
    expect(await load()).toBe(module);
  });
});
