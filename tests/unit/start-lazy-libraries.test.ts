import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// ADR 039: a start renders no Markdown, so sanitize-html (~15 MiB) must not be loaded with the server's modules.
describe("libraries loaded on first use", () => {
  it("importing the publication renderer does not load sanitize-html; the first Markdown rendering does, and still sanitises", async () => {
    const requireCjs = createRequire(import.meta.url);
    const resolved = requireCjs.resolve("sanitize-html");
    expect(requireCjs.cache[resolved]).toBeUndefined();
    const { renderMarkdown } = await import("~/server/publications/render.server");
    expect(requireCjs.cache[resolved]).toBeUndefined();
    const html = renderMarkdown('# Titre\n\n[lien](javascript:alert(1)) <script>x</script>');
    expect(requireCjs.cache[resolved]).toBeDefined();
    expect(html).toContain("<h3>Titre</h3>");
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("<script>");
  });
});
