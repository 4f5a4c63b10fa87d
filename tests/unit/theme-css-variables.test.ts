import { describe, expect, it } from "vitest";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { MantineProvider } from "@mantine/core";
import { cssVariablesResolver, theme, themeCssVariables } from "~/ui/theme";

/** ADR 035: the root renders the theme's CSS variables computed once; they must be what Mantine's provider would render. */
describe("the theme's CSS variables computed once per process", () => {
  it("equal the <style> Mantine's provider renders for the same theme and resolver (accessible contrast overrides included)", () => {
    const html = renderToStaticMarkup(
      createElement(MantineProvider, { theme, cssVariablesResolver, forceColorScheme: "light", withGlobalClasses: false }, createElement("p")),
    );
    const rendered = /<style data-mantine-styles="true">([\s\S]*?)<\/style>/.exec(html)?.[1];
    expect(rendered).toBeTruthy();
    expect(themeCssVariables).toBe(rendered!.replaceAll("&quot;", '"').replaceAll("&#x27;", "'"));
    expect(themeCssVariables).toContain("--mantine-color-dimmed: #495057");
  });
});
