import { useEffect, useState, type CSSProperties, type ElementType, type ReactNode } from "react";

/**
 * Hook-free stand-ins for the few Mantine components the page frame and the
 * busiest pages (home, extranet) render many times (ADR 038). Each writes the
 * element, class names, CSS variables and data attributes Mantine 8 writes for
 * the same props — so Mantine's stylesheet styles them identically — without
 * Mantine's per-component work (theme and default-props resolution, class
 * name lookup, style props extraction). Only the props used here are
 * supported. tests/unit/lite-markup.test.ts renders each next to the Mantine
 * component it stands for and requires the same markup, so a Mantine upgrade
 * that changes its markup fails there.
 */

type Spacing = "xs" | "sm" | "md" | "lg" | "xl" | number;
type Size = "xs" | "sm" | "md" | "lg" | "xl";

/** Mantine's `rem()` of a pixel value, scaled. */
function rem(px: number): string {
  return px === 0 ? "0rem" : `calc(${px / 16}rem * var(--mantine-scale))`;
}
function spacing(value: Spacing): string {
  return typeof value === "number" ? rem(value) : `var(--mantine-spacing-${value})`;
}
/** Mantine's style props used here, in the order Mantine writes them. */
interface StyleProps {
  mt?: Spacing;
  mb?: Spacing;
  mx?: "auto";
  px?: Spacing;
  maw?: number;
  h?: string;
  c?: "dimmed";
  fw?: number;
}
function styleProps({ mt, mb, mx, px, maw, h, c, fw }: StyleProps): Record<string, string> {
  const out: Record<string, string> = {};
  if (mt !== undefined) out.marginTop = spacing(mt);
  if (mb !== undefined) out.marginBottom = spacing(mb);
  if (mx !== undefined) out.marginInline = mx;
  if (px !== undefined) out.paddingInline = spacing(px);
  if (maw !== undefined) out.maxWidth = rem(maw);
  if (h !== undefined) out.height = h;
  if (c !== undefined) out.color = `var(--mantine-color-${c})`;
  if (fw !== undefined) out.fontWeight = String(fw);
  return out;
}
/** The component's variables, then `style`, then the style props: Mantine's order. */
function style(own: CSSProperties | undefined, vars: Record<string, string | undefined>, props: StyleProps): CSSProperties | undefined {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vars)) if (value !== undefined) merged[key] = value;
  Object.assign(merged, own, styleProps(props));
  return Object.keys(merged).length > 0 ? (merged as CSSProperties) : undefined;
}
const visibility = (hiddenFrom?: Size, visibleFrom?: Size) =>
  [hiddenFrom && `mantine-hidden-from-${hiddenFrom}`, visibleFrom && `mantine-visible-from-${visibleFrom}`].filter(Boolean).join(" ");
const cx = (...names: (string | false | undefined)[]) => names.filter(Boolean).join(" ") || undefined;

type Common = StyleProps & { style?: CSSProperties; className?: string; children?: ReactNode; id?: string; hiddenFrom?: Size; visibleFrom?: Size };
// Polymorphic like Mantine's `component` (a Remix Link, a form button…): its own props pass through.
type Rest = Record<string, unknown>;

export function Title({ order, size, lineClamp, style: own, className, children, mt, mb, mx, px, maw, h, c, fw, ...rest }: Common & { order: 1 | 2 | 3 | 4 | 5 | 6; size?: `h${1 | 2 | 3 | 4 | 5 | 6}`; lineClamp?: number } & Rest) {
  const Element = `h${order}` as ElementType;
  const level = size ?? `h${order}`;
  const vars = {
    "--title-fw": `var(--mantine-${level}-font-weight)`,
    "--title-lh": `var(--mantine-${level}-line-height)`,
    "--title-fz": `var(--mantine-${level}-font-size)`,
    "--title-line-clamp": lineClamp === undefined ? undefined : String(lineClamp),
  };
  return (
    <Element
      style={style(own, vars, { mt, mb, mx, px, maw, h, c, fw })}
      className={cx("m_8a5d1357 mantine-Title-root", className)}
      data-size={size}
      data-order={order}
      data-line-clamp={lineClamp === undefined ? undefined : "true"}
      {...rest}
    >
      {children}
    </Element>
  );
}

function textVars(size?: Size) {
  return size ? { "--text-fz": `var(--mantine-font-size-${size})`, "--text-lh": `var(--mantine-line-height-${size})` } : {};
}

export function Text({ component, size, style: own, className, hiddenFrom, visibleFrom, children, mt, mb, mx, px, maw, h, c, fw, ...rest }: Common & { component?: ElementType; size?: Size } & Rest) {
  const Element = component ?? "p";
  return (
    <Element
      style={style(own, textVars(size), { mt, mb, mx, px, maw, h, c, fw })}
      className={cx("mantine-focus-auto m_b6d8b162 mantine-Text-root", className, visibility(hiddenFrom, visibleFrom))}
      data-size={size}
      {...rest}
    >
      {children}
    </Element>
  );
}

/** Mantine's Anchor with the theme's default `underline: "always"`. */
export function Anchor({ component, size, style: own, className, children, mt, mb, mx, px, maw, h, c, fw, ...rest }: Common & { component?: ElementType; size?: Size } & Rest) {
  const Element = component ?? "a";
  return (
    <Element
      style={style(own, textVars(size), { mt, mb, mx, px, maw, h, c, fw })}
      className={cx("mantine-focus-auto m_849cf0da m_b6d8b162 mantine-Text-root mantine-Anchor-root", className)}
      data-size={size}
      data-underline="always"
      {...rest}
    >
      {children}
    </Element>
  );
}

/** Mantine's Card with a border (no Card.Section). */
export function Card({ component, style: own, className, children, mt, mb, mx, px, maw, h, c, fw, ...rest }: Common & { component?: ElementType } & Rest) {
  const Element = component ?? "div";
  return (
    <Element
      style={style(own, {}, { mt, mb, mx, px, maw, h, c, fw })}
      className={cx("m_e615b15f mantine-Card-root m_1b7284a3 mantine-Paper-root", className)}
      data-with-border="true"
      {...rest}
    >
      {children}
    </Element>
  );
}

export function Stack({ gap = "md", align = "stretch", style: own, className, hiddenFrom, visibleFrom, children, mt, mb, mx, px, maw, h, c, fw, ...rest }: Common & { gap?: Spacing; align?: string } & Rest) {
  const vars = { "--stack-gap": spacing(gap), "--stack-align": align, "--stack-justify": "flex-start" };
  return (
    <div style={style(own, vars, { mt, mb, mx, px, maw, h, c, fw })} className={cx("m_6d731127 mantine-Stack-root", className, visibility(hiddenFrom, visibleFrom))} {...rest}>
      {children}
    </div>
  );
}

export function Group({ gap = "md", justify = "flex-start", wrap = "wrap", style: own, className, children, mt, mb, mx, px, maw, h, c, fw, ...rest }: Common & { gap?: Spacing; justify?: string; wrap?: "wrap" | "nowrap" } & Rest) {
  const vars = { "--group-gap": spacing(gap), "--group-align": "center", "--group-justify": justify, "--group-wrap": wrap };
  return (
    <div style={style(own, vars, { mt, mb, mx, px, maw, h, c, fw })} className={cx("m_4081bf90 mantine-Group-root", className)} {...rest}>
      {children}
    </div>
  );
}

/**
 * Mantine's SimpleGrid with `cols={{ base: 1, sm: 2 }}`: Mantine writes its
 * columns in a `<style>` per grid under a generated class; the same rules are
 * the static class `grid-1-2` of app/ui/app.css.
 */
export function Grid12({ children }: { children: ReactNode }) {
  return <div className="m_2415a157 mantine-SimpleGrid-root grid-1-2">{children}</div>;
}

/** Mantine's unordered List (no icon) with a spacing between items. */
export function List({ spacing: gap, children }: { spacing: Spacing; children: ReactNode }) {
  return (
    <ul style={{ "--list-spacing": spacing(gap) } as CSSProperties} className="m_abbac491 mantine-List-root">
      {children}
    </ul>
  );
}

export function ListItem({ children }: { children: ReactNode }) {
  return (
    <li className="m_abb6bec2 mantine-List-item">
      <div className="m_75cd9f71 mantine-List-itemWrapper">
        <span className="mantine-List-itemLabel">{children}</span>
      </div>
    </li>
  );
}

/** Mantine's Button, size xs, in the primary colour, variant subtle or outline (the theme's accessible colours). */
export function Button({ component, variant, fullWidth, children, ...rest }: { component?: ElementType; variant: "subtle" | "outline"; fullWidth?: boolean; children: ReactNode } & Rest) {
  const Element = component ?? "button";
  const text = "color-mix(in srgb, var(--mantine-color-indigo-9) 75%, black)";
  const vars = {
    "--button-height": "var(--button-height-xs)",
    "--button-padding-x": "var(--button-padding-x-xs)",
    "--button-fz": "var(--mantine-font-size-xs)",
    "--button-bg": "transparent",
    "--button-hover": `var(--mantine-color-indigo-${variant === "subtle" ? "light" : "outline"}-hover)`,
    "--button-color": text,
    "--button-bd": variant === "subtle" ? "calc(0.0625rem * var(--mantine-scale)) solid transparent" : `1px solid ${text}`,
    "--button-hover-color": text,
  };
  return (
    <Element
      style={vars as CSSProperties}
      className="mantine-focus-auto mantine-active m_77c9d27d mantine-Button-root m_87cf2631 mantine-UnstyledButton-root"
      data-variant={variant}
      data-size="xs"
      data-block={fullWidth ? "true" : undefined}
      {...(Element === "button" && !("type" in rest) ? { type: "button" } : {})}
      {...rest}
    >
      <span className="m_80f1301b mantine-Button-inner">
        <span className="m_811560b9 mantine-Button-label">{children}</span>
      </span>
    </Element>
  );
}

/** Mantine's NavLink with a label only. */
export function NavLink({ component, label, active, ...rest }: { component?: ElementType; label: ReactNode; active?: boolean } & Rest) {
  const Element = component ?? "a";
  return (
    <Element className="mantine-focus-auto m_f0824112 mantine-NavLink-root m_87cf2631 mantine-UnstyledButton-root" data-active={active ? "true" : undefined} {...rest}>
      <div className="m_f07af9d2 mantine-NavLink-body">
        <span className="m_1f6ac4c4 mantine-NavLink-label">{label}</span>
        <span className="m_57492dcc mantine-NavLink-description" data-active={active ? "true" : undefined} />
      </div>
    </Element>
  );
}

/** Mantine's Burger, size sm, hidden from the sm breakpoint. */
export function Burger({ opened, ...rest }: { opened: boolean; onClick: () => void } & Rest) {
  return (
    <button
      style={{ "--burger-size": "var(--burger-size-sm)" } as CSSProperties}
      className="mantine-focus-auto m_fea6bf1a mantine-Burger-root m_87cf2631 mantine-UnstyledButton-root mantine-hidden-from-sm"
      data-size="sm"
      type="button"
      {...rest}
    >
      <div className="m_d4fb9cad mantine-Burger-burger" data-reduce-motion="true" data-opened={opened ? "true" : undefined} />
    </button>
  );
}

/** Mantine's filled Badge in a CSS colour (not a theme colour). */
export function Badge({ color, style: own, children, ...rest }: { color: string; style?: CSSProperties; children: ReactNode } & Rest) {
  const vars = { "--badge-bg": color, "--badge-color": "var(--mantine-color-white)", "--badge-bd": "calc(0.0625rem * var(--mantine-scale)) solid transparent" };
  return (
    <div style={{ ...vars, ...own } as CSSProperties} className="m_347db0ec mantine-Badge-root" data-variant="filled" {...rest}>
      <span className="m_5add502a mantine-Badge-label">{children}</span>
    </div>
  );
}

// Mantine's AppShell with `header={{ height: 64 }}`, `padding="md"` and, with a navigation,
// `navbar={{ width: 260, breakpoint: "sm", collapsed: { mobile: !opened } }}`: the media rules it writes.
const shellHeader = "--app-shell-header-height:calc(4rem * var(--mantine-scale));--app-shell-header-offset:calc(4rem * var(--mantine-scale));--app-shell-padding:var(--mantine-spacing-md);";
const shellNavbar = "--app-shell-navbar-width:calc(16.25rem * var(--mantine-scale));--app-shell-navbar-offset:calc(16.25rem * var(--mantine-scale));";
export const shellMediaStyles = {
  none: `:root{${shellHeader}}`,
  closed: `:root{${shellNavbar}${shellHeader}}@media(max-width: 47.99375em){:root{--app-shell-navbar-width:100%;--app-shell-navbar-offset:0px;--app-shell-navbar-transform:translateX(calc(var(--app-shell-navbar-width) * -1));--app-shell-navbar-transform-rtl:translateX(var(--app-shell-navbar-width));}}`,
  opened: `:root{${shellNavbar}${shellHeader}}@media(max-width: 48em){:root{--app-shell-navbar-offset:0px;--app-shell-navbar-width:100%;}}`,
};

/** While the window resizes (and just after the first render), AppShell's transitions are off, as Mantine's use-resizing does. */
function useResizing(): boolean {
  const [resizing, setResizing] = useState(true);
  useEffect(() => {
    let timer = window.setTimeout(() => setResizing(false), 200);
    const onResize = () => {
      setResizing(true);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setResizing(false), 200);
    };
    window.addEventListener("resize", onResize);
    return () => {
      window.clearTimeout(timer);
      window.removeEventListener("resize", onResize);
    };
  }, []);
  return resizing;
}

export function AppShell({ navbar, nonce, children }: { navbar: "none" | "closed" | "opened"; nonce?: string; children: ReactNode }) {
  const resizing = useResizing();
  return (
    <>
      <style data-mantine-styles="inline" nonce={nonce} dangerouslySetInnerHTML={{ __html: shellMediaStyles[navbar] }} />
      <div
        style={{ "--app-shell-transition-duration": "200ms", "--app-shell-transition-timing-function": "ease" } as CSSProperties}
        className="m_89ab340 mantine-AppShell-root"
        data-resizing={resizing ? "true" : undefined}
        data-mode="fixed"
      >
        {children}
      </div>
    </>
  );
}

export function AppShellHeader({ children }: { children: ReactNode }) {
  return (
    <header style={{ "--app-shell-header-z-index": "100" } as CSSProperties} className="m_3b16f56b mantine-AppShell-header right-scroll-bar-position" data-with-border="true">
      {children}
    </header>
  );
}

export function AppShellNavbar({ children, ...rest }: { children: ReactNode } & Rest) {
  return (
    <nav
      style={{ overflowY: "auto", "--app-shell-navbar-z-index": "calc(100 + 1)", padding: "var(--mantine-spacing-sm)" } as CSSProperties}
      className="m_45252eee mantine-AppShell-navbar"
      data-with-border="true"
      {...rest}
    >
      {children}
    </nav>
  );
}

export function AppShellMain({ children, ...rest }: { children: ReactNode } & Rest) {
  return (
    <main className="m_8983817 mantine-AppShell-main" {...rest}>
      {children}
    </main>
  );
}
