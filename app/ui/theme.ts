import {
  convertCssVariables,
  createTheme,
  DEFAULT_THEME,
  defaultCssVariablesResolver,
  defaultVariantColorsResolver,
  mergeMantineTheme,
  parseThemeColor,
  type VariantColorsResolver,
} from "@mantine/core";

/**
 * Accessible Mantine theme. The default shades fail axe's contrast checks
 * (white on blue.6, light-variant text, placeholder and dimmed text), so we use
 * shade 8 for filled colours and shade 9 for text on light backgrounds.
 */
const variantColorResolver: VariantColorsResolver = (input) => {
  const resolved = defaultVariantColorsResolver(input);
  const parsed = parseThemeColor({ color: input.color || input.theme.primaryColor, theme: input.theme });
  if (!parsed.isThemeColor) return resolved;
  if (input.variant === "light" || input.variant === "subtle" || input.variant === "outline") {
    // shade 9 darkened by a quarter: ≥ 4.5:1 even for orange and yellow on their light background
    const text = `color-mix(in srgb, var(--mantine-color-${parsed.color}-9) 75%, black)`;
    return { ...resolved, color: text, hoverColor: text, ...(input.variant === "outline" ? { border: `1px solid ${text}` } : {}) };
  }
  if (input.variant === "filled" || input.variant === undefined) {
    // white text needs ≥ 4.5:1: darken mid shades (green.9, orange.9… are too light)
    const shade = parsed.shade ?? (typeof input.theme.primaryShade === "number" ? input.theme.primaryShade : input.theme.primaryShade.light);
    const base = `var(--mantine-color-${parsed.color}-${shade})`;
    return { ...resolved, background: `color-mix(in srgb, ${base} 80%, black)`, hover: `color-mix(in srgb, ${base} 65%, black)` };
  }
  return resolved;
};

export const theme = createTheme({
  primaryColor: "indigo",
  primaryShade: 8,
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  defaultRadius: "sm",
  variantColorResolver,
  components: {
    Anchor: { defaultProps: { underline: "always" } },
  },
});

/** CSS variables overriding Mantine's low-contrast greys and error red (red.6 is 3.6:1 on white; red.9 passes 4.5:1). */
export const cssVariablesResolver = () => ({
  variables: {},
  light: {
    "--mantine-color-dimmed": "#495057",
    "--mantine-color-placeholder": "#5c636a",
    "--mantine-color-error": "var(--mantine-color-red-9)",
  },
  dark: {},
});

/**
 * The `<style>` Mantine's provider would compute on every render (its
 * MantineCssVariables: the default resolver over the merged theme, our
 * resolver on top, minus what Mantine's own stylesheet already declares),
 * computed once per process: on a signed-in page it was a sizeable share of
 * the server's render (ADR 035). The root renders it with
 * `withCssVariables={false}`; tests/unit/theme-css-variables.test.ts checks it
 * against what Mantine renders.
 */
function computeThemeCssVariables(): string {
  // Mantine's defaults first: merging may write into DEFAULT_THEME's nested objects (headings' font).
  const defaults = defaultCssVariablesResolver(DEFAULT_THEME);
  const merged = mergeMantineTheme(DEFAULT_THEME, theme);
  const base = defaultCssVariablesResolver(merged);
  const ours = cssVariablesResolver();
  const clean = (input: Record<string, string>, reference: Record<string, string>) =>
    Object.fromEntries(Object.entries(input).filter(([key, value]) => reference[key] !== value));
  // No selector: Mantine's default (`:root, :host`), as its provider renders it.
  return convertCssVariables({
    variables: clean({ ...base.variables, ...ours.variables }, defaults.variables),
    light: clean({ ...base.light, ...ours.light }, defaults.light),
    dark: clean({ ...base.dark, ...ours.dark }, defaults.dark),
  });
}

export const themeCssVariables = computeThemeCssVariables();
